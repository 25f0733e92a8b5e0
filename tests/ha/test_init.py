"""Entry lifecycle, base URLs, diagnostics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.crosswatch.application_credentials import (
    async_get_description_placeholders,
)
from custom_components.crosswatch.endpoints import Endpoints
from simulator import credentials as cred

from .conftest import simkl_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from simulator.testing import Simulator

    from .conftest import SteppedClock


def test_endpoints_default_to_the_real_services_and_follow_the_environment() -> None:
    real = Endpoints.from_env({})
    assert real.trakt == "https://api.trakt.tv"
    assert real.tmdb == "https://api.themoviedb.org/3"
    assert real.plex_tv == "https://plex.tv"
    assert real.plex_auth == "https://app.plex.tv/auth"
    overridden = Endpoints.from_env({"CROSSWATCH_SIMKL_URL": "http://127.0.0.1:9/simkl/"})
    assert overridden.simkl == "http://127.0.0.1:9/simkl"
    assert overridden.trakt == real.trakt


async def test_setup_reload_unload_and_device(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = simkl_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_device_by_identifier(
        ("crosswatch", entry.entry_id), entry.entry_id
    )
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == "SIMKL"
    first = entry.runtime_data
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not first
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_diagnostics_are_redacted(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    hass_client: Any,
    snapshot: SnapshotAssertion,
) -> None:
    entry = simkl_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = str(diagnostics)
    assert cred.SIMKL_TOKEN not in text
    assert cred.SIMKL_CLIENT_ID not in text
    assert diagnostics == snapshot


def test_translations_match_strings_and_placeholders() -> None:
    root = Path(__file__).parents[2] / "custom_components" / "crosswatch"
    strings = json.loads((root / "strings.json").read_text())
    assert json.loads((root / "translations" / "en.json").read_text()) == strings
    assert "[%key:" not in (root / "strings.json").read_text()


async def test_application_credentials_description_placeholders(hass: HomeAssistant) -> None:
    root = Path(__file__).parents[2] / "custom_components" / "crosswatch"
    description = json.loads((root / "strings.json").read_text())["application_credentials"][
        "description"
    ]
    placeholders = await async_get_description_placeholders(hass)
    assert set(re.findall(r"{(\w+)}", description)) == set(placeholders)
    assert "VIP" in description
