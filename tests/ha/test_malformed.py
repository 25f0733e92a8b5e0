"""Well-formed JSON that lacks what we need is a clear error, never a half-made entry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType

from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred

from .test_plex import _login
from .test_simkl import _pin, _start
from .test_trakt import _device_login, _to_auth_menu, _trakt_entry, credentials  # noqa: F401

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_simkl_settings_without_account(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    clock.free_running = False
    flow_id = await _start(hass)
    code = await _pin(hass, flow_id)
    await clock.sleeping.wait()
    await sim_urls.approve_simkl_pin(code)
    await sim_urls.fault("simkl", "POST /users/settings", status=200, body={"user": {}})
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["errors"] == {"base": "cannot_connect"}


async def test_plex_account_without_id(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await sim_urls.fault("plex.tv", "GET /api/v2/user", status=200, body={"username": "x"})
    result = await _login(hass, sim_urls, clock)
    assert result["step_id"] == "plex_retry"
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_trakt_settings_without_ids(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    flow_id = await _to_auth_menu(hass)
    await sim_urls.fault(
        "trakt", "GET /users/settings", status=200, body={"user": {"username": "x"}}
    )
    result = await _device_login(hass, sim_urls, clock, flow_id, user=cred.TRAKT_USER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


@pytest.mark.usefixtures("credentials", "clock")
async def test_trakt_activities_without_watchlist(hass: HomeAssistant, sim_urls: Simulator) -> None:
    entry = await _trakt_entry(hass, sim_urls, expired=False)
    await sim_urls.fault("trakt", "GET /sync/last_activities", status=200, body={"all": "x"})
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


@pytest.mark.usefixtures("credentials", "clock")
async def test_trakt_token_endpoint_down_retries_setup(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = await _trakt_entry(hass, sim_urls, expired=True)
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
    entry = await _trakt_entry(hass, sim_urls, expired=False)
    # The entry's credentials were deleted from application credentials.
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "auth_implementation": "deleted_app"}
    )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
