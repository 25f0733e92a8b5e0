"""The Plex account while loaded: a token the server refuses asks to sign in again; a server
that moved is found again through plex.tv."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.crosswatch.providers.plex.account import plex_server_client
from simulator import credentials as cred
from tests.ha_sync.conftest import plex_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_a_token_the_server_refuses_starts_reauth(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = plex_entry(sim_urls)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress()
    await sim_urls.fault("pms", "GET /library/sections", status=401)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress()
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        ("reauth", entry.entry_id)
    ]


async def test_a_server_that_moved_is_found_through_plex_tv(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = plex_entry(sim_urls)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "server_url": "http://127.0.0.1:9/pms"}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data["server_url"] == sim_urls.url("pms")
    assert entry.runtime_data.account.server.http.base_url == sim_urls.url("pms")

    # It moves while loaded: the entry reloads, so the live connection follows it too.
    loaded = entry.runtime_data
    loaded.account.server_url = "http://127.0.0.1:9/pms"
    loaded.account.server = plex_server_client(
        hass, "crosswatch-test-client", "http://127.0.0.1:9/pms", cred.PLEX_SERVER_TOKEN
    )
    await loaded.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entry.runtime_data is not loaded
    assert entry.runtime_data.account.server.http.base_url == sim_urls.url("pms")

    # Nowhere else to be found: the account's own polling goes on regardless.
    await sim_urls.fault("pms", "*", status=503)
    await entry.runtime_data.coordinator.async_refresh()
    assert entry.runtime_data.coordinator.last_update_success
    assert entry.data["server_url"] == sim_urls.url("pms")
