"""Contract tests: each Trakt, SIMKL and TMDb payload of the corpus through the code that reads it.

Each fixture (``tests/fixtures/real/<service>/*.json``, cited in ``SOURCES.md``) is an envelope
``{"status", "headers", "body"}`` served as-is by an aiohttp server on 127.0.0.1, header names in
the letter case the source shows. The expected values were read off the source by hand: what the
payload means, not what our code happened to return.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from custom_components.crosswatch.api.errors import (
    APP_REMOVED,
    APP_VIP_REQUIRED,
    AccountLimitError,
    AppRejectedError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
)
from custom_components.crosswatch.api.http import RetryPolicy
from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind, Play, Rating
from custom_components.crosswatch.providers.simkl.client import PinStatus, SimklClient
from custom_components.crosswatch.providers.simkl.side import SIMKL_CAPABILITIES, SimklSide
from custom_components.crosswatch.providers.tmdb.client import TmdbClient
from custom_components.crosswatch.providers.trakt.client import TraktAuth, TraktClient
from custom_components.crosswatch.providers.trakt.side import TraktSide, trakt_capabilities
from simulator.clock import ManualClock

CORPUS = Path(__file__).parent.parent / "fixtures" / "real"
POLICY = RetryPolicy(attempts=2, timeout=2.0)


def envelope(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CORPUS / name).read_text())
    return data


@dataclass
class CorpusServer:
    """Answers each request with the next queued envelope (the last one repeats)."""

    url: str = ""
    answers: list[str] = field(default_factory=list)
    seen: list[tuple[str, str, dict[str, str], str]] = field(default_factory=list)

    def serve(self, *names: str) -> None:
        self.answers.extend(names)

    def response(self) -> web.Response:
        name = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        data = envelope(name)
        body = data["body"]
        headers = {k: v for k, v in data["headers"].items() if k.lower() != "content-type"}
        return web.Response(
            status=data["status"],
            text="" if body is None else json.dumps(body),
            content_type="application/json",
            headers=headers,
        )


@pytest_asyncio.fixture
async def corpus(socket_enabled: None) -> AsyncIterator[CorpusServer]:
    server = CorpusServer()

    async def handle(request: web.Request) -> web.Response:
        server.seen.append(
            (request.method, request.path, dict(request.query), await request.text())
        )
        return server.response()

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    await runner.cleanup()


@pytest_asyncio.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def when(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def trakt(session: aiohttp.ClientSession, server: CorpusServer) -> TraktClient:
    async def token() -> str:
        return "token"

    return TraktClient(
        session,
        base_url=server.url,
        client_id="client",
        access_token=token,
        clock=ManualClock(),
        policy=POLICY,
    )


def simkl(session: aiohttp.ClientSession, server: CorpusServer) -> SimklClient:
    return SimklClient(
        session, base_url=server.url, client_id="client", token="token", clock=ManualClock()
    )


def tmdb(session: aiohttp.ClientSession, server: CorpusServer) -> TmdbClient:
    return TmdbClient(session, base_url=server.url, credential="0" * 32, clock=ManualClock())


# -- Trakt reads ----------------------------------------------------------------------------------
async def test_trakt_history_rows(session, corpus) -> None:
    corpus.serve("trakt/sync_history.json")
    plays = await trakt(session, corpus).history()
    assert len(corpus.seen) == 1  # X-Pagination-Page-Count: 1
    dark_knight, pawnee_zoo, tron = plays
    assert dark_knight == Play(
        item=MediaItem(
            kind=MediaKind.MOVIE,
            ids={"trakt": "4", "slug": "the-dark-knight-2008", "imdb": "tt0468569", "tmdb": "155"},
            title="The Dark Knight",
            year=2008,
        ),
        watched_at=when("2014-03-31T09:28:53"),
        history_id=1,
    )
    episode = pawnee_zoo.item
    assert episode.kind is MediaKind.EPISODE
    # The episode's own ids (nulls dropped), its show's ids, and Trakt's season/number.
    assert episode.ids == {"trakt": "251", "tvdb": "797571", "tmdb": "397629"}
    assert episode.show_ids["tvdb"] == "84912"
    assert (episode.show_title, episode.season, episode.number) == ("Parks and Recreation", 2, 1)
    assert pawnee_zoo.history_id == 2
    assert tron.item.ids["tmdb"] == "20526"


async def test_trakt_history_extended_full_gives_runtimes(session, corpus) -> None:
    corpus.serve("trakt/sync_history_extended_full.json")
    timed = await trakt(session, corpus).history_with_runtimes(start_at=when("2013-01-01T00:00:00"))
    [(method, path, query, _)] = corpus.seen
    assert (method, path, query["extended"]) == ("GET", "/sync/history", "full")
    assert query["start_at"] == "2013-01-01T00:00:00.000Z"
    (tron, tron_minutes), (winter, winter_minutes) = timed
    assert (tron.item.title, tron.item.ids["tmdb"], tron_minutes) == ("TRON: Legacy", "20526", 125)
    assert tron.watched_at == when("2013-06-15T05:54:27")
    # The episode's own runtime (58), not its show's usual 60.
    assert (winter.item.kind, winter.item.show_title, winter_minutes) == (
        MediaKind.EPISODE,
        "Game of Thrones",
        58,
    )
    assert winter.history_id == 1982347


async def test_trakt_watchlist_every_kind(session, corpus) -> None:
    corpus.serve("trakt/sync_watchlist.json")
    entries = await trakt(session, corpus).watchlist()
    kinds = [e.item.kind for e in entries]
    assert kinds == [MediaKind.MOVIE, MediaKind.SHOW, MediaKind.SEASON, MediaKind.EPISODE]
    assert all(e.listed_at == when("2014-09-01T09:10:11") for e in entries)
    season = entries[2].item
    assert (season.season, season.number) == (3, None)
    assert season.ids == {"tvdb": "171641", "tmdb": "3575"}
    assert season.show_ids["tvdb"] == "81189"
    episode = entries[3].item
    assert episode.ids == {"trakt": "49", "tvdb": "2639411", "imdb": "tt1683084", "tmdb": "62118"}
    assert (episode.season, episode.number) == (4, 1)


async def test_trakt_ratings_with_specials_season(session, corpus) -> None:
    corpus.serve("trakt/sync_ratings.json")
    ratings = await trakt(session, corpus).ratings()
    assert [(r.item.kind, r.rating) for r in ratings] == [
        (MediaKind.MOVIE, 10),
        (MediaKind.SHOW, 10),
        (MediaKind.SEASON, 8),
        (MediaKind.EPISODE, 10),
    ]
    assert ratings[2].item.season == 0  # specials
    assert ratings[0].rated_at == when("2014-09-01T09:10:11")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("trakt/search_imdb_show.json", (MediaKind.SHOW, {"trakt": "1388"}, None, (None, None))),
        (
            "trakt/search_imdb_movie.json",
            (MediaKind.MOVIE, {"imdb": "tt0848228"}, None, (None, None)),
        ),
        (
            "trakt/search_imdb_episode.json",
            (
                MediaKind.EPISODE,
                {"trakt": "73482", "imdb": "tt0959621", "tvdb": "349232"},
                "1388",
                (1, 1),
            ),
        ),
    ],
)
async def test_trakt_search_by_id(session, corpus, name, expected) -> None:
    kind, ids, show_trakt, season_number = expected
    corpus.serve(name)
    [found] = await trakt(session, corpus).search_id("imdb", "tt0903747", kind.value)
    assert found.kind is kind
    assert ids.items() <= found.ids.items()
    assert found.show_ids.get("trakt") == show_trakt
    assert (found.season, found.number) == season_number


async def test_trakt_last_activities_markers(session, corpus) -> None:
    corpus.serve("trakt/last_activities.json")
    side = TraktSide(trakt(session, corpus))
    markers = await side.markers([Feature.WATCHLIST, Feature.HISTORY, Feature.RATINGS])
    assert markers[Feature.HISTORY] == "2014-11-19T21:42:41.000Z|2014-11-20T06:51:30.000Z"
    assert markers[Feature.RATINGS] == (
        "2014-11-19T18:32:29.000Z|2014-11-19T19:50:58.000Z|"
        "2014-11-19T19:54:24.000Z|2014-11-20T06:51:30.000Z"
    )
    assert markers[Feature.WATCHLIST].startswith("2014-11-20T06:52:18.000Z|")


async def test_trakt_pagination_headers_in_lower_case(session, corpus) -> None:
    """``x-pagination-page-count: 14``: every one of the 14 pages is read."""
    corpus.serve("trakt/history_page_headers_lowercase.json")
    client = trakt(session, corpus)
    plays = await client.history()
    assert [query["page"] for _, _, query, _ in corpus.seen] == [str(p) for p in range(1, 15)]
    assert len(plays) == 14 * 2
    assert await client.history_count() == 1376


async def test_trakt_pagination_without_page_count(session, corpus) -> None:
    """Mixed-case headers and no page count: a short page is the last one."""
    corpus.serve("trakt/history_page_headers_mixedcase.json")
    client = trakt(session, corpus)
    plays = await client.history()
    assert len(corpus.seen) == 1
    assert [p.item.title for p in plays] == ["The Dark Knight", "TRON: Legacy"]
    assert await client.history_count() is None


async def test_trakt_retry_after_in_lower_case(session, corpus) -> None:
    corpus.serve("trakt/rate_limited_429.json")
    client = trakt(session, corpus)
    with pytest.raises(RateLimitedError) as info:
        await client.watchlist()
    assert info.value.retry_after == 2


async def test_trakt_account_limit_in_lower_case(session, corpus) -> None:
    corpus.serve("trakt/watchlist_add_420.json")
    client = trakt(session, corpus)
    with pytest.raises(AccountLimitError) as info:
        await client.watchlist_add([MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "118340"})])
    assert info.value.limit == 100


# -- Trakt writes ---------------------------------------------------------------------------------
GOTG = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "118340"})


async def test_trakt_history_add_answer(session, corpus) -> None:
    corpus.serve("trakt/sync_history_add_201.json")
    result = await trakt(session, corpus).history_add(
        [Play(item=GOTG, watched_at=when("2014-09-01T09:10:11"))]
    )
    assert (result.added, result.not_found) == (74, 1)
    assert result.not_found_ids == [{"imdb": "tt0000111"}]


async def test_trakt_history_remove_answer(session, corpus) -> None:
    corpus.serve("trakt/sync_history_remove_200.json")
    result = await trakt(session, corpus).history_remove(history_ids=[23, 42])
    # One unknown movie and two unknown history ids; only the movie has ids to report.
    assert (result.deleted, result.not_found) == (74, 3)
    assert result.not_found_ids == [{"imdb": "tt0000111"}]


async def test_trakt_watchlist_add_answer(session, corpus) -> None:
    corpus.serve("trakt/sync_watchlist_add_201.json")
    result = await trakt(session, corpus).watchlist_add([GOTG])
    assert (result.added, result.existing, result.not_found) == (5, 0, 1)


async def test_trakt_ratings_add_answer(session, corpus) -> None:
    corpus.serve("trakt/sync_ratings_add_201.json")
    result = await trakt(session, corpus).ratings_add([Rating(item=GOTG, rating=10)])
    assert (result.added, result.not_found) == (5, 1)
    assert result.not_found_ids == [{"imdb": "tt0000111"}]


# -- Trakt scrobble -------------------------------------------------------------------------------
PILOT = MediaItem(
    kind=MediaKind.EPISODE,
    ids={"trakt": "16"},
    show_ids={"trakt": "1", "tvdb": "81189"},
    season=1,
    number=1,
)


async def test_trakt_scrobble_start_movie(session, corpus) -> None:
    corpus.serve("trakt/scrobble_start_movie_201.json")
    result = await trakt(session, corpus).scrobble("start", GOTG, 1.25)
    assert (result.action, result.progress, result.history_id) == ("start", 1.25, 0)
    assert result.item is not None
    assert result.item.ids["trakt"] == "28"


async def test_trakt_scrobble_start_episode(session, corpus) -> None:
    corpus.serve("trakt/scrobble_start_episode_201.json")
    result = await trakt(session, corpus).scrobble("start", PILOT, 10)
    assert result.item is not None
    assert result.item.kind is MediaKind.EPISODE
    assert result.item.ids["trakt"] == "16"
    assert result.item.show_ids["trakt"] == "1"
    assert (result.item.season, result.item.number) == (1, 1)


async def test_trakt_scrobble_stop_scrobbles_and_pauses(session, corpus) -> None:
    corpus.serve("trakt/scrobble_stop_episode_201.json", "trakt/scrobble_stop_pause_201.json")
    client = trakt(session, corpus)
    watched = await client.scrobble("stop", PILOT, 85)
    assert (watched.action, watched.history_id) == ("scrobble", 3373536623)
    paused = await client.scrobble("stop", GOTG, 75)
    assert (paused.action, paused.progress) == ("pause", 75.0)


async def test_trakt_scrobble_409_is_already_scrobbled(session, corpus) -> None:
    corpus.serve("trakt/scrobble_stop_409.json")
    result = await trakt(session, corpus).scrobble("stop", GOTG, 99)
    assert result.already_scrobbled
    assert result.watched_at == when("2014-10-15T22:21:29")
    assert result.expires_at == when("2014-10-15T23:21:29")


async def test_trakt_scrobble_404_and_422(session, corpus) -> None:
    corpus.serve("trakt/scrobble_start_404.json", "trakt/scrobble_pause_422.json")
    client = trakt(session, corpus)
    with pytest.raises(NotFoundError):
        await client.scrobble("start", GOTG, 5)
    with pytest.raises(RequestRejectedError) as info:
        await client.scrobble("pause", GOTG, 85.9)
    assert info.value.status == 422


# -- SIMKL ----------------------------------------------------------------------------------------
async def test_simkl_all_items(session, corpus) -> None:
    corpus.serve("simkl/all_items.json")
    library = await simkl(session, corpus).all_items()
    by_title = {e.item.title: e for e in library.entries}
    emerald = by_title["Emerald City"]
    assert emerald.item.kind is MediaKind.SHOW
    # Ids SIMKL sends as strings are ids all the same.
    assert {"imdb": "tt3579018", "tmdb": "62417", "tvdb": "295779"}.items() <= (
        emerald.item.ids.items()
    )
    assert (emerald.status, emerald.rating) == ("hold", None)
    hxh = by_title["Hunter x Hunter"]
    assert (hxh.item.kind, hxh.section, hxh.rating) == (MediaKind.SHOW, "anime", 10)
    ajin = by_title["Ajin 2"]
    assert ajin.item.ids == {"simkl": "581835", "mal": "33253", "anidb": "12111"}
    assert ajin.status == "plantowatch"
    assert [w.item.title for w in library.watchlist()] == ["Ajin 2"]
    plays = library.plays()
    assert sorted((p.item.title, p.watched_at) for p in plays) == [
        ("Captain America: The First Avenger", when("2014-08-09T07:25:55")),
        ("Maleficent", when("2014-08-16T18:45:20")),
    ]
    # Runtimes in minutes on each title's object; Hunter x Hunter's is null (not known).
    assert sorted((p.item.title, m) for p, m in library.timed_plays()) == [
        ("Captain America: The First Avenger", 120),
        ("Maleficent", 100),
    ]
    assert (emerald.runtime, hxh.runtime, ajin.runtime) == (40, None, 100)


async def test_simkl_all_items_anime_episodes_without_times(session, corpus) -> None:
    corpus.serve("simkl/all_items_anime_full.json")
    library = await simkl(session, corpus).all_items()
    [entry] = library.entries
    assert entry.watched_episodes == ((1, 1, None), (1, 2, None), (1, 3, None))
    assert library.plays() == []  # a watched episode without a time is no play to copy


async def test_simkl_all_items_null_is_empty(session, corpus) -> None:
    corpus.serve("simkl/all_items_null.json")
    library = await simkl(session, corpus).all_items()
    assert library.entries == []


async def test_simkl_activities_markers(session, corpus) -> None:
    corpus.serve("simkl/activities.json")
    side = SimklSide(simkl(session, corpus))
    markers = await side.markers([Feature.HISTORY, Feature.RATINGS])
    stamp = "2016-10-29T09:03:45Z"
    assert markers[Feature.HISTORY] == "|".join([stamp] * 6)
    assert markers[Feature.RATINGS] == "|".join([stamp] * 3)


async def test_simkl_scrobble_answers(session, corpus) -> None:
    corpus.serve(
        "simkl/scrobble_start_movie_201.json",
        "simkl/scrobble_start_episode_201.json",
        "simkl/scrobble_stop_episode_201.json",
        "simkl/scrobble_stop_409.json",
    )
    client = simkl(session, corpus)
    inception = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt1375666", "tmdb": "27205"})
    movie = await client.scrobble("start", inception, 12.5)
    assert movie.item is not None
    assert (movie.item.kind, movie.item.ids["simkl"], movie.item.ids["tmdb"]) == (
        MediaKind.MOVIE,
        "472214",
        "27205",
    )
    episode = MediaItem(kind=MediaKind.EPISODE, show_ids={"imdb": "tt4574334"}, season=1, number=3)
    started = await client.scrobble("start", episode, 42)
    assert started.item is not None
    assert started.item.kind is MediaKind.EPISODE
    assert (started.item.show_ids["simkl"], started.item.season, started.item.number) == (
        "548312",
        1,
        3,
    )
    stopped = await client.scrobble("stop", episode, 85)
    assert (stopped.action, stopped.history_id) == ("scrobble", 124)
    again = await client.scrobble("stop", episode, 85)
    assert again.already_scrobbled
    assert again.expires_at == when("2024-01-15T11:30:00")


async def test_simkl_pin_flow(session, corpus) -> None:
    corpus.serve(
        "simkl/pin_code.json",
        "simkl/pin_pending.json",
        "simkl/pin_slow_down.json",
        "simkl/pin_approved.json",
    )
    client = SimklClient(session, base_url=corpus.url, client_id="client", clock=ManualClock())
    pin = await client.pin_start()
    assert (pin.user_code, pin.verification_url, pin.expires_in, pin.interval) == (
        "A1B2C",
        "https://simkl.com/pin/",
        900,
        5,
    )
    assert (await client.pin_poll("A1B2C")).status is PinStatus.PENDING
    assert (await client.pin_poll("A1B2C")).status is PinStatus.SLOW_DOWN
    approved = await client.pin_poll("A1B2C")
    assert (approved.status, approved.access_token) == (PinStatus.APPROVED, "ACCESS_TOKEN")


async def test_simkl_history_add_answer(session, corpus) -> None:
    corpus.serve("simkl/history_add_200.json")
    show = MediaItem(kind=MediaKind.SHOW, ids={"tvdb": "267440"})
    result = await simkl(session, corpus).history_add(
        [Play(item=show, watched_at=when("2010-01-20T20:09:04"))]
    )
    # ``statuses`` echo the request per item; they are not more titles.
    assert (result.added, result.not_found) == (7, 0)


# -- TMDb -----------------------------------------------------------------------------------------
async def test_tmdb_find_movie_and_show(session, corpus) -> None:
    corpus.serve("tmdb/find_imdb_movie.json", "tmdb/find_tv.json")
    client = tmdb(session, corpus)
    found = await client.find("imdb", "tt9218128")
    [movie] = found.movies
    assert (movie.item.kind, movie.item.ids, movie.item.title, movie.item.year) == (
        MediaKind.MOVIE,
        {"tmdb": "558449"},
        "Gladiator II",
        2024,
    )
    assert (found.shows, found.episodes) == ([], [])
    found = await client.find("tvdb", "81189")
    [show] = found.shows
    assert (show.item.kind, show.item.ids["tmdb"], show.item.year) == (MediaKind.SHOW, "1396", 2008)
    assert show.poster_path == "/ztkUQFLlC19CCMYHW9o1zWhJRNq.jpg"


async def test_tmdb_details_carry_external_ids(session, corpus) -> None:
    corpus.serve("tmdb/movie_550.json", "tmdb/tv_1396.json")
    client = tmdb(session, corpus)
    movie = await client.movie(550)
    assert movie.item.ids == {"tmdb": "550", "imdb": "tt0137523"}
    assert (movie.item.title, movie.item.year) == ("Fight Club", 1999)
    show = await client.show(1396)
    assert show.item.ids == {"tmdb": "1396", "imdb": "tt0903747", "tvdb": "81189"}
    assert (show.item.title, show.item.year) == ("Breaking Bad", 2008)


async def test_tmdb_configuration_and_404(session, corpus) -> None:
    corpus.serve("tmdb/configuration.json", "tmdb/not_found_404.json")
    client = tmdb(session, corpus)
    await client.configuration()
    assert client.image_url("/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg", "w342") == (
        "https://image.tmdb.org/t/p/w342/pB8BM7pdSp6B6Ih7QZ4DrQ3PmJK.jpg"
    )
    with pytest.raises(NotFoundError):
        await client.movie(999999999)


# -- fixes the corpus forced ---------------------------------------------------------------------
async def test_simkl_anime_films_are_movies_and_ovas_are_shows(session, corpus) -> None:
    corpus.serve("simkl/all_items_anime_movie_ova.json")
    library = await simkl(session, corpus).all_items()
    film, ova = library.entries
    assert (film.item.kind, film.item.title, film.section) == (
        MediaKind.MOVIE,
        "Violet Evergarden the Movie",
        "anime",
    )
    # Its ids are SIMKL's and the anime databases'; SIMKL's slug keeps its own name.
    assert film.item.ids == {
        "simkl": "799363",
        "simkl_slug": "gekijouban-violet-evergarden",
        "mal": "37987",
        "anilist": "103047",
        "kitsu": "41450",
        "anidb": "14013",
    }
    # A watched film is one play, like any movie.
    assert [p.item for p in library.plays()] == [film.item]
    assert ova.item.kind is MediaKind.SHOW
    assert [w.item for w in library.watchlist()] == [ova.item]


async def test_simkl_slug_is_never_a_trakt_slug(session, corpus) -> None:
    corpus.serve("simkl/all_items.json", "trakt/sync_watchlist_add_201.json")
    library = await simkl(session, corpus).all_items()
    [emerald] = [e.item for e in library.entries if e.item.title == "Emerald City"]
    assert emerald.ids["simkl_slug"] == "emerald-city"
    assert "slug" not in emerald.ids
    await trakt(session, corpus).watchlist_add([emerald])
    sent = json.loads(corpus.seen[-1][3])
    assert sent == {"shows": [{"ids": {"imdb": "tt3579018", "tmdb": 62417, "tvdb": 295779}}]}


async def test_simkl_ratings_are_read_the_documented_way(session, corpus) -> None:
    corpus.serve("simkl/ratings.json")
    ratings = await simkl(session, corpus).ratings()
    # ``POST /sync/ratings/{type}`` per type, as SIMKL's docs give it (the fixture answers each).
    assert [(m, p) for m, p, _, _ in corpus.seen] == [
        ("POST", "/sync/ratings/movies"),
        ("POST", "/sync/ratings/shows"),
        ("POST", "/sync/ratings/anime"),
    ]
    first = ratings[:3]
    assert sorted((r.item.title, r.item.kind, r.rating) for r in first) == [
        ("Hunter x Hunter", MediaKind.SHOW, 10),
        ("Maleficent", MediaKind.MOVIE, 6),
        ("The Last Ship", MediaKind.SHOW, 5),
    ]
    assert first[0].rated_at == when("2021-06-23T13:19:05")


async def test_simkl_anime_scrobble_answers(session, corpus) -> None:
    corpus.serve(
        "simkl/scrobble_start_anime_episode_201.json", "simkl/scrobble_start_anime_movie_201.json"
    )
    client = simkl(session, corpus)
    sent = MediaItem(kind=MediaKind.EPISODE, show_ids={"tmdb": "1429"}, season=2, number=4)
    episode = await client.scrobble("start", sent, 42.2)
    assert episode.item is not None
    # SIMKL answers S1E4 (AniDB numbering) and echoes S2E4 as tvdb_*: our S2E4.
    assert (episode.item.kind, episode.item.season, episode.item.number) == (
        MediaKind.EPISODE,
        2,
        4,
    )
    assert episode.item.show_ids["mal"] == "25777"
    film = MediaItem(kind=MediaKind.MOVIE, ids={"mal": "37987"})
    answered = await client.scrobble("start", film, 25.5)
    assert answered.item is not None
    assert (answered.item.kind, answered.item.ids["simkl"]) == (MediaKind.MOVIE, "799363")


async def test_trakt_writes_name_episodes_by_their_own_ids(session, corpus) -> None:
    corpus.serve("trakt/sync_history_add_201.json")
    dvd_order = MediaItem(  # Plex's S1E1 of a DVD-ordered show, with the episode's own ids
        kind=MediaKind.EPISODE,
        ids={"tvdb": "297989", "imdb": "tt0579539", "plex": "a" * 24},
        show_ids={"tvdb": "78874"},
        season=1,
        number=1,
    )
    numbers_only = MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "78874"}, season=1, number=2)
    watched = when("2026-01-01T00:00:00")
    await trakt(session, corpus).history_add(
        [Play(item=dvd_order, watched_at=watched), Play(item=numbers_only, watched_at=watched)]
    )
    sent = json.loads(corpus.seen[-1][3])
    stamp = "2026-01-01T00:00:00.000Z"
    assert sent == {
        "shows": [
            {
                "ids": {"tvdb": 78874},
                "seasons": [{"number": 1, "episodes": [{"number": 2, "watched_at": stamp}]}],
            }
        ],
        "episodes": [{"ids": {"imdb": "tt0579539", "tvdb": 297989}, "watched_at": stamp}],
    }


async def test_simkl_writes_carry_the_episodes_own_ids(session, corpus) -> None:
    corpus.serve("simkl/history_add_200.json")
    episode = MediaItem(
        kind=MediaKind.EPISODE,
        ids={"tvdb": "297989", "imdb": "tt0579539"},
        show_ids={"tvdb": "78874"},
        season=1,
        number=1,
    )
    await simkl(session, corpus).history_add(
        [Play(item=episode, watched_at=when("2026-01-01T00:00:00"))]
    )
    sent = json.loads(corpus.seen[-1][3])
    assert sent["shows"][0]["seasons"] == [
        {
            "number": 1,
            "episodes": [
                {"number": 1, "ids": {"tvdb": 297989}, "watched_at": "2026-01-01T00:00:00Z"}
            ],
        }
    ]


async def test_simkl_anime_known_only_to_anime_databases_is_unmatched_elsewhere(
    session, corpus
) -> None:
    corpus.serve("simkl/all_items.json")
    library = await simkl(session, corpus).all_items()
    [ajin] = [e.item for e in library.entries if e.item.title == "Ajin 2"]
    # No id Trakt knows: reported as unmatched (no_usable_id), never sent id-less or by title.
    assert trakt_capabilities().refusal(Feature.WATCHLIST, ajin) == "no_usable_id"
    # SIMKL itself takes it back by its MyAnimeList/AniDB ids.
    assert SIMKL_CAPABILITIES.refusal(Feature.WATCHLIST, ajin) is None
    bare = MediaItem(kind=MediaKind.SHOW, ids={"mal": "33253", "anidb": "12111"})
    assert SIMKL_CAPABILITIES.refusal(Feature.WATCHLIST, bare) is None


# -- Trakt's VIP walls (mid-2026) ---------------------------------------------------------------
async def test_trakt_vip_only_answer(session, corpus) -> None:
    corpus.serve("trakt/vip_only_426.json")
    with pytest.raises(AppRejectedError) as info:
        await trakt(session, corpus).last_activities()
    assert info.value.reason == APP_VIP_REQUIRED


async def test_trakt_removed_app_answers(session, corpus) -> None:
    corpus.serve("trakt/app_removed_403.json")
    with pytest.raises(AppRejectedError) as info:
        await trakt(session, corpus).last_activities()
    assert info.value.reason == APP_REMOVED
    corpus.answers.clear()
    corpus.serve("trakt/app_removed_token_401.json")
    auth = TraktAuth(
        session,
        base_url=corpus.url,
        client_id="client",
        client_secret="secret",
        clock=ManualClock(),
    )
    with pytest.raises(AppRejectedError) as renewal:
        await auth.refresh("refresh")
    assert renewal.value.reason == APP_REMOVED


async def test_trakt_search_by_title(session, corpus) -> None:
    corpus.serve("trakt/search_text_movie.json")
    found = await trakt(session, corpus).search_title(MediaKind.MOVIE, "The Avengers", 2012)
    assert [(f.title, f.year, f.ids.get("imdb")) for f in found] == [
        ("The Avengers", 2012, "tt0848228"),
        ("Avengers: Age of Ultron", 2015, "tt2395427"),
        ("The Avengers", 1998, "tt0118661"),
    ]
    assert {f.kind for f in found} == {MediaKind.MOVIE}
    method, path, query, _ = corpus.seen[0]
    assert (method, path) == ("GET", "/search/movie")
    assert query["query"] == "The Avengers"
    assert query["years"] == "2012"
    corpus.answers.clear()
    corpus.serve("trakt/search_text_show.json")
    shows = await trakt(session, corpus).search_title(MediaKind.SHOW, "Breaking Bad")
    assert shows[0].ids["tvdb"] == "81189"
    assert "tmdb" not in shows[2].ids  # Talking Bad: tmdb null
    assert "years" not in corpus.seen[-1][2]


async def test_simkl_search_by_title(session, corpus) -> None:
    corpus.serve("simkl/search_text_movie.json")
    found = await simkl(session, corpus).search_title(MediaKind.MOVIE, "john wick", 2014)
    assert [(f.title, f.year, f.ids) for f in found] == [
        (
            "John Wick: Chapter 2",
            2017,
            {"simkl": "471618", "simkl_slug": "john-wick-chapter-2", "tmdb": "324552"},
        ),
        ("John Wick", 2014, {"simkl": "342994", "simkl_slug": "john-wick", "tmdb": "245891"}),
        ("John Wick: Chapter 3", 2019, {"simkl": "687232", "simkl_slug": "john-wick-chapter-3"}),
    ]
    method, path, query, _ = corpus.seen[0]
    assert (method, path, query["q"]) == ("GET", "/search/movie", "john wick")
    corpus.answers.clear()
    corpus.serve("simkl/search_text_anime_by_url.json")
    [anime] = await simkl(session, corpus).search_title(MediaKind.SHOW, "shingeki no kyojin")
    assert (anime.kind, anime.ids, anime.year) == (
        MediaKind.SHOW,
        {"simkl": "39687", "simkl_slug": "shingeki-no-kyojin"},
        2013,
    )
    assert corpus.seen[-1][1] == "/search/tv"
