"""Contract tests: control API, request log, counters, faults, reset, approve page, clock."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from simulator.catalogue import build_catalogue, resolve_counts
from simulator.clock import EPOCH_START, ManualClock, iso_ms, iso_s
from simulator.seed import make_plan
from simulator.testing import Simulator

from .helpers import plex_headers, trakt_headers


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_manual_clock() -> None:
    clock = ManualClock()
    assert clock.time() == EPOCH_START
    assert iso_ms(clock.time()) == "2026-11-01T12:00:00.000Z"
    assert iso_s(clock.time()) == "2026-11-01T12:00:00Z"
    await clock.sleep(2.5)
    clock.advance(1)
    assert clock.time() == EPOCH_START + 3.5
    with pytest.raises(ValueError):
        clock.advance(-1)


async def test_shared_clock(sim: Simulator, sim_clock: ManualClock) -> None:
    assert sim.clock is sim_clock
    assert await sim.advance(10) == EPOCH_START + 10
    assert sim_clock.time() == EPOCH_START + 10


async def test_request_log_and_counts(sim: Simulator, http: aiohttp.ClientSession) -> None:
    for _ in range(2):
        async with http.get(sim.url("trakt") + "/sync/watchlist/movies", headers=trakt_headers()):
            pass
    async with http.get(sim.url("pms") + "/identity", headers=plex_headers()):
        pass
    counts = await sim.counts()
    assert counts == {"trakt": {"GET /sync/watchlist/{type}": 2}, "pms": {"GET /identity": 1}}
    log = await sim.requests(service="trakt")
    assert [e["path"] for e in log] == ["/trakt/sync/watchlist/movies"] * 2
    assert log[0]["status"] == 200
    assert await sim.requests(route="GET /identity")
    await sim.clear_requests()
    assert await sim.counts() == {}


async def test_status_fault_for_n_requests(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = sim.url("trakt") + "/sync/watchlist"
    await sim.fault(
        "trakt",
        "GET /sync/watchlist",
        status=503,
        count=2,
        headers={"Retry-After": "30"},
        body={"error": "down"},
    )
    for _ in range(2):
        async with http.get(url, headers=trakt_headers()) as resp:
            assert resp.status == 503
            assert resp.headers["Retry-After"] == "30"
            assert await resp.json() == {"error": "down"}
    async with http.get(url, headers=trakt_headers()) as resp:
        assert resp.status == 200
    log = await sim.requests("trakt")
    assert [e["fault"] for e in log] == ["status", "status", None]


async def test_truncated_html_revoke_faults(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = sim.url("trakt") + "/sync/watchlist"
    await sim.fault("trakt", "GET /sync/*", kind="truncated", count=1)
    async with http.get(url, headers=trakt_headers()) as resp:
        assert resp.status == 200
        with pytest.raises(ValueError):
            await resp.json()
    await sim.fault("trakt", "*", kind="html", status=502, count=1)
    async with http.get(url, headers=trakt_headers()) as resp:
        assert resp.status == 502
        assert resp.content_type == "text/html"
    await sim.fault("pms", "*", kind="revoke", count=1)
    token = plex_headers()["X-Plex-Token"]
    async with http.get(sim.url("pms") + "/library/sections", headers=plex_headers(token)) as r:
        assert r.status == 401
    async with http.get(sim.url("plex.tv") + "/api/v2/user", headers=plex_headers(token)) as r:
        assert r.status == 401  # the account token is gone everywhere


async def test_timeout_fault_hangs_until_client_gives_up(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    await sim.fault("tmdb", "*", kind="timeout")
    with pytest.raises(asyncio.TimeoutError):
        async with http.get(
            sim.url("tmdb") + "/configuration", timeout=aiohttp.ClientTimeout(total=0.2)
        ):
            pass
    await sim.clear_faults()


async def test_drop_fault_on_http(sim: Simulator, http: aiohttp.ClientSession) -> None:
    await sim.fault("simkl", "*", kind="drop")
    with pytest.raises(aiohttp.ClientError):
        async with http.get(sim.url("simkl") + "/sync/activities"):
            pass
    await sim.clear_faults()


async def test_latency_fault(sim: Simulator, http: aiohttp.ClientSession) -> None:
    await sim.fault("pms", "GET /identity", latency=0.05, count=1)
    loop = asyncio.get_running_loop()
    start = loop.time()
    async with http.get(sim.url("pms") + "/identity", headers=plex_headers()) as resp:
        assert resp.status == 200
    assert loop.time() - start >= 0.05


async def test_reset_and_explicit_counts(sim: Simulator) -> None:
    info = await sim.reset({"movies": 30, "shows": 3, "watchlist": 4})
    assert info["counts"]["movies"] == 30
    assert info["movies"] == 30 + 8  # plus the hand-written odd cases (one anime film)
    assert len(sim.state.plex.watchlists["owner"]) == 4
    with pytest.raises(RuntimeError):
        await sim.reset("gigantic")


async def test_approve_page(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.post(sim.url("plex.tv") + "/api/v2/pins", headers=plex_headers(None)) as r:
        pin = await r.json()
    async with http.get(sim.base_url + "/_sim/approve") as resp:
        page = await resp.text()
    assert pin["code"] in page
    async with http.post(
        sim.base_url + "/_sim/approve", data={"what": "plex", "id": str(pin["id"])}
    ) as resp:
        assert resp.status == 200  # redirected back to the page
    assert sim.state.plex.pins[pin["id"]].token is not None


def test_seed_with_every_movie_watched_still_fills_the_watchlist_with_shows() -> None:
    counts = resolve_counts({"movies": 150, "movie_plays": 300, "watchlist": 40})
    cat = build_catalogue(counts)
    plan = make_plan(cat, counts)
    watched = {id(item) for item, _ in plan.plex_plays}
    listed = [item for item, _ in plan.plex_watchlist]
    assert 0 < len(listed) <= 40
    assert all(id(item) not in watched for item in listed)
    assert {type(item).__name__ for item in listed} == {"Show"}
