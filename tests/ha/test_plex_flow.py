"""Plex's sign-in steps: the PIN as a progress step, the server pick, the identity check, reauth,
and reconfigure, which changes only the address (https to a LAN IP becomes the plex.direct name
plex.tv lists, or an error that says why)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from yarl import URL

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.plex.login import PlexServerChoice, plex_direct_address
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
    assert entry.runtime_data.coordinator.data.watchlist_size is not None


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


async def _resources(sim: Simulator) -> list[dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{sim.url('plex.tv')}/api/v2/resources",
            headers={"X-Plex-Token": cred.PLEX_OWNER_TOKEN, "Accept": "application/json"},
        ) as resp,
    ):
        found: list[dict[str, Any]] = await resp.json()
    return found


async def _server_listed_at(sim: Simulator, uri: str) -> None:
    """plex.tv lists the owner's server at ``uri`` only."""
    server = next(r for r in await _resources(sim) if r["clientIdentifier"] == cred.PMS_MACHINE_ID)
    server["connections"] = [
        {"protocol": URL(uri).scheme, "address": URL(uri).host, "port": URL(uri).port,
         "uri": uri, "local": True, "relay": False, "IPv6": False}
    ]  # fmt: skip
    await sim.fault("plex.tv", "GET /api/v2/resources", status=200, body=[server])


async def test_reconfigure_changes_the_address_never_the_server(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    unique_id = entry.unique_id
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    assert result["step_id"] == "plex_reconfigure"
    assert [str(field) for field in result["data_schema"].schema] == ["server_url"]
    assert result["description_placeholders"] == {"server": cred.PMS_NAME}
    # Nothing typed: plex.tv's addresses for this same server.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["reason"] == "reconfigure_successful"
    assert entry.unique_id == unique_id
    assert entry.data["server_id"] == cred.PMS_MACHINE_ID

    # The account no longer lists this server: reconfigure cannot move the entry elsewhere.
    other = {"name": "Other", "clientIdentifier": "other-server", "provides": "server",
             "owned": True, "accessToken": "t", "connections": []}  # fmt: skip
    await sim_urls.fault("plex.tv", "GET /api/v2/resources", status=200, body=[other])
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "server_not_found"


async def test_reauth_keeps_an_address_typed_by_hand(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    # plex.tv stops listing the address the entry uses (one typed by hand, say); what it lists
    # does not answer.
    typed = entry.data["server_url"]
    await _server_listed_at(sim_urls, "http://127.0.0.1:9/pms")

    result = await _start(hass, entry, config_entries.SOURCE_REAUTH)
    result = await _login(hass, sim_urls, clock, flow_id=result["flow_id"])
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["server_url"] == typed


async def test_https_to_a_lan_ip_is_explained(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _owner_entry(hass, sim_urls, clock)
    result = await _start(hass, entry, config_entries.SOURCE_RECONFIGURE)
    port = URL(sim_urls.url("pms")).port
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"server_url": f"https://127.0.0.1:{port}/pms"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"server_url": "https_ip_address"}


def test_https_to_a_lan_ip_becomes_its_plex_direct_name() -> None:
    listed = [
        "http://192.168.1.20:32400",
        "https://192-168-1-20.0f9e8d7c6b5a4938.plex.direct:32400",
        "https://203-0-113-7.0f9e8d7c6b5a4938.plex.direct:32400",
    ]
    assert plex_direct_address("https://192.168.1.20:32400", listed) == listed[1]
    assert plex_direct_address("https://192.168.1.20:8443", listed) is None  # other port
    assert plex_direct_address("https://192.168.1.21:32400", listed) is None  # other address
    assert plex_direct_address("http://192.168.1.20:32400", listed) is None  # http needs none
    assert plex_direct_address("https://plex.example.org:32400", listed) is None  # a name


async def test_plex_account_without_id(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await sim_urls.fault("plex.tv", "GET /api/v2/user", status=200, body={"username": "x"})
    result = await _login(hass, sim_urls, clock)
    assert result["step_id"] == "plex_retry"
    assert result["errors"] == {"base": "cannot_connect"}
