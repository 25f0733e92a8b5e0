"""Sync pairs end to end: two accounts and a sync_pair subentry against the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
import pytest_asyncio

from simulator import credentials as cred

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator.testing import Simulator

import time
from typing import TYPE_CHECKING

from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.const import DOMAIN
from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
from tests.ha.conftest import clock, sim_urls, simkl_entry  # noqa: F401

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

PAIR_ID = "pair0000000000000000000001"
TRAKT_AUTH = "crosswatch_trakt"


async def trakt_entry(hass: HomeAssistant, simulator: Simulator) -> MockConfigEntry:
    """A Trakt account signed in with the simulator's token (real-time expiry a week out)."""
    await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET), TRAKT_AUTH
    )
    token = await simulator.trakt_token()
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Trakt ({cred.TRAKT_USER})",
        unique_id=cred.TRAKT_USER,
        data={
            "service": "trakt",
            "account_id": cred.TRAKT_USER,
            "account_name": cred.TRAKT_USER,
            "auth_implementation": TRAKT_AUTH,
            "token": {**token, "expires_at": time.time() + 7 * 86400},
        },
    )


def plex_entry(simulator: Simulator, **extra: Any) -> MockConfigEntry:
    """The simulator's server owner, on their own server."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Plex ({cred.PLEX_OWNER_NAME})",
        unique_id=str(cred.PLEX_OWNER_ID),
        data={
            "service": "plex",
            "account_id": str(cred.PLEX_OWNER_ID),
            "account_name": cred.PLEX_OWNER_NAME,
            "plex_token": cred.PLEX_OWNER_TOKEN,
            "plex_client_identifier": "crosswatch-test-client",
            "server_id": cred.PMS_MACHINE_ID,
            "server_name": cred.PMS_NAME,
            "server_url": simulator.url("pms"),
            "server_token": cred.PLEX_SERVER_TOKEN,
            "server_owned": True,
        },
        **extra,
    )


def with_pair(
    entry: MockConfigEntry,
    target: MockConfigEntry,
    features: list[str],
    *,
    direction: str = "one_way",
    removals: str = "off",
    interval: int = 60,
) -> MockConfigEntry:
    """Return ``entry`` rebuilt with one sync pair pointing at ``target``."""
    subentry = ConfigSubentryDataWithId(
        subentry_id=PAIR_ID,
        subentry_type="sync_pair",
        title=f"{entry.title} → {target.title}",
        unique_id=None,
        data={
            "target_entry_id": target.entry_id,
            "features": features,
            "direction": direction,
            "removals": removals,
            "interval_minutes": interval,
        },
    )
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        subentries_data=[subentry],
    )


@pytest.fixture
def pair_id() -> str:
    return PAIR_ID


@pytest_asyncio.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session
