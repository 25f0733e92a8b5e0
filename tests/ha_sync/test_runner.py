"""The runner's own paths: Plex as a target, removals of ratings, failures, triggers, storage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.diagnostics import async_get_config_entry_diagnostics
from custom_components.crosswatch.pairs import held_issue_id
from custom_components.crosswatch.repairs import async_create_fix_flow
from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, run_sync, runner, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


async def test_trakt_to_plex_writes_every_feature(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    plex = sim.state.plex
    owner = plex.users["owner"]
    now = sim.state.now()
    # Trakt alone has a listed movie, a rated movie and a play of a movie Plex never played.
    played = {id(row.item) for row in plex.history if row.account_id == owner.account_id}
    fresh = [m for m in sim.state.catalogue.movies if id(m) not in played and m.trakt]
    listed, rated = fresh[0], fresh[1]
    plex.watchlists["owner"].pop(listed, None)
    trakt_user.watchlist[listed] = (sim.state.trakt.next_id(), now)
    trakt_user.ratings[rated] = (9, now)
    trakt_user.history.append(type(trakt_user.history[0])(sim.state.trakt.next_id(), rated, now))

    target = plex_entry(sim)
    trakt = with_pair(await trakt_entry(hass, sim), target, ["watchlist", "history", "ratings"])
    await setup_entries(hass, target, trakt)
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "ok", result
    assert listed in plex.watchlists["owner"]
    assert plex.view(owner, rated).view_count >= 1
    assert plex.view(owner, rated).rating == 9.0
    routes = {r["route"] for r in await writes(sim, "pms")}
    assert {"GET /:/scrobble", "PUT /:/rate"} <= {r["route"] for r in await sim.requests("pms")}
    assert routes <= {"PUT /:/rate"}


async def test_rating_removals_both_ways(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]
    simkl = simkl_entry()
    trakt = with_pair(
        await trakt_entry(hass, sim), simkl, ["ratings"], direction="two_way", removals="mirror"
    )
    await setup_entries(hass, simkl, trakt)
    assert (await run_pair(hass, PAIR_ID))["result"] == "ok"

    both = sorted(
        (
            i
            for i, e in simkl_user.entries.items()
            if e.rating is not None and i in trakt_user.ratings
        ),
        key=lambda i: i.title,
    )
    on_trakt, on_simkl = both[0], both[1]
    now = sim.state.now() + 60
    del trakt_user.ratings[on_trakt]
    trakt_user.touch(now, f"{on_trakt.kind}s.rated_at")
    simkl_user.entries[on_simkl].rating = None
    simkl_user.touch(now, on_simkl, "rated_at")

    held = await run_pair(hass, PAIR_ID)
    assert held["result"] == "held"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, held_issue_id(trakt.entry_id, PAIR_ID))
    assert issue is not None
    assert issue.data is not None
    confirmed = await runner(trakt, PAIR_ID).async_confirm_removals(str(issue.data["plan"]))
    assert confirmed["removals"] == 2
    assert on_simkl not in trakt_user.ratings
    assert simkl_user.entries[on_trakt].rating is None


async def test_read_failure_is_a_failed_run(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, plex)
    await sim.fault("trakt", "GET /sync/last_activities", status=503)
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "failed"
    assert "trakt" in result["error"]
    assert cred.TRAKT_ACCESS_TOKEN not in result["error"]
    assert await writes(sim, "trakt") == []
    last = runner(plex, PAIR_ID).state.last_run
    assert last is not None
    assert last.result.value == "failed"
    # A dry run that cannot read raises too, and records nothing.
    with pytest.raises(HomeAssistantError) as dry:
        await run_sync(hass, pair=PAIR_ID, dry_run=True)
    assert dry.value.translation_key == "run_failed"
    assert len(runner(plex, PAIR_ID).state.runs) == 1


async def test_list_limit_raises_an_issue(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    await sim.set_trakt_user(cred.TRAKT_USER, watchlist_limit=len(trakt_user.watchlist) + 1)
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, plex)
    result = await run_pair(hass, PAIR_ID)
    assert result["features"]["watchlist"]["limit_reached"]
    assert result["adds"] == 1
    issue_id = f"sync_limit_{plex.entry_id}_{PAIR_ID}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None


async def test_source_change_triggers_a_run(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    simkl = simkl_entry()
    trakt = with_pair(await trakt_entry(hass, sim), simkl, ["watchlist"])
    await setup_entries(hass, simkl, trakt)
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    movie = next(m for m in sim.state.catalogue.movies if m not in trakt_user.watchlist)
    # Listing a title on the source moves its coordinator's marker: the pair runs by itself.
    await hass.services.async_call(
        DOMAIN,
        "watchlist_add",
        {"config_entry_id": trakt.entry_id, "media_type": "movie", "imdb": str(movie.imdb)},
        blocking=True,
    )
    await trakt.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done(wait_background_tasks=True)
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]
    assert movie in simkl_user.entries
    assert runner(trakt, PAIR_ID).state.last_run is not None


async def test_scheduled_run_without_target_is_skipped(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, plex)
    assert await hass.config_entries.async_unload(trakt.entry_id)
    pair = runner(plex, PAIR_ID)
    pair._schedule_run()
    await hass.async_block_till_done(wait_background_tasks=True)
    assert pair.state.last_run is not None
    assert pair.state.last_run.result.value == "skipped"


async def test_stored_state_survives_and_bad_state_is_dropped(
    hass: HomeAssistant, sim_urls: Simulator, hass_storage: dict[str, Any]
) -> None:
    sim = sim_urls
    hass_storage[f"{DOMAIN}.pair.{PAIR_ID}"] = {
        "version": 1,
        "key": f"{DOMAIN}.pair.{PAIR_ID}",
        "data": {"version": 99},
    }
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, plex)
    assert runner(plex, PAIR_ID).state.last_run is None  # unreadable: started afresh
    await run_sync(hass, pair=PAIR_ID)
    stored = hass_storage[f"{DOMAIN}.pair.{PAIR_ID}"]["data"]
    assert stored["runs"][-1]["result"] == "ok"
    assert "watchlist" in stored["baselines"]
    assert "target:watchlist" in stored["exact"]

    assert await hass.config_entries.async_reload(plex.entry_id)
    await hass.async_block_till_done()
    reloaded = runner(plex, PAIR_ID)
    assert len(reloaded.state.runs) == 1
    assert reloaded.memory.exact == frozenset(stored["exact"])


async def test_diagnostics_summarize_the_pair(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist", "history"])
    await setup_entries(hass, trakt, plex)
    await run_sync(hass, pair=PAIR_ID)
    data = await async_get_config_entry_diagnostics(hass, plex)
    pair = data["pairs"][PAIR_ID]
    assert pair["enabled"] is True
    assert pair["mode"] == "add_only"
    assert pair["runs"][-1]["result"] == "ok"
    assert pair["baselines"]["watchlist"]["source"] == len(sim.state.plex.watchlists["owner"])
    text = repr(data)
    for secret in (cred.PLEX_OWNER_TOKEN, cred.PLEX_SERVER_TOKEN, cred.TRAKT_ACCESS_TOKEN):
        assert secret not in text


async def test_held_repair_of_an_unloaded_pair_aborts(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, plex)
    issue_data = {"entry_id": plex.entry_id, "subentry_id": PAIR_ID}
    assert await hass.config_entries.async_unload(plex.entry_id)
    flow = await async_create_fix_flow(hass, held_issue_id(plex.entry_id, PAIR_ID), issue_data)
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "pair_unavailable"
