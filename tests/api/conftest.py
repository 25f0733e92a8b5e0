"""Fixtures for the API client tests: the simulator plus small scripted aiohttp servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from simulator.clock import ManualClock
from simulator.pytest_plugin import sim, sim_clock  # noqa: F401

type Script = Callable[[web.Request], Any]


@dataclass
class ScriptedServer:
    """An aiohttp server on 127.0.0.1 whose answers the test scripts per call."""

    url: str = ""
    script: list[Script] = field(default_factory=list)
    seen: list[dict[str, Any]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def hang(self, _request: web.Request) -> web.Response:
        """Answer only when the test ends: a server that never replies in time."""
        await self.release.wait()
        return web.json_response({})

    def then(self, *handlers: Script) -> None:
        self.script.extend(handlers)


@pytest_asyncio.fixture
async def scripted(socket_enabled: None) -> AsyncIterator[ScriptedServer]:
    server = ScriptedServer()

    async def handle(request: web.Request) -> web.StreamResponse:
        server.seen.append(
            {
                "method": request.method,
                "path": request.path,
                "query": dict(request.query),
                "headers": dict(request.headers),
                "body": await request.text(),
            }
        )
        step = server.script.pop(0) if server.script else (lambda _r: web.json_response({}))
        result = step(request)
        if asyncio.iscoroutine(result):
            result = await result
        return result  # type: ignore[no-any-return]

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    server.release.set()
    await runner.cleanup()


@pytest_asyncio.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()
