"""Plex (plex.tv, discover, PMS) against the simulator."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from custom_components.crosswatch.api.errors import (
    AuthError,
    InvalidResponseError,
    NotFoundError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.api.http import RetryPolicy
from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.client import (
    PlexConnection,
    PlexServer,
    PlexServerClient,
    PlexTvClient,
    item_from_metadata,
    library_item,
    rating_from_plex,
    select_connection,
    servers_by_preference,
    unpack_library_item,
)
from simulator.testing import (
    PLEX_OWNER_TOKEN,
    PLEX_SERVER_TOKEN,
    PLEX_SHARED_SERVER_TOKEN,
    PMS_MACHINE_ID,
    Simulator,
)

POLICY = RetryPolicy(attempts=2, timeout=0.5)
CLIENT_ID = "crosswatch-test-client"


def tv(sim: Simulator, session, token: str | None = PLEX_OWNER_TOKEN, **urls: str) -> PlexTvClient:
    return PlexTvClient(
        session,
        base_url=urls.get("base_url", sim.url("plex.tv")),
        discover_url=urls.get("discover_url", sim.url("plex-discover")),
        metadata_url=urls.get("metadata_url", sim.url("plex-metadata")),
        client_identifier=CLIENT_ID,
        token=token,
        clock=sim.clock,
        policy=POLICY,
    )


def pms(sim: Simulator, session, token: str = PLEX_SERVER_TOKEN) -> PlexServerClient:
    return PlexServerClient(
        session, base_url=sim.url("pms"), token=token, clock=sim.clock, policy=POLICY
    )


async def test_pin_login_strong_and_short(sim, session) -> None:
    plex = tv(sim, session, token=None)
    strong = await plex.create_pin()
    assert len(strong.code) == 25
    assert strong.expires_in == 1800
    short = await plex.create_pin(strong=False)
    assert len(short.code) == 4
    assert short.expires_in == 900
    assert await plex.poll_pin(strong.id) is None
    await sim.approve_plex_pin(strong.id)
    token = await plex.poll_pin(strong.id)
    assert token
    url = plex.auth_app_url(strong.code, "https://ha.local/cb")
    assert url.startswith("https://app.plex.tv/auth#?clientID=crosswatch-test-client&code=")
    assert "forwardUrl=https%3A%2F%2Fha.local%2Fcb" in url
    assert "context%5Bdevice%5D%5Bproduct%5D=CrossWatch" in plex.auth_app_url("c")
    account = await tv(sim, session, token).user()
    assert account.username == "simowner"
    sim.clock.advance(1801)
    with pytest.raises(NotFoundError):
        await plex.poll_pin(strong.id)
    seen = (await sim.requests("plex.tv"))[0]
    assert seen["headers"]["X-Plex-Client-Identifier"] == CLIENT_ID
    assert seen["headers"]["Accept"] == "application/json"


async def test_bad_pin_body_and_bad_token(sim, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    await sim.fault("plex.tv", "POST /api/v2/pins", status=201, body={"id": 1}, count=1)
    with pytest.raises(InvalidResponseError, match="PIN body"):
        await tv(sim, session, None).create_pin()
    bad = "not-a-real-plex-token"
    with pytest.raises(AuthError) as info:
        await tv(sim, session, bad).user()
    assert bad not in str(info.value)
    assert bad not in caplog.text


async def test_resources_and_server_selection(sim, session) -> None:
    plex = tv(sim, session)
    servers = await plex.resources()
    assert {s.machine_identifier for s in servers} >= {PMS_MACHINE_ID}
    assert all("server" for s in servers)  # players are filtered out
    assert len(servers) == 2
    mine = servers_by_preference(servers)[0]
    assert mine.owned
    assert mine.access_token == PLEX_SERVER_TOKEN
    assert PLEX_SERVER_TOKEN not in repr(mine)
    uri = await select_connection(session, mine, clock=sim.clock, timeout=0.5)
    assert uri == sim.url("pms")
    assert mine.source_title is None
    neighbour = next(s for s in servers if not s.owned)
    assert neighbour.source_title == "neighbour"  # who shares it (resources' sourceTitle)
    unreachable = PlexServer(
        neighbour.name,
        neighbour.machine_identifier,
        "t",
        owned=False,
        connections=(PlexConnection("http://127.0.0.1:9", True, False, "http"),),
    )
    with pytest.raises(ServiceUnavailableError, match="no reachable connection"):
        await select_connection(session, unreachable, clock=sim.clock, timeout=0.5)


async def test_server_selection_prefers_local_and_skips_impostors(sim, session) -> None:
    relay = PlexConnection(sim.url("pms"), local=False, relay=True, protocol="https")
    remote = PlexConnection("http://127.0.0.1:9/pms", local=False, relay=False, protocol="https")
    local_http = PlexConnection("http://127.0.0.1:9/x", local=True, relay=False, protocol="http")
    local_https = PlexConnection(sim.url("plex.tv"), local=True, relay=False, protocol="https")
    server = PlexServer(
        "S",
        PMS_MACHINE_ID,
        PLEX_SERVER_TOKEN,
        owned=True,
        connections=(relay, remote, local_http, local_https),
    )
    assert server.ordered_connections() == [local_https, local_http, remote, relay]
    # local_https answers /identity with 404 (not a PMS), the others are down: relay wins.
    assert await select_connection(session, server, clock=sim.clock, timeout=0.5) == relay.uri
    wrong = PlexServer("S", "someone-else", PLEX_SERVER_TOKEN, owned=True, connections=(relay,))
    with pytest.raises(ServiceUnavailableError):
        await select_connection(session, wrong, clock=sim.clock, timeout=0.5)


async def test_watchlist_paged_add_remove_and_resolve(sim, session) -> None:
    await sim.reset("small")
    plex = tv(sim, session)
    entries = await plex.watchlist()
    expected = len(sim.state.plex.watchlists["owner"])
    assert len(entries) == expected
    pages = await sim.requests("plex-discover", "GET /library/sections/watchlist/all")
    assert len(pages) == -(-expected // 100)
    assert all(e.item.ids.get("plex") and e.listed_at for e in entries)
    assert any(e.item.ids.get("imdb") for e in entries)
    inception = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "27205"})
    key = await plex.resolve_rating_key(inception)
    assert key == sim.item("Inception").plex_hex
    assert (
        await plex.resolve_rating_key(MediaItem(kind=MediaKind.MOVIE, ids={"plex": "ab"})) == "ab"
    )
    assert (
        await plex.resolve_rating_key(MediaItem(kind=MediaKind.SHOW, ids={"imdb": "tt0"})) is None
    )
    assert (
        await plex.resolve_rating_key(MediaItem(kind=MediaKind.EPISODE, ids={"tmdb": "1"})) is None
    )
    assert await plex.watchlist_add(key) is True
    assert await plex.watchlist_add(key) is False  # 409: already there
    assert len(await plex.watchlist()) == expected + 1
    assert await plex.watchlist_remove(key) is True
    assert await plex.watchlist_remove(key) is False  # 404: not there


async def test_watchlist_falls_back_to_metadata_host(sim, session) -> None:
    plex = tv(sim, session)
    await sim.fault("plex-discover", "GET /library/sections/watchlist/all", status=404)
    await sim.fault("plex-discover", "PUT /actions/*", status=503)
    entries = await plex.watchlist()
    assert entries
    key = await plex.resolve_rating_key(MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt1375666"}))
    assert key is not None
    assert await plex.watchlist_add(key) is True
    assert await sim.requests("plex-metadata", "PUT /actions/addToWatchlist")
    await sim.clear_faults()
    await sim.fault("plex-discover", "PUT /actions/removeFromWatchlist", status=404)
    assert await plex.watchlist_remove(key) is False  # a discover 404 is an answer, no fallback


async def test_watchlist_stamp_moves_with_the_watchlist(sim, session) -> None:
    plex = tv(sim, session)
    stamp = await plex.watchlist_stamp()
    rows = await sim.requests("plex-discover", "GET /library/sections/watchlist/all")
    assert [r["query"]["X-Plex-Container-Size"] for r in rows] == ["1"]
    size = len(sim.state.plex.watchlists["owner"])
    assert stamp is not None
    assert stamp.startswith(f"{size}|")
    assert await plex.watchlist_stamp() == stamp  # nothing changed
    key = await plex.resolve_rating_key(MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "27205"}))
    assert key is not None
    without = size - int(await plex.watchlist_remove(key))
    await plex.watchlist_add(key)
    added = await plex.watchlist_stamp()
    assert added is not None
    assert added.startswith(f"{without + 1}|{key}|")  # the addition is the newest entry
    await plex.watchlist_remove(key)
    removed = await plex.watchlist_stamp()
    assert removed is not None
    assert removed.startswith(f"{without}|")
    assert removed != added


async def test_watchlist_stamp_without_a_size_is_none(sim, session) -> None:
    plex = tv(sim, session)
    await sim.fault(
        "plex-discover",
        "GET /library/sections/watchlist/all",
        status=200,
        body={"MediaContainer": {"size": 0}},
        count=1,
    )
    assert await plex.watchlist_stamp() is None
    assert not await sim.requests("plex-metadata")  # a container is an answer


@pytest.mark.parametrize("body", [{}, {"errors": ["temporarily"]}, {"MediaContainer": []}])
async def test_discover_without_a_container_falls_back_to_the_metadata_host(
    sim, session, body
) -> None:
    plex = tv(sim, session)
    expected = await plex.watchlist_stamp()
    await sim.fault("plex-discover", "GET /library/sections/watchlist/all", status=200, body=body)
    assert await plex.watchlist_stamp() == expected
    assert len(await plex.watchlist()) == len(sim.state.plex.watchlists["owner"])
    fallbacks = await sim.requests("plex-metadata", "GET /library/sections/watchlist/all")
    assert len(fallbacks) == 2


async def test_watchlist_stamp_when_both_hosts_are_down(sim, session) -> None:
    plex = tv(sim, session)
    await sim.fault("plex-discover", "*", status=503)
    await sim.fault("plex-metadata", "*", status=503)
    with pytest.raises(ServiceUnavailableError):
        await plex.watchlist_stamp()


async def test_identity_sections_and_library_sweep(sim, session) -> None:
    await sim.reset("small")
    server = pms(sim, session)
    assert await server.identity() == PMS_MACHINE_ID
    sections = await server.sections()
    assert [(s.key, s.type) for s in sections] == [("1", "movie"), ("2", "show")]
    movies = await server.library("1")
    assert len(movies) == len(sim.state.catalogue.movies)
    pages = await sim.requests("pms", "GET /library/sections/{section}/all")
    assert len(pages) == -(-len(movies) // 100)
    assert all(p["query"]["includeGuids"] == "1" for p in pages)
    by_title = {m.item.title: m for m in movies}
    assert by_title["Inception"].item.ids == {
        "imdb": "tt1375666",
        "tmdb": "27205",
        "tvdb": "166",
        "plex": sim.item("Inception").plex_hex,
    }
    assert by_title["Fight Club"].item.ids == {"imdb": "tt0137523"}  # legacy agent guid
    assert by_title["Amélie"].item.ids == {"tmdb": "194"}
    assert set(by_title["Untitled Home Video"].item.ids) == {"plex"}
    assert any(m.view_count and m.last_viewed_at for m in movies)
    rated = [m for m in movies if m.user_rating is not None]
    assert rated
    assert all(1 <= (m.rating or 0) <= 10 for m in rated)


async def test_packed_sweeps_and_plays_unpack_to_what_the_object_reads_give(sim, session) -> None:
    await sim.reset("small")
    server = pms(sim, session)
    for kind in (None, MediaKind.SHOW, MediaKind.EPISODE):
        entries = await server.library("2" if kind else "1", kind)
        rows = await server.library_rows("2" if kind else "1", kind)
        assert entries
        assert [unpack_library_item(row) for row in rows] == entries
    plays = await server.history()
    assert await server.plays() == [(p.rating_key, p.viewed_at) for p in plays]


async def test_episodes_get_show_ids_from_a_show_sweep(sim, session) -> None:
    server = pms(sim, session)
    episodes = [unpack_library_item(row) for row in await server.episodes_with_show_ids("2")]
    assert len(episodes) == len(sim.state.catalogue.episodes)
    bb = [e for e in episodes if e.item.show_title == "Breaking Bad"]
    assert bb
    assert all(e.item.show_ids.get("tvdb") == "81189" for e in bb)
    parks = [e for e in episodes if e.item.show_title == "Parks and Recreation"]
    assert parks
    assert all(e.item.show_ids.get("tvdb") == "84912" for e in parks)
    assert all(e.item.season is not None and e.item.number is not None for e in parks)
    assert len(await sim.requests("pms")) == 2


async def test_metadata_episode_uses_grandparent_once(sim, session) -> None:
    server = pms(sim, session)
    key1 = sim.rating_key(sim.item("Breaking Bad", 1, 1))
    key2 = sim.rating_key(sim.item("Breaking Bad", 1, 2))
    first = await server.metadata(key1)
    second = await server.metadata(key2)
    assert first.item.kind is MediaKind.EPISODE
    assert first.item.show_ids["tmdb"] == "1396"
    assert first.item.ids["tmdb"] != "1396"
    assert (second.item.season, second.item.number) == (1, 2)
    assert first.duration_ms
    assert len(await sim.requests("pms", "GET /library/metadata/*")) == 3  # grandparent once
    movie = await server.metadata(sim.rating_key("Inception"))
    assert movie.item.kind is MediaKind.MOVIE
    with pytest.raises(NotFoundError):
        await server.metadata("999999")


async def test_history_since_watermark_and_accounts(sim, session) -> None:
    await sim.reset("small")
    server = pms(sim, session)
    plays = await server.history()
    assert len(plays) == len(sim.state.plex.history)
    assert plays == sorted(plays, key=lambda p: p.viewed_at, reverse=True)
    watermark = plays[20].viewed_at
    newer = await server.history(since=watermark)
    assert len(newer) == len([p for p in plays if p.viewed_at >= watermark])
    seen = (await sim.requests("pms", "GET /status/sessions/history/all"))[-1]
    assert seen["query"]["viewedAt>"] == str(int(watermark.timestamp()))
    accounts = await server.accounts()
    assert accounts[1] == "simowner"
    friend_id = next(i for i, n in accounts.items() if n == "simfriend")
    friend = await server.history(account_id=friend_id)
    assert friend
    assert all(p.account_id == friend_id for p in friend)
    episode = next(p for p in plays if p.kind is MediaKind.EPISODE)
    assert episode.grandparent_rating_key
    assert episode.season is not None


async def test_sessions(sim, session) -> None:
    server = pms(sim, session)
    assert await server.sessions() == []
    key = sim.rating_key("Inception")
    await sim.play(key, offset_ms=60_000)
    (playing,) = await server.sessions()
    assert (playing.rating_key, playing.state, playing.user_title) == (key, "playing", "simowner")
    assert playing.view_offset_ms == 60_000
    assert playing.duration_ms
    assert playing.player_id
    await sim.stop()
    with pytest.raises(AuthError):
        await pms(sim, session, PLEX_SHARED_SERVER_TOKEN).sessions()


async def test_mark_watched_unwatched_and_rate(sim, session) -> None:
    server = pms(sim, session)
    key = sim.rating_key("Year Unknown")
    before = await server.metadata(key)
    await server.mark_watched(key)
    watched = await server.metadata(key)
    assert watched.view_count == before.view_count + 1
    await server.mark_unwatched(key)
    assert (await server.metadata(key)).view_count == 0
    await server.rate(key, 7.5)
    rated = await server.metadata(key)
    assert (rated.user_rating, rated.rating) == (7.5, 8)
    await server.rate(key, None)
    assert (await server.metadata(key)).user_rating is None
    with pytest.raises(NotFoundError):
        await server.mark_watched("999999")


def test_websocket_url(sim) -> None:
    server = PlexServerClient(
        None,
        base_url="https://1-2-3-4.abc.plex.direct:32400/",  # type: ignore[arg-type]
        token="tok",
        clock=sim.clock,
    )
    assert server.websocket_url() == (
        "wss://1-2-3-4.abc.plex.direct:32400/:/websockets/notifications?X-Plex-Token=tok"
    )


async def test_bad_bodies_and_outages(sim, session) -> None:
    server = pms(sim, session)
    await sim.fault("pms", "GET /library/sections", status=200, body={"nope": 1}, count=1)
    with pytest.raises(InvalidResponseError, match="no MediaContainer"):
        await server.sections()
    await sim.fault("pms", "GET /identity", status=200, body={"MediaContainer": {}}, count=1)
    with pytest.raises(InvalidResponseError, match="machineIdentifier"):
        await server.identity()
    await sim.fault(
        "pms",
        "GET /library/metadata/*",
        status=200,
        body={"MediaContainer": {"Metadata": [{"type": "clip"}]}},
        count=1,
    )
    with pytest.raises(InvalidResponseError, match="Metadata"):
        await server.metadata("1")
    await sim.fault("pms", "GET /status/sessions/history/all", kind="truncated", count=1)
    with pytest.raises(InvalidResponseError):
        await server.history()
    await sim.fault("pms", "GET /accounts", kind="drop")
    with pytest.raises(ServiceUnavailableError):
        await server.accounts()


def test_metadata_parsing_edge_cases() -> None:
    assert item_from_metadata({"type": "clip"}) is None
    assert library_item({"type": "movie"}) is None
    legacy = item_from_metadata(
        {"type": "episode", "guid": "com.plexapp.agents.thetvdb://84912/1/3?lang=en"}
    )
    assert legacy == MediaItem(
        kind=MediaKind.EPISODE, show_ids={"tvdb": "84912"}, season=1, number=3
    )
    season = item_from_metadata(
        {"type": "season", "index": 2, "parentTitle": "X", "parentGuid": "tvdb://5", "ratingKey": 7}
    )
    assert season == MediaItem(
        kind=MediaKind.SEASON, season=2, show_ids={"tvdb": "5"}, show_title="X"
    )
    entry = library_item(
        {
            "type": "movie",
            "ratingKey": 12,
            "viewCount": True,
            "userRating": "8",
            "librarySectionID": 1,
            "lastViewedAt": 1700000000,
        }
    )
    assert entry is not None
    assert (entry.rating_key, entry.view_count, entry.user_rating, entry.section_id) == (
        "12",
        0,
        None,
        "1",
    )
    assert entry.last_viewed_at == datetime.fromtimestamp(1700000000, UTC)
    assert [rating_from_plex(v) for v in (None, 0, 0.4, 5.5, 10, 12)] == [None, None, 1, 6, 10, 10]


async def test_show_episodes_carry_their_show_ids(sim, session) -> None:
    server = pms(sim, session)
    shows = [s for s in await server.library("2", MediaKind.SHOW) if s.item.title == "Breaking Bad"]
    episodes = await server.show_episodes(shows[0])
    assert {(e.item.season, e.item.number) for e in episodes} >= {(1, 1), (2, 3)}
    assert all(e.item.show_ids.get("tvdb") == "81189" for e in episodes)
    assert all(e.item.ids for e in episodes if e.item.season)  # their own ids (includeGuids)
