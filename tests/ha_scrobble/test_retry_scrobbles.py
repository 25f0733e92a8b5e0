"""``crosswatch.retry_scrobbles``: queued scrobbles go out at once, not after their back-off."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.plex.scrobbler import EVENT_SCROBBLE

from .conftest import until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant, ServiceResponse

    from simulator.testing import Simulator

    from .conftest import Accounts


async def retry(hass: HomeAssistant, data: dict[str, str]) -> ServiceResponse:
    """Call ``crosswatch.retry_scrobbles`` with ``data`` and return its answer."""
    return await hass.services.async_call(
        DOMAIN, "retry_scrobbles", data, blocking=True, return_response=True
    )


async def test_queued_scrobbles_are_delivered_now(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    fired = async_capture_events(hass, EVENT_SCROBBLE)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: len(fired) == 1)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: len(fired) == 2)
    await hass.async_block_till_done()
    assert len(accounts.scrobbler.queue) == 1
    await sim.clear_faults()
    await sim.clear_requests()

    # No time passes: without the action the queue would wait for its back-off.
    response = await retry(hass, {})
    assert response == {"delivered": 1, "waiting": 0}
    assert await accounts.trakt_scrobbles() == [("stop", 100.0, 201)]
    assert len(accounts.scrobbler.queue) == 0


async def test_retry_scrobbles_names_an_account_that_has_no_queue(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    await accounts.add_plex()
    with pytest.raises(ServiceValidationError) as info:
        await retry(hass, {"config_entry_id": accounts.trakt.entry_id})
    assert info.value.translation_key == "no_scrobble_queue"
    with pytest.raises(ServiceValidationError) as unknown:
        await retry(hass, {"config_entry_id": "nope"})
    assert unknown.value.translation_key == "unknown_entry"
    # One Plex account named: its (empty) queue.
    assert accounts.plex is not None
    done = await retry(hass, {"config_entry_id": accounts.plex.entry_id})
    assert done == {"delivered": 0, "waiting": 0}
    assert await hass.config_entries.async_unload(accounts.plex.entry_id)
    with pytest.raises(ServiceValidationError) as unloaded:
        await retry(hass, {"config_entry_id": accounts.plex.entry_id})
    assert unloaded.value.translation_key == "entry_not_loaded"
