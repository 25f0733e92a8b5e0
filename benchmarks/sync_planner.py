"""Planning CPU and memory for a large library (pure sync core, no I/O).

Library per side: 20,000 episode plays, 2,000 movie plays, 1,000 watchlist items and 3,000
ratings (2,000 movies + 1,000 shows), generated deterministically in-process. Scenarios:

- first run: the source is full, the target empty, no baseline (everything is an add);
- no change: both sides and both baselines hold everything (the steady state);
- two-way, small drift: a few titles added and removed on each side.

CPU is ``time.process_time`` for ``plan_sync`` alone (inventories are built beforehand, as the
runner reads them from the clients); peak memory is measured in a second pass under tracemalloc
and covers planning plus the inventories. Run: ``.venv/bin/python benchmarks/sync_planner.py``.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.crosswatch.api.models import (
    ITEM_FEATURES,
    Feature,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
)
from custom_components.crosswatch.sync.apply import apply_outcome
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.plan import ExecutionOutcome, SyncMode, SyncPlan
from custom_components.crosswatch.sync.planner import (
    PlanSettings,
    SideInput,
    plan_sync,
)
from custom_components.crosswatch.sync.state import Baseline, PairState

START = datetime(2020, 1, 1, tzinfo=UTC)
SHOWS, SEASONS, EPISODES = 200, 10, 10  # 20,000 episodes
MOVIES, WATCHLIST, RATED_SHOWS = 2_000, 1_000, 1_000


def episode(show: int, season: int, number: int, *, target: bool) -> MediaItem:
    own = {"tvdb": str(9_000_000 + show * 1_000 + season * 100 + number)}
    if target:
        own["trakt"] = str(5_000_000 + show * 1_000 + season * 100 + number)
    return MediaItem(
        kind=MediaKind.EPISODE,
        ids=own,
        show_ids={
            "tmdb": str(1_000 + show),
            "tvdb": str(70_000 + show),
            "imdb": f"tt{800_000 + show}",
        },
        show_title=f"Show {show}",
        season=season,
        number=number,
    )


def movie(n: int, *, target: bool) -> MediaItem:
    ids = {"imdb": f"tt{100_000 + n}", "tmdb": str(n)}
    if target:
        ids |= {"trakt": str(300_000 + n), "slug": f"movie-{n}"}
    return MediaItem(kind=MediaKind.MOVIE, ids=ids, title=f"Movie {n}", year=1950 + n % 70)


def show(n: int, *, target: bool) -> MediaItem:
    ids = {"tmdb": str(1_000 + n), "tvdb": str(70_000 + n)}
    if target:
        ids["trakt"] = str(400_000 + n)
    return MediaItem(kind=MediaKind.SHOW, ids=ids, title=f"Show {n}")


def library(*, target: bool) -> dict[Feature, Inventory]:
    plays = [
        Play(
            item=episode(s, se, e, target=target),
            watched_at=START + timedelta(minutes=s * 1_000 + se * 100 + e),
        )
        for s in range(SHOWS)
        for se in range(1, SEASONS + 1)
        for e in range(1, EPISODES + 1)
    ]
    plays += [
        Play(item=movie(n, target=target), watched_at=START + timedelta(hours=n))
        for n in range(MOVIES)
    ]
    watchlist = [
        WatchlistEntry(item=movie(MOVIES + n, target=target), listed_at=START)
        for n in range(WATCHLIST)
    ]
    ratings = [
        Rating(item=movie(n, target=target), rating=1 + n % 10, rated_at=START)
        for n in range(MOVIES)
    ]
    ratings += [
        Rating(item=show(n, target=target), rating=1 + n % 10, rated_at=START)
        for n in range(RATED_SHOWS)
    ]
    return {
        Feature.HISTORY: Inventory.from_plays(plays),
        Feature.WATCHLIST: Inventory.from_watchlist(watchlist),
        Feature.RATINGS: Inventory.from_ratings(ratings),
    }


def drift(inventory: Inventory, drop: int) -> Inventory:
    """The inventory without its first ``drop`` entries (titles removed on that side)."""
    keys = sorted(inventory.entries)[drop:]
    return Inventory(inventory.feature, {k: inventory.entries[k] for k in keys})


def empty() -> dict[Feature, Inventory]:
    return {feature: Inventory(feature) for feature in ITEM_FEATURES}


def scenarios() -> dict[str, Callable[[], tuple[PairState, dict, SyncMode]]]:
    source, target = library(target=False), library(target=True)
    return scenarios_from(source, target)


def scenarios_from(
    source: dict[Feature, Inventory], target: dict[Feature, Inventory]
) -> dict[str, Callable[[], tuple[PairState, dict, SyncMode]]]:

    def inputs(src: dict[Feature, Inventory], tgt: dict[Feature, Inventory]) -> dict:
        return {
            f: (SideInput(inventory=src[f]), SideInput(inventory=tgt[f])) for f in ITEM_FEATURES
        }

    synced = PairState(baselines={f: Baseline(source[f], target[f]) for f in ITEM_FEATURES})
    drifted_source = {f: drift(inv, 5) for f, inv in source.items()}
    return {
        "first run (one-way, empty target)": lambda: (
            PairState(),
            inputs(source, empty()),
            SyncMode.ADD_ONLY,
        ),
        "no change (two-way, synced)": lambda: (synced, inputs(source, target), SyncMode.TWO_WAY),
        "small drift (two-way)": lambda: (synced, inputs(drifted_source, target), SyncMode.TWO_WAY),
    }


def count_items(plan_inputs: dict) -> int:
    return sum(side.inventory.size for pair in plan_inputs.values() for side in pair)


def run_plan(state: PairState, plan_inputs: dict, mode: SyncMode) -> SyncPlan:
    return plan_sync(state, plan_inputs, PlanSettings(mode=mode), now=0.0, confirm_removals=True)


def main() -> None:
    print(
        f"{'scenario':40} {'items':>7} {'changes':>8} {'plan CPU s':>11} "
        f"{'apply CPU s':>12} {'plan MB':>8} {'total MB':>9}"
    )
    for name, build in scenarios().items():
        state, plan_inputs, mode = build()
        started = time.process_time()
        plan = run_plan(state, plan_inputs, mode)
        plan_cpu = time.process_time() - started
        started = time.process_time()
        apply_outcome(state, plan, ExecutionOutcome.all_succeeded(plan), now=1.0)
        apply_cpu = time.process_time() - started
        del plan
        # Peak of planning alone (inventories already in memory) ...
        tracemalloc.start()
        plan = run_plan(state, plan_inputs, mode)
        _, plan_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        changes = len(plan.changes)
        del plan, state, plan_inputs
        # ... and of building both libraries, the baselines and planning, all from scratch.
        tracemalloc.start()
        state, plan_inputs, mode = scenarios_from(library(target=False), library(target=True))[
            name
        ]()
        run_plan(state, plan_inputs, mode)
        _, total_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(
            f"{name:40} {count_items(plan_inputs):>7} {changes:>8} "
            f"{plan_cpu:>11.3f} {apply_cpu:>12.3f} {plan_peak / 1e6:>8.1f} "
            f"{total_peak / 1e6:>9.1f}"
        )


if __name__ == "__main__":
    main()
