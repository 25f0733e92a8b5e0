"""Contract tests: SIMKL and TMDb."""

from __future__ import annotations

import io
import re

import aiohttp
import pytest
from PIL import Image

from simulator import credentials as cred
from simulator.testing import Simulator

from .helpers import SIMKL_PARAMS, UA, simkl_headers

ISO_S = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_simkl_required_params(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = sim.url("simkl") + "/sync/activities"
    async with http.get(url, headers=simkl_headers()) as resp:
        assert resp.status == 412
        assert (await resp.json())["error"] == "client_id_failed"
    params = {k: v for k, v in SIMKL_PARAMS.items() if k != "app-version"}
    async with http.get(url, params=params, headers=simkl_headers()) as resp:
        assert resp.status == 400
        body = await resp.json()
    assert set(body) == {"error", "code", "message"}
    async with http.get(url, params=SIMKL_PARAMS, headers=simkl_headers("bad")) as resp:
        assert resp.status == 401
    header_alias = {**simkl_headers(), "simkl-api-key": cred.SIMKL_CLIENT_ID}
    params = {k: v for k, v in SIMKL_PARAMS.items() if k != "client_id"}
    async with http.get(url, params=params, headers=header_alias) as resp:
        assert resp.status == 200
        acts = await resp.json()
    assert ISO_S.match(acts["all"])
    assert set(acts) == {"all", "settings", "tv_shows", "anime", "movies"}
    assert "watching" not in acts["movies"]


async def test_simkl_pin_flow(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = sim.url("simkl")
    async with http.get(f"{base}/oauth/pin", params=SIMKL_PARAMS, headers=UA) as resp:
        init = await resp.json()
    assert init["result"] == "OK"
    assert init["device_code"] == "DEVICE_CODE"
    assert init["interval"] == 5
    poll = f"{base}/oauth/pin/{init['user_code']}"
    async with http.get(poll, params=SIMKL_PARAMS, headers=UA) as resp:
        assert await resp.json() == {"result": "KO", "message": "Authorization pending"}
    async with http.get(poll, params=SIMKL_PARAMS, headers=UA) as resp:
        assert await resp.json() == {"result": "KO", "message": "Slow down"}
    await sim.approve_simkl_pin(init["user_code"])
    await sim.clock.sleep(5)
    async with http.get(poll, params=SIMKL_PARAMS, headers=UA) as resp:
        done = await resp.json()
    assert done["result"] == "OK"
    async with http.get(poll, params=SIMKL_PARAMS, headers=UA) as resp:
        assert "device_code" in await resp.json()  # consumed: a fresh init body
    async with http.post(
        f"{base}/users/settings", params=SIMKL_PARAMS, headers=simkl_headers(done["access_token"])
    ) as resp:
        assert (await resp.json())["account"]["id"] == cred.SIMKL_USER_ID


async def test_simkl_all_items_string_ids_and_date_from(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    url = sim.url("simkl") + "/sync/all-items"
    async with http.get(
        url,
        params={**SIMKL_PARAMS, "extended": "full", "episode_watched_at": "yes"},
        headers=simkl_headers(),
    ) as resp:
        items = await resp.json()
    assert set(items) <= {"movies", "shows", "anime"}
    movie = items["movies"][0]
    assert set(movie) >= {
        "added_to_watchlist_at",
        "last_watched_at",
        "user_rated_at",
        "user_rating",
        "status",
        "movie",
    }
    assert isinstance(movie["movie"]["ids"]["simkl"], int)
    assert isinstance(movie["movie"]["ids"]["tmdb"], str)
    show = items["shows"][0]
    assert isinstance(show["show"]["ids"]["tvdb"], str)
    assert "watched_episodes_count" in show
    if show["seasons"]:
        assert ISO_S.match(show["seasons"][0]["episodes"][0]["watched_at"])
    assert items["anime"][0]["show"]["ids"]["mal"] == "11061"
    later = "2030-01-01T00:00:00Z"
    async with http.get(
        url, params={**SIMKL_PARAMS, "date_from": later}, headers=simkl_headers()
    ) as resp:
        assert await resp.json() == {}
    async with http.get(
        f"{url}/movies/plantowatch",
        params={**SIMKL_PARAMS, "extended": "simkl_ids_only"},
        headers=simkl_headers(),
    ) as resp:
        rows = (await resp.json())["movies"]
    assert all(r["status"] == "plantowatch" and set(r["movie"]) == {"ids"} for r in rows)


async def test_simkl_lists_history_ratings(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h, p = sim.url("simkl"), simkl_headers(), SIMKL_PARAMS
    body = {
        "movies": [
            {"to": "plantowatch", "ids": {"tmdb": 27205}},
            {"to": "plantowatch", "ids": {"imdb": "tt0000222"}},
        ]
    }
    async with http.post(f"{base}/sync/add-to-list", json=body, params=p, headers=h) as resp:
        out = await resp.json()
    assert out["added"]["movies"] == [{"to": "plantowatch", "ids": {"tmdb": 27205}}]
    assert out["not_found"]["movies"] == [{"ids": {"imdb": "tt0000222"}}]
    rate = {"movies": [{"rating": 9, "ids": {"tmdb": 27205}}]}
    async with http.post(f"{base}/sync/ratings", json=rate, params=p, headers=h) as resp:
        assert (await resp.json())["added"]["movies"] == 1
    async with http.post(f"{base}/sync/ratings/movies/9", params=p, headers=h) as resp:
        rated = await resp.json()
    assert any(
        r["movie"]["title"] == "Inception" and r["user_rating"] == 9 for r in rated["movies"]
    )
    hist = {
        "shows": [
            {
                "ids": {"tvdb": 81189},
                "seasons": [
                    {"number": 1, "episodes": [{"number": 1, "watched_at": "2026-10-01T10:00:00Z"}]}
                ],
            }
        ]
    }
    async with http.post(f"{base}/sync/history", json=hist, params=p, headers=h) as resp:
        assert resp.status == 201
        out = await resp.json()
    assert out["added"]["episodes"] == 1
    assert out["added"]["statuses"][0]["response"]["status"] == "watching"
    # Removing a title also drops its rating.
    rm = {"movies": [{"ids": {"tmdb": 27205}}]}
    async with http.post(f"{base}/sync/history/remove", json=rm, params=p, headers=h) as resp:
        assert (await resp.json())["deleted"]["movies"] == 1
    async with http.post(f"{base}/sync/ratings/movies", params=p, headers=h) as resp:
        rated = await resp.json()
    assert all(r["movie"]["title"] != "Inception" for r in rated.get("movies", []))
    async with http.post(
        f"{base}/sync/watched", json=[{"tvdb": "81189", "type": "show"}], params=p, headers=h
    ) as resp:
        watched = await resp.json()
    assert watched[0]["result"] is True


async def test_simkl_scrobble(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h, p = sim.url("simkl"), simkl_headers(), SIMKL_PARAMS
    movie = {"movie": {"ids": {"imdb": "tt1375666"}}}
    async with http.post(
        f"{base}/scrobble/start", json={**movie, "progress": 12.5}, params=p, headers=h
    ) as resp:
        assert resp.status == 201
        out = await resp.json()
    assert out["id"] == 0
    assert out["movie"]["ids"]["tmdb"] == "27205"
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 50}, params=p, headers=h
    ) as resp:
        assert (await resp.json())["action"] == "pause"
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 90}, params=p, headers=h
    ) as resp:
        out = await resp.json()
    assert out["action"] == "scrobble"
    assert out["id"] > 2**32
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 95}, params=p, headers=h
    ) as resp:
        assert resp.status == 409
        assert set(await resp.json()) == {"watched_at", "expires_at"}


async def test_tmdb_auth_errors_and_details(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = sim.url("tmdb")
    async with http.get(f"{base}/movie/550", params={"api_key": "wrong"}) as resp:
        assert resp.status == 401
        assert await resp.json() == {
            "success": False,
            "status_code": 7,
            "status_message": "Invalid API key: You must be granted a valid key.",
        }
    async with http.get(
        f"{base}/movie/550",
        params={"api_key": cred.TMDB_V3_KEY, "append_to_response": "external_ids"},
    ) as resp:
        movie = await resp.json()
    assert movie["imdb_id"] == "tt0137523"
    assert movie["external_ids"]["imdb_id"] == "tt0137523"
    bearer = {"Authorization": f"Bearer {cred.TMDB_V4_TOKEN}"}
    async with http.get(
        f"{base}/tv/1396", params={"append_to_response": "external_ids"}, headers=bearer
    ) as resp:
        show = await resp.json()
    assert show["name"] == "Breaking Bad"
    assert show["external_ids"]["tvdb_id"] == 81189
    assert "imdb_id" not in show
    async with http.get(f"{base}/movie/1396", headers=bearer) as resp:
        assert (await resp.json())["title"] == "Breaking Point"  # tmdb ids are per type
    async with http.get(f"{base}/movie/424242424", headers=bearer) as resp:
        assert resp.status == 404
        assert (await resp.json())["status_code"] == 34
    async with http.get(
        f"{base}/find/tt0903747", params={"external_source": "imdb_id"}, headers=bearer
    ) as resp:
        found = await resp.json()
    assert [r["id"] for r in found["tv_results"]] == [1396]
    assert found["movie_results"] == []
    ep = sim.item("Breaking Bad", 1, 1)
    async with http.get(
        f"{base}/find/{ep.tvdb}", params={"external_source": "tvdb_id"}, headers=bearer
    ) as resp:
        found = await resp.json()
    assert found["tv_episode_results"][0]["show_id"] == 1396
    async with http.get(
        f"{base}/search/movie", params={"query": "inception", "year": "2010"}, headers=bearer
    ) as resp:
        results = await resp.json()
    assert results["total_results"] == 1
    assert results["results"][0]["id"] == 27205
    async with http.get(f"{base}/search/tv", params={"query": "breaking"}, headers=bearer) as r:
        assert [x["name"] for x in (await r.json())["results"]] == ["Breaking Bad"]
    async with http.get(f"{base}/configuration", headers=bearer) as resp:
        conf = await resp.json()
    assert conf["images"]["secure_base_url"] == "https://image.tmdb.org/t/p/"


async def test_tmdb_rate_limit(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = sim.url("tmdb") + "/configuration"
    params = {"api_key": cred.TMDB_V3_KEY}
    for _ in range(40):
        async with http.get(url, params=params) as resp:
            assert resp.status == 200
    async with http.get(url, params=params) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "1"
        assert (await resp.json())["status_code"] == 25
    await sim.clock.sleep(1)
    async with http.get(url, params=params) as resp:
        assert resp.status == 200


async def test_tmdb_posters_load_from_the_simulated_image_host(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """A poster URL built as TMDb documents (secure_base_url + size + file_path) loads offline."""
    inception = sim.item("Inception")
    params = {"api_key": cred.TMDB_V3_KEY}
    async with http.get(f"{sim.url('tmdb')}/configuration", params=params) as resp:
        images = (await resp.json())["images"]
    async with http.get(f"{sim.url('tmdb')}/movie/{inception.tmdb}", params=params) as resp:
        poster_path = (await resp.json())["poster_path"]
    assert images["secure_base_url"] == "https://image.tmdb.org/t/p/"
    # The simulator stands in for https://image.tmdb.org under /tmdb-image.
    url = f"{sim.url('tmdb-image')}/t/p/w342{poster_path}"
    async with http.get(url) as resp:
        assert resp.status == 200
        assert resp.content_type == "image/jpeg"
        body = await resp.read()
    with Image.open(io.BytesIO(body)) as poster:
        assert (poster.format, poster.size) == ("JPEG", (342, 513))
    for missing in ("w342/simm999999999p.jpg", "w9999" + poster_path, "w342/other.jpg"):
        async with http.get(f"{sim.url('tmdb-image')}/t/p/{missing}") as resp:
            assert resp.status == 404
