"""Sync pairs on the simulator's ``large`` seed: Plex → Trakt and Plex → SIMKL.

Three runs per pair: the first, one with nothing changed, and one after a new play on each side
(Plex marks a movie watched, the target scrobbles another), which reads only what changed. The
run after one that posted plays reads the target's watchlist once: both services take watched
titles off it, and those titles are left off (not listed again) and counted as dropped.

Per run: requests per route against the floor (pages the data needs + ceil(writes / 100)), the
wall time the services' rate limits impose at real pacing (read off the simulated clock, so
nothing sleeps), and the CPU seconds and peak traced memory of planning alone.
Targets: a no-change run costs at most 2 requests per account; a first run stays within 10% of
the floor.

Run: ``.venv/bin/python -m benchmarks.sync [seed]``
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
import tracemalloc
from typing import TYPE_CHECKING

import aiohttp

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.client import PlexServerClient, PlexTvClient
from custom_components.crosswatch.providers.plex.side import PlexSide
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.simkl.side import SimklSide
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.providers.trakt.side import TraktSide
from custom_components.crosswatch.sync.engine import PairMemory, execute, finish_run, plan_run
from custom_components.crosswatch.sync.plan import Side, SyncMode
from custom_components.crosswatch.sync.planner import PlanSettings, SideInput, plan_sync
from simulator.testing import (
    PLEX_OWNER_TOKEN,
    PLEX_SERVER_TOKEN,
    SIMKL_CLIENT_ID,
    SIMKL_TOKEN,
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    Simulator,
)

if TYPE_CHECKING:
    from custom_components.crosswatch.sync.plan import SyncPlan
    from custom_components.crosswatch.sync.side import SyncSide

FEATURES = (Feature.WATCHLIST, Feature.HISTORY)
BATCH = 100
PAGE = 100


def pages(count: int) -> int:
    """Pages needed for ``count`` rows (an empty list still costs one request)."""
    return max(1, math.ceil(count / PAGE))


def plex_floor(sim: Simulator) -> int:
    """Pages the Plex side's data needs: watchlist, history, and the library that names plays."""
    plex = sim.state.plex
    owner = plex.users["owner"]
    plays = sum(1 for row in plex.history if row.account_id == owner.account_id)
    cat = sim.state.catalogue
    library = 1 + pages(len(cat.movies)) + 2 * pages(len(cat.shows)) + pages(len(cat.episodes))
    return pages(len(plex.watchlists["owner"])) + pages(plays) + library


def target_floor(sim: Simulator, service: str) -> int:
    """Pages the target's data needs (Trakt: watchlist in one request, history paged)."""
    if service == "trakt":
        user = sim.state.trakt.users["simuser"]
        return 1 + pages(len(user.history))
    return 1  # SIMKL: one all-items answer holds the watchlist and history


def plan_cost(plan: SyncPlan, mode: SyncMode) -> tuple[float, float, int]:
    """Plan again from the same reads, measuring CPU seconds and peak traced MiB alone."""
    inputs = {
        feature: (SideInput(inventory=fp.source), SideInput(inventory=fp.target))
        for feature, fp in plan.features.items()
    }
    items = sum(len(fp.source) + len(fp.target) for fp in plan.features.values())
    settings = PlanSettings(mode=mode)
    cpu = time.process_time()
    plan_sync(PairMemory().state, inputs, settings, now=plan.created_at)
    cpu = time.process_time() - cpu
    tracemalloc.start()  # a second pass for memory: tracing slows the first one's CPU figure
    plan_sync(PairMemory().state, inputs, settings, now=plan.created_at)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return cpu, peak / 2**20, items


async def one_run(
    sim: Simulator, memory: PairMemory, sides: dict[Side, SyncSide], label: str, floor: int | None
) -> PairMemory:
    """Run once and print its figures."""
    await sim.clear_requests()
    start = sim.clock.time()
    plan = await plan_run(memory, sides, FEATURES, mode=SyncMode.ADD_ONLY, now=start)
    outcome = (await execute(sides, plan)).outcome
    memory = await finish_run(memory, plan, outcome, sides, now=sim.clock.time())
    waited = sim.clock.time() - start
    counts = await sim.counts()
    writes = len(outcome.succeeded)
    total = sum(sum(routes.values()) for routes in counts.values())
    print(f"\n== {label}")
    print(f"   writes {writes} ({len(outcome.failed)} failed); requests {total}", end="")
    if floor is not None:
        need = floor + sum(
            math.ceil(fp.count(a) / BATCH) if sides[Side.TARGET].batch_size > 1 else fp.count(a)
            for fp in plan.features.values()
            for a in {c.action for c in fp.changes}
        )
        print(f", floor {need} ({100 * (total - need) / need:+.1f}%)", end="")
    print(f"; rate-limit wall time {waited:.0f} s (simulated clock)")
    dropped = {f.value: len(fp.target_dropped) for f, fp in plan.features.items()}
    print(f"   left off, dropped by the target since the last run: {dropped}")
    for service, routes in sorted(counts.items()):
        print(f"   {service:<14} {sum(routes.values()):>5} requests")
        for route, count in sorted(routes.items()):
            print(f"      {route:<50} {count:>5}")
    cpu, peak, items = plan_cost(plan, SyncMode.ADD_ONLY)
    print(f"   planning {items} items: CPU {cpu:.3f} s, peak {peak:.1f} MiB")
    return memory


def build_sides(
    sim: Simulator, session: aiohttp.ClientSession, target: str
) -> tuple[PlexSide, SyncSide]:
    """The simulator's Plex owner and its Trakt or SIMKL user as sync sides."""
    clock = sim.clock

    async def trakt_token() -> str:
        return TRAKT_ACCESS_TOKEN

    plex = PlexSide(
        PlexTvClient(
            session,
            base_url=sim.url("plex.tv"),
            discover_url=sim.url("plex-discover"),
            metadata_url=sim.url("plex-metadata"),
            client_identifier="bench",
            token=PLEX_OWNER_TOKEN,
            clock=clock,
        ),
        PlexServerClient(session, base_url=sim.url("pms"), token=PLEX_SERVER_TOKEN, clock=clock),
        account_id=1,
    )
    other: SyncSide
    if target == "trakt":
        other = TraktSide(
            TraktClient(
                session,
                base_url=sim.url("trakt"),
                client_id=TRAKT_CLIENT_ID,
                access_token=trakt_token,
                clock=clock,
            )
        )
    else:
        other = SimklSide(
            SimklClient(
                session,
                base_url=sim.url("simkl"),
                client_id=SIMKL_CLIENT_ID,
                token=SIMKL_TOKEN,
                clock=clock,
            )
        )
    return plex, other


async def pair(sim: Simulator, session: aiohttp.ClientSession, target: str) -> None:
    """Plex → ``target``: a first run, then a run with nothing changed."""
    await sim.reset(sim.state.seed)
    # A VIP account: a free one's 250-title watchlist limit would cut the first run short.
    await sim.set_trakt_user(vip=True, watchlist_limit=10_000)
    plex, other = build_sides(sim, session, target)
    sides: dict[Side, SyncSide] = {Side.SOURCE: plex, Side.TARGET: other}
    floor = plex_floor(sim) + target_floor(sim, target)
    memory = await one_run(sim, PairMemory(), sides, f"Plex → {target}: first run", floor)
    memory = await one_run(sim, memory, sides, f"Plex → {target}: no change", None)
    await new_play_on_each_side(sim, other)
    await one_run(sim, memory, sides, f"Plex → {target}: one new play on each side", None)


async def new_play_on_each_side(sim: Simulator, target: SyncSide) -> None:
    """An hour on, the Plex owner watches an unwatched movie; the target scrobbles another."""
    await sim.advance(3600)
    plex = sim.state.plex
    owner = plex.users["owner"]
    watched = {id(row.item) for row in plex.history}
    unwatched = [m for m in sim.state.catalogue.movies if id(m) not in watched and m.imdb]
    plex.mark_watched(owner, unwatched[0], sim.state.now())
    scrobbled = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": str(unwatched[1].imdb)})
    if isinstance(target, TraktSide | SimklSide):
        await target.client.scrobble("stop", scrobbled, 95.0)


async def main(seed: str) -> None:
    """Both pairs against one simulator."""
    async with Simulator(seed=seed) as sim, aiohttp.ClientSession() as session:
        cat = sim.state.catalogue
        print(
            f"seed {seed}: {len(cat.movies)} movies, {len(cat.episodes)} episodes, "
            f"{len(sim.state.plex.history)} Plex plays, "
            f"{len(sim.state.plex.watchlists['owner'])} on the Plex watchlist"
        )
        for target in ("trakt", "simkl"):
            await pair(sim, session, target)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "large"))
