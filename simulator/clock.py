"""Clocks for the simulator.

Tests share one ``ManualClock`` between the simulator and the API clients: a client that sleeps
out a ``Retry-After`` moves the simulator's time too, so nothing ever sleeps for real.
``python -m simulator`` uses ``RealClock`` (wall time plus an offset that control calls add to).
"""

from __future__ import annotations

import asyncio
import time as _time
from datetime import UTC, datetime, timedelta, timezone
from typing import Protocol

# Fixed start so that seeded data and expiry times are reproducible.
EPOCH_START = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC).timestamp()


class Clock(Protocol):
    """What the simulator (and our clients) need from a clock."""

    def time(self) -> float: ...

    def advance(self, seconds: float) -> None: ...

    async def sleep(self, seconds: float) -> None: ...


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = EPOCH_START) -> None:
        self._now = float(start)

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            msg = "a clock cannot go backwards"
            raise ValueError(msg)
        self._now += seconds

    async def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class RealClock:
    """Wall-clock time plus an offset moved by ``advance`` (for the standalone server)."""

    def __init__(self) -> None:
        self._offset = 0.0

    def time(self) -> float:
        return _time.time() + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def iso_ms(ts: float) -> str:
    """Trakt's timestamp form: ``2014-09-01T09:10:11.000Z``."""
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def ms_floor(ts: float) -> float:
    """``ts`` cut to the millisecond ``iso_ms`` shows, so that it parses back to the same float."""
    return (round(ts * 1_000_000) // 1000) / 1000


def iso_s(ts: float) -> str:
    """SIMKL's and plex.tv's timestamp form: ``2014-09-01T09:10:11Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_offset(ts: float, *, hours: int) -> str:
    """``ts`` at a fixed UTC offset, to the second (SIMKL episode dates: ``...T00:00:00-05:00``)."""
    zone = timezone(timedelta(hours=hours))
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="seconds")


def parse_iso(value: str) -> float:
    """Parse the ISO forms clients send (``Z`` or offset, with or without fractions)."""
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
