"""Contract tests: the simulated Trakt and SIMKL title searches.

Shapes: tests/fixtures/real/trakt/search_text_movie.json, search_text_show.json and
tests/fixtures/real/simkl/search_text_movie.json, search_text_anime_by_url.json.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from simulator.testing import Simulator

from .helpers import SIMKL_PARAMS, UA, trakt_headers


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def trakt(
    sim: Simulator, http: aiohttp.ClientSession, path: str, **params: str
) -> tuple[int, Any, Any]:
    headers = trakt_headers(token=None)
    async with http.get(sim.url("trakt") + path, params=params, headers=headers) as resp:
        body = await resp.json() if resp.status == 200 else None
        return resp.status, body, resp.headers


async def simkl(
    sim: Simulator, http: aiohttp.ClientSession, path: str, **params: str
) -> tuple[int, Any]:
    async with http.get(
        sim.url("simkl") + path, params={**SIMKL_PARAMS, **params}, headers=UA
    ) as resp:
        return resp.status, await resp.json()


async def test_trakt_finds_films_by_title_best_first(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    status, rows, headers = await trakt(sim, http, "/search/movie", query="harbor")
    assert status == 200
    assert {row["type"] for row in rows} == {"movie"}
    assert len(rows) == 5
    assert headers["X-Pagination-Item-Count"] == "5"
    silent = next(row for row in rows if row["movie"]["title"] == "The Silent Harbor")
    assert silent["movie"]["year"] == 1950
    assert set(silent["movie"]["ids"]) == {"trakt", "slug", "imdb", "tmdb"}
    status, rows, _ = await trakt(sim, http, "/search/movie", query="the silent harbor")
    assert [row["movie"]["title"] for row in rows] == ["The Silent Harbor"]


async def test_trakt_filters_by_years_and_searches_several_types(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    _, rows, _ = await trakt(sim, http, "/search/movie", query="harbor", years="1960-1975")
    assert [row["movie"]["year"] for row in rows] == [1964, 1971]
    _, rows, _ = await trakt(sim, http, "/search/movie,show", query="HARBOR", limit="50")
    assert {row["type"] for row in rows} == {"movie", "show"}
    assert {row["show"]["title"] for row in rows if row["type"] == "show"} == {
        "Frozen Harbor",
        "Hollow Harbor",
    }
    status, _, _ = await trakt(sim, http, "/search/movie")
    assert status == 400


async def test_trakt_exact_title_comes_first(sim: Simulator, http: aiohttp.ClientSession) -> None:
    _, rows, _ = await trakt(sim, http, "/search/show", query="breaking bad")
    assert rows[0]["show"]["title"] == "Breaking Bad"
    assert rows[0]["score"] > 0
    assert rows[0]["show"]["ids"]["tvdb"] == 81189


async def test_simkl_finds_films_series_and_anime_apart(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    status, rows = await simkl(sim, http, "/search/movie", q="inception")
    assert status == 200
    assert rows == [
        {
            "title": "Inception",
            "year": 2010,
            "poster": rows[0]["poster"],
            "endpoint_type": "movies",
            "ids": {"simkl_id": 472214, "slug": rows[0]["ids"]["slug"], "tmdb": "27205"},
        }
    ]
    _, rows = await simkl(sim, http, "/search/tv", q="hunter")
    assert rows == []  # Hunter x Hunter is anime
    _, rows = await simkl(sim, http, "/search/anime", q="hunter")
    assert [(r["title"], r["endpoint_type"], r["type"]) for r in rows] == [
        ("Hunter x Hunter", "anime", "tv")
    ]
    _, rows = await simkl(sim, http, "/search/anime", q="violet")
    assert [(r["endpoint_type"], r["type"]) for r in rows] == [("anime", "movie")]
    _, rows = await simkl(sim, http, "/search/tv", q="breaking")
    assert [r["title"] for r in rows] == ["Breaking Bad"]
    assert rows[0]["endpoint_type"] == "tv"


async def test_simkl_search_needs_a_query_and_the_client_id(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    status, body = await simkl(sim, http, "/search/movie")
    assert status == 400
    assert body["error"] == "empty_field"
    async with http.get(sim.url("simkl") + "/search/movie", params={"q": "x"}, headers=UA) as r:
        assert r.status == 412
