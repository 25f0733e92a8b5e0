"""The Plex entry's server: reconfigure changes only its address; reauth keeps a typed address;
https to a LAN IP becomes the plex.direct name plex.tv lists, or an error that says why."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant import config_entries
from homeassistant.data_entry_flow import FlowResultType
from yarl import URL

from custom_components.crosswatch.providers.plex.account import plex_server_client
from custom_components.crosswatch.providers.plex.login import plex_direct_address
from simulator import credentials as cred
from tests.ha_sync.conftest import plex_entry

from .test_plex import _login, _owner_entry, _start

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


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
