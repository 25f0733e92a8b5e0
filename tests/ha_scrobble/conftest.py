"""A Plex account with a scrobble route to a Trakt account, loaded against the simulator."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.const import CONF_WEBHOOK_ID, DOMAIN, SUBENTRY_SCROBBLE_ROUTE
from simulator import credentials as cred
from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
from tests.ha.conftest import clock, sim_urls  # noqa: F401
from tests.ha_sync.conftest import plex_entry as owner_plex_entry

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from custom_components.crosswatch.providers.plex.scrobbler import PlexScrobbler
    from simulator.testing import Simulator

    from .helpers import Client, ClientFactory

OWNER = "1"  # the owner's PMS-local account id
SHARED = str(cred.PLEX_SHARED_ID)


async def until(predicate: Callable[[], bool], limit: float = 5.0) -> None:
    """Wait (real time, bounded) for state owned by other tasks to reach ``predicate``."""
    async with asyncio.timeout(limit):
        while not predicate():  # noqa: ASYNC110 - polling state other tasks own
            await asyncio.sleep(0.005)


def route(users: list[str] | None, targets: list[str], title: str = "Route") -> ConfigSubentryData:
    return ConfigSubentryData(
        subentry_type=SUBENTRY_SCROBBLE_ROUTE,
        title=title,
        unique_id=None,
        data={
            "plex_users": users or [],
            "all_users": users is None,
            "target_entry_ids": targets,
        },
    )


def plex_entry(simulator: Simulator, routes: list[ConfigSubentryData]) -> MockConfigEntry:
    """The simulator's server owner with these scrobble routes."""
    return owner_plex_entry(simulator, subentries_data=routes)


def trakt_entry(**extra: Any) -> MockConfigEntry:
    """A Trakt account signed in with the simulator's fixed token (``extra``: more fields)."""
    return MockConfigEntry(
        **extra,
        domain=DOMAIN,
        title=f"Trakt ({cred.TRAKT_USER})",
        unique_id=cred.TRAKT_USER,
        data={
            "service": "trakt",
            "account_id": cred.TRAKT_USER,
            "account_name": cred.TRAKT_USER,
            "auth_implementation": DOMAIN,
            "token": {
                "access_token": cred.TRAKT_ACCESS_TOKEN,
                "refresh_token": cred.TRAKT_REFRESH_TOKEN,
                "token_type": "Bearer",
                "expires_in": 7 * 86400,
                "expires_at": time.time() + 7 * 86400,
            },
        },
    )


class Accounts:
    """The loaded entries and a few shortcuts."""

    def __init__(self, hass: HomeAssistant, simulator: Simulator, trakt: MockConfigEntry) -> None:
        self.hass = hass
        self.sim = simulator
        self.trakt = trakt
        self.plex: MockConfigEntry | None = None

    async def add_plex(
        self, users: list[str] | None = None, *, routes: list[ConfigSubentryData] | None = None
    ) -> MockConfigEntry:
        entry = plex_entry(
            self.sim,
            routes if routes is not None else [route(users or [OWNER], [self.trakt.entry_id])],
        )
        entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(entry.entry_id)
        await self.hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        self.plex = entry
        return entry

    @property
    def scrobbler(self) -> PlexScrobbler:
        assert self.plex is not None
        scrobbler: PlexScrobbler | None = self.plex.runtime_data.scrobble
        assert scrobbler is not None
        return scrobbler

    def entity_id(self, platform: str, key: str) -> str:
        assert self.plex is not None
        entity_id = er.async_get(self.hass).async_get_entity_id(
            platform, DOMAIN, f"{self.plex.entry_id}_{key}"
        )
        assert entity_id is not None, key
        return entity_id

    def state(self, platform: str, key: str) -> Any:
        state = self.hass.states.get(self.entity_id(platform, key))
        assert state is not None
        return state

    async def trakt_scrobbles(self) -> list[tuple[str, float, int]]:
        return [
            (r["path"].rsplit("/", 1)[-1], r["body"]["progress"], r["status"])
            for r in await self.sim.requests("trakt")
            if "/scrobble/" in r["path"]
        ]


@pytest.fixture
async def accounts(hass: HomeAssistant, sim_urls: Simulator) -> Accounts:  # noqa: F811
    """A loaded Trakt account (user credentials imported); the Plex one is added per test."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET), DOMAIN
    )
    trakt = trakt_entry()
    trakt.add_to_hass(hass)
    assert await hass.config_entries.async_setup(trakt.entry_id)
    await hass.async_block_till_done()
    assert trakt.state is ConfigEntryState.LOADED
    return Accounts(hass, sim_urls, trakt)


@pytest.fixture
async def hook(
    hass: HomeAssistant, accounts: Accounts, hass_client_no_auth: ClientFactory
) -> tuple[Client, str]:
    """The HA test client and the Plex entry's webhook path (listener connected)."""
    entry = await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    return await hass_client_no_auth(), f"/api/webhook/{entry.data[CONF_WEBHOOK_ID]}"
