"""Ratings both ways, guards, dry runs, action errors, entities, button and switch."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_fire_time_changed,
    mock_restore_cache,
)

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.pairs import EVENT_SYNC_FINISHED
from simulator import credentials as cred
from simulator.simkl import Entry as SimklEntry

from .conftest import PAIR_ID, plex_entry, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, run_sync, runner, setup_entries, writes

if TYPE_CHECKING:
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator


def _entity_id(hass: HomeAssistant, domain: str, key: str) -> str:
    registry = er.async_get(hass)
    entity_id = next(
        e.entity_id
        for e in registry.entities.values()
        if e.domain == domain and e.unique_id.endswith(f"{PAIR_ID}_{key}")
    )
    assert entity_id
    return entity_id


def _state(hass: HomeAssistant, domain: str, key: str) -> State:
    state = hass.states.get(_entity_id(hass, domain, key))
    assert state is not None
    return state


async def _plex_trakt(
    hass: HomeAssistant, sim: Simulator, features: list[str], **pair: str
) -> tuple[MockConfigEntry, MockConfigEntry]:
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, features, **pair)  # type: ignore[arg-type]
    await setup_entries(hass, trakt, plex)
    return plex, trakt


async def test_ratings_both_ways(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]

    def trakt_ratings() -> dict[str, int]:
        return {
            i.title: r for i, (r, _) in trakt_user.ratings.items() if i.kind in ("movie", "show")
        }

    def simkl_ratings() -> dict[str, int]:
        return {i.title: e.rating for i, e in simkl_user.entries.items() if e.rating is not None}

    # A movie only SIMKL has rated (the seed's SIMKL ratings are all on Trakt too).
    movie = next(m for m in sim.state.catalogue.movies if m not in trakt_user.ratings)
    now = sim.state.now()
    simkl_user.entries[movie] = SimklEntry("completed", now, now, rating=6, rated_at=now)

    simkl = simkl_entry()
    trakt = with_pair(await trakt_entry(hass, sim), simkl, ["ratings"], direction="two_way")
    await setup_entries(hass, simkl, trakt)
    only_trakt = set(trakt_ratings()) - set(simkl_ratings())
    only_simkl = set(simkl_ratings()) - set(trakt_ratings())
    assert only_trakt
    assert only_simkl

    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "ok"
    ratings = result["features"]["ratings"]
    # Different ratings on both sides: the newer one wins and is written to the other side.
    winners = [c["winner"] for c in ratings["conflict_titles"]]
    assert ratings["conflicts"] == len(winners) >= 1
    assert ratings["by_side"]["target"]["adds"] == len(only_trakt) + winners.count("source")
    assert ratings["by_side"]["source"]["adds"] == len(only_simkl) + winners.count("target")
    assert trakt_ratings() == simkl_ratings()

    await sim.clear_requests()
    again = await run_pair(hass, PAIR_ID)
    assert again["adds"] == 0
    assert await writes(sim, "trakt") == []
    assert await writes(sim, "simkl") == []


async def test_empty_answer_does_not_wipe_the_target(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await _plex_trakt(hass, sim, ["watchlist"], removals="mirror")
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    assert (await run_pair(hass, PAIR_ID))["result"] == "ok"
    synced = {i.title for i in trakt_user.watchlist}
    assert 0 < len(synced) < 20  # below the collapse guard's size: only the empty rule applies

    # Discover answers an empty list, its one-row marker page included.
    empty = {"MediaContainer": {"size": 0, "totalSize": 0, "offset": 0, "Metadata": []}}
    await sim.fault(
        "plex-discover", "GET /library/sections/watchlist/all", status=200, body=empty, count=2
    )
    await sim.clear_requests()
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "failed"
    assert "plex" in result["error"]
    assert "answered 0 watchlist entries where the last run saw" in result["error"]
    assert result.get("removals", 0) == 0
    assert await writes(sim, "trakt") == []
    assert {i.title for i in trakt_user.watchlist} == synced
    # No removal is proposed: no repair asks the user to confirm deleting everything.
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"sync_held_{runner_entry(hass)}_{PAIR_ID}"
    )

    # Plex answers properly again: nothing to remove.
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "ok"
    assert {i.title for i in trakt_user.watchlist} == synced


async def test_collapsed_history_fails_the_run_and_proposes_nothing(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await sim.reset({"movies": 60, "movie_plays": 40})
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"], removals="mirror")
    await setup_entries(hass, trakt, plex)
    await run_sync(hass, pair=PAIR_ID)
    plays = len(sim.state.trakt.users[cred.TRAKT_USER].history)
    # The server answers every history page empty, its one-row marker page included.
    empty = {"MediaContainer": {"size": 0, "totalSize": 0, "offset": 0, "Metadata": []}}
    await sim.fault("pms", "GET /status/sessions/history/all", status=200, body=empty)
    await sim.clear_requests()
    result = await run_pair(hass, PAIR_ID)
    await sim.clear_faults()
    assert result["result"] == "failed"
    assert "answered 0 history entries" in result["error"]
    assert await writes(sim, "trakt") == []
    assert len(sim.state.trakt.users[cred.TRAKT_USER].history) == plays
    assert not ir.async_get(hass).async_get_issue(
        DOMAIN, f"sync_held_{runner_entry(hass)}_{PAIR_ID}"
    )


def runner_entry(hass: HomeAssistant) -> str:
    return next(
        e.entry_id for e in hass.config_entries.async_entries(DOMAIN) if PAIR_ID in e.subentries
    )


async def test_dry_run_writes_nothing(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    plex, _ = await _plex_trakt(hass, sim, ["watchlist", "history", "ratings"])
    await sim.clear_requests()
    response = await run_sync(hass, config_entry_id=plex.entry_id, dry_run=True)
    summary = response["pairs"][PAIR_ID]
    assert summary["dry_run"] is True
    assert summary["adds"] == 0  # written
    assert summary["planned_adds"] > 0
    assert set(summary["features"]) == {"watchlist", "history", "ratings"}
    for service in ("trakt", "plex-discover", "pms", "plex.tv"):
        assert await writes(sim, service) == []
    assert runner(plex, PAIR_ID).state.last_run is None

    only = await run_sync(hass, pair=PAIR_ID, features=["ratings"], dry_run=True)
    assert set(only["pairs"][PAIR_ID]["features"]) == {"ratings"}


async def test_run_sync_errors(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    plex, trakt = await _plex_trakt(hass, sim, ["watchlist"])
    with pytest.raises(ServiceValidationError) as unknown:
        await run_sync(hass, pair="nope")
    assert unknown.value.translation_key == "unknown_pair"
    with pytest.raises(ServiceValidationError) as missing:
        await run_sync(hass, config_entry_id="nope")
    assert missing.value.translation_key == "unknown_entry"

    runner(plex, PAIR_ID).async_set_enabled(enabled=False)
    with pytest.raises(ServiceValidationError) as disabled:
        await run_sync(hass, pair=PAIR_ID)
    assert disabled.value.translation_key == "pair_disabled"
    everything = await run_sync(hass)
    assert everything["pairs"][PAIR_ID]["result"] == "skipped"
    runner(plex, PAIR_ID).async_set_enabled(enabled=True)

    # The target account unloaded: the pair cannot run.
    assert await hass.config_entries.async_unload(trakt.entry_id)
    with pytest.raises(ServiceValidationError) as target:
        await run_sync(hass, pair=PAIR_ID)
    assert target.value.translation_key == "target_not_loaded"

    assert await hass.config_entries.async_unload(plex.entry_id)
    for call in ({"pair": PAIR_ID}, {"config_entry_id": plex.entry_id}):
        with pytest.raises(ServiceValidationError) as unloaded:
            await run_sync(hass, **call)
        assert unloaded.value.translation_key == "entry_not_loaded"


async def test_entities_button_and_event(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    events = async_capture_events(hass, EVENT_SYNC_FINISHED)
    await _plex_trakt(hass, sim, ["watchlist"])
    assert _state(hass, "sensor", "result").state == STATE_UNKNOWN
    assert _state(hass, "switch", "enabled").state == STATE_ON

    await hass.services.async_call(
        "button", "press", {"entity_id": _entity_id(hass, "button", "sync_now")}, blocking=True
    )
    await hass.async_block_till_done()
    assert _state(hass, "sensor", "result").state == "ok"
    assert _state(hass, "sensor", "added").state == "3"
    assert _state(hass, "sensor", "removed").state == "0"
    last_run = dt_util.parse_datetime(_state(hass, "sensor", "last_run").state)
    assert last_run is not None
    attributes = _state(hass, "sensor", "result").attributes
    assert attributes["watchlist_adds"] == 3
    assert attributes["watchlist_removals"] == 0
    assert (attributes["failed"], attributes["held"], attributes["parked"]) == (0, 0, 0)
    assert "counts" not in attributes
    assert len(events) == 1
    assert events[0].data["result"] == "ok"
    assert events[0].data["adds"] == 3
    assert events[0].data["pair"] == PAIR_ID

    registry = er.async_get(hass)
    entry = registry.async_get(_entity_id(hass, "sensor", "result"))
    assert entry is not None
    assert entry.config_subentry_id == PAIR_ID


async def test_switch_off_stops_runs(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    plex, _ = await _plex_trakt(hass, sim, ["watchlist"])
    switch = _entity_id(hass, "switch", "enabled")
    await hass.services.async_call("switch", "turn_off", {"entity_id": switch}, blocking=True)
    assert _state(hass, "switch", "enabled").state == STATE_OFF
    await sim.clear_requests()

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=61))
    await hass.async_block_till_done()
    assert await writes(sim, "trakt") == []
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "button", "press", {"entity_id": _entity_id(hass, "button", "sync_now")}, blocking=True
        )
    assert runner(plex, PAIR_ID).state.last_run is None

    await hass.services.async_call("switch", "turn_on", {"entity_id": switch}, blocking=True)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=122))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert runner(plex, PAIR_ID).state.last_run is not None
    assert _state(hass, "sensor", "result").state == "ok"


async def test_switch_is_restored(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    entity_id = "switch.plex_simowner_trakt_simuser_enabled"
    mock_restore_cache(hass, [State(entity_id, STATE_OFF)])
    await setup_entries(hass, trakt, plex)
    assert _entity_id(hass, "switch", "enabled") == entity_id
    assert hass.states.get(entity_id).state == STATE_OFF  # type: ignore[union-attr]
    assert runner(plex, PAIR_ID).enabled is False


async def test_watchlist_actions(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, trakt)
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    movie = next(m for m in sim.state.catalogue.movies if m not in trakt_user.watchlist)
    await hass.services.async_call(
        DOMAIN,
        "watchlist_add",
        {"config_entry_id": trakt.entry_id, "media_type": "movie", "tmdb": str(movie.tmdb)},
        blocking=True,
    )
    assert movie in trakt_user.watchlist

    await sim.fault("trakt", "POST /sync/watchlist/remove", status=400, count=1)
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            DOMAIN,
            "watchlist_remove",
            {"config_entry_id": trakt.entry_id, "media_type": "movie", "imdb": str(movie.imdb)},
            blocking=True,
        )
    assert failed.value.translation_key == "write_failed"
    assert movie in trakt_user.watchlist

    tmdb = await _tmdb(hass)
    with pytest.raises(ServiceValidationError) as no_list:
        await hass.services.async_call(
            DOMAIN,
            "watchlist_add",
            {"config_entry_id": tmdb, "media_type": "movie", "imdb": "tt0133093"},
            blocking=True,
        )
    assert no_list.value.translation_key == "no_watchlist"


async def _tmdb(hass: HomeAssistant) -> str:
    from tests.ha.conftest import tmdb_entry  # noqa: PLC0415

    entry = tmdb_entry()
    await setup_entries(hass, entry)
    return entry.entry_id


async def test_a_new_pair_runs_at_once_without_reloading_its_account(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    """Created through its form, a pair's entities appear and its first run starts by itself."""
    trakt = await trakt_entry(hass, sim_urls)
    plex = plex_entry(sim_urls)
    await setup_entries(hass, trakt, plex)
    before = plex.runtime_data
    events = async_capture_events(hass, EVENT_SYNC_FINISHED)
    subentries = hass.config_entries.subentries
    result = await subentries.async_init((plex.entry_id, "sync_pair"), context={"source": "user"})
    result = await subentries.async_configure(
        result["flow_id"], {"target_entry_id": trakt.entry_id}
    )
    result = await subentries.async_configure(
        result["flow_id"],
        {"features": ["watchlist"], "direction": "one_way", "removals": "off",
         "interval_minutes": 60},
    )  # fmt: skip
    assert result["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)

    assert plex.runtime_data is before  # no reload: the account's entities stayed available
    pair_id = next(iter(plex.subentries))
    assert [e.data["pair"] for e in events] == [pair_id]  # nobody pressed Sync now
    registry = er.async_get(hass)
    states = {
        e.translation_key: hass.states.get(e.entity_id)
        for e in registry.entities.values()
        if e.config_subentry_id == pair_id
    }
    assert set(states) == {"last_run", "result", "added", "removed", "sync_now", "enabled"}
    assert states["result"] is not None
    assert states["result"].state == "ok"
    assert states["added"] is not None
    assert states["added"].state == "3"
    device = dr.async_get(hass).async_get(registry.async_get(states["result"].entity_id).device_id)
    assert device is not None
    assert device.model == "Sync pair"  # the subentry type's translated name, not sync_pair
