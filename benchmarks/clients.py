"""Read the simulator's ``large`` seed through every client and print what it costs.

Figures per service: requests per route against the pages the data needs, CPU seconds, peak
traced memory, and the wall time the rate limits impose at real pacing (read off the simulated
clock, so nothing actually sleeps). Then a repeated read when nothing changed, which must cost
only the activity endpoints.

Run: ``.venv/bin/python -m benchmarks.clients [seed]``
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import aiohttp

from custom_components.crosswatch.api.http import Telemetry
from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play
from custom_components.crosswatch.providers.plex.client import PlexServerClient, PlexTvClient
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.tmdb.client import TmdbClient
from custom_components.crosswatch.providers.trakt.client import TraktClient
from simulator.testing import (
    PLEX_OWNER_TOKEN,
    PLEX_SERVER_TOKEN,
    SIMKL_CLIENT_ID,
    SIMKL_TOKEN,
    TMDB_V3_KEY,
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    Simulator,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


@dataclass
class Run:
    """One measured scenario."""

    name: str
    items: dict[str, int]
    cpu: float
    peak_kib: float
    simulated_s: float
    telemetry: dict[str, dict[str, dict[str, float]]]


async def measure(
    name: str, sim: Simulator, telemetry: Telemetry, read: Callable[[], Awaitable[dict[str, int]]]
) -> Run:
    """Run ``read`` and record requests, CPU, peak memory and simulated wall time."""
    telemetry.reset()
    await sim.clear_requests()
    tracemalloc.start()
    cpu0, sim0 = time.process_time(), sim.clock.time()
    items = await read()
    cpu = time.process_time() - cpu0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Run(name, items, cpu, peak / 1024, sim.clock.time() - sim0, telemetry.as_dict())


def report(run: Run, pages_needed: dict[str, int]) -> None:
    """Print one scenario's figures."""
    print(f"\n== {run.name}")
    print(f"   items read: {', '.join(f'{k}={v}' for k, v in run.items.items())}")
    print(
        f"   CPU {run.cpu:.2f} s, peak traced memory {run.peak_kib / 1024:.1f} MiB, "
        f"rate-limit wall time {run.simulated_s:.1f} s (simulated clock)"
    )
    print(f"   {'route':<52} {'requests':>8} {'needed':>7} {'retries':>7} {'429s':>5}")
    for service, routes in run.telemetry.items():
        for route, stats in routes.items():
            needed = pages_needed.get(route, "")
            print(
                f"   {service + ' ' + route:<52} {int(stats['requests']):>8} {needed!s:>7} "
                f"{int(stats['retries']):>7} {int(stats['rate_limited']):>5}"
            )


def pages(count: int, size: int = 100) -> int:
    """Pages needed for ``count`` rows."""
    return max(1, math.ceil(count / size))


async def main(seed: str) -> None:  # noqa: C901, PLR0915 - one linear script
    """Run every scenario against a fresh simulator."""
    async with Simulator(seed=seed) as sim, aiohttp.ClientSession() as session:
        clock = sim.clock
        telemetry = Telemetry()

        async def trakt_token() -> str:
            return TRAKT_ACCESS_TOKEN

        trakt = TraktClient(
            session,
            base_url=sim.url("trakt"),
            client_id=TRAKT_CLIENT_ID,
            access_token=trakt_token,
            clock=clock,
            telemetry=telemetry,
        )
        simkl = SimklClient(
            session,
            base_url=sim.url("simkl"),
            client_id=SIMKL_CLIENT_ID,
            token=SIMKL_TOKEN,
            clock=clock,
            telemetry=telemetry,
        )
        plex_tv = PlexTvClient(
            session,
            base_url=sim.url("plex.tv"),
            discover_url=sim.url("plex-discover"),
            metadata_url=sim.url("plex-metadata"),
            client_identifier="bench",
            token=PLEX_OWNER_TOKEN,
            clock=clock,
            telemetry=telemetry,
        )
        pms = PlexServerClient(
            session,
            base_url=sim.url("pms"),
            token=PLEX_SERVER_TOKEN,
            clock=clock,
            telemetry=telemetry,
        )
        tmdb = TmdbClient(
            session,
            base_url=sim.url("tmdb"),
            credential=TMDB_V3_KEY,
            clock=clock,
            telemetry=telemetry,
        )
        print(
            f"seed {seed!r}: {len(sim.state.catalogue.movies)} movies, "
            f"{len(sim.state.catalogue.shows)} shows, "
            f"{len(sim.state.catalogue.episodes)} episodes"
        )

        state: dict[str, Any] = {}

        async def read_trakt() -> dict[str, int]:
            state["trakt_acts"] = await trakt.last_activities()
            watchlist = await trakt.watchlist()
            history = await trakt.history()
            ratings = await trakt.ratings()
            watched = await trakt.watched("movies") + await trakt.watched("shows")
            return {
                "watchlist": len(watchlist),
                "plays": len(history),
                "ratings": len(ratings),
                "watched": len(watched),
            }

        run = await measure("Trakt full read", sim, telemetry, read_trakt)
        report(
            run,
            {
                "GET /sync/history": pages(run.items["plays"]),
                "GET /sync/watchlist": 1,
                "GET /sync/ratings": 1,
                "GET /sync/last_activities": 1,
                "GET /sync/watched/{type}": 2,
            },
        )

        async def read_simkl() -> dict[str, int]:
            state["simkl_acts"] = await simkl.activities()
            library = await simkl.all_items()
            return {
                "entries": len(library.entries),
                "watchlist": len(library.watchlist()),
                "plays": len(library.plays()),
                "ratings": len(library.ratings()),
            }

        run = await measure("SIMKL full read", sim, telemetry, read_simkl)
        report(run, {"GET /sync/activities": 1, "GET /sync/all-items": 1})

        async def read_plex() -> dict[str, int]:
            watchlist = await plex_tv.watchlist()
            movies = await pms.library("1")
            episodes = await pms.episodes_with_show_ids("2")
            history = await pms.history()
            state["plex_counts"] = (len(movies), len(episodes), len(watchlist), len(history))
            return {
                "watchlist": len(watchlist),
                "movies": len(movies),
                "episodes": len(episodes),
                "plays": len(history),
            }

        run = await measure("Plex full read (plex.tv + PMS)", sim, telemetry, read_plex)
        cat = sim.state.catalogue
        report(
            run,
            {
                "GET /library/sections/watchlist/all": pages(run.items["watchlist"]),
                "GET /library/sections/{key}/all": pages(len(cat.movies))
                + pages(len(cat.shows))
                + pages(len(cat.episodes)),
                "GET /status/sessions/history/all": pages(run.items["plays"]),
            },
        )

        async def read_tmdb() -> dict[str, int]:
            await tmdb.configuration()
            ids = [m.tmdb for m in cat.movies if m.tmdb][:400]
            for tmdb_id in ids:
                await tmdb.movie(tmdb_id)
            for tmdb_id in ids:  # a second pass is served from the cache
                await tmdb.movie(tmdb_id)
            return {"details": 2 * len(ids)}

        run = await measure(
            "TMDb 400 movie details twice (cache on second pass)", sim, telemetry, read_tmdb
        )
        report(run, {"GET /configuration": 1, "GET /movie/{id}": 400})

        # Writes: 1000 plays to Trakt = 10 POSTs at one per second per user.
        when = datetime.fromtimestamp(clock.time(), UTC)
        plays = [
            Play(
                item=MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": str(m.tmdb)}),
                watched_at=when - timedelta(hours=i),
            )
            for i, m in enumerate(m for m in cat.movies if m.tmdb)
        ][:1000]

        async def write_trakt() -> dict[str, int]:
            result = await trakt.history_add(plays)
            return {"plays_added": result.added, "posts": result.batches}

        run = await measure("Trakt write 1000 plays", sim, telemetry, write_trakt)
        report(run, {"POST /sync/history": 10})

        # A repeated read when nothing changed: activities only.
        async def no_change() -> dict[str, int]:
            fetched = 0
            if await trakt.last_activities() != state["trakt_acts"]:
                fetched += 1  # a sync would now read only what moved
            if await simkl.activities() != state["simkl_acts"]:
                fetched += 1
            return {"services_with_changes": fetched}

        state["trakt_acts"] = await trakt.last_activities()  # after our own write
        run = await measure("Repeated read, nothing changed", sim, telemetry, no_change)
        report(run, {"GET /sync/last_activities": 1, "GET /sync/activities": 1})
        total = sum(int(s["requests"]) for r in run.telemetry.values() for s in r.values())
        print(f"   total requests: {total}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "large"))
