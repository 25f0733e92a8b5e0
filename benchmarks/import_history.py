"""Reading and planning a large history import (the pure part of ``crosswatch.import_history``).

A Trakt data export the size of the simulator's ``large`` seed (21,000 plays: 20,000 episode plays
and 1,000 movie plays, 2,000 ratings, 1,000 watchlist entries) is generated in Trakt's export row
shapes as one ZIP, then read and planned into an empty Trakt and an empty SIMKL account, and
planned again into each account as it is after the first import (the second import must write
nothing). Prints CPU ms and peak memory of reading and of planning (both run in the executor in
Home Assistant, off the event loop), the writes, and the request floor of the writes (one request
per 100 items). Not measured here: the HA action end to end against the simulator (reads, paced
writes, event-loop stalls). Run: ``.venv/bin/python benchmarks/import_history.py``.
"""

from __future__ import annotations

import io
import json
import math
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.crosswatch.api.models import Feature, Rating, WatchlistEntry
from custom_components.crosswatch.history_io.plan import ImportPlan, plan_import
from custom_components.crosswatch.history_io.readers import read_export
from custom_components.crosswatch.history_io.rows import ExportRows
from custom_components.crosswatch.providers.simkl.side import SIMKL_CAPABILITIES
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.planner import Capabilities

START = datetime(2020, 1, 1, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", ".000Z")


def _movie(i: int) -> dict[str, Any]:
    return {
        "title": f"Movie {i}",
        "year": 1950 + i % 70,
        "ids": {"trakt": i, "imdb": f"tt{1000000 + i}", "tmdb": 100000 + i},
    }


def _show(i: int) -> dict[str, Any]:
    return {
        "title": f"Show {i}",
        "year": 1990 + i % 30,
        "ids": {"trakt": 500000 + i, "tvdb": 300000 + i},
    }


def trakt_export() -> bytes:
    history: list[dict[str, Any]] = []
    for i in range(20_000):  # 200 shows x 10 seasons x 10 episodes
        show, season, number = i // 100, i // 10 % 10 + 1, i % 10 + 1
        history.append({
            "id": i + 1, "watched_at": _iso(START + timedelta(minutes=40 * i)), "action": "watch",
            "type": "episode", "show": _show(show),
            "episode": {"season": season, "number": number, "ids": {"trakt": 900000 + i}},
        })  # fmt: skip
    history.extend(
        {
            "id": 30000 + i, "watched_at": _iso(START + timedelta(hours=3 * i)), "action": "watch",
            "type": "movie", "movie": _movie(i),
        }
        for i in range(1_000)
    )  # fmt: skip
    ratings = [
        {"rated_at": _iso(START), "rating": 1 + i % 10, "type": "movie", "movie": _movie(i)}
        for i in range(1_500)
    ] + [
        {"rated_at": _iso(START), "rating": 1 + i % 10, "type": "show", "show": _show(i)}
        for i in range(500)
    ]
    watchlist = [
        {"listed_at": _iso(START), "type": "movie", "movie": _movie(5_000 + i)}
        for i in range(1_000)
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("history-1.json", json.dumps(history))
        archive.writestr("ratings-movies.json", json.dumps(ratings))
        archive.writestr("watchlist-movies.json", json.dumps(watchlist))
    return buffer.getvalue()


def _measure[T](work: Callable[[], T]) -> tuple[T, float, float]:
    start = time.process_time()
    result = work()
    cpu = time.process_time() - start
    tracemalloc.start()
    work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, cpu * 1000, peak / (1024 * 1024)


def _empty() -> dict[Feature, Inventory]:
    return {
        Feature.HISTORY: Inventory.from_plays([]),
        Feature.RATINGS: Inventory.from_ratings([]),
        Feature.WATCHLIST: Inventory.from_watchlist([]),
    }


def _after(plan: ImportPlan) -> dict[Feature, Inventory]:
    return {
        Feature.HISTORY: Inventory.from_plays(plan.plays),
        Feature.RATINGS: Inventory.from_ratings(
            [Rating(item=r.item, rating=r.rating) for r in plan.ratings]
        ),
        Feature.WATCHLIST: Inventory.from_watchlist(
            [WatchlistEntry(item=w.item) for w in plan.watchlist]
        ),
    }


def _row(name: str, rows: ExportRows, capabilities: Capabilities) -> None:
    first, cpu, peak = _measure(lambda: plan_import(rows, _empty(), capabilities))
    target = _after(first)
    second, cpu2, peak2 = _measure(lambda: plan_import(rows, target, capabilities))
    floor = sum(
        math.ceil(n / 100) for n in (len(first.plays), len(first.ratings), len(first.watchlist))
    )
    print(f"{name:6} {first.writes:>7} {floor:>12} {cpu:>9.0f} {peak:>9.1f} "
          f"{second.writes:>12} {cpu2:>10.0f} {peak2:>10.1f}")  # fmt: skip


def main() -> None:
    data = trakt_export()
    rows, cpu, peak = _measure(lambda: read_export("trakt-export.zip", data))
    counts = f"{len(rows.plays)} plays, {len(rows.ratings)} ratings, {len(rows.watchlist)} listed"
    print(f"Trakt export: {len(data) / 1024:.0f} KiB zipped, {rows.rows} rows ({counts})")
    print(f"read: {cpu:.0f} ms CPU, peak {peak:.1f} MiB")
    print(f"{'target':6} {'writes':>7} {'write floor':>12} {'plan ms':>9} {'peak MiB':>9} "
          f"{'2nd writes':>12} {'2nd ms':>10} {'2nd MiB':>10}")  # fmt: skip
    _row("trakt", rows, trakt_capabilities())
    _row("simkl", rows, SIMKL_CAPABILITIES)


if __name__ == "__main__":
    main()
