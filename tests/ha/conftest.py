"""HA tests run CrossWatch against the simulator over real sockets."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.base import CLOCK_KEY
from custom_components.crosswatch.providers.tmdb.login import tmdb_key_hash
from simulator import credentials as cred
from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
from simulator.trakt import _hex64

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

URL_VARIABLES = {
    "CROSSWATCH_PLEX_TV_URL": "plex.tv",
    "CROSSWATCH_PLEX_DISCOVER_URL": "plex-discover",
    "CROSSWATCH_PLEX_METADATA_URL": "plex-metadata",
    "CROSSWATCH_TRAKT_URL": "trakt",
    "CROSSWATCH_TRAKT_AUTH_URL": "trakt",
    "CROSSWATCH_SIMKL_URL": "simkl",
    "CROSSWATCH_TMDB_URL": "tmdb",
}


class SteppedClock:
    """The simulator's clock, but a login poll only moves on when the test says so.

    ``sleep`` advances simulated time, then waits for ``step()``: a test approves a PIN between
    two polls deterministically, and nothing sleeps in real time.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.sleeping = asyncio.Event()
        self._go = asyncio.Event()
        self.free_running = True

    def time(self) -> float:
        return self.clock.time()

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(max(0.0, seconds))
        if self.free_running:
            await asyncio.sleep(0)
            return
        self.sleeping.set()
        await self._go.wait()
        self._go.clear()

    def step(self) -> None:
        self.sleeping.clear()
        self._go.set()


@pytest.fixture
def clock(hass: HomeAssistant, sim: Simulator, sim_clock: ManualClock) -> SteppedClock:  # noqa: F811
    stepped = SteppedClock(sim_clock)
    hass.data[CLOCK_KEY] = stepped
    return stepped


@pytest.fixture
def sim_urls(
    sim: Simulator,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    clock: SteppedClock,
) -> Simulator:
    """Point every CrossWatch base URL at the simulator."""
    for variable, service in URL_VARIABLES.items():
        monkeypatch.setenv(variable, sim.url(service))
    monkeypatch.setenv("CROSSWATCH_PLEX_AUTH_URL", f"{sim.base_url}/_sim/approve")
    return sim


def tmdb_entry(key: str = cred.TMDB_V3_KEY, **extra: Any) -> MockConfigEntry:
    key_hash = tmdb_key_hash(key)
    return MockConfigEntry(
        domain=DOMAIN,
        title="TMDb",
        unique_id=key_hash,
        data={
            "service": "tmdb",
            "account_id": key_hash[:12],
            "account_name": "TMDb",
            "api_key": key,
        },
        **extra,
    )


def simkl_entry(token: str = cred.SIMKL_TOKEN, **extra: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"SIMKL ({cred.SIMKL_USER})",
        unique_id=str(cred.SIMKL_USER_ID),
        data={
            "service": "simkl",
            "account_id": str(cred.SIMKL_USER_ID),
            "account_name": cred.SIMKL_USER,
            "client_id": cred.SIMKL_CLIENT_ID,
            "access_token": token,
        },
        **extra,
    )


def plex_entry(sim: Simulator) -> MockConfigEntry:  # noqa: F811
    """The simulator's server owner on their own server, as the Plex sign-in saves it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{cred.PMS_NAME} ({cred.PLEX_OWNER_NAME})",
        unique_id=f"{cred.PLEX_OWNER_ID}_{cred.PMS_MACHINE_ID}",
        data={
            "service": "plex",
            "account_id": str(cred.PLEX_OWNER_ID),
            "account_name": cred.PLEX_OWNER_NAME,
            "plex_token": cred.PLEX_OWNER_TOKEN,
            "plex_client_identifier": "test-client",
            "server_id": cred.PMS_MACHINE_ID,
            "server_name": cred.PMS_NAME,
            "server_url": sim.url("pms"),
            "server_token": cred.PLEX_SERVER_TOKEN,
            "server_owned": True,
        },
    )


@pytest.fixture
async def credentials(hass: HomeAssistant, sim_urls: Simulator) -> None:
    """The user's Trakt app, kept as application credentials ("trakt_app")."""
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET), "trakt_app"
    )


async def trakt_app_entry(
    hass: HomeAssistant,
    sim: Simulator,  # noqa: F811
    *,
    expired: bool,
) -> MockConfigEntry:
    """A Trakt entry signed in with the "trakt_app" credentials, its token expired or not."""
    token = await sim.trakt_token()
    token["expires_at"] = time.time() + (-10 if expired else 3600)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Trakt ({cred.TRAKT_USER})",
        unique_id="will-be-read",
        data={
            "service": "trakt",
            "auth_implementation": "trakt_app",
            "token": token,
            "account_id": "x",
            "account_name": cred.TRAKT_USER,
        },
    )
    entry.add_to_hass(hass)
    return entry


def trakt_uuid() -> str:
    """The Trakt user's uuid as the simulator answers it: the entry's unique id."""
    return _hex64("uuid", cred.TRAKT_USER)[:40]
