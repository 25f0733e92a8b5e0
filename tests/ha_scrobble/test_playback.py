"""A routed user's playback, end to end: PMS websocket -> pipeline -> Trakt and the entities."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import EVENT_STATE_CHANGED, STATE_OFF, STATE_ON
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.plex.scrobbler import EVENT_SCROBBLE, IDLE
from custom_components.crosswatch.repairs import ISSUE_LISTENER_DOWN
from simulator.credentials import PLEX_SERVER_TOKEN

from .conftest import OWNER, until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts


async def _watching(accounts: Accounts, title: str, progress: float, *, paused: bool) -> None:
    """Wait until the now-watching sensor shows ``title`` at ``progress`` and its scrobble is sent.

    The sensor updates before the scrobble goes out; the tests move the simulated clock next, and
    a jump while a delivery is still in flight would land two scrobbles in one second (a 429).
    """

    def shown() -> bool:
        state = accounts.hass.states.get(accounts.entity_id("sensor", f"now_watching_{OWNER}"))
        return (
            state is not None
            and state.state == title
            and state.attributes["progress"] == progress
            and state.attributes["state"] == ("paused" if paused else "playing")
        )

    await until(shown)
    await accounts.scrobbler.pipeline.wait_idle()


async def test_setup_creates_the_scrobble_entities(hass: HomeAssistant, accounts: Accounts) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await hass.async_block_till_done()
    listener = accounts.state("binary_sensor", "plex_listener")
    assert listener.state == STATE_ON
    assert listener.attributes["device_class"] == "connectivity"
    assert listener.attributes["queued_scrobbles"] == 0
    sensor = accounts.state("sensor", f"now_watching_{OWNER}")
    assert sensor.state == IDLE
    assert sensor.attributes["user"] == accounts.scrobbler.users[OWNER]
    assert sensor.attributes["title"] is None
    assert accounts.state("event", "scrobble").attributes["event_types"] == [
        "start",
        "pause",
        "stop",
        "watched",
    ]
    assert accounts.state("image", f"now_watching_poster_{OWNER}") is not None


async def test_movie_with_a_pause_scrobbles_each_step_once(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    # A callback listener: one that is a plain function (``fired.append``) runs in HA's
    # executor, where events fired in order can be appended out of order under load.
    fired = async_capture_events(hass, EVENT_SCROBBLE)
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=0)
    await _watching(accounts, "Inception", 0.0, paused=False)
    await sim.seek(888_000)  # 10 %
    await _watching(accounts, "Inception", 10.0, paused=False)
    sim_clock.advance(600)
    await sim.pause(offset_ms=3_552_000)  # 40 %
    await _watching(accounts, "Inception", 40.0, paused=True)
    sim_clock.advance(60)
    await sim.play(rating_key)  # resume
    await _watching(accounts, "Inception", 40.0, paused=False)
    sim_clock.advance(3000)
    await sim.seek(8_436_000)  # 95 %
    await _watching(accounts, "Inception", 95.0, paused=False)
    sim_clock.advance(300)
    await sim.stop(offset_ms=8_880_000)
    sensor_id = accounts.entity_id("sensor", f"now_watching_{OWNER}")
    await until(lambda: hass.states.get(sensor_id).state == IDLE)  # type: ignore[union-attr]
    await accounts.scrobbler.pipeline.wait_idle()
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == [
        ("start", 10.0, 201),
        ("stop", 40.0, 201),
        ("start", 40.0, 201),
        ("stop", 100.0, 201),
    ]
    assert [e.data["type"] for e in fired] == ["start", "pause", "start", "watched"]
    watched = fired[-1].data
    assert watched["title"] == "Inception"
    assert watched["media_type"] == "movie"
    assert watched["delivered"] == [accounts.trakt.entry_id]
    assert watched["user_id"] == OWNER
    event_state = accounts.state("event", "scrobble")
    assert event_state.attributes["event_type"] == "watched"
    assert event_state.attributes["progress"] == 100.0
    idle = hass.states.get(sensor_id)
    assert idle is not None
    assert idle.attributes["progress"] is None


async def test_listener_drop_turns_the_binary_sensor_off_then_on(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await hass.async_block_till_done()
    entity_id = accounts.entity_id("binary_sensor", "plex_listener")
    # Captured in the event loop: a plain function listener would run in HA's executor, where
    # two state changes can be appended in either order under load.
    changes = async_capture_events(hass, EVENT_STATE_CHANGED)

    def seen() -> list[str]:
        return [e.data["new_state"].state for e in changes if e.data["entity_id"] == entity_id]

    await sim.fault("pms", "GET /:/websockets/notifications", kind="drop", count=1)
    await until(lambda: STATE_OFF in seen() and seen()[-1] == STATE_ON)
    assert accounts.scrobbler.listener.connected
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=888_000)
    await _watching(accounts, "Inception", 10.0, paused=False)


async def test_a_listener_that_stays_down_raises_a_repair_issue_until_it_connects(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.crosswatch")
    entry = await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    issues = ir.async_get(hass)
    issue_id = f"{ISSUE_LISTENER_DOWN}_{entry.entry_id}"
    await sim.fault("pms", "GET /:/websockets/notifications", status=503)
    await sim.fault("pms", "GET /:/websockets/notifications", kind="drop", count=1)
    await until(lambda: issues.async_get_issue(DOMAIN, issue_id) is not None)
    issue = issues.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "account": entry.title,
        "error": "WSServerHandshakeError (HTTP 503)",
    }
    assert accounts.state("binary_sensor", "plex_listener").state == STATE_OFF
    await sim.clear_faults()
    await until(lambda: issues.async_get_issue(DOMAIN, issue_id) is None)
    assert accounts.scrobbler.listener.connected
    # Ten and more failed reconnects, yet one line when it went and one when it came back.
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert [m for m in info if "live connection" in m.lower()] == [
        f"Lost the live connection to {entry.title} (closed (code 1000)); reconnecting",
        f"Live connection to {entry.title} is back",
    ]
    assert PLEX_SERVER_TOKEN not in caplog.text
