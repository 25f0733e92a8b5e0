"""Scrobbling under faults: a listener that cannot die silently, plays in progress bound again,
a queued start that never follows its stop, a failed stop on disk at once, a webhook id that never
reaches the log, and scrobbling that does not need plex.tv's watchlist."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.crosswatch.const import CONF_WEBHOOK_ID
from custom_components.crosswatch.providers.plex.listener import ListenerState
from custom_components.crosswatch.scrobble.queue import ScrobbleQueue
from simulator import credentials as cred

from .conftest import OWNER, until
from .helpers import multipart, payload

if TYPE_CHECKING:
    from aiohttp.test_utils import TestClient
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts

# About 200 KB of ``[[[[…``: what broke the listener (``RecursionError`` in the JSON parser).
DEEP_FRAME = "[" * 200_000
# Valid JSON, parsed fine, but deeper than anything Plex sends.
DEEP_BUT_PARSEABLE = "[" * 400 + "]" * 400
HOSTILE = "\x1b[2J\u202e\n\r\x00"


async def _connected(accounts: Accounts) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)


def _later(hass: HomeAssistant, seconds: float) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))


async def test_a_frame_nested_very_deep_does_not_end_the_listener(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    await _connected(accounts)
    for frame in (DEEP_FRAME, DEEP_BUT_PARSEABLE, json.dumps({"x": HOSTILE}), DEEP_FRAME):
        assert await sim.raw_frame(frame) == 1
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]
    assert accounts.scrobbler.listener.state is ListenerState.CONNECTED
    assert accounts.state("binary_sensor", "plex_listener").state == STATE_ON
    assert accounts.scrobbler.listener.failures == 0


async def test_an_error_while_handling_a_frame_is_logged_once_and_the_next_frame_is_read(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    await _connected(accounts)
    listener = accounts.scrobbler.listener
    handle = listener._on_notification
    broken = 0

    def fails_twice(note: Any) -> None:
        nonlocal broken
        if broken < 2:
            broken += 1
            raise RecursionError("maximum recursion depth exceeded")
        handle(note)

    listener._on_notification = fails_twice
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=888_000)
    await sim.pause(offset_ms=900_000)
    await until(lambda: broken == 2)
    await sim.play(rating_key, offset_ms=900_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    assert listener.state is ListenerState.CONNECTED
    failures = [r for r in caplog.records if "could not be handled" in r.getMessage()]
    assert [r.levelno for r in failures] == [logging.ERROR, logging.DEBUG]


async def test_a_dead_listener_shows_disconnected_and_restarts_with_backoff(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await _connected(accounts)
    listener = accounts.scrobbler.listener
    task = listener._task
    assert task is not None
    task.cancel()  # the task ends behind the scrobbler's back
    await until(task.done)
    await hass.async_block_till_done()
    assert listener.state is ListenerState.STOPPED
    assert accounts.state("binary_sensor", "plex_listener").state == STATE_OFF
    _later(hass, 2)  # the first restart waits about a second
    await until(lambda: listener.connected)
    await hass.async_block_till_done()
    assert accounts.state("binary_sensor", "plex_listener").state == STATE_ON
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]


async def test_a_play_in_progress_is_bound_on_startup_and_its_stop_delivered(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    # The play began while Home Assistant was down: no frame of it will ever come again.
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await accounts.add_plex()
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await hass.async_block_till_done()
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception"
    await accounts.scrobbler.pipeline.wait_idle()
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: OWNER not in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201), ("stop", 100.0, 201)]


async def test_a_play_begun_while_disconnected_is_bound_on_reconnect(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await _connected(accounts)
    listener = accounts.scrobbler.listener
    await sim.fault("pms", "GET /:/websockets/notifications", kind="drop", count=1)
    await until(lambda: not listener.connected)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)  # no socket hears it
    _later(hass, 5)
    await until(lambda: listener.connected)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]


async def test_a_queued_start_never_reaches_trakt_after_its_stop(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await _connected(accounts)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert [e.scrobble.call for e in accounts.scrobbler.queue.items] == ["start"]
    await sim.clear_faults()
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: OWNER not in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    sim_clock.advance(60)
    _later(hass, 61)
    await hass.async_block_till_done()
    await accounts.scrobbler.async_drained()
    delivered = [(call, status) for call, _, status in await accounts.trakt_scrobbles()]
    assert delivered == [("start", 503), ("stop", 201)]
    assert len(accounts.scrobbler.queue) == 0
    assert accounts.scrobbler.dropped == 0  # superseded is not lost


async def test_a_failed_watched_stop_is_on_disk_before_any_retry(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, hass_storage: dict[str, Any]
) -> None:
    await _connected(accounts)
    assert accounts.plex is not None
    key = f"crosswatch.scrobble_queue.{accounts.plex.entry_id}"
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: len(accounts.scrobbler.queue) == 1)
    await accounts.scrobbler.pipeline.wait_idle()
    # The power goes now: no timer ran, nothing was unloaded. What is on disk is all there is.
    stored = hass_storage[key]["data"]["queue"]
    after_power_loss = ScrobbleQueue(clock=accounts.scrobbler.clock)
    assert after_power_loss.load(stored) == 1
    [entry] = after_power_loss.items
    assert (entry.scrobble.call, entry.scrobble.watched) == ("stop", True)
    assert entry.attempts == 1  # not retried yet


async def test_the_webhook_id_never_reaches_the_log(
    hass: HomeAssistant,
    accounts: Accounts,
    sim: Simulator,
    hass_client_no_auth: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.crosswatch")
    entry = await accounts.add_plex()
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    client: TestClient[Any, Any] = await hass_client_no_auth()
    path = f"/api/webhook/{webhook_id}"
    deep_form = {"payload": DEEP_FRAME}
    for send in (
        client.post(path, data=deep_form),
        client.post(path, data=DEEP_FRAME, headers={"Content-Type": "application/json"}),
        client.post(path, data=multipart({"event": HOSTILE})),
        client.get(path),
        client.put(path, data=b"{}"),
    ):
        assert (await send).status in (200, 405)
    await hass.async_block_till_done()
    # Every record of ours, and every warning or error of anyone's (Home Assistant's error
    # for a handler that raises, or a method it refuses, names the id). Home Assistant's own
    # debug lines and the test client's access log name every path: not ours to change.
    logged = "\n".join(
        caplog.handler.format(r)
        for r in caplog.records
        if r.name.startswith("custom_components.crosswatch") or r.levelno >= logging.WARNING
    )
    assert webhook_id not in logged
    assert "\u202e" not in logged
    assert "\\u202e" in logged  # the hostile event name, escaped
    # And the webhook still scrobbles.
    rating_key = sim.rating_key("Inception")
    resp = await client.post(
        path, data=multipart(payload("media.play", offset=888_000, rating_key=rating_key))
    )
    assert resp.status == 200
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]


async def test_scrobbling_does_not_need_plex_tvs_watchlist(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    route = "GET /library/sections/watchlist/all"
    await sim.fault("plex-discover", route, status=404)
    await sim.fault("plex-metadata", route, status=404)
    entry = await accounts.add_plex()
    assert entry.state is ConfigEntryState.LOADED
    assert accounts.state("sensor", "watchlist").state == STATE_UNAVAILABLE
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]
    assert cred.PLEX_OWNER_TOKEN not in str(entry.runtime_data.coordinator.last_exception)
