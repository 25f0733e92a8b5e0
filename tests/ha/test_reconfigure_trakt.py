"""Trakt's reconfigure changes its setting: which of the user's Trakt apps the entry uses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant import config_entries
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow

from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred

from .test_trakt import _device_login, _trakt_entry, _uuid_of, credentials  # noqa: F401

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_reconfigure_lets_the_user_pick_another_trakt_app(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    # The user has a second app (never signed in with here: only offered).
    config_entry_oauth2_flow.async_register_implementation(
        hass,
        DOMAIN,
        config_entry_oauth2_flow.LocalOAuth2Implementation(
            hass,
            "second_app",
            "second-id",
            "second-secret",
            "http://127.0.0.1:9/a",
            "http://127.0.0.1:9/t",
        ),
    )
    entry = await _trakt_entry(hass, sim_urls, expired=False)
    hass.config_entries.async_update_entry(entry, unique_id=_uuid_of(sim_urls))
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "pick_implementation"
    schema = result["data_schema"].schema
    assert set(next(iter(schema.values())).container) == {"trakt_app", "second_app"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"implementation": "trakt_app"}
    )
    assert result["step_id"] == "auth"
    result = await _device_login(hass, sim_urls, clock, result["flow_id"], user=cred.TRAKT_USER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["auth_implementation"] == "trakt_app"
    assert entry.unique_id == _uuid_of(sim_urls)
