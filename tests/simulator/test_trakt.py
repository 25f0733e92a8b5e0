"""Contract tests: the simulated Trakt API."""

from __future__ import annotations

import json
import re

import aiohttp
import pytest

from simulator import credentials as cred
from simulator.testing import Simulator

from .helpers import UA, trakt_headers

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_headers_are_checked(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = sim.url("trakt") + "/sync/watchlist"
    no_ua = {k: v for k, v in trakt_headers().items() if k != "User-Agent"}
    async with http.get(url, headers=no_ua, skip_auto_headers=["User-Agent"]) as resp:
        assert resp.status == 403
        assert resp.content_type == "text/html"
    async with http.get(url, headers={**trakt_headers(), "trakt-api-key": "nope"}) as resp:
        assert resp.status == 403
    async with http.get(url, headers=trakt_headers(token=None)) as resp:
        assert resp.status == 401
    async with http.get(url, headers=trakt_headers(token="bogus")) as resp:
        assert resp.status == 401
    headers = {**trakt_headers(), "Content-Type": "text/plain"}
    async with http.post(url, data="{}", headers=headers) as resp:
        assert resp.status == 412
    async with http.get(url, headers=trakt_headers()) as resp:
        assert resp.status == 200


async def test_device_flow_statuses(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = sim.url("trakt")
    async with http.post(
        f"{base}/oauth/device/code", json={"client_id": cred.TRAKT_CLIENT_ID}, headers=UA
    ) as resp:
        assert resp.status == 200
        code = await resp.json()
    assert set(code) == {"device_code", "user_code", "verification_url", "expires_in", "interval"}
    assert code["expires_in"] == 600
    assert code["interval"] == 5
    poll = {
        "code": code["device_code"],
        "client_id": cred.TRAKT_CLIENT_ID,
        "client_secret": cred.TRAKT_CLIENT_SECRET,
    }

    async def status() -> int:
        async with http.post(f"{base}/oauth/device/token", json=poll, headers=UA) as resp:
            return resp.status

    assert await status() == 400  # pending
    assert await status() == 429  # polled faster than interval
    await sim.clock.sleep(5)
    assert await status() == 400
    await sim.approve_trakt_device(code["user_code"])
    await sim.clock.sleep(5)
    async with http.post(f"{base}/oauth/device/token", json=poll, headers=UA) as resp:
        assert resp.status == 200
        body = await resp.json()
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "created_at",
    }
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 604800
    assert body["created_at"] == int(sim.clock.time())
    await sim.clock.sleep(5)
    assert await status() == 409  # already used
    async with http.post(
        f"{base}/oauth/device/token", json={**poll, "code": "nope"}, headers=UA
    ) as resp:
        assert resp.status == 404


async def test_device_code_expiry_and_denial(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = sim.url("trakt")
    codes = []
    for _ in range(2):
        async with http.post(
            f"{base}/oauth/device/code", json={"client_id": cred.TRAKT_CLIENT_ID}, headers=UA
        ) as resp:
            codes.append(await resp.json())
    await sim.approve_trakt_device(codes[0]["user_code"], deny=True)
    poll = {"client_id": cred.TRAKT_CLIENT_ID, "client_secret": cred.TRAKT_CLIENT_SECRET}
    async with http.post(
        f"{base}/oauth/device/token", json={**poll, "code": codes[0]["device_code"]}, headers=UA
    ) as resp:
        assert resp.status == 418
    await sim.advance(601)
    async with http.post(
        f"{base}/oauth/device/token", json={**poll, "code": codes[1]["device_code"]}, headers=UA
    ) as resp:
        assert resp.status == 410


async def test_token_expiry_and_single_use_refresh(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base = sim.url("trakt")
    pair = await sim.trakt_token()
    async with http.get(f"{base}/users/settings", headers=trakt_headers(pair["access_token"])) as r:
        assert r.status == 200
        settings = await r.json()
    assert settings["user"]["username"] == cred.TRAKT_USER
    assert settings["limits"]["watchlist"]["item_count"] == 250
    await sim.advance(604800)
    async with http.get(f"{base}/users/settings", headers=trakt_headers(pair["access_token"])) as r:
        assert r.status == 401
    refresh = {
        "refresh_token": pair["refresh_token"],
        "client_id": cred.TRAKT_CLIENT_ID,
        "client_secret": cred.TRAKT_CLIENT_SECRET,
        "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
        "grant_type": "refresh_token",
    }
    async with http.post(f"{base}/oauth/token", json=refresh, headers=UA) as resp:
        assert resp.status == 200
        new = await resp.json()
    assert new["refresh_token"] != pair["refresh_token"]
    assert new["access_token"] != pair["access_token"]
    async with http.post(f"{base}/oauth/token", json=refresh, headers=UA) as resp:
        assert resp.status == 400  # single use
        assert (await resp.json())["error"] == "invalid_grant"
    async with http.get(f"{base}/users/settings", headers=trakt_headers(new["access_token"])) as r:
        assert r.status == 200
    revoke = {
        "token": new["access_token"],
        "client_id": cred.TRAKT_CLIENT_ID,
        "client_secret": cred.TRAKT_CLIENT_SECRET,
    }
    async with http.post(f"{base}/oauth/revoke", json=revoke, headers=UA) as resp:
        assert resp.status == 200
        assert await resp.json() == {}
    async with http.get(f"{base}/users/settings", headers=trakt_headers(new["access_token"])) as r:
        assert r.status == 401


async def test_watchlist_roundtrip_and_activities(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    async with http.get(f"{base}/sync/last_activities", headers=h) as resp:
        before = await resp.json()
    assert ISO_MS.match(before["all"])
    assert set(before["movies"]) >= {"watched_at", "rated_at", "watchlisted_at", "paused_at"}
    async with http.get(f"{base}/sync/watchlist", headers=h) as resp:
        rows = await resp.json()
        assert resp.headers["X-Sort-By"] == "rank"
        assert "X-Pagination-Page" not in resp.headers  # pagination optional
    assert rows
    row = rows[0]
    assert set(row) == {"rank", "id", "listed_at", "notes", "type", row["type"]}
    assert ISO_MS.match(row["listed_at"])
    await sim.clock.sleep(60)
    body = {
        "movies": [{"ids": {"tmdb": 27205}}, {"ids": {"imdb": "tt0000111"}}],
        "shows": [{"ids": {"tvdb": 81189}}],
    }
    async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
        assert resp.status == 201
        out = await resp.json()
    assert out["added"] == {"movies": 1, "shows": 1, "seasons": 0, "episodes": 0}
    assert out["existing"] == {"movies": 0, "shows": 0, "seasons": 0, "episodes": 0}
    assert out["not_found"]["movies"] == [{"ids": {"imdb": "tt0000111"}}]
    assert out["list"]["item_count"] == len(rows) + 2
    async with http.get(f"{base}/sync/last_activities", headers=h) as resp:
        after = await resp.json()
    assert after["watchlist"]["updated_at"] > before["watchlist"]["updated_at"]
    assert after["all"] > before["all"]
    async with http.get(f"{base}/sync/watchlist/movies", headers=h) as resp:
        movies = await resp.json()
    inception = [r for r in movies if r["movie"]["ids"]["tmdb"] == 27205]
    assert inception[0]["movie"] == {
        "title": "Inception",
        "year": 2010,
        "ids": {"trakt": 16662, "slug": "inception-2010", "imdb": "tt1375666", "tmdb": 27205},
    }
    await sim.clock.sleep(1)
    async with http.post(f"{base}/sync/watchlist/remove", json=body, headers=h) as resp:
        assert resp.status == 200
        out = await resp.json()
    assert out["deleted"] == {"movies": 1, "shows": 1, "seasons": 0, "episodes": 0}


async def test_watchlist_limit_420(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    current = len(sim.state.trakt.users[cred.TRAKT_USER].watchlist)
    await sim.set_trakt_user(watchlist_limit=current + 1)
    body = {"movies": [{"ids": {"tmdb": 27205}}, {"ids": {"tmdb": 550}}]}
    async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
        assert resp.status == 420
        assert resp.headers["X-Account-Limit"] == str(current + 1)
        assert resp.headers["X-VIP-User"] == "false"
        assert resp.headers["X-Upgrade-URL"] == "https://trakt.tv/vip"
    assert len(sim.state.trakt.users[cred.TRAKT_USER].watchlist) == current


async def test_history_no_dedupe_pagination_and_remove(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    body = {
        "movies": [{"watched_at": "2026-10-01T10:00:00.000Z", "ids": {"tmdb": 550}}],
        "shows": [
            {
                "ids": {"tvdb": 81189},
                "seasons": [
                    {
                        "number": 1,
                        "episodes": [{"number": 2, "watched_at": "2026-10-02T10:00:00.000Z"}],
                    }
                ],
            }
        ],
    }
    for _ in range(2):
        async with http.post(f"{base}/sync/history", json=body, headers=h) as resp:
            assert resp.status == 201
            out = await resp.json()
        assert out["added"] == {"movies": 1, "episodes": 1}
        await sim.clock.sleep(1)
    async with http.get(f"{base}/sync/history/movies/432", headers=h) as resp:
        plays = await resp.json()
        assert resp.headers["X-Pagination-Limit"] == "10"
    fight = [p for p in plays if p["watched_at"] == "2026-10-01T10:00:00.000Z"]
    assert len(fight) == 2  # Trakt does not deduplicate
    assert fight[0]["action"] == "watch"
    assert fight[0]["type"] == "movie"
    async with http.get(
        f"{base}/sync/history", params={"limit": "3", "page": "2"}, headers=h
    ) as resp:
        page = await resp.json()
        total = int(resp.headers["X-Pagination-Item-Count"])
        assert resp.headers["X-Pagination-Page"] == "2"
        assert resp.headers["X-Pagination-Page-Count"] == str(-(-total // 3))
    assert len(page) == 3
    async with http.get(
        f"{base}/sync/history/episodes",
        params={"start_at": "2026-10-02T00:00:00.000Z", "end_at": "2026-10-03T00:00:00.000Z"},
        headers=h,
    ) as resp:
        eps = await resp.json()
    assert len(eps) == 2
    assert eps[0]["episode"]["season"] == 1
    assert eps[0]["episode"]["number"] == 2
    assert eps[0]["show"]["ids"]["tvdb"] == 81189
    async with http.post(
        f"{base}/sync/history/remove", json={"ids": [fight[0]["id"], 42]}, headers=h
    ) as resp:
        out = await resp.json()
    assert out["deleted"] == {"movies": 1, "episodes": 0}
    assert out["not_found"]["ids"] == [42]


async def test_watched_and_ratings(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    async with http.get(f"{base}/sync/watched/shows", headers=h) as resp:
        shows = await resp.json()
    assert shows
    assert set(shows[0]) == {"plays", "last_watched_at", "last_updated_at", "show", "seasons"}
    assert shows[0]["seasons"][0]["episodes"][0]["plays"] >= 1
    body = {
        "movies": [
            {"rating": 8, "rated_at": "2026-10-01T10:00:00.000Z", "ids": {"imdb": "tt1375666"}}
        ]
    }
    async with http.post(f"{base}/sync/ratings", json=body, headers=h) as resp:
        assert resp.status == 201
        assert (await resp.json())["added"] == {
            "movies": 1,
            "shows": 0,
            "seasons": 0,
            "episodes": 0,
        }
    async with http.get(f"{base}/sync/ratings/movies/8", headers=h) as resp:
        rated = await resp.json()
    assert {
        "rated_at": "2026-10-01T10:00:00.000Z",
        "rating": 8,
        "type": "movie",
        "movie": {
            "title": "Inception",
            "year": 2010,
            "ids": {"trakt": 16662, "slug": "inception-2010", "imdb": "tt1375666", "tmdb": 27205},
        },
    } in rated
    await sim.clock.sleep(1)
    async with http.post(f"{base}/sync/ratings/remove", json=body, headers=h) as resp:
        assert (await resp.json())["deleted"]["movies"] == 1


async def test_scrobble_rules(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    movie = {"movie": {"ids": {"tmdb": 27205}}}
    async with http.post(
        f"{base}/scrobble/start", json={**movie, "progress": 1.25}, headers=h
    ) as resp:
        assert resp.status == 201
        out = await resp.json()
    assert out["id"] == 0
    assert out["action"] == "start"
    assert out["movie"]["ids"]["trakt"] == 16662
    await sim.clock.sleep(1)
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 0.5}, headers=h
    ) as resp:
        assert resp.status == 422
    await sim.clock.sleep(1)
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 50}, headers=h
    ) as resp:
        assert (await resp.json())["action"] == "pause"
    await sim.clock.sleep(1)
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 95}, headers=h
    ) as resp:
        assert resp.status == 201
        out = await resp.json()
    assert out["action"] == "scrobble"
    assert out["id"] > 2**31
    await sim.clock.sleep(60)
    async with http.post(
        f"{base}/scrobble/stop", json={**movie, "progress": 99}, headers=h
    ) as resp:
        assert resp.status == 409
        body = await resp.json()
    assert set(body) == {"watched_at", "expires_at"}
    assert ISO_MS.match(body["expires_at"])
    episode = {
        "show": {"ids": {"tvdb": 81189}},
        "episode": {"season": 1, "number": 1},
        "progress": 10,
    }
    await sim.clock.sleep(1)
    async with http.post(f"{base}/scrobble/start", json=episode, headers=h) as resp:
        out = await resp.json()
    assert out["episode"]["season"] == 1
    assert out["show"]["title"] == "Breaking Bad"
    await sim.clock.sleep(1)
    async with http.post(
        f"{base}/scrobble/start", json={"movie": {"ids": {"tmdb": 1}}, "progress": 5}, headers=h
    ) as resp:
        assert resp.status == 404
    plays = [
        p
        for p in sim.state.trakt.users[cred.TRAKT_USER].history
        if p.action == "scrobble" and p.item.title == "Inception"
    ]
    assert len(plays) == 1


async def test_rate_limits_post_and_get(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    body = {"movies": [{"ids": {"tmdb": 550}}]}
    async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
        assert resp.status == 201
    async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "1"
        info = json.loads(resp.headers["X-Ratelimit"])
    assert info["name"] == "AUTHED_API_POST_LIMIT"
    assert info["remaining"] == 0
    await sim.clock.sleep(int(resp.headers["Retry-After"]))
    async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
        assert resp.status == 201
    # Another user has their own budget.
    other = (await sim.trakt_token(cred.TRAKT_USER_2))["access_token"]
    async with http.post(f"{base}/sync/watchlist", json=body, headers=trakt_headers(other)) as r:
        assert r.status == 201
    # GET: 1000 per 5 minutes.
    sim.state.trakt.get_window[cred.TRAKT_USER] = (sim.clock.time(), 999)
    async with http.get(f"{base}/sync/watchlist", headers=h) as resp:
        assert resp.status == 200
    async with http.get(f"{base}/sync/watchlist", headers=h) as resp:
        assert resp.status == 429
        info = json.loads(resp.headers["X-Ratelimit"])
        retry = int(resp.headers["Retry-After"])
    assert info == {
        "name": "AUTHED_API_GET_LIMIT",
        "period": 300,
        "limit": 1000,
        "remaining": 0,
        "until": info["until"],
    }
    assert 0 < retry <= 300
    await sim.advance(retry)
    async with http.get(f"{base}/sync/watchlist", headers=h) as resp:
        assert resp.status == 200
    await sim.set_rate_limits(enabled=False)
    for _ in range(3):
        async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
            assert resp.status == 201


async def test_search_and_calendar(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base, h = sim.url("trakt"), trakt_headers()
    async with http.get(f"{base}/search/tmdb/1396", headers=trakt_headers(None)) as resp:
        rows = await resp.json()
        assert resp.headers["X-Pagination-Item-Count"] == "2"
    assert {r["type"] for r in rows} == {"movie", "show"}  # tmdb ids are per type
    assert all(r["score"] is None for r in rows)
    async with http.get(f"{base}/search/tmdb/1396", params={"type": "show"}, headers=h) as resp:
        rows = await resp.json()
    assert [r["show"]["title"] for r in rows] == ["Breaking Bad"]
    async with http.get(f"{base}/search/imdb/tt0000000", headers=h) as resp:
        assert await resp.json() == []
    await sim.clock.sleep(1)
    body = {"shows": [{"ids": {"trakt": 9_100_001}}]}
    async with http.post(f"{base}/sync/watchlist", json=body, headers=h) as resp:
        assert resp.status == 201
    async with http.get(f"{base}/calendars/my/shows/2026-11-01/14", headers=h) as resp:
        rows = await resp.json()
        # HTTP dates, the end the last second of the window (real: trakt/calendars_my_shows.json)
        assert resp.headers["X-Start-Date"] == "Sun, 01 Nov 2026 00:00:00 GMT"
        assert resp.headers["X-End-Date"] == "Sat, 14 Nov 2026 23:59:59 GMT"
    odd = [r for r in rows if r["show"]["title"] == "Odd Anthology"]
    assert len(odd) == 2  # weekly episodes 3 and 4 fall in the window
    assert set(odd[0]) == {"first_aired", "episode", "show"}


async def test_authorize_redirects_with_a_code_that_exchanges_once(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base = sim.url("trakt")
    redirect = "http://127.0.0.1:8123/auth/external/callback"
    params = {
        "response_type": "code",
        "client_id": cred.TRAKT_CLIENT_ID,
        "redirect_uri": redirect,
        "state": "opaque-state",
    }
    async with http.get(f"{base}/oauth/authorize", params=params, allow_redirects=False) as resp:
        assert resp.status == 302
        location = resp.headers["Location"]
    assert location.startswith(redirect + "?")
    query = dict(part.split("=", 1) for part in location.split("?", 1)[1].split("&"))
    assert query["state"] == "opaque-state"
    exchange = {
        "code": query["code"],
        "client_id": cred.TRAKT_CLIENT_ID,
        "client_secret": cred.TRAKT_CLIENT_SECRET,
        "redirect_uri": redirect,
        "grant_type": "authorization_code",
    }
    async with http.post(f"{base}/oauth/token", json=exchange, headers=UA) as resp:
        assert resp.status == 200
        token = await resp.json()
    assert token["token_type"] == "bearer"
    assert token["access_token"] != token["refresh_token"]
    async with http.post(f"{base}/oauth/token", json=exchange, headers=UA) as resp:
        assert resp.status in {400, 401}
        assert (await resp.json())["error"] == "invalid_grant"

    bad = {**params, "client_id": "someone-else"}
    async with http.get(f"{base}/oauth/authorize", params=bad, allow_redirects=False) as resp:
        assert resp.status == 400
