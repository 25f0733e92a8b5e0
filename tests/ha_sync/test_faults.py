"""Sync pairs under injected faults: outages never park, a refused token stops the run at once,
counts say what was written, and a removal carried to Plex stays removed."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import Event
from homeassistant.helpers import issue_registry as ir

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.pairs import EVENT_SYNC_FINISHED, held_issue_id
from custom_components.crosswatch.repairs import async_create_fix_flow
from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_pair, runner, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

# Enough plays that the first run posts more than one batch of 100.
SEED = {"movies": 300, "movie_plays": 250}


def _trakt_plays(sim: Simulator) -> Counter[tuple[int, float]]:
    history = sim.state.trakt.users[cred.TRAKT_USER].history
    return Counter((id(p.item), p.watched_at) for p in history)


async def _watchlist_to_trakt(hass: HomeAssistant, sim: Simulator, **pair: Any) -> Any:
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"], **pair)
    await setup_entries(hass, trakt, plex)
    return plex


async def test_outages_never_park_a_title(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    plex = await _watchlist_to_trakt(hass, sim)
    listed = {i.title for i in sim.state.trakt.users[cred.TRAKT_USER].watchlist}
    # Three runs in a row meet an outage of Trakt's watchlist writes: a 503, a dropped
    # connection, then an answer cut in half (that write did land).
    results = []
    for fault in ({"status": 503}, {"kind": "drop"}, {"kind": "truncated"}):
        await sim.fault("trakt", "POST /sync/watchlist", **fault)
        results.append(await run_pair(hass, PAIR_ID))
        await sim.clear_faults()
    pair = runner(plex, PAIR_ID)
    assert pair.state.failures == {}
    for result in results:
        assert result["result"] == "failed", result
        assert result["counts"]["watchlist"]["failed"] > 0
        assert result["adds"] == 0  # written: none that we know of
        assert result["planned_adds"] > 0
    # Trakt answers again: nothing is parked and nothing is left to write.
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "ok", result
    assert result["features"]["watchlist"]["parked"] == 0
    assert pair.diagnostics()["parked"] == 0
    assert {i.title for i in sim.state.trakt.users[cred.TRAKT_USER].watchlist} > listed


async def test_a_refused_token_stops_the_run_and_starts_reauth(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await sim.reset(SEED)
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"])
    await setup_entries(hass, trakt, plex)
    before = sum(_trakt_plays(sim).values())
    # The user revokes CrossWatch's access on trakt.tv while the first batch is on its way.
    await sim.fault("trakt", "POST /sync/history", kind="revoke", count=1)
    result = await run_pair(hass, PAIR_ID)
    assert len(await sim.requests("trakt", "POST /sync/history")) == 1  # no further batches
    assert result["result"] == "failed"
    assert "credentials refused" in result["error"]
    assert result["planned_adds"] > 100  # more than one batch was planned
    assert sum(_trakt_plays(sim).values()) == before
    assert runner(plex, PAIR_ID).state.failures == {}
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, trakt.entry_id)
    ]


@pytest.mark.parametrize(
    ("service", "route"),
    [
        ("pms", "GET /status/sessions/history/all"),  # the server's history marker
        ("plex-discover", "GET /library/sections/watchlist/all"),  # plex.tv's watchlist
    ],
)
async def test_a_refused_plex_token_while_reading_starts_reauth_of_plex(
    hass: HomeAssistant, sim_urls: Simulator, service: str, route: str
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist", "history"])
    await setup_entries(hass, trakt, plex)
    # Plex's reads go to four hosts, each naming its errors apart; a 401 from any of them is the
    # Plex account's (it used to be matched to no side, so nobody was asked to sign in again).
    await sim.fault(service, route, status=401)
    result = await run_pair(hass, PAIR_ID)
    await sim.clear_faults()
    assert result["result"] == "failed", result
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        (SOURCE_REAUTH, plex.entry_id)
    ]


async def test_counts_say_what_was_written(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    await sim.reset(SEED)
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"])
    await setup_entries(hass, trakt, plex)
    events: list[Event] = []
    hass.bus.async_listen(EVENT_SYNC_FINISHED, events.append)
    # The first batch lands (a fault that only counts it); the ones after fail outright.
    await sim.fault("trakt", "POST /sync/history", count=1, latency=0.0)
    await sim.fault("trakt", "POST /sync/history", status=503)
    result = await run_pair(hass, PAIR_ID)
    await sim.clear_faults()
    await hass.async_block_till_done()
    planned = result["planned_adds"]
    assert planned > 100
    assert result["adds"] == 100 == result["counts"]["history"]["adds"]
    assert result["result"] == "partial"
    [event] = events
    assert (event.data["adds"], event.data["planned_adds"]) == (100, planned)
    assert event.data["removals"] == event.data["planned_removals"] == 0


async def test_one_way_counts_removals_it_does_not_carry(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await _watchlist_to_trakt(hass, sim)
    assert (await run_pair(hass, PAIR_ID))["result"] == "ok"
    events: list[Event] = []
    hass.bus.async_listen(EVENT_SYNC_FINISHED, events.append)
    watchlist = sim.state.plex.watchlists["owner"]
    gone = next(iter(watchlist))
    del watchlist[gone]
    result = await run_pair(hass, PAIR_ID)
    await hass.async_block_till_done()
    assert result["suppressed_removals"] == 1
    assert result["features"]["watchlist"]["suppressed_removals"] == 1
    assert events[0].data["suppressed_removals"] == 1
    assert gone in sim.state.trakt.users[cred.TRAKT_USER].watchlist  # removals are off


async def test_a_removal_carried_to_plex_stays_removed(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await sim.reset({"movies": 40, "movie_plays": 30})
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"], direction="two_way", removals="mirror")
    await setup_entries(hass, trakt, plex)
    await run_pair(hass, PAIR_ID)
    owner = sim.state.plex.users["owner"]
    user = sim.state.trakt.users[cred.TRAKT_USER]
    on_plex = {
        id(r.item): r.item for r in sim.state.plex.history if r.account_id == owner.account_id
    }
    # The user deletes some of the synced titles' plays on trakt.tv.
    gone = sorted((m for m in on_plex.values() if m.trakt), key=lambda m: m.title)[:5]
    user.history[:] = [p for p in user.history if p.item not in gone]
    user.touch(sim.state.now() + 60, "movies.watched_at")
    await sim.advance(120)
    held = await run_pair(hass, PAIR_ID)
    assert held["result"] == "held"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, held_issue_id(plex.entry_id, PAIR_ID))
    assert issue is not None
    assert issue.data is not None
    flow = await async_create_fix_flow(hass, issue.issue_id, issue.data)
    flow.hass = hass
    await flow.async_step_init()
    await flow.async_step_confirm({})
    assert runner(plex, PAIR_ID).state.last_run.counts["history"]["removals"] >= len(gone)
    # Plex marked them unwatched, and (as Plex does) kept their play history.
    assert all(sim.state.plex.view(owner, m).view_count == 0 for m in gone)
    assert any(r.item in gone for r in sim.state.plex.history)

    # A day later a new play on Plex makes the next run read Plex's history whole.
    await sim.advance(2 * 86_400)
    fresh = next(
        m
        for m in sim.state.catalogue.movies
        if m.trakt and id(m) not in on_plex and all(p.item is not m for p in user.history)
    )
    sim.state.plex.mark_watched(owner, fresh, sim.state.now())
    await sim.clear_requests()
    result = await run_pair(hass, PAIR_ID)
    assert result["features"]["history"]["adds"] == 1, result
    posted = [r for r in await writes(sim, "trakt") if r["route"] == "POST /sync/history"]
    assert len(posted) == 1
    assert all(p.item not in gone for p in user.history)
    again = await run_pair(hass, PAIR_ID)
    assert (again["planned_adds"], again["planned_removals"]) == (0, 0)
