"""Entities that show plays go unavailable without a feed; outages are logged once each way."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE

from custom_components.crosswatch.const import CONF_WEBHOOK_ID

from .conftest import OWNER, until
from .helpers import payload, play_then_stop, run_queue

if TYPE_CHECKING:
    import pytest
    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts
    from .helpers import ClientFactory

WEBSOCKET = "GET /:/websockets/notifications"


async def _server_goes_away(sim: Simulator) -> None:
    await sim.fault("pms", WEBSOCKET, status=503)
    await sim.fault("pms", WEBSOCKET, kind="drop", count=1)


async def test_plays_are_unavailable_while_the_server_is_unreachable(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception")

    await _server_goes_away(sim)
    await until(lambda: not accounts.scrobbler.listener.connected)
    await hass.async_block_till_done()
    for platform, key in (
        ("sensor", f"now_watching_{OWNER}"),
        ("image", f"now_watching_poster_{OWNER}"),
        ("event", "scrobble"),
    ):
        assert accounts.state(platform, key).state == STATE_UNAVAILABLE, key
    # The connectivity sensor reports the outage itself.
    assert accounts.state("binary_sensor", "plex_listener").state == STATE_OFF

    await sim.clear_faults()
    await until(lambda: accounts.scrobbler.listener.connected)
    await until(
        lambda: accounts.state("sensor", f"now_watching_{OWNER}").state != STATE_UNAVAILABLE
    )
    assert accounts.state("event", "scrobble").state != STATE_UNAVAILABLE
    assert accounts.state("binary_sensor", "plex_listener").state == STATE_ON


async def test_a_webhook_brings_plays_back_while_the_live_connection_is_down(
    hass: HomeAssistant,
    accounts: Accounts,
    sim: Simulator,
    hass_client_no_auth: ClientFactory,
) -> None:
    entry = await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await _server_goes_away(sim)
    await until(lambda: not accounts.scrobbler.listener.connected)
    await hass.async_block_till_done()
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == STATE_UNAVAILABLE
    client = await hass_client_no_auth()
    answer = await client.post(
        f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}",
        json=payload("media.play", offset=888_000, rating_key=sim.rating_key("Inception")),
    )
    assert answer.status == 200
    await until(lambda: accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception")


async def test_a_target_that_is_down_is_logged_once_down_and_once_back(
    hass: HomeAssistant,
    accounts: Accounts,
    sim: Simulator,
    sim_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.crosswatch")
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await play_then_stop(accounts, sim)
    await play_then_stop(accounts, sim)
    await run_queue(hass, accounts, sim_clock, 40)  # retried, still down
    assert len(accounts.scrobbler.queue) >= 2
    await sim.clear_faults()
    await run_queue(hass, accounts, sim_clock, 300)
    assert len(accounts.scrobbler.queue) == 0

    def lines(level: int) -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.levelno == level and r.name.startswith("custom_components.crosswatch")
        ]

    sink = accounts.trakt.entry_id
    down, back = [m for m in lines(logging.INFO) if sink in m]
    assert down.startswith(f"Scrobbles to {sink} are unavailable (")
    assert back == f"Scrobbles to {sink} are delivered again"
    assert not [m for m in lines(logging.WARNING) if "scrobble" in m.lower()]
    assert any("failed again" in m for m in lines(logging.DEBUG))
