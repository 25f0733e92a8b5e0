"""Watch statistics: the CPU of counting a whole history (a backfill) and of one new play.

``WatchStats.async_update`` folds the plays it read into the ledger and builds the recorder's
rows (``watch_stats._fold``). A backfill of tens of thousands of plays takes tenths of a second,
so the fold runs in Home Assistant's executor; this prints how long it takes here, per history
size, and for the hourly update after it (one new play). Histories are generated
deterministically: one play every 3.1 hours, a third of them movies, 45-minute runtimes.

Run: ``.venv/bin/python benchmarks/watch_stats.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.sync.stats import Ledger, WatchedPlay
from custom_components.crosswatch.watch_stats import _fold

START = 1_600_000_000.0
SIZES = (1_000, 10_000, 20_000, 50_000)
REPEAT = 5


def history(size: int) -> list[WatchedPlay]:
    return [
        WatchedPlay(
            key=f"tmdb:{n % 3_000}",
            kind=MediaKind.MOVIE if n % 3 == 0 else MediaKind.EPISODE,
            watched_at=START + n * 3.1 * 3600,
            minutes=45,
        )
        for n in range(size)
    ]


def median_ms(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    print(f"{'plays':>8} {'backfill fold':>14} {'rows':>7} {'one new play':>13}")
    for size in SIZES:
        plays = history(size)
        counted, imports, _ = _fold(Ledger(), plays)
        rows = sum(len(r) for r in imports.values())
        backfill = median_ms(partial(_fold, Ledger(), plays))
        new = [WatchedPlay(key="tmdb:1", kind=MediaKind.EPISODE, watched_at=START + size * 4e4)]
        update = median_ms(partial(_fold, counted, new))
        print(f"{size:>8} {backfill:>11.1f} ms {rows:>7} {update:>10.1f} ms")


if __name__ == "__main__":
    main()
