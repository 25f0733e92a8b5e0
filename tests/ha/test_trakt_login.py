"""Trakt's app as HA's OAuth2 implementation: token refresh, and revoking on removal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import ConfigEntryState

from simulator import credentials as cred

from .conftest import trakt_app_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_expired_token_is_refreshed_and_persisted(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, credentials: None
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=True)
    old = dict(entry.data["token"])
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    new = entry.data["token"]
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    refreshes = await sim_urls.requests("trakt", "POST /oauth/token")
    assert len(refreshes) == 1
    assert refreshes[0]["body"]["grant_type"] == "refresh_token"


@pytest.mark.usefixtures("credentials", "clock")
async def test_removing_the_account_revokes_its_token(
    hass: HomeAssistant, sim_urls: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=False)
    access = entry.data["token"]["access_token"]
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await hass.config_entries.async_remove(entry.entry_id)
    assert sim_urls.state.trakt.tokens[access].revoked
    revokes = await sim_urls.requests("trakt", "POST /oauth/revoke")
    assert revokes[0]["body"]["token"] == access

    # Trakt down: the account is removed all the same, with a warning and no secret logged.
    other = await trakt_app_entry(hass, sim_urls, expired=False)
    await sim_urls.fault("trakt", "POST /oauth/revoke", status=503)
    await hass.config_entries.async_remove(other.entry_id)
    assert hass.config_entries.async_get_entry(other.entry_id) is None
    assert "Could not revoke the Trakt token" in caplog.text
    assert other.data["token"]["access_token"] not in caplog.text
    assert cred.TRAKT_CLIENT_SECRET not in caplog.text


@pytest.mark.usefixtures("credentials", "clock")
async def test_removing_an_account_whose_credentials_are_gone(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=False)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "auth_implementation": "deleted_app"}
    )
    await hass.config_entries.async_remove(entry.entry_id)
    assert hass.config_entries.async_get_entry(entry.entry_id) is None
    assert await sim_urls.requests("trakt", "POST /oauth/revoke") == []
