"""Drivers of the subentry forms, shared by the subentry flow tests and the tests of what a pair
does once it exists."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.data_entry_flow import FlowResultType

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

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
