"""Plex: PIN login as a progress step, server choice, identity check, reauth, reconfigure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.plex.login import PlexServerChoice
from simulator import credentials as cred

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def _login(
    hass: HomeAssistant,
    sim: Simulator,
    clock: SteppedClock,
    user: str | None = None,
    flow_id: str | None = None,
) -> dict[str, Any]:
    if flow_id is None:
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": config_entries.SOURCE_USER}
        )
        flow_id = result["flow_id"]
        result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "plex"})
    else:
        result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["progress_action"] == "plex_pin"
    url = result["description_placeholders"]["url"]
    assert url.startswith(f"{sim.base_url}/_sim/approve#?clientID=")
    code = result["description_placeholders"]["code"]
    assert f"code={code}" in url
    pin_id = next(p for p, pin in sim.state.plex.pins.items() if pin.code == code)
    clock.free_running = False
    await clock.sleeping.wait()
    await sim.approve_plex_pin(pin_id, user)
    clock.step()
    await hass.async_block_till_done()
    clock.free_running = True  # later retries and backoffs must not wait for a step
    return await hass.config_entries.flow.async_configure(flow_id)


async def test_owner_picks_owned_server(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    result = await _login(hass, sim_urls, clock)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "plex_server"
    options = result["data_schema"].schema["server"].config["options"]
    assert [o["value"] for o in options] == [cred.PMS_MACHINE_ID, cred.SHARED_PMS_MACHINE_ID]
    assert options[0]["label"] == cred.PMS_NAME
    assert options[1]["label"] == "Neighbour's Server (shared by neighbour)"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": cred.PMS_MACHINE_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{cred.PMS_NAME} ({cred.PLEX_OWNER_NAME})"
    entry = result["result"]
    assert entry.unique_id == f"{cred.PLEX_OWNER_ID}_{cred.PMS_MACHINE_ID}"
    assert entry.data["server_url"] == sim_urls.url("pms")
    assert entry.data["server_token"] == cred.PLEX_SERVER_TOKEN
    assert entry.data["plex_token"]
    assert entry.data["server_owned"] is True
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    watchlist = entry.runtime_data.coordinator.data.watchlist
    assert watchlist is not None


async def test_shared_user_with_one_server_skips_the_choice(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    result = await _login(hass, sim_urls, clock, user="shared")
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data["server_owned"] is False
    assert result["result"].data["server_token"] == cred.PLEX_SHARED_SERVER_TOKEN


async def test_identity_failure_then_retry_on_the_same_form(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    result = await _login(hass, sim_urls, clock)
    await sim_urls.fault("pms", "GET /identity", status=503)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": cred.PMS_MACHINE_ID}
    )
    assert result["step_id"] == "plex_server"
    assert result["errors"] == {"base": "cannot_connect"}
    await sim_urls.clear_faults()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": cred.PMS_MACHINE_ID}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_expired_pin_and_plex_tv_down(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    flow_id = result["flow_id"]
    await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "plex"})
    await hass.async_block_till_done()  # never approved; the free-running clock expires it
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "plex_retry"
    assert result["errors"] == {"base": "expired"}
    await sim_urls.fault("plex.tv", "POST /api/v2/pins", status=502)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["step_id"] == "plex_retry"
    assert result["errors"] == {"base": "cannot_connect"}
    await sim_urls.clear_faults()
    result = await _login(hass, sim_urls, clock, flow_id=flow_id)
    assert result["step_id"] == "plex_server"


async def test_account_read_fails_then_no_servers(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await sim_urls.fault("plex.tv", "GET /api/v2/user", status=401, count=1)
    result = await _login(hass, sim_urls, clock)
    assert result["step_id"] == "plex_retry"
    assert result["errors"] == {"base": "invalid_auth"}
    await sim_urls.fault("plex.tv", "GET /api/v2/resources", status=200, body=[])
    result = await _login(hass, sim_urls, clock, flow_id=result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_servers"


async def _owner_entry(hass: HomeAssistant, sim: Simulator, clock: SteppedClock):  # type: ignore[no-untyped-def]
    result = await _login(hass, sim, clock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": cred.PMS_MACHINE_ID}
    )
    await hass.async_block_till_done()
    clock.free_running = True
    return result["result"]


async def _start(hass: HomeAssistant, entry: Any, source: str) -> dict[str, Any]:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": source, "entry_id": entry.entry_id}, data=dict(entry.data)
    )


async def test_duplicate_aborts(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await _owner_entry(hass, sim_urls, clock)
    result = await _login(hass, sim_urls, clock)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server": cred.PMS_MACHINE_ID}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_reauth_keeps_the_server(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    result = await _start(hass, entry, config_entries.SOURCE_REAUTH)
    assert result["step_id"] == "reauth_confirm"
    result = await _login(hass, sim_urls, clock, flow_id=result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"

    result = await _start(hass, entry, config_entries.SOURCE_REAUTH)
    result = await _login(hass, sim_urls, clock, user="shared", flow_id=result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_reconfigure_server_url(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    assert result["step_id"] == "plex_reconfigure"
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"server_url": sim_urls.url("plex.tv")}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"server_url": f"{sim_urls.url('pms')}/"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["server_url"] == sim_urls.url("pms")
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_with_refused_account_token(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    await sim_urls.fault("plex.tv", "GET /api/v2/user", status=401)
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    assert result["reason"] == "reauth_required"
    await sim_urls.fault("plex.tv", "GET /api/v2/user", status=503)
    await sim_urls.fault("plex.tv", "GET /api/v2/resources", status=503)
    await sim_urls.clear_faults()
    await sim_urls.fault("plex.tv", "GET /api/v2/resources", kind="html")
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    assert result["reason"] == "cannot_connect"


async def test_reauth_when_the_server_is_gone(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    other = {"name": "Other", "clientIdentifier": "other-server", "provides": "server",
             "owned": True, "accessToken": "t", "connections": []}  # fmt: skip
    await sim_urls.fault("plex.tv", "GET /api/v2/resources", status=200, body=[other])
    result = await _start(hass, entry, config_entries.SOURCE_REAUTH)
    result = await _login(hass, sim_urls, clock, flow_id=result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "server_not_found"


async def test_reconfigure_to_an_address_of_another_server(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    await sim_urls.fault(
        "pms", "GET /identity", status=200,
        body={"MediaContainer": {"size": 0, "machineIdentifier": "somebody-else"}},
    )  # fmt: skip
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server_url": sim_urls.url("pms")}
    )
    assert result["errors"] == {"server_url": "wrong_server"}


def test_shared_server_label_names_who_shares_it() -> None:
    def choice(*, owned: bool, owner: str | None) -> PlexServerChoice:
        return PlexServerChoice(
            machine_id="m", name="Den", owned=owned, access_token="t", connections=(), owner=owner
        )

    assert choice(owned=True, owner=None).label == "Den"
    assert choice(owned=False, owner="alice").label == "Den (shared by alice)"
    assert choice(owned=False, owner=None).label == "Den (shared)"
