"""The clock every client and planner uses, so tests can move time without sleeping."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Wall-clock time and sleeping, injectable for tests."""

    def time(self) -> float:
        """Return the current unix time in seconds."""

    async def sleep(self, seconds: float) -> None:
        """Wait for ``seconds``."""


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        """Return the current unix time in seconds."""
        return time.time()

    async def sleep(self, seconds: float) -> None:
        """Wait for ``seconds`` on the event loop."""
        await asyncio.sleep(seconds)
