"""SIMKL's sign-in steps: the client id, the PIN as a progress step, errors and retries, reauth,
reconfigure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType

from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred

from .conftest import simkl_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def _start(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "simkl"}
    )
    assert result["step_id"] == "simkl"
    return result["flow_id"]


async def _pin(hass: HomeAssistant, flow_id: str, client_id: str = cred.SIMKL_CLIENT_ID) -> str:
    result = await hass.config_entries.flow.async_configure(flow_id, {"client_id": client_id})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "simkl_pin"
    placeholders = result["description_placeholders"]
    assert placeholders["url"] == "https://simkl.com/pin"
    return placeholders["code"]


async def test_pin_login_creates_entry(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    clock.free_running = False
    flow_id = await _start(hass)
    code = await _pin(hass, flow_id)
    await clock.sleeping.wait()  # first poll answered "pending"
    await sim_urls.approve_simkl_pin(code)
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"SIMKL ({cred.SIMKL_USER})"
    entry = result["result"]
    assert entry.unique_id == str(cred.SIMKL_USER_ID)
    assert entry.data["client_id"] == cred.SIMKL_CLIENT_ID
    assert entry.data["access_token"]
    polls = await sim_urls.requests("simkl", "GET /oauth/pin/*")
    assert len(polls) == 2
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get("sensor.simkl_simkluser_watchlist")
    assert state is not None
    assert int(state.state) == entry.runtime_data.coordinator.data.watchlist_size


async def test_expired_pin_then_retry_without_starting_over(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    flow_id = await _start(hass)
    await _pin(hass, flow_id)  # never approved: the free-running clock runs past expiry
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "simkl_retry"
    assert result["errors"] == {"base": "expired"}
    clock.free_running = False
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await clock.sleeping.wait()
    await sim_urls.approve_simkl_pin(result["description_placeholders"]["code"])
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_bad_client_id_shows_error_on_the_form(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"client_id": "nope"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "simkl"
    # Named on the field, and the refused id stays there to be corrected.
    assert result["errors"] == {"client_id": "invalid_client_id"}
    suggested = {str(k): k.description for k in result["data_schema"].schema}
    assert suggested["client_id"] == {"suggested_value": "nope"}
    # The form keeps working: the right client id goes on to the PIN.
    await _pin(hass, flow_id)


async def test_service_down_during_poll_then_retry(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    flow_id = await _start(hass)
    await sim_urls.fault("simkl", "GET /oauth/pin/*", status=500)
    await _pin(hass, flow_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["errors"] == {"base": "cannot_connect"}


async def test_duplicate_account_aborts(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    simkl_entry().add_to_hass(hass)
    clock.free_running = False
    flow_id = await _start(hass)
    code = await _pin(hass, flow_id)
    await clock.sleeping.wait()
    await sim_urls.approve_simkl_pin(code)
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_with_another_user_aborts_and_same_user_succeeds(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = simkl_entry(token="revoked-token")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    clock.free_running = False
    for user, reason in ((cred.SIMKL_USER_2, "wrong_account"), (None, "reauth_successful")):
        flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
        result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
        assert result["type"] is FlowResultType.SHOW_PROGRESS
        await clock.sleeping.wait()
        await sim_urls.approve_simkl_pin(result["description_placeholders"]["code"], user)
        clock.step()
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flow["flow_id"])
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == reason
        if user is not None:
            entry.async_start_reauth(hass)
            await hass.async_block_till_done()
    await hass.async_block_till_done()
    assert entry.data["access_token"] != "revoked-token"
    assert entry.state is ConfigEntryState.LOADED


async def test_account_read_fails_after_approval(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    clock.free_running = False
    flow_id = await _start(hass)
    code = await _pin(hass, flow_id)
    await clock.sleeping.wait()
    await sim_urls.approve_simkl_pin(code)
    await sim_urls.fault("simkl", "POST /users/settings", status=401)
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "simkl_retry"
    assert result["errors"] == {"base": "invalid_auth"}


async def test_reconfigure_with_another_app_of_the_same_user(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = simkl_entry()
    entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "simkl"
    clock.free_running = False
    code = await _pin(hass, result["flow_id"])
    await clock.sleeping.wait()
    await sim_urls.approve_simkl_pin(code)
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["access_token"] != cred.SIMKL_TOKEN


async def test_the_pin_link_follows_the_sign_in_page_override(
    hass: HomeAssistant, sim_urls: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline, the PIN link opens the simulator's approve page rather than simkl.com."""
    monkeypatch.setenv("CROSSWATCH_SIMKL_PIN_URL", f"{sim_urls.base_url}/_sim/approve/")
    flow_id = await _start(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"client_id": cred.SIMKL_CLIENT_ID}
    )
    assert result["description_placeholders"]["url"] == f"{sim_urls.base_url}/_sim/approve"


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
