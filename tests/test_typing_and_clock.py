"""Strict typing of the entries' runtime data, and the real clock."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from mypy import api as mypy_api

from custom_components.crosswatch.api.clock import SystemClock

ROOT = Path(__file__).resolve().parents[1]

# Every way the glue reaches an entry's runtime data, written as the glue writes it.
PROBE = """
from homeassistant.core import HomeAssistant

from custom_components.crosswatch.data import (
    crosswatch_entries, crosswatch_entry, loaded_entries, require_loaded_entry,
)


def probe(hass: HomeAssistant) -> None:
    for entry in loaded_entries(hass):
        data = entry.runtime_data
        print(data.pair_runners["x"].title, data.scrobble, data.coordinator.data)
        print(data.account.clients, data.account.metadata, data.account.sync_side())
    for entry in crosswatch_entries(hass):
        print(entry.runtime_data.service)
    one = crosswatch_entry(hass, "x") or require_loaded_entry(hass, "x")
    print(one.runtime_data.pair_runners, one.runtime_data.scrobble)
"""


def test_runtime_data_has_no_any(tmp_path: Path) -> None:
    """``--disallow-any-expr`` refuses every expression typed ``Any``: none reaches the glue."""
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    out, err, status = mypy_api.run(
        [
            "--strict",
            "--disallow-any-expr",
            "--follow-imports=silent",
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(probe),
        ]
    )
    assert status == 0, out + err


def test_system_clock_tells_real_time_and_sleeps_on_the_loop() -> None:
    clock = SystemClock()
    before = time.time()
    assert before <= clock.time() <= time.time()

    async def nap() -> float:
        started = time.monotonic()
        await clock.sleep(0.02)
        return time.monotonic() - started

    assert asyncio.run(nap()) >= 0.02
