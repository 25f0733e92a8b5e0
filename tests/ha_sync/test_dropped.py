"""Watching a title takes it off the target's watchlist; a one-way pair must not put it back.

SIMKL moves a watched title from plan-to-watch to completed, and Trakt takes watched titles off
its watchlist. The engine runs Plex → target with watchlist and history over the simulator.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.sync.engine import PairMemory
from custom_components.crosswatch.sync.plan import Action, ReadKind, Side, SyncMode
from custom_components.crosswatch.sync.state import watermark_key
from simulator import credentials as cred

from .sides import plex_side, run, simkl_side, trakt_side

if TYPE_CHECKING:
    import aiohttp

    from custom_components.crosswatch.sync.side import SyncSide
    from simulator.testing import Simulator

FEATURES = (Feature.WATCHLIST, Feature.HISTORY)


def watchlisted_movie(sim: Simulator) -> Any:
    """A movie on the Plex owner's watchlist that nobody has watched."""
    played = {id(row.item) for row in sim.state.plex.history}
    return next(
        item
        for item in sim.state.plex.watchlists["owner"]
        if item.kind == "movie" and id(item) not in played and item.imdb
    )


async def watch_on_plex_then_run_twice(
    sim: Simulator, sides: dict[Side, SyncSide]
) -> tuple[Any, list[Any]]:
    """First run, then the owner watches a listed movie; two runs after that."""
    memory, first = await run(sim, PairMemory(), sides, FEATURES)
    assert first.features[Feature.WATCHLIST].count(Action.ADD) > 0
    movie = watchlisted_movie(sim)
    await sim.advance(3600)
    owner = sim.state.plex.users["owner"]
    sim.state.plex.mark_watched(owner, movie, sim.state.now())
    plans = []
    for _ in range(3):
        memory, plan = await run(sim, memory, sides, FEATURES)
        plans.append(plan)
        await sim.advance(3600)
    return movie, plans


async def test_plex_to_simkl_leaves_a_completed_title_completed(
    sim: Simulator,
    session: aiohttp.ClientSession,
) -> None:
    sides: dict[Side, SyncSide] = {
        Side.SOURCE: plex_side(sim, session),
        Side.TARGET: simkl_side(sim, session),
    }
    movie, (posted, after, quiet) = await watch_on_plex_then_run_twice(sim, sides)
    assert [(c.feature, c.action) for c in posted.changes] == [(Feature.HISTORY, Action.ADD)]
    entry = sim.state.simkl.users[cred.SIMKL_USER].entries[movie]
    assert entry.status == "completed"  # SIMKL's rule: watched, so no longer plan-to-watch
    # The next run sees it gone from the SIMKL watchlist and does not add it back.
    assert after.changes == ()
    watchlist = after.features[Feature.WATCHLIST]
    assert [d.item.title for d in watchlist.target_dropped] == [movie.title]
    assert after.summary()["features"]["watchlist"]["target_dropped"] == 1
    assert sim.state.simkl.users[cred.SIMKL_USER].entries[movie].status == "completed"
    assert quiet.changes == ()
    assert quiet.features[Feature.WATCHLIST].target_dropped == ()


async def test_plex_to_trakt_does_not_list_a_watched_title_again(
    sim: Simulator,
    session: aiohttp.ClientSession,
) -> None:
    sides: dict[Side, SyncSide] = {
        Side.SOURCE: plex_side(sim, session),
        Side.TARGET: trakt_side(sim, session),
    }
    movie, plans = await watch_on_plex_then_run_twice(sim, sides)
    user = sim.state.trakt.users[cred.TRAKT_USER]
    assert movie not in user.watchlist  # Trakt took it off when the play arrived
    assert [c.feature for c in plans[0].changes] == [Feature.HISTORY]
    for plan in plans[1:]:
        assert plan.changes == ()
    dropped = [d.item.title for p in plans for d in p.features[Feature.WATCHLIST].target_dropped]
    assert dropped == [movie.title]


@pytest.mark.parametrize("mode", [SyncMode.MIRROR, SyncMode.TWO_WAY])
async def test_a_play_simkl_stops_showing_is_no_removal(
    sim: Simulator,
    session: aiohttp.ClientSession,
    mode: SyncMode,
) -> None:
    """SIMKL → Trakt: a whole SIMKL read lacking a synced play removes nothing anywhere."""
    simkl = simkl_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: simkl, Side.TARGET: trakt_side(sim, session)}
    memory, _ = await run(sim, PairMemory(), sides, mode=mode)
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    movie = next(w for w in simkl_user.watched if w.kind == "movie")
    synced = [p for p in trakt_user.history if p.item is movie]
    assert synced
    await sim.advance(600)
    await simkl.client.history_remove(
        [MediaItem(kind=MediaKind.MOVIE, ids={"simkl": str(movie.simkl)})]
    )
    assert movie not in simkl_user.watched
    for _ in range(2):
        await sim.advance(600)
        memory = replace(memory, exact=frozenset())  # as after a failure: read whole
        memory, plan = await run(sim, memory, sides, mode=mode, whole=True)
        assert plan.reads[watermark_key(Side.SOURCE, Feature.HISTORY)] is ReadKind.WHOLE
        assert plan.changes == ()
    assert [p for p in trakt_user.history if p.item is movie] == synced
    assert movie not in simkl_user.watched  # nor was it put back on SIMKL


async def test_a_title_trakt_unlists_during_our_own_run_is_seen_next_run(
    sim: Simulator,
    session: aiohttp.ClientSession,
) -> None:
    """The first run posts the play of a listed title; Trakt unlists it at once.

    Trakt's watchlist marker read after those writes already counts the removal, so the next
    run reads the watchlist instead of keeping the baseline: the drop shows and is reported.
    """
    movie = watchlisted_movie(sim)
    owner = sim.state.plex.users["owner"]
    sim.state.plex.mark_watched(owner, movie, sim.state.now() - 86_400)
    sides: dict[Side, SyncSide] = {
        Side.SOURCE: plex_side(sim, session),
        Side.TARGET: trakt_side(sim, session),
    }
    memory, first = await run(sim, PairMemory(), sides, FEATURES)
    assert movie.title in [c.item.title for c in first.features[Feature.HISTORY].changes]
    assert movie not in sim.state.trakt.users[cred.TRAKT_USER].watchlist
    await sim.advance(600)
    await sim.clear_requests()
    memory, plan = await run(sim, memory, sides, FEATURES)
    assert plan.reads[watermark_key(Side.TARGET, Feature.WATCHLIST)] is ReadKind.WHOLE
    assert plan.reads[watermark_key(Side.TARGET, Feature.HISTORY)] is ReadKind.KEPT
    assert (await sim.counts())["trakt"] == {
        "GET /sync/last_activities": 1,
        "GET /sync/watchlist": 1,
    }
    assert plan.changes == ()
    assert [d.item.title for d in plan.features[Feature.WATCHLIST].target_dropped] == [movie.title]
    # Nothing written that time: the run after keeps both baselines without a read.
    await sim.advance(600)
    _, quiet = await run(sim, memory, sides, FEATURES)
    assert quiet.reads[watermark_key(Side.TARGET, Feature.WATCHLIST)] is ReadKind.KEPT
