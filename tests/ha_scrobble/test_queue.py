"""Nothing lost: undeliverable scrobbles wait in a Store and go out later, also after a restart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)

from custom_components.crosswatch.providers.plex.scrobbler import EVENT_SCROBBLE

from .conftest import OWNER, plex_entry, route, until
from .helpers import play_then_stop, run_queue

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts


def store_key(accounts: Accounts) -> str:
    assert accounts.plex is not None
    return f"crosswatch.scrobble_queue.{accounts.plex.entry_id}"


async def test_trakt_outage_on_the_final_stop_is_queued_and_delivered_later(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    fired = async_capture_events(hass, EVENT_SCROBBLE)  # in order (a callback listener)
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=888_000)
    await until(lambda: len(fired) == 1)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: len(fired) == 2)
    assert fired[1].data["type"] == "watched"
    assert fired[1].data["queued"] == [accounts.trakt.entry_id]
    await hass.async_block_till_done()
    assert accounts.state("binary_sensor", "plex_listener").attributes["queued_scrobbles"] == 1
    await sim.clear_faults()
    await sim.clear_requests()
    await run_queue(hass, accounts, sim_clock, 5)  # not due yet: nothing sent
    assert await accounts.trakt_scrobbles() == []
    await run_queue(hass, accounts, sim_clock, 30)
    assert await accounts.trakt_scrobbles() == [("stop", 100.0, 201)]
    assert len(accounts.scrobbler.queue) == 0
    assert accounts.state("binary_sensor", "plex_listener").attributes["queued_scrobbles"] == 0


async def test_queue_survives_a_restart(
    hass: HomeAssistant,
    accounts: Accounts,
    sim: Simulator,
    sim_clock: ManualClock,
    hass_storage: dict[str, Any],
) -> None:
    plex = await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await play_then_stop(accounts, sim)
    # The watched stop superseded the queued start: only the stop waits.
    assert len(accounts.scrobbler.queue) == 1
    assert await hass.config_entries.async_unload(plex.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[store_key(accounts)]["data"]["queue"]
    assert [entry["scrobble"]["call"] for entry in stored] == ["stop"]
    await sim.clear_faults()
    await sim.clear_requests()
    assert await hass.config_entries.async_setup(plex.entry_id)
    await hass.async_block_till_done()
    assert len(accounts.scrobbler.queue) == 1
    await run_queue(hass, accounts, sim_clock, 31)
    assert await accounts.trakt_scrobbles() == [("stop", 100.0, 201)]
    await run_queue(hass, accounts, sim_clock, 2)  # the emptied queue is saved too
    assert hass_storage[store_key(accounts)]["data"]["queue"] == []


async def test_a_target_account_that_is_not_loaded_gets_its_scrobbles_later(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    assert await hass.config_entries.async_unload(accounts.trakt.entry_id)
    await hass.async_block_till_done()
    assert accounts.trakt.state is ConfigEntryState.NOT_LOADED
    await play_then_stop(accounts, sim)
    assert await accounts.trakt_scrobbles() == []
    # Only the watched stop waits: a start must never reach Trakt after its stop.
    assert [e.scrobble.call for e in accounts.scrobbler.queue.items] == ["stop"]
    assert [e.sink_id for e in accounts.scrobbler.queue.items] == [accounts.trakt.entry_id]
    assert await hass.config_entries.async_setup(accounts.trakt.entry_id)
    await hass.async_block_till_done()
    await run_queue(hass, accounts, sim_clock, 31)
    assert await accounts.trakt_scrobbles() == [("stop", 100.0, 201)]


async def test_a_removed_target_account_is_reported_not_retried(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await accounts.add_plex(routes=[route(None, ["gone-entry-id"])])
    await until(lambda: accounts.scrobbler.listener.connected)
    fired = async_capture_events(hass, EVENT_SCROBBLE)  # in order (a callback listener)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: len(fired) == 1)
    assert fired[0].data["rejected"] == ["gone-entry-id"]
    assert accounts.scrobbler.sinks["gone-entry-id"].sink_id == "gone-entry-id"
    assert len(accounts.scrobbler.queue) == 0
    assert await accounts.trakt_scrobbles() == []


async def test_a_corrupt_store_is_skipped(
    hass: HomeAssistant, accounts: Accounts, hass_storage: dict[str, Any]
) -> None:
    entry = plex_entry(accounts.sim, [route(None, [accounts.trakt.entry_id])])
    key = f"crosswatch.scrobble_queue.{entry.entry_id}"
    good = {
        "sink_id": accounts.trakt.entry_id,
        "queued_at": 0.0,
        "next_attempt_at": 1e12,
        "attempts": 1,
        "scrobble": {
            "call": "stop",
            "action": "stop",
            "progress": 95.0,
            "watched": True,
            "item": {"kind": "movie", "ids": {"imdb": "tt1375666"}, "title": "Inception"},
            "user": {"id": OWNER},
        },
    }
    hass_storage[key] = {"version": 1, "key": key, "data": {"queue": [{"sink_id": "x"}, good]}}
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    scrobbler = entry.runtime_data.scrobble
    assert scrobbler is not None
    assert [e.scrobble.item.title for e in scrobbler.queue.items] == ["Inception"]
    assert scrobbler.diagnostics()["queue_size"] == 1


async def test_a_stale_start_is_dropped_and_counted(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: len(accounts.scrobbler.queue) == 1)
    await sim.clear_faults()
    await run_queue(hass, accounts, sim_clock, 3700)  # an hour later "started watching" is wrong
    assert len(accounts.scrobbler.queue) == 0
    assert accounts.scrobbler.dropped == 1
    assert accounts.scrobbler.diagnostics()["queue_dropped"] == 1
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 503)]


async def test_a_trakt_token_that_cannot_be_renewed_queues_the_scrobble(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    token = {**accounts.trakt.data["token"], "expires_at": 0.0}
    hass.config_entries.async_update_entry(
        accounts.trakt, data={**accounts.trakt.data, "token": token}
    )
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.fault("trakt", "POST /oauth/token", status=503)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: len(accounts.scrobbler.queue) == 1)
    assert accounts.scrobbler.queue.items[0].sink_id == accounts.trakt.entry_id
    assert await accounts.trakt_scrobbles() == []
    refreshes = [r for r in await sim.requests("trakt") if r["path"].endswith("/oauth/token")]
    assert refreshes
    assert all(r["status"] == 503 for r in refreshes)


async def test_removing_the_plex_account_deletes_its_stored_queue(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, hass_storage: dict[str, Any]
) -> None:
    plex = await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await play_then_stop(accounts, sim)
    assert await hass.config_entries.async_unload(plex.entry_id)
    assert (
        len(hass_storage[store_key(accounts)]["data"]["queue"]) == 1
    )  # the watched stop (it superseded the start)
    await hass.config_entries.async_remove(plex.entry_id)
    await hass.async_block_till_done()
    assert store_key(accounts) not in hass_storage
