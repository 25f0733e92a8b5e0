"""Contract tests: plex.tv, discover/metadata and the PMS (websocket, playback, webhooks)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from simulator import credentials as cred
from simulator.testing import Simulator

from .helpers import next_frame, plex_headers


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(
    http: aiohttp.ClientSession, url: str, token: str | None = cred.PLEX_SERVER_TOKEN, **params: str
) -> Any:
    async with http.get(url, headers=plex_headers(token), params=params or None) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def test_pin_flow_and_user(sim: Simulator, http: aiohttp.ClientSession) -> None:
    base = sim.url("plex.tv")
    async with http.post(f"{base}/api/v2/pins", headers=plex_headers(None)) as resp:
        assert resp.status == 201
        pin = await resp.json()
    assert len(pin["code"]) == 4
    assert pin["expiresIn"] == 900
    assert pin["authToken"] is None
    async with http.post(f"{base}/api/v2/pins?strong=true", headers=plex_headers(None)) as resp:
        strong = await resp.json()
    assert len(strong["code"]) == 25
    assert strong["expiresIn"] == 1800
    poll = await _get(http, f"{base}/api/v2/pins/{pin['id']}", None)
    assert poll["authToken"] is None
    other_client = plex_headers(None, **{"X-Plex-Client-Identifier": "someone-else"})
    async with http.get(f"{base}/api/v2/pins/{pin['id']}", headers=other_client) as resp:
        assert resp.status == 404
    await sim.approve_plex_pin(pin["id"])
    token = (await _get(http, f"{base}/api/v2/pins/{pin['id']}", None))["authToken"]
    assert token
    user = await _get(http, f"{base}/api/v2/user", token)
    assert user["username"] == cred.PLEX_OWNER_NAME
    assert user["id"] == cred.PLEX_OWNER_ID
    async with http.get(f"{base}/api/v2/user", headers=plex_headers("nope")) as resp:
        assert resp.status == 401
        body = await resp.json()
    assert body["errors"][0]["status"] == 401
    await sim.advance(901)
    async with http.get(f"{base}/api/v2/pins/{pin['id']}", headers=plex_headers(None)) as resp:
        assert resp.status == 404


async def test_resources_point_back_at_pms(sim: Simulator, http: aiohttp.ClientSession) -> None:
    resources = await _get(
        http,
        sim.url("plex.tv") + "/api/v2/resources",
        cred.PLEX_OWNER_TOKEN,
        includeHttps="1",
        includeRelay="1",
    )
    servers = [r for r in resources if "server" in r["provides"]]
    owned = next(s for s in servers if s["owned"])
    assert owned["accessToken"] == cred.PLEX_SERVER_TOKEN
    assert owned["clientIdentifier"] == cred.PMS_MACHINE_ID
    uri = owned["connections"][0]["uri"]
    assert uri == sim.url("pms")
    ident = await _get(http, f"{uri}/identity", None)
    assert ident["MediaContainer"]["machineIdentifier"] == owned["clientIdentifier"]
    shared = [s for s in servers if not s["owned"]]
    assert shared[0]["ownerId"] is not None
    assert shared[0]["sourceTitle"]
    assert any("player" in r["provides"] for r in resources)
    friend = await _get(http, sim.url("plex.tv") + "/api/v2/resources", cred.PLEX_SHARED_TOKEN)
    assert friend[0]["owned"] is False
    assert friend[0]["accessToken"] == cred.PLEX_SHARED_SERVER_TOKEN
    assert friend[0]["sourceTitle"] == cred.PLEX_OWNER_NAME


async def test_pms_xml_without_accept_json(sim: Simulator, http: aiohttp.ClientSession) -> None:
    async with http.get(
        sim.url("pms") + "/library/sections", headers={"X-Plex-Token": cred.PLEX_SERVER_TOKEN}
    ) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/xml"
        text = await resp.text()
    assert text.startswith("<?xml")
    assert '<MediaContainer size="2"' in text
    assert '<Directory key="1" type="movie"' in text
    async with http.get(sim.url("pms") + "/library/sections", headers=plex_headers(None)) as resp:
        assert resp.status == 401


async def test_library_pagination_guids_and_odd_items(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    pms = sim.url("pms")
    sections = await _get(http, f"{pms}/library/sections")
    assert [d["type"] for d in sections["MediaContainer"]["Directory"]] == ["movie", "show"]
    page = await _get(
        http,
        f"{pms}/library/sections/1/all",
        includeGuids="1",
        type="1",
        **{"X-Plex-Container-Start": "2", "X-Plex-Container-Size": "3"},
    )
    mc = page["MediaContainer"]
    assert mc["offset"] == 2
    assert mc["size"] == 3
    assert mc["totalSize"] == len(sim.state.catalogue.movies)
    movies = await _get(http, f"{pms}/library/sections/1/all", includeGuids="1")
    by_title = {m["title"]: m for m in movies["MediaContainer"]["Metadata"]}
    inception = by_title["Inception"]
    assert inception["guid"].startswith("plex://movie/")
    assert {"id": "imdb://tt1375666"} in inception["Guid"]
    assert by_title["Fight Club"]["guid"] == "com.plexapp.agents.imdb://tt0137523?lang=en"
    assert "Guid" not in by_title["Fight Club"]
    assert by_title["Amélie"]["guid"] == "com.plexapp.agents.themoviedb://194?lang=en"
    assert "Guid" not in by_title["Untitled Home Video"]
    assert "year" not in by_title["Untitled Home Video"]
    no_guids = await _get(http, f"{pms}/library/sections/1/all")
    assert all("Guid" not in m for m in no_guids["MediaContainer"]["Metadata"])
    eps = await _get(http, f"{pms}/library/sections/2/all", type="4", includeGuids="1")
    specials = [e for e in eps["MediaContainer"]["Metadata"] if e["parentIndex"] == 0]
    assert specials
    assert specials[0]["grandparentTitle"] == "Breaking Bad"
    parks = [
        e
        for e in eps["MediaContainer"]["Metadata"]
        if e["grandparentTitle"] == "Parks and Recreation"
    ]
    assert parks[0]["guid"] == "com.plexapp.agents.thetvdb://84912/1/1?lang=en"


async def test_episode_metadata_and_grandparent(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    pms = sim.url("pms")
    ep = sim.item("Odd Anthology", 1, 1)
    meta = (await _get(http, f"{pms}/library/metadata/{sim.rating_key(ep)}"))["MediaContainer"]
    row = meta["Metadata"][0]
    assert row["type"] == "episode"
    assert row["index"] == 1
    assert row["parentIndex"] == 1
    assert row["grandparentGuid"].startswith("plex://show/")
    assert {g["id"] for g in row["Guid"]} == {
        f"tmdb://{ep.tmdb}",
        f"tvdb://{ep.tvdb}",
        f"imdb://{ep.imdb}",
    } - {"imdb://None"}
    show = await _get(http, f"{pms}/library/metadata/{row['grandparentRatingKey']}")
    show_row = show["MediaContainer"]["Metadata"][0]
    assert show_row["type"] == "show"
    assert "Guid" not in show_row  # Plex only knows this show by its plex:// guid
    async with http.get(f"{pms}/library/metadata/999999", headers=plex_headers()) as resp:
        assert resp.status == 404


async def test_history_filters_and_actions(sim: Simulator, http: aiohttp.ClientSession) -> None:
    pms = sim.url("pms")
    hist = await _get(http, f"{pms}/status/sessions/history/all", sort="viewedAt:desc")
    rows = hist["MediaContainer"]["Metadata"]
    assert rows == sorted(rows, key=lambda r: r["viewedAt"], reverse=True)
    assert "Guid" not in rows[0]
    assert {r["accountID"] for r in rows} == {1, cred.PLEX_SHARED_ID}
    owner = await _get(http, f"{pms}/status/sessions/history/all", accountID="1")
    assert {r["accountID"] for r in owner["MediaContainer"]["Metadata"]} == {1}
    newest = rows[0]["viewedAt"]
    async with http.get(
        f"{pms}/status/sessions/history/all?viewedAt>={newest}", headers=plex_headers()
    ) as resp:
        recent = (await resp.json())["MediaContainer"]
    assert recent["totalSize"] == sum(1 for r in rows if r["viewedAt"] >= newest)
    rk = sim.rating_key("Inception")
    params = {"key": rk, "identifier": "com.plexapp.plugins.library"}
    async with http.get(f"{pms}/:/scrobble", params=params, headers=plex_headers()) as resp:
        assert resp.status == 200
    meta = (await _get(http, f"{pms}/library/metadata/{rk}"))["MediaContainer"]["Metadata"][0]
    assert meta["viewCount"] >= 1
    assert meta["lastViewedAt"] == int(sim.clock.time())
    async with http.put(
        f"{pms}/:/rate", params={**params, "rating": "7.0"}, headers=plex_headers()
    ) as resp:
        assert resp.status == 200
    meta = (await _get(http, f"{pms}/library/metadata/{rk}"))["MediaContainer"]["Metadata"][0]
    assert meta["userRating"] == 7.0
    async with http.put(
        f"{pms}/:/rate", params={**params, "rating": "-1"}, headers=plex_headers()
    ) as resp:
        assert resp.status == 200
    async with http.get(f"{pms}/:/unscrobble", params=params, headers=plex_headers()) as resp:
        assert resp.status == 200
    meta = (await _get(http, f"{pms}/library/metadata/{rk}"))["MediaContainer"]["Metadata"][0]
    assert "viewCount" not in meta
    assert "userRating" not in meta
    # A shared user's writes land on their own account and they see only their history.
    async with http.get(
        f"{pms}/:/scrobble", params=params, headers=plex_headers(cred.PLEX_SHARED_SERVER_TOKEN)
    ) as resp:
        assert resp.status == 200
    mine = await _get(http, f"{pms}/status/sessions/history/all", cred.PLEX_SHARED_SERVER_TOKEN)
    assert {r["accountID"] for r in mine["MediaContainer"]["Metadata"]} == {cred.PLEX_SHARED_ID}
    async with http.get(
        f"{pms}/status/sessions", headers=plex_headers(cred.PLEX_SHARED_SERVER_TOKEN)
    ) as resp:
        assert resp.status == 401  # owner/admin only
    accounts = await _get(http, f"{pms}/accounts")
    names = {a["id"]: a["name"] for a in accounts["MediaContainer"]["Account"]}
    assert names[1] == cred.PLEX_OWNER_NAME
    assert names[cred.PLEX_SHARED_ID] == cred.PLEX_SHARED_NAME


async def test_discover_watchlist(sim: Simulator, http: aiohttp.ClientSession) -> None:
    for service in ("plex-discover", "plex-metadata"):
        base = sim.url(service)
        wl = await _get(
            http,
            f"{base}/library/sections/watchlist/all",
            cred.PLEX_OWNER_TOKEN,
            includeGuids="1",
            **{"X-Plex-Container-Start": "0", "X-Plex-Container-Size": "2"},
        )
        mc = wl["MediaContainer"]
        assert mc["librarySectionID"] == "watchlist"
        assert mc["size"] == 2
        assert mc["totalSize"] == sim.state.counts["watchlist"]
        assert all(len(m["ratingKey"]) == 24 and m["Guid"] for m in mc["Metadata"])
    base = sim.url("plex-discover")
    async with http.get(
        f"{base}/library/sections/watchlist/all", headers=plex_headers(cred.PLEX_SERVER_TOKEN)
    ) as resp:
        assert resp.status == 401  # the server token is not an account token
    found = await _get(
        http,
        sim.url("plex-metadata") + "/library/metadata/matches",
        cred.PLEX_OWNER_TOKEN,
        type="movie",
        title="tmdb-27205",
    )
    rk = found["MediaContainer"]["Metadata"][0]["ratingKey"]
    assert found["MediaContainer"]["Metadata"][0]["title"] == "Inception"
    by_guid = await _get(
        http,
        sim.url("plex-metadata") + "/library/metadata/matches",
        cred.PLEX_OWNER_TOKEN,
        type="2",
        guid="tmdb://1396",
    )
    assert [m["title"] for m in by_guid["MediaContainer"]["Metadata"]] == ["Breaking Bad"]
    h = plex_headers(cred.PLEX_OWNER_TOKEN)
    async with http.put(f"{base}/actions/addToWatchlist", params={"ratingKey": rk}, headers=h) as r:
        assert r.status == 200
    async with http.put(f"{base}/actions/addToWatchlist", params={"ratingKey": rk}, headers=h) as r:
        assert r.status == 409
    state = await _get(
        http, sim.url("plex-metadata") + f"/library/metadata/{rk}/userState", cred.PLEX_OWNER_TOKEN
    )
    assert state["MediaContainer"]["UserState"]["watchlistedAt"] == int(sim.clock.time())
    async with http.put(
        f"{base}/actions/removeFromWatchlist", params={"ratingKey": rk}, headers=h
    ) as r:
        assert r.status == 200
    async with http.put(
        f"{base}/actions/removeFromWatchlist", params={"ratingKey": rk}, headers=h
    ) as r:
        assert r.status == 404
    results = await _get(
        http,
        f"{base}/library/search",
        cred.PLEX_OWNER_TOKEN,
        query="Inception",
        searchTypes="movies,tv",
        searchProviders="discover",
    )
    hits = results["MediaContainer"]["SearchResults"][0]["SearchResult"]
    assert hits[0]["Metadata"]["ratingKey"] == rk


async def test_websocket_playback_sessions_history_webhooks(  # noqa: PLR0915
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        form = await request.post()
        assert request.content_type == "multipart/form-data"
        received.append(json.loads(str(form["payload"])))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        await sim.register_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
        pms = sim.url("pms")
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(f"{pms}/:/websockets/notifications", params={"X-Plex-Token": "x"})
        assert err.value.status == 401
        ep = sim.item("Breaking Bad", 2, 1)
        rk = sim.rating_key(ep)
        async with http.ws_connect(
            f"{pms}/:/websockets/notifications", params={"X-Plex-Token": cred.PLEX_SERVER_TOKEN}
        ) as ws:
            await sim.play(rk, user="shared", offset_ms=60_000)
            frame = await next_frame(ws)
            assert frame["type"] == "playing"
            note = frame["PlaySessionStateNotification"][0]
            assert note["state"] == "playing"
            assert note["ratingKey"] == rk
            assert note["viewOffset"] == 60_000
            assert note["clientIdentifier"] == cred.PLAYER_TV
            sessions = await _get(http, f"{pms}/status/sessions")
            row = sessions["MediaContainer"]["Metadata"][0]
            assert row["sessionKey"] == note["sessionKey"]
            assert row["User"]["title"] == cred.PLEX_SHARED_NAME
            assert row["User"]["id"] == str(cred.PLEX_SHARED_ID)
            assert row["Player"]["machineIdentifier"] == cred.PLAYER_TV
            await sim.pause(user="shared", offset_ms=120_000)
            assert (await next_frame(ws))["PlaySessionStateNotification"][0]["state"] == "paused"
            await sim.play(rk, user="shared")
            await next_frame(ws)
            await sim.seek(int(ep.duration_ms * 0.95), user="shared")
            frames = [await next_frame(ws), await next_frame(ws)]
            assert [f["type"] for f in frames] == ["playing", "timeline"]
            await sim.stop(user="shared")
            stopped = await next_frame(ws)
            assert stopped["PlaySessionStateNotification"][0]["state"] == "stopped"
        events = [p["event"] for p in received]
        assert events == [
            "media.play",
            "media.pause",
            "media.resume",
            "media.scrobble",
            "media.stop",
        ]
        scrobble = received[3]
        assert scrobble["owner"] is False
        assert scrobble["Account"]["id"] == cred.PLEX_SHARED_ID
        assert scrobble["Server"]["uuid"] == cred.PMS_MACHINE_ID
        assert scrobble["Metadata"]["grandparentTitle"] == "Breaking Bad"
        assert scrobble["Metadata"]["librarySectionType"] == "show"
        assert (await _get(http, f"{pms}/status/sessions"))["MediaContainer"]["size"] == 0
        hist = await _get(
            http,
            f"{pms}/status/sessions/history/all",
            accountID=str(cred.PLEX_SHARED_ID),
            metadataItemID=rk,
        )
        assert hist["MediaContainer"]["Metadata"][0]["viewedAt"] == int(sim.clock.time())
    finally:
        await runner.cleanup()


async def test_stop_below_90_keeps_offset_and_no_history(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    rk = sim.rating_key("Year Unknown")
    before = len(sim.state.plex.history)
    await sim.play(rk)
    out = await sim.stop(offset_ms=600_000)
    assert out["watched"] is False
    assert len(sim.state.plex.history) == before
    meta = await _get(http, sim.url("pms") + f"/library/metadata/{rk}")
    assert meta["MediaContainer"]["Metadata"][0]["viewOffset"] == 600_000


async def test_websocket_drop_fault(sim: Simulator, http: aiohttp.ClientSession) -> None:
    url = sim.url("pms") + "/:/websockets/notifications"
    params = {"X-Plex-Token": cred.PLEX_SERVER_TOKEN}
    async with http.ws_connect(url, params=params) as ws:
        await sim.fault("pms", "GET /:/websockets/notifications", kind="drop")
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    with pytest.raises(aiohttp.ClientError):
        async with http.ws_connect(url, params=params):
            pass
    await sim.clear_faults()
    async with http.ws_connect(url, params=params) as ws:
        assert await sim.notify("status", "StatusNotification", [{"title": "x"}]) == 1
        assert (await next_frame(ws))["StatusNotification"] == [{"title": "x"}]
