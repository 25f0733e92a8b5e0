"""Contract tests: what the SIMKL calendar reads (episode lists, not-aired counts, releases).

Shapes: tests/fixtures/real/simkl/tv_episodes.json, anime_episodes.json,
ratings_by_watchlist.json, movie_summary_full.json (SIMKL's doc examples) and all_items.json
(``not_aired_episodes_count``).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from simulator import credentials as cred
from simulator.catalogue import Movie, Show
from simulator.simkl import Entry
from simulator.testing import Simulator

from .helpers import SIMKL_PARAMS, UA

REAL = Path(__file__).parents[1] / "fixtures" / "real" / "simkl"


def real_rows(name: str) -> list[dict[str, Any]]:
    return json.loads((REAL / name).read_text())["body"]


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def get(
    sim: Simulator, http: aiohttp.ClientSession, path: str, **headers: str
) -> tuple[int, Any]:
    async with http.get(
        sim.url("simkl") + path, params=SIMKL_PARAMS, headers={**UA, **headers}
    ) as resp:
        return resp.status, await resp.json()


def _keys(rows: list[dict[str, Any]], kind: str) -> set[frozenset[str]]:
    return {frozenset(row) for row in rows if row["type"] == kind}


async def test_a_tv_show_lists_every_episode_as_simkl_documents_it(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    odd = sim.item("Odd Anthology")
    assert isinstance(odd, Show)
    status, rows = await get(sim, http, f"/tv/episodes/{odd.simkl}")  # no token needed
    assert status == 200
    real = real_rows("tv_episodes.json")
    assert _keys(rows, "episode") == _keys(real, "episode")
    assert [(row["season"], row["episode"]) for row in rows] == [(1, n) for n in range(1, 7)]
    now = datetime.fromtimestamp(sim.clock.time(), UTC)
    for row in rows:  # an offset like SIMKL's, and "aired" as the date says
        date = datetime.fromisoformat(row["date"])
        assert date.utcoffset() is not None
        assert row["aired"] is (date <= now)
    assert [row["aired"] for row in rows].count(False) == 3


async def test_specials_and_anime_rows_keep_simkl_shapes(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    bad = sim.item("Breaking Bad")
    assert isinstance(bad, Show)
    _, rows = await get(sim, http, f"/tv/episodes/{bad.simkl}")
    assert _keys(rows, "special") == _keys(real_rows("tv_episodes.json"), "special")
    hunter = sim.item("Hunter x Hunter")
    assert isinstance(hunter, Show)
    status, rows = await get(sim, http, f"/anime/episodes/{hunter.simkl}")
    assert status == 200
    assert _keys(rows, "episode") == _keys(real_rows("anime_episodes.json"), "episode")
    # a show asked for under the other kind, or an unknown id, is not found
    assert (await get(sim, http, f"/tv/episodes/{hunter.simkl}"))[0] == 404
    assert (await get(sim, http, f"/anime/episodes/{bad.simkl}"))[0] == 404
    assert (await get(sim, http, "/tv/episodes/123456789"))[0] == 404


async def test_watching_rows_count_unaired_episodes_apart(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    odd = sim.item("Odd Anthology")
    assert isinstance(odd, Show)
    user = sim.state.simkl.users[cred.SIMKL_USER]
    now = sim.clock.time()
    user.entries[odd] = Entry("watching", now - 86400, now - 86400)
    status, body = await get(
        sim,
        http,
        "/sync/all-items/shows/watching",
        Authorization=f"Bearer {cred.SIMKL_TOKEN}",
    )
    assert status == 200
    row = next(r for r in body["shows"] if r["show"]["title"] == "Odd Anthology")
    real = json.loads((REAL / "all_items.json").read_text())["body"]["shows"][0]
    assert set(row) >= set(real) - {"memo", "seasons", "next_to_watch_info"}
    assert (row["total_episodes_count"], row["not_aired_episodes_count"]) == (3, 3)
    assert row["next_to_watch"] == "S01E01"


async def test_release_status_of_planned_films_and_a_film_summary(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    user = sim.state.simkl.users[cred.SIMKL_USER]
    planned = [i for i, e in user.entries.items() if e.status == "plantowatch"]
    film = next(i for i in planned if isinstance(i, Movie))
    now = sim.clock.time()
    film.released = datetime.fromtimestamp(now + 20 * 86400, UTC).date().isoformat()
    token = {"Authorization": f"Bearer {cred.SIMKL_TOKEN}"}
    path = "/ratings/movies?user_watchlist=plantowatch&fields=release_status,year"
    async with http.get(sim.url("simkl") + path, params=SIMKL_PARAMS, headers={**UA, **token}) as r:
        assert r.status == 200
        rows = await r.json()
    real = real_rows("ratings_by_watchlist.json")
    assert {"id", "type", "release_status", "release_year"} <= set(real[0])
    assert {frozenset(row) for row in rows} == {
        frozenset({"id", "type", "release_status", "release_year"})
    }
    assert {row["type"] for row in rows} == {"movie"}
    assert len(rows) == sum(1 for i in planned if isinstance(i, Movie))
    assert next(r for r in rows if r["id"] == film.simkl)["release_status"] == "upcoming"
    # the token is required
    async with http.get(sim.url("simkl") + path, params=SIMKL_PARAMS, headers=UA) as r:
        assert r.status == 401

    status, body = await get(sim, http, f"/movies/{film.simkl}?extended=full")
    assert status == 200
    summary = json.loads((REAL / "movie_summary_full.json").read_text())["body"]
    assert set(body) <= set(summary)
    assert {"title", "year", "type", "ids", "released", "runtime", "overview"} <= set(body)
    assert body["released"] == film.released
    assert (await get(sim, http, "/movies/987654321"))[0] == 404
