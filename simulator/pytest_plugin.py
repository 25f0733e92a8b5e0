"""Pytest fixtures: ``sim`` (an entered ``Simulator``, seed ``tiny``) and ``sim_clock``.

Enable with ``pytest_plugins = ["simulator.pytest_plugin"]`` in the rootdir conftest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import pytest_asyncio

from .clock import ManualClock
from .testing import Simulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
def sim_clock() -> ManualClock:
    """The clock shared by the simulator and the clients under test."""
    return ManualClock()


@pytest_asyncio.fixture
async def sim(sim_clock: ManualClock, request: pytest.FixtureRequest) -> AsyncIterator[Simulator]:
    """An entered ``Simulator`` (seed ``tiny``) sharing ``sim_clock``."""
    # pytest-socket (pulled in by pytest-homeassistant-custom-component) blocks socket creation;
    # its ``socket_enabled`` fixture lifts that while 127.0.0.1-only stays enforced.
    if "socket_enabled" in request.fixturenames or _has_fixture(request, "socket_enabled"):
        request.getfixturevalue("socket_enabled")
    async with Simulator(seed="tiny", clock=sim_clock) as simulator:
        yield simulator


def _has_fixture(request: pytest.FixtureRequest, name: str) -> bool:
    try:
        request._fixturemanager.getfixturedefs(name, request.node)  # noqa: SLF001
    except Exception:  # noqa: BLE001 - internal API; fall back to "not available"
        return False
    return bool(request._fixturemanager.getfixturedefs(name, request.node))  # noqa: SLF001
