"""Runs after the first read only what changed, and Trakt history removals take single plays."""

from __future__ import annotations

import gc
from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.crosswatch.api.models import Play
from custom_components.crosswatch.providers.plex.client import PlexLibraryItem
from custom_components.crosswatch.providers.simkl.client import SimklEntry, SimklLibrary
from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, simkl_entry, trakt_entry, with_pair
from .helpers import only_unmatched_left, run_pair, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

# Three pages of Trakt history after the first run.
SEED = {"movies": 300, "movie_plays": 250}


def _trakt_plays(sim: Simulator) -> Counter[tuple[int, float]]:
    history = sim.state.trakt.users[cred.TRAKT_USER].history
    return Counter((id(p.item), p.watched_at) for p in history)


def _unwatched_movies(sim: Simulator) -> list[Any]:
    played = {id(row.item) for row in sim.state.plex.history}
    played |= {id(p.item) for p in sim.state.trakt.users[cred.TRAKT_USER].history}
    return [m for m in sim.state.catalogue.movies if id(m) not in played and m.trakt]


def _trakt_scrobble(sim: Simulator, movie: Any, when: float) -> None:
    """What a finished scrobble leaves on Trakt: a play now and a moved activity stamp."""
    trakt = sim.state.trakt
    user = trakt.users[cred.TRAKT_USER]
    user.history.append(type(user.history[0])(trakt.next_id(), movie, when, "scrobble"))
    user.touch(when, "movies.watched_at")


async def test_a_new_play_on_each_side_reads_only_the_new_page(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await sim.reset(SEED)
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"])
    await setup_entries(hass, trakt, plex)
    first = await run_pair(hass, PAIR_ID)
    assert only_unmatched_left(first)
    assert sum(_trakt_plays(sim).values()) > 200  # a whole read would take three pages

    await sim.advance(600)
    now = sim.state.now()
    on_plex, on_trakt = _unwatched_movies(sim)[:2]
    plex_state = sim.state.plex
    plex_state.mark_watched(plex_state.users["owner"], on_plex, now)
    _trakt_scrobble(sim, on_trakt, now)
    await sim.clear_requests()

    second = await run_pair(hass, PAIR_ID)
    assert only_unmatched_left(second)
    assert second["features"]["history"]["adds"] == 1
    # One page of plays since the last read, then the play count on a one-row page.
    reads = [r["query"] for r in await sim.requests("trakt", "GET /sync/history")]
    assert len(reads) == 2
    assert "start_at" in reads[0]
    assert (reads[1]["limit"], "start_at" in reads[1]) == ("1", False)
    pms = await sim.requests("pms")
    assert not [r for r in pms if r["route"] == "GET /library/sections/{section}/all"]
    history_reads = [r for r in pms if r["route"] == "GET /status/sessions/history/all"]
    assert any("viewedAt>" in r["query"] for r in history_reads)
    posts = [r for r in await writes(sim, "trakt") if r["route"] == "POST /sync/history"]
    assert len(posts) == 1
    assert _trakt_plays(sim)[(id(on_plex), now)] == 1
    assert max(_trakt_plays(sim).values()) == 1

    await sim.clear_requests()
    third = await run_pair(hass, PAIR_ID)
    assert third["adds"] == 0
    assert await sim.requests("trakt", "GET /sync/history") == []
    assert await writes(sim, "trakt") == []


@pytest.mark.parametrize("which", ["older", "newer"])
async def test_mirror_removes_exactly_the_play_plex_lost(
    hass: HomeAssistant, sim_urls: Simulator, which: str
) -> None:
    """One of two plays of a title goes on Plex: Trakt loses that play and keeps the other.

    The older play lies before the window a read of changes covers (a whole read finds the loss);
    the newer one inside it.
    """
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"], removals="mirror")
    await setup_entries(hass, trakt, plex)
    plex_state = sim.state.plex
    owner = plex_state.users["owner"]
    movie = _unwatched_movies(sim)[0]
    older = plex_state.mark_watched(owner, movie, sim.state.now() - 86_400)
    newer = plex_state.mark_watched(owner, movie, sim.state.now() - 60)
    first = await run_pair(hass, PAIR_ID)
    assert first["result"] == "ok"
    plays = _trakt_plays(sim)
    assert plays[(id(movie), older.viewed_at)] == plays[(id(movie), newer.viewed_at)] == 1
    ids = {
        p.watched_at: p.id
        for p in sim.state.trakt.users[cred.TRAKT_USER].history
        if p.item is movie
    }

    await sim.advance(600)
    lost, kept = (older, newer) if which == "older" else (newer, older)
    plex_state.history.remove(lost)
    await sim.clear_requests()
    second = await run_pair(hass, PAIR_ID)
    assert second["result"] == "ok", second
    assert second["features"]["history"]["removals"] == 1
    removals = [r for r in await writes(sim, "trakt") if r["route"] == "POST /sync/history/remove"]
    assert [r["body"] for r in removals] == [{"ids": [ids[lost.viewed_at]]}]
    left = [p.watched_at for p in sim.state.trakt.users[cred.TRAKT_USER].history if p.item is movie]
    assert left == [kept.viewed_at]


async def test_read_marks_survive_a_restart(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"])
    await setup_entries(hass, trakt, plex)
    assert (await run_pair(hass, PAIR_ID))["result"] == "ok"

    assert await hass.config_entries.async_unload(plex.entry_id)
    assert await hass.config_entries.async_setup(plex.entry_id)
    await hass.async_block_till_done()
    await sim.advance(600)
    _trakt_scrobble(sim, _unwatched_movies(sim)[0], sim.state.now())
    await sim.clear_requests()
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "ok"
    reads = [r["query"] for r in await sim.requests("trakt", "GET /sync/history")]
    assert "start_at" in reads[0]
    assert all(r.get("limit") == "1" for r in reads[1:])  # the play count, never whole pages


def _alive(*kinds: type) -> int:
    """How many objects of ``kinds`` live in the heap (after a full collection)."""
    gc.collect()
    return sum(isinstance(o, kinds) for o in gc.get_objects())


# What a side reads for one run only: Plex's library rows, Trakt's whole history, SIMKL's
# ``all-items`` answers.
RUN_READS = (PlexLibraryItem, Play, SimklEntry, SimklLibrary)
# A run where nothing moved asks each side its activity marker, nothing else.
MARKER_ROUTES = {
    "pms": {"GET /status/sessions/history/all"},
    "trakt": {"GET /sync/last_activities"},
    "simkl": {"GET /sync/activities"},
}


@pytest.mark.parametrize("source", ["plex", "trakt", "simkl"])
async def test_a_run_lets_go_of_its_reads_and_the_next_asks_only_markers(
    hass: HomeAssistant, sim_urls: Simulator, source: str
) -> None:
    """A whole read's rows are gone once the run is over; the next run still costs a marker each.

    The source side is read whole (a first run) and not written to, so nothing but the end of
    the run lets go of its reads (a side written to reads its marker again, which starts afresh).
    """
    sim = sim_urls
    await sim.reset(SEED)
    plex = plex_entry(sim)
    other = await trakt_entry(hass, sim) if source != "simkl" else simkl_entry()
    if source == "plex":
        plex = with_pair(plex, other, ["history"])
    else:
        other = with_pair(other, plex, ["history"])
    await setup_entries(hass, plex, other)
    first = await run_pair(hass, PAIR_ID)
    assert first["result"] in ("ok", "partial"), first
    assert _alive(*RUN_READS) == 0

    await sim.advance(600)
    await sim.clear_requests()
    second = await run_pair(hass, PAIR_ID)
    assert second["adds"] == 0
    for service in ("pms", "simkl" if source == "simkl" else "trakt"):
        routes = [r["route"] for r in await sim.requests(service)]
        assert set(routes) == MARKER_ROUTES[service], routes
        assert len(routes) == 1, routes
    assert _alive(*RUN_READS) == 0
