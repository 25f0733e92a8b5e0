"""Trakt client and auth against the simulator."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from custom_components.crosswatch.api.errors import (
    AccountLimitError,
    AppRejectedError,
    AuthError,
    InvalidResponseError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.api.http import RetryPolicy
from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play, Rating
from custom_components.crosswatch.providers.trakt.client import (
    DeviceStatus,
    TraktAuth,
    TraktClient,
    item_from_row,
)
from simulator.testing import (
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    TRAKT_CLIENT_SECRET,
    TRAKT_REFRESH_TOKEN,
    Simulator,
)

POLICY = RetryPolicy(attempts=2, timeout=0.5)
INCEPTION = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "27205"})
BREAKING_BAD = MediaItem(kind=MediaKind.SHOW, ids={"tvdb": "81189"})


def auth(sim: Simulator, session, secret: str = TRAKT_CLIENT_SECRET) -> TraktAuth:
    return TraktAuth(
        session,
        base_url=sim.url("trakt"),
        client_id=TRAKT_CLIENT_ID,
        client_secret=secret,
        clock=sim.clock,
        policy=POLICY,
    )


def client(sim: Simulator, session, token: str = TRAKT_ACCESS_TOKEN) -> TraktClient:
    async def access_token() -> str:
        return token

    return TraktClient(
        session,
        base_url=sim.url("trakt"),
        client_id=TRAKT_CLIENT_ID,
        access_token=access_token,
        clock=sim.clock,
        policy=POLICY,
    )


async def test_device_flow_every_status(sim, session) -> None:
    trakt = auth(sim, session)
    code = await trakt.device_code()
    assert code.interval == 5
    assert code.device_code not in repr(code)
    assert (await trakt.poll_device(code.device_code)).status is DeviceStatus.PENDING
    sim.clock.advance(1)
    too_fast = await trakt.poll_device(code.device_code)
    assert too_fast.status is DeviceStatus.SLOW_DOWN
    assert not too_fast.done
    await sim.approve_trakt_device(code.user_code)
    sim.clock.advance(code.interval)
    approved = await trakt.poll_device(code.device_code)
    assert approved.status is DeviceStatus.APPROVED
    assert approved.done
    assert approved.token is not None
    assert approved.token.access_token not in repr(approved.token)
    sim.clock.advance(code.interval)
    assert (await trakt.poll_device(code.device_code)).status is DeviceStatus.ALREADY_USED
    assert (await trakt.poll_device("nope")).status is DeviceStatus.INVALID

    denied = await trakt.device_code()
    await sim.approve_trakt_device(denied.user_code, deny=True)
    assert (await trakt.poll_device(denied.device_code)).status is DeviceStatus.DENIED
    expired = await trakt.device_code()
    sim.clock.advance(expired.expires_in + 1)
    result = await trakt.poll_device(expired.device_code)
    assert (result.status, result.done) == (DeviceStatus.EXPIRED, True)


async def test_refresh_rotates_and_old_refresh_dies(sim, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    trakt = auth(sim, session)
    first = await trakt.refresh(TRAKT_REFRESH_TOKEN)
    assert first.refresh_token != TRAKT_REFRESH_TOKEN
    assert first.expires_at == first.created_at + 604800
    with pytest.raises(AuthError, match="invalid_grant") as info:
        await trakt.refresh(TRAKT_REFRESH_TOKEN)
    assert TRAKT_REFRESH_TOKEN not in str(info.value)
    second = await trakt.refresh(first.refresh_token, "urn:ietf:wg:oauth:2.0:oob")
    assert second.access_token != first.access_token
    # The new access token works, the rotated one does not.
    assert (await client(sim, session, second.access_token).settings()).username == "simuser"
    with pytest.raises(AuthError):
        await client(sim, session, first.access_token).settings()
    assert TRAKT_REFRESH_TOKEN not in caplog.text
    assert first.refresh_token not in caplog.text


async def test_code_exchange_and_revoke(sim, session) -> None:
    trakt = auth(sim, session)
    with pytest.raises(AuthError, match="invalid_grant"):
        await trakt.exchange_code("bogus", "https://ha/redirect")
    # The simulator's /oauth/authorize redirect is broken (web.URL), so issue the code directly.
    code = "c0de" * 8
    sim.state.trakt.auth_codes[code] = ("simuser", TRAKT_CLIENT_ID)  # (user, app)
    token = await trakt.exchange_code(code, "https://ha/cb")
    api = client(sim, session, token.access_token)
    assert (await api.settings()).username == "simuser"
    await trakt.revoke(token.access_token)
    with pytest.raises(AuthError):
        await api.settings()


async def test_bad_client_secret_refuses_the_app_without_naming_the_secret(sim, session) -> None:
    # Trakt answers invalid_client: the app's credentials are refused, not the user's sign-in.
    trakt = auth(sim, session, secret="wrong-secret-value")
    with pytest.raises(AppRejectedError) as info:
        await trakt.refresh(TRAKT_REFRESH_TOKEN)
    assert "wrong-secret-value" not in str(info.value)


async def test_a_device_code_for_a_deleted_app_refuses_the_app(sim, session) -> None:
    # A deleted app is unknown to the OAuth endpoints too: invalid_client (trakt-api #902).
    await sim.set_trakt_app(removed=True)
    with pytest.raises(AppRejectedError, match="invalid_client"):
        await auth(sim, session).device_code()
    # Any other 401 is a refused sign-in.
    await sim.set_trakt_app(removed=False)
    await sim.fault("trakt", "POST /oauth/device/code", status=401)
    with pytest.raises(AuthError, match="401"):
        await auth(sim, session).device_code()


async def test_unsupported_grant_and_broken_token_bodies(sim, session) -> None:
    trakt = auth(sim, session)
    with pytest.raises(RequestRejectedError, match="unsupported_grant_type"):
        await trakt._grant("POST /oauth/token", {"grant_type": "password"})
    await sim.fault("trakt", "POST /oauth/token", status=200, body={"token_type": "bearer"})
    with pytest.raises(InvalidResponseError, match="without tokens"):
        await trakt.refresh(TRAKT_REFRESH_TOKEN)
    await sim.fault("trakt", "POST /oauth/device/code", status=200, body={"user_code": "X"})
    with pytest.raises(InvalidResponseError, match="device code"):
        await trakt.device_code()


async def test_settings_and_activities(sim, session) -> None:
    api = client(sim, session)
    await sim.set_trakt_user(vip=True, watchlist_limit=100000)
    settings = await api.settings()
    assert (settings.username, settings.vip, settings.watchlist_limit) == ("simuser", True, 100000)
    acts = await api.last_activities()
    assert acts["all"].endswith(".000Z")
    assert "watched_at" in acts["movies"]


async def test_watchlist_read_write(sim, session) -> None:
    api = client(sim, session)
    before = await api.watchlist()
    assert before
    assert all(e.listed_at is not None and e.listed_at.tzinfo for e in before)
    assert {e.item.kind for e in before} <= {MediaKind.MOVIE, MediaKind.SHOW}
    added = await api.watchlist_add(
        [INCEPTION, BREAKING_BAD, MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0000111"})]
    )
    assert (added.added, added.not_found, added.batches) == (2, 1, 1)
    assert added.not_found_ids == [{"imdb": "tt0000111"}]
    again = await api.watchlist_add([INCEPTION])
    assert (again.added, again.existing) == (0, 1)
    keys = {e.item.ids.get("tmdb") for e in await api.watchlist("movies")}
    assert "27205" in keys
    removed = await api.watchlist_remove([INCEPTION, BREAKING_BAD])
    assert removed.deleted == 2
    assert len(await api.watchlist()) == len(before)
    sent = await sim.requests("trakt", "POST /sync/watchlist")
    assert sent[0]["body"]["movies"][0] == {"ids": {"tmdb": 27205}}  # integers on the wire


async def test_watchlist_full_is_account_limit(sim, session) -> None:
    api = client(sim, session)
    current = len(await api.watchlist())
    await sim.set_trakt_user(watchlist_limit=current)
    with pytest.raises(AccountLimitError) as info:
        await api.watchlist_add([INCEPTION])
    assert info.value.limit == current


async def test_header_names_in_any_letter_case(sim, session) -> None:
    """Trakt's HTTP/2 answers spell headers in lower case (trakt-api #896); some omit counts."""
    await sim.reset("small")
    api = client(sim, session)
    total = len(sim.state.trakt.users["simuser"].history)
    await sim.set_trakt_headers("lower")
    assert await api.history_count() == total
    assert len(await api.history()) == total
    current = len(await api.watchlist())
    await sim.set_trakt_user(watchlist_limit=current)
    with pytest.raises(AccountLimitError) as info:
        await api.watchlist_add([INCEPTION])
    assert info.value.limit == current
    # Without a page count (trakt-api #198) a short page ends the read.
    await sim.set_trakt_headers("no_page_count")
    await sim.clear_requests()
    assert await api.history_count() is None
    assert len(await api.history()) == total
    # One count read, then every page; a last page that is full needs one more (empty) page.
    pages = total // 100 + 1
    assert len(await sim.requests("trakt", "GET /sync/history")) == 1 + pages


async def test_pause_past_80_is_refused_as_trakt_does(sim, session) -> None:
    api = client(sim, session)
    with pytest.raises(RequestRejectedError) as info:
        await api.scrobble("pause", INCEPTION, 85.9)
    assert info.value.status == 422
    [answer] = [r for r in await sim.requests("trakt") if r["path"].endswith("/scrobble/pause")]
    assert answer["status"] == 422


async def test_history_paged_and_incremental(sim, session) -> None:
    await sim.reset("small")
    api = client(sim, session)
    plays = await api.history()
    pages = await sim.requests("trakt", "GET /sync/history")
    total = len(sim.state.trakt.users["simuser"].history)
    assert len(plays) == total
    assert len(pages) == -(-total // 100)
    assert all(p["query"]["limit"] == "100" for p in pages)
    assert plays == sorted(plays, key=lambda p: p.watched_at, reverse=True)
    episodes = [p for p in plays if p.item.kind is MediaKind.EPISODE]
    assert episodes
    assert episodes[0].item.show_ids
    assert episodes[0].item.season is not None
    watermark = plays[10].watched_at
    newer = await api.history(start_at=watermark, end_at=plays[0].watched_at)
    assert len(newer) == 11
    assert await api.history(kind="movies") == []  # the seed gives Trakt episode plays only
    await api.history_add([Play(item=INCEPTION, watched_at=plays[0].watched_at)])
    movies_only = await api.history(kind="movies")
    assert [(p.item.kind, p.item.ids["tmdb"]) for p in movies_only] == [(MediaKind.MOVIE, "27205")]


async def test_history_add_batches_and_remove(sim, session) -> None:
    api = client(sim, session)
    when = datetime(2026, 10, 1, 20, 0, tzinfo=UTC)
    show = sim.item("Breaking Bad")
    plays = [Play(item=INCEPTION, watched_at=when)]
    plays += [
        Play(
            item=MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "81189"}, season=1, number=n),
            watched_at=when + timedelta(hours=n),
        )
        for n in (1, 2, 3)
    ]
    plays += [
        Play(item=MediaItem(kind=MediaKind.EPISODE, ids={"trakt": str(ep.trakt)}), watched_at=when)
        for ep in show.seasons[2]
    ]
    plays += [Play(item=INCEPTION, watched_at=when - timedelta(days=d)) for d in range(1, 200)]
    start = sim.clock.time()
    result = await api.history_add(plays)
    assert result.batches == 3  # 206 items, at most 100 per POST
    assert result.added == 206
    assert sim.clock.time() - start >= 2  # paced at one POST per second
    body = (await sim.requests("trakt", "POST /sync/history"))[0]["body"]
    assert body["shows"][0]["seasons"][0]["episodes"][0] == {
        "number": 1,
        "watched_at": "2026-10-01T21:00:00.000Z",
    }
    removed = await api.history_remove([INCEPTION])
    assert removed.deleted >= 200
    history = await api.history(kind="episodes")
    ids = [sim.state.trakt.users["simuser"].history[-1].id]
    gone = await api.history_remove(history_ids=ids)
    assert gone.deleted == 1
    assert len(await api.history(kind="episodes")) == len(history) - 1


async def test_history_post_is_not_retried_on_5xx(sim, session) -> None:
    api = client(sim, session)
    await sim.fault("trakt", "POST /sync/history", status=502)
    with pytest.raises(ServiceUnavailableError):
        await api.history_add([Play(item=INCEPTION, watched_at=datetime.now(UTC))])
    assert len(await sim.requests("trakt", "POST /sync/history")) == 1


async def test_watched_movies_and_shows(sim, session) -> None:
    api = client(sim, session)
    when = datetime(2026, 10, 1, tzinfo=UTC)
    await api.history_add([Play(item=INCEPTION, watched_at=when)] * 2)
    movies = await api.watched("movies")
    assert movies
    assert [(m.item.ids["tmdb"], m.plays, m.last_watched_at) for m in movies] == [
        ("27205", 2, when)
    ]
    episodes = await api.watched("shows")
    assert episodes
    assert all(e.item.kind is MediaKind.EPISODE and e.item.show_ids for e in episodes)
    with pytest.raises(ValueError, match="movies"):
        await api.watched("episodes")


async def test_ratings(sim, session) -> None:
    api = client(sim, session)
    before = await api.ratings()
    assert before
    assert all(1 <= r.rating <= 10 for r in before)
    when = datetime(2026, 10, 2, tzinfo=UTC)
    # By its own id: the simulator does not take ratings nested under a show (reported).
    episode = MediaItem(
        kind=MediaKind.EPISODE, ids={"tvdb": str(sim.item("Breaking Bad", 1, 1).tvdb)}
    )
    added = await api.ratings_add(
        [Rating(item=INCEPTION, rating=9, rated_at=when), Rating(item=episode, rating=7)]
    )
    assert added.added == 2
    mine = [r for r in await api.ratings("movies") if r.item.ids.get("tmdb") == "27205"]
    assert [(r.rating, r.rated_at) for r in mine] == [(9, when)]
    removed = await api.ratings_remove([INCEPTION])
    assert removed.deleted == 1


async def test_scrobble_start_stop_and_409(sim, session) -> None:
    api = client(sim, session)
    started = await api.scrobble("start", INCEPTION, 5.0)
    assert (started.action, started.history_id) == ("start", 0)
    assert started.item is not None
    assert started.item.ids["imdb"] == "tt1375666"
    paused = await api.scrobble("pause", INCEPTION, 40.0)
    assert paused.action == "pause"
    stopped = await api.scrobble("stop", INCEPTION, 95.0)
    assert stopped.action == "scrobble"
    assert stopped.history_id
    assert stopped.history_id > 2**31
    again = await api.scrobble("stop", INCEPTION, 96.0)
    assert again.already_scrobbled
    assert again.watched_at is not None
    assert again.expires_at is not None
    episode = MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "81189"}, season=1, number=2)
    ep = await api.scrobble("start", episode, 3)
    assert ep.item is not None
    assert ep.item.kind is MediaKind.EPISODE
    assert ep.item.show_ids["tvdb"] == "81189"
    by_id = MediaItem(
        kind=MediaKind.EPISODE, ids={"trakt": str(sim.item("Breaking Bad", 2, 1).trakt)}
    )
    assert (await api.scrobble("start", by_id, 3)).item is not None
    with pytest.raises(RequestRejectedError, match="422"):
        await api.scrobble("stop", INCEPTION, 0.5)
    with pytest.raises(ValueError, match="scrobble action"):
        await api.scrobble("play", INCEPTION, 1)


async def test_search_by_id_always_sends_type(sim, session) -> None:
    api = client(sim, session)
    movie = await api.search_id("tmdb", "1396", "movie")
    show = await api.search_id("tmdb", "1396", "show")
    assert [m.title for m in movie] == ["Breaking Point"]
    assert [s.title for s in show] == ["Breaking Bad"]
    seen = await sim.requests("trakt", "GET /search/*")
    assert [r["query"]["type"] for r in seen] == ["movie", "show"]
    with pytest.raises(ValueError, match="search by id"):
        await api.search_id("slug", "x", "movie")


async def test_calendar(sim, session) -> None:
    api = client(sim, session)
    now = datetime.fromtimestamp(sim.clock.time(), UTC).date()
    await api.watchlist_add([MediaItem(kind=MediaKind.SHOW, ids={"trakt": "9100001"})])
    rows = await api.calendar_shows(now - timedelta(days=14), 60)
    assert rows
    assert all(r["show"]["ids"]["trakt"] == 9100001 for r in rows)
    assert all("runtime" in r["episode"] for r in rows)  # extended=full
    assert await api.calendar_movies(now, 7) == []
    seen = await sim.requests("trakt", "GET /calendars/*")
    assert [r["path"].rsplit("/", 2)[-2:] for r in seen] == [
        [(now - timedelta(days=14)).isoformat(), "33"],
        [now.isoformat(), "7"],
    ]
    assert all(r["query"]["extended"] == "full" for r in seen)


async def test_last_activities_reuses_a_young_answer(sim, session) -> None:
    api = client(sim, session)
    first = await api.last_activities()
    assert await api.last_activities(max_age=60) == first
    assert len(await sim.requests("trakt", "GET /sync/last_activities")) == 1
    sim.clock.advance(61)
    await api.last_activities(max_age=60)
    await api.last_activities()  # no max_age: always read
    assert len(await sim.requests("trakt", "GET /sync/last_activities")) == 3


async def test_expired_token_is_auth_error(sim, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    api = client(sim, session)
    sim.clock.advance(8 * 86400)
    with pytest.raises(AuthError) as info:
        await api.last_activities()
    assert TRAKT_ACCESS_TOKEN not in str(info.value)
    assert TRAKT_ACCESS_TOKEN not in caplog.text


async def test_get_rate_limit_storm(sim, session) -> None:
    await sim.fault(
        "trakt", "GET /sync/last_activities", status=429, count=2, headers={"Retry-After": "10"}
    )
    api = client(sim, session)
    start = sim.clock.time()
    assert await api.last_activities()
    assert sim.clock.time() - start == pytest.approx(20)
    await sim.fault("trakt", "GET /sync/last_activities", status=429, headers={"Retry-After": "10"})
    with pytest.raises(RateLimitedError) as info:
        await api.last_activities()
    assert info.value.retry_after == 10


async def test_cloudflare_html_and_truncated(sim, session) -> None:
    api = client(sim, session)
    await sim.fault("trakt", "GET /sync/watchlist", kind="html", status=403, count=1)
    with pytest.raises(AuthError):
        await api.watchlist()
    await sim.fault("trakt", "GET /sync/watchlist", kind="html", count=1)
    with pytest.raises(InvalidResponseError, match="GET /sync/watchlist"):
        await api.watchlist()
    await sim.fault("trakt", "GET /sync/ratings", kind="truncated", count=1)
    with pytest.raises(InvalidResponseError, match="GET /sync/ratings"):
        await api.ratings()


async def test_timeout_is_unavailable(sim, session) -> None:
    api = client(sim, session)
    await sim.fault("trakt", "GET /users/settings", kind="timeout")
    with pytest.raises(ServiceUnavailableError, match="timeout"):
        await api.settings()
    await sim.clear_faults()


def test_item_from_odd_rows() -> None:
    assert item_from_row({"type": "person", "person": {}}) is None
    assert item_from_row({}) is None
    season = item_from_row(
        {
            "type": "season",
            "season": {"number": 2, "ids": {"trakt": 5}},
            "show": {"title": "X", "ids": {"tvdb": 1}},
        }
    )
    assert season == MediaItem(
        kind=MediaKind.SEASON, ids={"trakt": "5"}, season=2, show_ids={"tvdb": "1"}, show_title="X"
    )
    movie = item_from_row({"type": "movie", "movie": {"title": 5, "year": "2010", "ids": None}})
    assert movie == MediaItem(kind=MediaKind.MOVIE)


async def test_history_rows_carry_play_ids_and_one_titles_plays(sim, session) -> None:
    api = client(sim, session)
    when = datetime(2026, 10, 1, 20, 0, tzinfo=UTC)
    await api.history_add(
        [Play(item=INCEPTION, watched_at=when - timedelta(days=d)) for d in (0, 1)]
    )
    held = {p.id: p.watched_at for p in sim.state.trakt.users["simuser"].history}
    assert await api.history_count() == len(held)
    plays = await api.history()
    assert plays
    assert all(p.history_id is not None for p in plays)
    assert {p.history_id: p.watched_at.timestamp() for p in plays} == held
    inception = next(p for p in plays if p.item.ids.get("tmdb") == "27205")
    title = await api.history(kind="movies", trakt_id=inception.item.ids["trakt"])
    assert [p.watched_at for p in title] == [when, when - timedelta(days=1)]
    route = (await sim.requests("trakt"))[-1]
    assert route["path"].endswith(f"/sync/history/movies/{inception.item.ids['trakt']}")
    with pytest.raises(ValueError, match="kind and numeric Trakt id"):
        await api.history(trakt_id="27205")
    with pytest.raises(ValueError, match="kind and numeric Trakt id"):
        await api.history(kind="movies", trakt_id="inception-2010")


@pytest.mark.parametrize("odd", [[], {}, None])
async def test_a_page_that_is_empty_or_not_a_list_midway_is_an_incomplete_read(
    scripted, session, clock, odd
) -> None:
    """Page 2 of 3 odd: never the end of the history (the plays after it would look removed)."""
    headers = {"X-Pagination-Page-Count": "3", "X-Pagination-Item-Count": "250"}
    play = {"id": 1, "watched_at": "2026-01-01T00:00:00.000Z", "action": "watch", "type": "movie"}
    play |= {"movie": {"title": "Inception", "year": 2010, "ids": {"trakt": 16662}}}

    def page(body: object) -> Callable[[web.Request], web.Response]:
        return lambda _request: web.json_response(body, headers=headers)

    scripted.then(page([play] * 100), page(odd))

    async def access_token() -> str:
        return "token"

    api = TraktClient(
        session, base_url=scripted.url, client_id="c", access_token=access_token, clock=clock
    )
    with pytest.raises(InvalidResponseError, match="page 2"):
        await api.history()
    assert [s["query"]["page"] for s in scripted.seen] == ["1", "2"]
