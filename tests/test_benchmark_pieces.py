"""The pieces of ``benchmarks/ha_scale.py`` work (the benchmark itself runs on demand, not here)."""

from __future__ import annotations

import asyncio
import gc

from benchmarks.ha_scale import (
    FULL_COLLECTION,
    GcPauses,
    LagProbe,
    _pair_summaries,
    at_rest,
    percentile,
)


def test_percentile_is_the_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]
    assert percentile(samples, 99) == 99.0
    assert percentile(samples, 50) == 50.0
    assert percentile([], 99) == 0.0


def test_at_rest_counts_what_is_held_and_only_that() -> None:
    before, _ = at_rest()
    held = [[n] for n in range(10_000)]  # 10,001 tracked lists
    during, _ = at_rest()
    del held
    after, _ = at_rest()
    assert during - before >= 10_001
    assert after < before + 100


def test_pair_summaries_are_found_in_any_response_shape() -> None:
    one = {"pair": "p1", "result": "ok"}
    two = {"pair": "p2", "result": "failed"}
    assert _pair_summaries({"pairs": {"p1": one, "p2": two}}) == [one, two]
    assert _pair_summaries([one]) == [one]
    assert _pair_summaries("nothing") == []


async def test_lag_probe_records_wake_ups() -> None:
    probe = LagProbe()
    probe.start()
    while len(probe.samples) < 3:  # noqa: ASYNC110 - the probe's own task fills it
        await asyncio.sleep(0.005)
    await probe.stop()
    taken = probe.take()
    assert len(taken) >= 3
    assert len(probe.last_spans) == len(taken)
    assert probe.samples == []


def test_gc_pauses_count_full_collections() -> None:
    pauses = GcPauses()
    pauses.install()
    try:
        gc.collect()
    finally:
        gc.callbacks.remove(pauses._callback)
    longest, generation, full = pauses.take()
    assert (generation, full) == (FULL_COLLECTION, 1)
    assert longest >= 0.0
    assert pauses.pauses == []
