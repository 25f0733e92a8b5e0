"""The browser test's fixtures: Debian's chromium, the simulator and a real Home Assistant."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from .harness import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Process,
    environment,
    free_port,
    keep_logs,
    prepare_config,
    start_home_assistant,
    start_simulator,
)

# Generous: the frontend loads a few megabytes of JavaScript on two busy cores.
PAGE_TIMEOUT_MS = 60_000


@dataclass(frozen=True, slots=True)
class Stack:
    """The running simulator and Home Assistant, with a session to reach both."""

    sim_url: str
    ha_url: str
    work: Path
    session: aiohttp.ClientSession


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's outcome on the test, so fixtures know whether to keep the logs."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(request.node, f"report_{when}", None) is not None
        and getattr(request.node, f"report_{when}").failed
        for when in ("setup", "call")
    )


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium; without it the test is skipped, except on CI where it must run."""
    if not CHROMIUM.is_file():
        reason = f"no {CHROMIUM}: scripts/setup installs Debian's chromium when run as root"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser test")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def stack(
    tmp_path: Path, request: pytest.FixtureRequest, socket_enabled: None
) -> AsyncIterator[Stack]:
    """The simulator and Home Assistant as subprocesses; both stopped whatever happens.

    ``socket_enabled`` (pytest-socket) lets this test open sockets; 127.0.0.1 stays the only host.
    """
    processes: list[Process] = []
    try:
        async with aiohttp.ClientSession() as session:
            sim_url = await start_simulator(tmp_path, environment(), processes)
            port = free_port()
            prepare_config(tmp_path / "config")
            ha_url = await start_home_assistant(
                tmp_path / "config", port, environment(sim_url), session, processes
            )
            yield Stack(sim_url, ha_url, tmp_path, session)
    finally:
        for process in reversed(processes):
            await process.stop()
        if _failed(request):
            kept = keep_logs(tmp_path, "e2e")
            print("kept for debugging:", *map(str, kept))  # noqa: T201


@pytest.fixture
async def page(chromium: Path, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh chromium page (temporary profile), sized like a laptop screen.

    After a failure the page as it was is kept as ``artifacts/e2e-failure.png``.
    """
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(PAGE_TIMEOUT_MS)
            expect.set_options(timeout=PAGE_TIMEOUT_MS)
            page = await context.new_page()
            yield page
            if _failed(request):
                await page.screenshot(path=ARTIFACTS / "e2e-failure.png")
        finally:
            await browser.close()
