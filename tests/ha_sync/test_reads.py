"""How a run reads each side: kept, changes only, or whole (the engine over the simulator)."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind, Play
from custom_components.crosswatch.api.wire import iso_ms
from custom_components.crosswatch.providers.plex.side import PLEX_NAMING_LIMIT
from custom_components.crosswatch.providers.trakt.side import TRAKT_LOOKUPS, TraktSide
from custom_components.crosswatch.sync.engine import (
    READ_OVERLAP,
    WHOLE_READ_EVERY,
    PairMemory,
    plan_run,
)
from custom_components.crosswatch.sync.inventory import from_timestamp
from custom_components.crosswatch.sync.plan import ReadKind, Side, SyncMode
from custom_components.crosswatch.sync.side import SyncSide
from custom_components.crosswatch.sync.state import watermark_key
from simulator import credentials as cred

from .sides import plex_side, plex_to_trakt, run, simkl_side, trakt_side

if TYPE_CHECKING:
    from simulator.testing import Simulator

HISTORY = watermark_key(Side.SOURCE, Feature.HISTORY), watermark_key(Side.TARGET, Feature.HISTORY)


def trakt_plays(sim: Simulator) -> list[Any]:
    return list(sim.state.trakt.users[cred.TRAKT_USER].history)


def unwatched(sim: Simulator) -> list[Any]:
    played = {id(row.item) for row in sim.state.plex.history}
    played |= {id(p.item) for p in trakt_plays(sim)}
    return [m for m in sim.state.catalogue.movies if id(m) not in played and m.trakt]


def scrobble(sim: Simulator, item: Any, when: float) -> Any:
    """A finished Trakt scrobble: a play and a moved activity stamp."""
    trakt = sim.state.trakt
    user = trakt.users[cred.TRAKT_USER]
    play = type(user.history[0])(trakt.next_id(), item, when, "scrobble")
    user.history.append(play)
    user.touch(when, f"{item.kind}s.watched_at")
    return play


def history_queries(requests: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [r["query"] for r in requests if r["route"] == "GET /sync/history"]


async def test_a_trakt_removal_before_the_window_is_read_whole(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sides = plex_to_trakt(sim, session)
    memory, _ = await run(sim, PairMemory(), sides)
    await sim.advance(600)
    # The user deletes an old play on Trakt (by its history id, as trakt.tv does), one that came
    # from Plex: the whole read shows it gone, and the one-way pair leaves it off and says so.
    on_plex = {(id(r.item), r.viewed_at) for r in sim.state.plex.history}
    gone = min(
        (p for p in trakt_plays(sim) if (id(p.item), p.watched_at) in on_plex),
        key=lambda p: p.watched_at,
    )
    target = sides[Side.TARGET]
    assert isinstance(target, TraktSide)
    await target.client.history_remove(history_ids=[gone.id])
    await sim.clear_requests()

    memory, plan = await run(sim, memory, sides)
    assert plan.reads[HISTORY[1]] is ReadKind.WHOLE
    assert plan.reads[HISTORY[0]] is ReadKind.KEPT
    queries = history_queries(await sim.requests("trakt"))
    assert "start_at" in queries[0]  # the read of changes came first and showed nothing
    assert all("start_at" not in q for q in queries[1:])
    played = [(p.item, p.watched_at) for p in trakt_plays(sim)]
    assert (gone.item, gone.watched_at) not in played
    assert plan.changes == ()
    dropped = plan.features[Feature.HISTORY].target_dropped
    assert [(d.item.kind.value, d.item.title) for d in dropped] == [
        (gone.item.kind, gone.item.title)
    ]
    assert plan.summary()["features"]["history"]["target_dropped"] == 1


async def test_a_removal_beside_a_new_play_is_caught_by_the_play_count(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sides = plex_to_trakt(sim, session)
    memory, _ = await run(sim, PairMemory(), sides)
    await sim.advance(600)
    user = sim.state.trakt.users[cred.TRAKT_USER]
    gone = min(trakt_plays(sim), key=lambda p: p.watched_at)
    user.history.remove(gone)  # an old play goes, and a new one comes in the same interval
    scrobble(sim, unwatched(sim)[0], sim.state.now())
    held = len(trakt_plays(sim))
    await sim.clear_requests()

    _, plan = await run(sim, memory, sides)
    assert plan.reads[HISTORY[1]] is ReadKind.WHOLE
    queries = history_queries(await sim.requests("trakt"))
    assert ["start_at" in q for q in queries[:2]] == [True, False]  # changes, then the count
    assert plan.features[Feature.HISTORY].target.size == held


async def test_whole_reads_once_a_day_and_on_demand(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sides = plex_to_trakt(sim, session)
    memory, first = await run(sim, PairMemory(), sides)
    assert first.reads[HISTORY[1]] is ReadKind.WHOLE
    mark = memory.state.read_marks[HISTORY[1]]
    assert mark.since == mark.full_at == first.created_at

    await sim.advance(600)
    memory, kept = await run(sim, memory, sides)
    assert kept.reads[HISTORY[1]] is ReadKind.KEPT
    assert memory.state.read_marks[HISTORY[1]].since == kept.created_at

    movies = unwatched(sim)
    await sim.advance(600)
    scrobble(sim, movies[0], sim.state.now())
    memory, changes = await run(sim, memory, sides)
    queries = history_queries(await sim.requests("trakt"))
    assert queries[-2]["start_at"] == iso_ms(from_timestamp(kept.created_at - READ_OVERLAP))
    assert changes.reads[HISTORY[1]] is ReadKind.CHANGES
    after = memory.state.read_marks[HISTORY[1]]
    assert (after.since, after.full_at) == (changes.created_at, mark.full_at)

    await sim.advance(600)
    scrobble(sim, movies[1], sim.state.now())
    memory, forced = await run(sim, memory, sides, whole=True)
    assert forced.reads[HISTORY[1]] is ReadKind.WHOLE

    await sim.advance(WHOLE_READ_EVERY)
    scrobble(sim, movies[2], sim.state.now())
    memory, daily = await run(sim, memory, sides)
    assert daily.reads[HISTORY[1]] is ReadKind.WHOLE
    assert memory.state.read_marks[HISTORY[1]].full_at == daily.created_at
    # The pair state keeps the marks across a restart.
    restored = type(memory.state).from_dict(memory.state.to_dict())
    assert restored.read_marks == memory.state.read_marks


async def test_mirror_removal_after_a_whole_read_uses_its_play_ids(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    plex = sim.state.plex
    owner = plex.users["owner"]
    movie = unwatched(sim)[0]
    older = plex.mark_watched(owner, movie, sim.state.now() - 86_400)
    newer = plex.mark_watched(owner, movie, sim.state.now() - 7200)
    sides = plex_to_trakt(sim, session)
    memory, _ = await run(sim, PairMemory(), sides, mode=SyncMode.MIRROR)
    ids = {p.watched_at: p.id for p in trakt_plays(sim) if p.item is movie}
    assert len(ids) == 2

    await sim.advance(WHOLE_READ_EVERY)
    plex.history.remove(older)
    scrobble(sim, unwatched(sim)[0], sim.state.now())  # Trakt moved too: it is read whole
    await sim.clear_requests()
    memory, plan = await run(sim, memory, sides, mode=SyncMode.MIRROR)
    assert plan.reads[HISTORY[1]] is ReadKind.WHOLE
    assert all("start_at" not in q for q in history_queries(await sim.requests("trakt")))
    removals = await sim.requests("trakt", "POST /sync/history/remove")
    assert [r["body"] for r in removals] == [{"ids": [ids[older.viewed_at]]}]
    assert [p.watched_at for p in trakt_plays(sim) if p.item is movie] == [newer.viewed_at]


async def test_a_title_read_from_trakt_goes_by_item_when_all_its_plays_go(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    """The same play on both sides before the first run; Plex forgets it: Trakt's goes too."""
    plex = sim.state.plex
    owner = plex.users["owner"]
    movie = unwatched(sim)[0]
    when = sim.state.now() - 86_400
    row = plex.mark_watched(owner, movie, when)
    scrobble(sim, movie, when)
    sides = plex_to_trakt(sim, session)
    memory, first = await run(sim, PairMemory(), sides, mode=SyncMode.MIRROR)
    assert sum(1 for p in trakt_plays(sim) if p.item is movie) == 1

    await sim.advance(600)
    plex.history.remove(row)
    await sim.clear_requests()
    memory, plan = await run(sim, memory, sides, mode=SyncMode.MIRROR)
    assert plan.reads[HISTORY[1]] is ReadKind.KEPT
    # Trakt was not read: the title's own history (by its Trakt id) names its plays.
    reads = [r for r in await sim.requests("trakt") if r["method"] == "GET"]
    assert [r["path"] for r in reads] == [
        "/trakt/sync/last_activities",
        f"/trakt/sync/history/movies/{movie.trakt}",
        "/trakt/sync/last_activities",
    ]
    removals = await sim.requests("trakt", "POST /sync/history/remove")
    assert len(removals) == 1
    assert list(removals[0]["body"]) == ["movies"]  # by item: no play of it stays
    assert removals[0]["body"]["movies"][0]["ids"]["trakt"] == movie.trakt
    assert all(p.item is not movie for p in trakt_plays(sim))
    assert first.reads[HISTORY[1]] is ReadKind.WHOLE


async def test_plex_changes_name_new_titles_one_by_one_up_to_a_limit(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await sim.reset({"movies": PLEX_NAMING_LIMIT + 10})
    sides = plex_to_trakt(sim, session)
    memory, _ = await run(sim, PairMemory(), sides)
    plex = sim.state.plex
    owner = plex.users["owner"]
    movies = unwatched(sim)
    await sim.advance(600)
    plex.mark_watched(owner, movies[0], sim.state.now())
    plex.mark_watched(owner, movies[1], sim.state.now())
    # One of the two is gone from the library by the time it is named.
    await sim.fault("pms", "GET /library/metadata/{rk}", status=404, count=1)
    await sim.clear_requests()
    memory, plan = await run(sim, memory, sides)
    assert plan.reads[HISTORY[0]] is ReadKind.CHANGES
    assert plan.features[Feature.HISTORY].count(plan.changes[0].action) == 1
    assert not await sim.requests("pms", "GET /library/sections/{section}/all")

    await sim.advance(600)
    many = unwatched(sim)[: PLEX_NAMING_LIMIT + 1]
    assert len(many) == PLEX_NAMING_LIMIT + 1
    for item in many:
        plex.mark_watched(owner, item, sim.state.now())
    await sim.clear_requests()
    _, plan = await run(sim, memory, sides)
    assert plan.reads[HISTORY[0]] is ReadKind.WHOLE
    assert not await sim.requests("pms", "GET /library/metadata/{rk}")
    # The whole read also names the play whose title answered 404 before.
    assert plan.features[Feature.HISTORY].count(plan.changes[0].action) == len(many) + 1


async def test_simkl_changes_share_one_dated_read_and_history_only_grows(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    features = (Feature.WATCHLIST, Feature.HISTORY)
    simkl = simkl_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: plex_side(sim, session), Side.TARGET: simkl}
    memory, _ = await run(sim, PairMemory(), sides, features)
    keys = [watermark_key(Side.TARGET, f) for f in features]

    await sim.advance(600)
    movie = unwatched(sim)[0]
    watched = Play(
        item=MediaItem(kind=MediaKind.MOVIE, ids={"imdb": movie.imdb}),
        watched_at=from_timestamp(sim.state.now()),
    )
    await simkl.client.history_add([watched])
    await sim.clear_requests()
    memory, plan = await run(sim, memory, sides, features)
    assert [plan.reads[k] for k in keys] == [ReadKind.CHANGES, ReadKind.CHANGES]
    reads = await sim.requests("simkl", "GET /sync/all-items")
    assert len(reads) == 1
    assert "date_from" in reads[0]["query"]
    history = plan.features[Feature.HISTORY].target
    assert any(e.item.ids.get("imdb") == movie.imdb for e in history.entries.values())

    await sim.advance(600)
    await simkl.client.history_remove([watched.item])  # also takes it off every list
    await sim.clear_requests()
    _, plan = await run(sim, memory, sides, features)
    # The watchlist is read whole; history stays a delta: SIMKL deletes are not observed.
    assert [plan.reads[k] for k in keys] == [ReadKind.WHOLE, ReadKind.CHANGES]
    reads = await sim.requests("simkl", "GET /sync/all-items")
    assert sorted("date_from" in r["query"] for r in reads) == [False, True]
    history = plan.features[Feature.HISTORY].target
    assert any(e.item.ids.get("imdb") == movie.imdb for e in history.entries.values())


@pytest.mark.parametrize("feature", [Feature.WATCHLIST, Feature.RATINGS])
async def test_features_without_a_read_of_changes_read_whole(
    sim: Simulator, session: aiohttp.ClientSession, feature: Feature
) -> None:
    trakt = trakt_side(sim, session)
    plex = plex_side(sim, session)
    base = await trakt.read(feature)
    assert await trakt.read_changes(feature, base, sim.clock.time()) is None
    assert await plex.read_changes(feature, base, sim.clock.time()) is None
    simkl = simkl_side(sim, session)
    assert await simkl.read_changes(feature, base, sim.clock.time()) is None  # no activities yet


async def test_many_removals_read_trakt_whole_once_instead_of_one_lookup_each(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await sim.reset({"movies": TRAKT_LOOKUPS + 10, "movie_plays": TRAKT_LOOKUPS + 5})
    sides = plex_to_trakt(sim, session)
    memory, _ = await run(sim, PairMemory(), sides, mode=SyncMode.MIRROR)
    plex = sim.state.plex
    owner = plex.users["owner"]
    lost = [r for r in plex.history if r.account_id == owner.account_id and r.item.kind == "movie"]
    lost_plays = {(id(r.item), r.viewed_at) for r in lost}
    synced = [p for p in trakt_plays(sim) if (id(p.item), p.watched_at) in lost_plays]
    assert len(synced) > TRAKT_LOOKUPS
    for row in lost:
        plex.history.remove(row)
    await sim.advance(600)
    now = sim.clock.time()
    held = await plan_run(memory, sides, (Feature.HISTORY,), mode=SyncMode.MIRROR, now=now)
    assert held.held_plan is not None
    memory = PairMemory(state=memory.state.confirm_removals(held.held_plan), exact=memory.exact)
    await sim.clear_requests()
    memory, plan = await run(sim, memory, sides, mode=SyncMode.MIRROR)
    assert plan.reads[HISTORY[1]] is ReadKind.KEPT
    assert plan.features[Feature.HISTORY].count(plan.changes[0].action) == len(synced)
    queries = history_queries(await sim.requests("trakt"))
    assert queries
    assert all("start_at" not in q for q in queries)  # whole pages, not a window per play
    assert len(await sim.requests("trakt", "POST /sync/history/remove")) == 1
    assert not [p for p in trakt_plays(sim) if (id(p.item), p.watched_at) in lost_plays]


async def test_a_whole_trakt_history_read_is_kept_packed_untracked_by_the_garbage_collector(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    """The run keeps it for removals; as objects it was promoted towards full collections."""
    now = sim.clock.time()
    plays = [scrobble(sim, item, now - 3600 * i) for i, item in enumerate(unwatched(sim)[:3])]
    side = trakt_side(sim, session)
    history = await side.read(Feature.HISTORY)
    kept = side._plays
    assert kept is not None
    assert len(kept) == history.size == len(trakt_plays(sim)) >= len(plays)
    movie = plays[1]
    item = MediaItem(kind=MediaKind.MOVIE, ids={"trakt": str(movie.item.trakt)})
    held, complete = await side._plays_of(item, [])
    assert complete
    assert movie.id in {p.history_id for p in held}
    for _ in range(4):  # a pass may untrack one level of nested tuples
        gc.collect()
    assert not [row for row in kept if gc.is_tracked(row)]
    assert side._plays_by_key
    assert not [rows for rows in side._plays_by_key.values() if gc.is_tracked(rows)]


async def test_a_whole_simkl_read_is_kept_packed_untracked_by_the_garbage_collector(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    """Watchlist and history share one ``all-items`` read, kept for the run as plain tuples."""
    side = simkl_side(sim, session)
    watchlist = await side.read(Feature.WATCHLIST)
    history = await side.read(Feature.HISTORY)
    assert len(await sim.requests("simkl", "GET /sync/all-items*")) == 1
    assert watchlist.rows
    assert history.rows
    kept = side._library
    assert kept is not None
    for _ in range(4):  # a pass may untrack one level of nested tuples
        gc.collect()
    assert not [row for row in kept if gc.is_tracked(row)]
