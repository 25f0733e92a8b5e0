"""Progress pairs (continue watching) on the simulator's ``large`` seed: Plex ↔ Trakt, Plex ↔ SIMKL.

Five runs per pair (two-way): the first (a few resume points on each side), one with nothing
changed, one after a single pause on Plex, and two after a single pause on the other service
(a title Plex holds a resume point of; a title it does not: finding that one's ratingKey takes
the library sweep).
Per run: requests per service and route (read from the simulator's request log) and what was
written. Target: a run with nothing changed reads only markers (Trakt/SIMKL: their activity
stamps; Plex: its sections and one row per section), whatever the library's size; a run after
one pause on Plex reads only what was viewed since the last read (a page per section).

Run: ``.venv/bin/python -m benchmarks.progress [seed]``
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING

import aiohttp

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.providers.simkl.side import SimklSide
from custom_components.crosswatch.providers.trakt.side import TraktSide
from custom_components.crosswatch.sync.engine import PairMemory, execute, finish_run, plan_run
from custom_components.crosswatch.sync.plan import Side, SyncMode
from simulator.testing import Simulator

from .sync import build_sides

if TYPE_CHECKING:
    from custom_components.crosswatch.sync.side import SyncSide
    from simulator.catalogue import Movie

POINTS = 5  # resume points each side starts with


async def one_run(
    sim: Simulator, memory: PairMemory, sides: dict[Side, SyncSide], label: str
) -> PairMemory:
    """Run once and print its requests."""
    await sim.clear_requests()
    plan = await plan_run(
        memory, sides, (Feature.PROGRESS,), mode=SyncMode.TWO_WAY, now=sim.clock.time()
    )
    execution = await execute(sides, plan)
    memory = await finish_run(
        memory,
        plan,
        execution.outcome,
        sides,
        now=sim.clock.time(),
        progress=execution.progress,
    )
    counts = await sim.counts()
    total = sum(sum(routes.values()) for routes in counts.values())
    summary = plan.summary()["features"]["progress"]
    written = len(execution.progress.succeeded)
    print(f"\n== {label}: requests {total}; read {summary['read']}; written {written}")
    for service, routes in sorted(counts.items()):
        print(f"   {service:<14} {sum(routes.values()):>5} requests")
        for route, count in sorted(routes.items()):
            print(f"      {route:<50} {count:>5}")
    return memory


def _item(movie: Movie) -> MediaItem:
    return MediaItem(kind=MediaKind.MOVIE, ids={"imdb": str(movie.imdb)})


async def pause_on_plex(sim: Simulator, movie: Movie, percent: int) -> None:
    await sim.play(sim.rating_key(movie))
    await sim.stop(offset_ms=movie.runtime * 60_000 * percent // 100)


async def pair(sim: Simulator, session: aiohttp.ClientSession, target: str) -> None:
    await sim.reset(sim.state.seed)
    plex, other = build_sides(sim, session, target)
    assert isinstance(other, TraktSide | SimklSide)
    sides: dict[Side, SyncSide] = {Side.SOURCE: plex, Side.TARGET: other}
    movies = [m for m in sim.state.catalogue.movies if m.imdb and m.trakt and m.simkl][
        : 2 * POINTS + 2
    ]
    for movie in movies[:POINTS]:
        await pause_on_plex(sim, movie, 30)
    for movie in movies[POINTS : 2 * POINTS]:
        await other.client.scrobble("pause", _item(movie), 40.0)
    await sim.advance(60)
    memory = await one_run(sim, PairMemory(), sides, f"Plex ↔ {target}: first run")
    await sim.advance(3600)
    memory = await one_run(sim, memory, sides, f"Plex ↔ {target}: no change")
    await sim.advance(3600)
    await pause_on_plex(sim, movies[-2], 50)
    memory = await one_run(sim, memory, sides, f"Plex ↔ {target}: one pause on Plex")
    await sim.advance(3600)
    await other.client.scrobble("pause", _item(movies[0]), 60.0)
    label = f"Plex ↔ {target}: one pause on {target}, a title Plex has a point of"
    memory = await one_run(sim, memory, sides, label)
    await sim.advance(3600)
    await other.client.scrobble("pause", _item(movies[-1]), 25.0)
    label = f"Plex ↔ {target}: one pause on {target}, a title new to Plex's points"
    await one_run(sim, memory, sides, label)


async def main(seed: str) -> None:
    async with Simulator(seed=seed) as sim, aiohttp.ClientSession() as session:
        cat = sim.state.catalogue
        print(f"seed {seed}: {len(cat.movies)} movies, {len(cat.episodes)} episodes")
        for target in ("trakt", "simkl"):
            await pair(sim, session, target)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "large"))
