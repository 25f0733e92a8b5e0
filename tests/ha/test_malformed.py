"""Well-formed JSON that lacks what the Trakt account needs at setup is a clear error, never a
half-loaded entry. (The sign-in steps' own cases are in each service's flow tests.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import ConfigEntryState

from custom_components.crosswatch.const import DOMAIN

from .conftest import trakt_app_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


@pytest.mark.usefixtures("credentials", "clock")
async def test_trakt_activities_without_watchlist(hass: HomeAssistant, sim_urls: Simulator) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=False)
    await sim_urls.fault("trakt", "GET /sync/last_activities", status=200, body={"all": "x"})
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("credentials", "clock")
async def test_trakt_token_endpoint_down_retries_setup(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=True)
    refresh_token = entry.data["token"]["refresh_token"]
    await sim_urls.fault("trakt", "POST /oauth/token", status=503)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    # Nothing was spent: the stored refresh token is still the one to use.
    assert entry.data["token"]["refresh_token"] == refresh_token


@pytest.mark.usefixtures("credentials", "clock")
async def test_removed_application_credentials_ask_to_sign_in_again(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=False)
    # The entry's credentials were deleted from application credentials.
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "auth_implementation": "deleted_app"}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
