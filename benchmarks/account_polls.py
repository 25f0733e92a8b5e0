"""What one account poll costs inside Home Assistant, per service, on a seeded simulator.

Runs the real integration (config entries, coordinators, the API clients) in a test Home
Assistant against the simulator on 127.0.0.1 and prints, per account: requests of a poll when
nothing changed, requests of a poll after the watchlist moved, watchlist size, and CPU
milliseconds per poll. A no-change poll must cost O(1) requests whatever the library size.

Run: ``.venv/bin/python -m benchmarks.account_polls [seed]`` (seed: tiny, small, large, ...)
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import tempfile
import time
from dataclasses import replace
from typing import Any

from homeassistant import loader
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.base import CLOCK_KEY
from custom_components.crosswatch.providers.tmdb.login import tmdb_key_hash
from simulator import credentials as cred
from simulator.testing import Simulator

URLS = {
    "CROSSWATCH_PLEX_TV_URL": "plex.tv",
    "CROSSWATCH_PLEX_DISCOVER_URL": "plex-discover",
    "CROSSWATCH_PLEX_METADATA_URL": "plex-metadata",
    "CROSSWATCH_TRAKT_URL": "trakt",
    "CROSSWATCH_TRAKT_AUTH_URL": "trakt",
    "CROSSWATCH_SIMKL_URL": "simkl",
    "CROSSWATCH_TMDB_URL": "tmdb",
}
ROUNDS = 5


def _entries(sim: Simulator, trakt_token: dict[str, Any]) -> dict[str, MockConfigEntry]:
    trakt_token["expires_at"] = time.time() + 3600
    return {
        "simkl": MockConfigEntry(domain=DOMAIN, title="SIMKL", unique_id="simkl", data={
            "service": "simkl", "account_id": "1", "account_name": "s",
            "client_id": cred.SIMKL_CLIENT_ID, "access_token": cred.SIMKL_TOKEN}),
        "trakt": MockConfigEntry(domain=DOMAIN, title="Trakt", unique_id="trakt", data={
            "service": "trakt", "auth_implementation": "app", "token": trakt_token,
            "account_id": "t", "account_name": "t"}),
        "plex": MockConfigEntry(domain=DOMAIN, title="Plex", unique_id="plex", data={
            "service": "plex", "account_id": "1", "account_name": "p",
            "plex_token": cred.PLEX_OWNER_TOKEN, "plex_client_identifier": "bench",
            "server_id": cred.PMS_MACHINE_ID, "server_name": "s", "server_url": sim.url("pms"),
            "server_token": cred.PLEX_SERVER_TOKEN, "server_owned": True}),
        "tmdb": MockConfigEntry(domain=DOMAIN, title="TMDb", unique_id=tmdb_key_hash(
            cred.TMDB_V3_KEY), data={"service": "tmdb", "account_id": "k",
            "account_name": "TMDb", "api_key": cred.TMDB_V3_KEY}),
    }  # fmt: skip


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _poll(sim: Simulator, entry: MockConfigEntry, *, moved: bool) -> tuple[int, float]:
    coordinator = entry.runtime_data.coordinator
    await sim.clear_requests()
    cpu = 0.0
    for _ in range(ROUNDS):
        if moved:
            coordinator.data = replace(coordinator.data, marker="stale")
        start = time.process_time()
        await coordinator.async_refresh()
        cpu += time.process_time() - start
        if not coordinator.last_update_success:
            raise RuntimeError(f"poll failed: {coordinator.last_exception}")
    counts = await sim.counts()
    return sum(sum(routes.values()) for routes in counts.values()) // ROUNDS, cpu / ROUNDS


async def main(seed: str) -> None:
    async with Simulator(seed=seed) as sim:
        for variable, service in URLS.items():
            os.environ[variable] = sim.url(service)
        await sim.set_rate_limits(enabled=False)
        with tempfile.TemporaryDirectory() as config_dir:
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
                hass.data[CLOCK_KEY] = sim.clock
                # A free port on loopback: a developer's Home Assistant may hold 8123.
                http = {"server_host": ["127.0.0.1"], "server_port": _free_port()}
                assert await async_setup_component(hass, "http", {"http": http})
                assert await async_setup_component(hass, "application_credentials", {})
                await async_import_client_credential(
                    hass,
                    DOMAIN,
                    ClientCredential(cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET),
                    "app",
                )
                entries = _entries(sim, await sim.trakt_token())
                for entry in entries.values():
                    entry.add_to_hass(hass)
                assert await async_setup_component(hass, DOMAIN, {})
                await hass.async_block_till_done()
                print(f"seed {seed}: requests and CPU per poll (mean of {ROUNDS})")
                print(f"{'account':8} {'watchlist':>9} {'no change':>10} {'moved':>6} "
                  f"{'cpu ms unchanged':>17} {'cpu ms moved':>13}")  # fmt: skip
                for name, entry in entries.items():
                    watchlist = entry.runtime_data.coordinator.data.watchlist
                    same, same_cpu = await _poll(sim, entry, moved=False)
                    moved, moved_cpu = await _poll(sim, entry, moved=True)
                    size = "-" if watchlist is None else str(len(watchlist))
                    print(f"{name:8} {size:>9} {same:>10} {moved:>6} "
                      f"{same_cpu * 1000:>17.2f} {moved_cpu * 1000:>13.2f}")  # fmt: skip
                await hass.async_stop(force=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "small"))
