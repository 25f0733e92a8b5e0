"""Drivers of flows shared by several test files: the subentry forms (the subentry flow tests and
the tests of what a pair does once it exists) and Trakt's device login."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator

    from .conftest import SteppedClock

PAIR = {
    "features": ["watchlist", "ratings"],
    "direction": "two_way",
    "removals": "off",
    "interval_minutes": 30,
}


async def start_subflow(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> dict[str, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": SOURCE_USER}
    )


async def add_pair(hass: HomeAssistant, entry: MockConfigEntry, target_id: str) -> None:
    """Both steps of the sync pair form: the other account, then what and how."""
    result = await start_subflow(hass, entry, "sync_pair")
    configure = hass.config_entries.subentries.async_configure
    result = await configure(result["flow_id"], {"target_entry_id": target_id})
    assert result["step_id"] == "options"
    result = await configure(result["flow_id"], PAIR)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def trakt_device_login(
    hass: HomeAssistant, sim: Simulator, clock: SteppedClock, flow_id: str, *, user: str
) -> dict[str, Any]:
    """From Trakt's login menu: the device code, approved by ``user``; the flow's next result."""
    clock.free_running = False
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_device"}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS, result
    assert result["description_placeholders"]["url"] == "https://trakt.tv/activate"
    await clock.sleeping.wait()
    await sim.approve_trakt_device(result["description_placeholders"]["code"], user)
    clock.step()
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(flow_id)
