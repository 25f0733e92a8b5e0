"""Diagnostics can be pasted into a public issue: no credential, and no one's identity."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from yarl import URL

from custom_components.crosswatch.const import DOMAIN, SUBENTRY_SYNC_PAIR
from simulator import credentials as cred
from tests.ha_scrobble.conftest import route, until
from tests.ha_sync.conftest import plex_entry

from .conftest import simkl_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_plex_diagnostics_name_no_one(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, hass_client: Any
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    assert await hass.config_entries.async_setup(simkl.entry_id)
    pair = ConfigSubentryData(
        subentry_type=SUBENTRY_SYNC_PAIR,
        title=f"Plex ({cred.PLEX_OWNER_NAME}) → {simkl.title}",
        unique_id=None,
        data={
            "target_entry_id": simkl.entry_id,
            "features": ["watchlist"],
            "direction": "one_way",
            "removals": "off",
            "interval_minutes": 60,
        },
    )
    plex = plex_entry(sim_urls, subentries_data=[route(None, [simkl.entry_id]), pair])
    plex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(plex.entry_id)
    await hass.async_block_till_done()
    scrobbler = plex.runtime_data.scrobble
    assert scrobbler is not None
    await until(lambda: scrobbler.listener.connected)
    await sim_urls.play(sim_urls.rating_key("Inception"), user="shared", offset_ms=888_000)
    await until(lambda: bool(scrobbler.pipeline.now_watching))

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, plex)
    text = json.dumps(diagnostics)
    for personal in (
        cred.PLEX_OWNER_NAME,
        str(cred.PLEX_OWNER_ID),
        cred.PLEX_SHARED_NAME,
        str(cred.PLEX_SHARED_ID),
        cred.PMS_NAME,
        cred.PMS_MACHINE_ID,
        sim_urls.url("pms"),
        URL(sim_urls.url("pms")).host,
        cred.SIMKL_USER,
        plex.title,
        simkl.title,
    ):
        assert personal not in text, personal
    for secret in (cred.PLEX_OWNER_TOKEN, cred.PLEX_SERVER_TOKEN, plex.data["webhook_id"]):
        assert secret not in text
    data = diagnostics["entry"]["data"]
    assert data["server_url"] == data["account_name"] == data["server_name"] == REDACTED
    assert diagnostics["entry"]["title"] == REDACTED
    # What helps debugging stays: the service, the shape of routes and pairs, counts.
    assert data["service"] == "plex"
    assert diagnostics["scrobble"]["routes"][0]["users"] is None  # every user
    assert diagnostics["scrobble"]["listener"]["state"] == "connected"
    assert diagnostics["pairs"][next(iter(diagnostics["pairs"]))]["features"] == ["watchlist"]
    assert diagnostics["requests"]["pms"]


async def test_trakt_diagnostics_never_show_the_app_client_id(
    hass: HomeAssistant, sim_urls: Simulator, hass_client: Any, hass_ws_client: Any
) -> None:
    # The user enters the Trakt app in Home Assistant's UI, which names it after its client id.
    assert await async_setup_component(hass, "application_credentials", {})
    # Before the test server starts (it freezes the routes they add).
    assert await async_setup_component(hass, DOMAIN, {})
    assert await async_setup_component(hass, "diagnostics", {})
    ws = await hass_ws_client(hass)
    await ws.send_json(
        {
            "id": 1,
            "type": "application_credentials/create",
            "domain": DOMAIN,
            "client_id": cred.TRAKT_CLIENT_ID,
            "client_secret": cred.TRAKT_CLIENT_SECRET,
        }
    )
    created = await ws.receive_json()
    assert created["success"], created
    implementation = created["result"]["id"]
    assert cred.TRAKT_CLIENT_ID in implementation
    token = await sim_urls.trakt_token()
    trakt = MockConfigEntry(
        domain=DOMAIN,
        title=f"Trakt ({cred.TRAKT_USER})",
        unique_id=cred.TRAKT_USER,
        data={
            "service": "trakt",
            "account_id": cred.TRAKT_USER,
            "account_name": cred.TRAKT_USER,
            "auth_implementation": implementation,
            "token": {**token, "expires_at": time.time() + 7 * 86400},
        },
    )
    trakt.add_to_hass(hass)
    assert await hass.config_entries.async_setup(trakt.entry_id)
    await hass.async_block_till_done()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, trakt)
    text = json.dumps(diagnostics).lower()
    assert cred.TRAKT_CLIENT_ID.lower() not in text
    assert cred.TRAKT_CLIENT_SECRET.lower() not in text
    assert diagnostics["entry"]["data"]["auth_implementation"] == REDACTED
    assert diagnostics["poll"]["last_update_success"] is True
