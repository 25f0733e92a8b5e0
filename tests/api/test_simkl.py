"""SIMKL client against the simulator."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from custom_components.crosswatch.api.errors import (
    AuthError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.api.http import RetryPolicy
from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play, Rating
from custom_components.crosswatch.providers.simkl.client import (
    PinStatus,
    SimklClient,
    unpack_entry,
)
from simulator.testing import SIMKL_CLIENT_ID, SIMKL_TOKEN, Simulator

INCEPTION = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "27205"})
BREAKING_BAD = MediaItem(kind=MediaKind.SHOW, ids={"tvdb": "81189"})


def client(sim: Simulator, session, token: str | None = SIMKL_TOKEN) -> SimklClient:
    return SimklClient(
        session,
        base_url=sim.url("simkl"),
        client_id=SIMKL_CLIENT_ID,
        app_name="crosswatch-ha",
        app_version="0.1",
        token=token,
        clock=sim.clock,
        policy=RetryPolicy(attempts=2, timeout=0.5),
    )


async def test_pin_flow(sim, session) -> None:
    api = client(sim, session, token=None)
    pin = await api.pin_start()
    assert pin.interval == 5
    assert (await api.pin_poll(pin.user_code)).status is PinStatus.PENDING
    sim.clock.advance(1)
    assert (await api.pin_poll(pin.user_code)).status is PinStatus.SLOW_DOWN
    await sim.approve_simkl_pin(pin.user_code)
    sim.clock.advance(5)
    approved = await api.pin_poll(pin.user_code)
    assert approved.status is PinStatus.APPROVED
    assert approved.access_token
    assert approved.access_token not in repr(approved)
    assert api.token == approved.access_token
    assert (await api.settings())["user"]["name"] == "simkluser"
    assert (await api.pin_poll(pin.user_code)).status is PinStatus.GONE
    seen = (await sim.requests("simkl"))[0]
    assert seen["query"]["client_id"] == SIMKL_CLIENT_ID
    assert seen["query"]["app-name"] == "crosswatch-ha"
    assert seen["query"]["app-version"] == "0.1"
    assert seen["headers"]["User-Agent"] == "crosswatch-ha/0.1"


async def test_pin_body_without_code_is_invalid(sim, session) -> None:
    await sim.fault("simkl", "GET /oauth/pin", status=200, body={"result": "OK"})
    with pytest.raises(InvalidResponseError, match="user_code"):
        await client(sim, session, None).pin_start()


async def test_activities_then_incremental_all_items(sim, session) -> None:
    api = client(sim, session)
    acts = await api.activities()
    assert acts["all"].endswith("Z")
    library = await api.all_items()
    assert library.entries
    assert all(
        e.item.ids and all(isinstance(v, str) for v in e.item.ids.values()) for e in library.entries
    )
    watchlist = library.watchlist()
    assert watchlist
    assert all(w.listed_at for w in watchlist)
    plays = library.plays()
    assert any(p.item.kind is MediaKind.EPISODE and p.item.show_ids for p in plays)
    anime = [e for e in library.entries if e.section == "anime"]
    assert all(e.item.kind is MediaKind.SHOW for e in anime)
    # Nothing changed since now: the incremental read is empty.
    now = datetime.fromtimestamp(sim.clock.time(), UTC)
    assert (await api.all_items(date_from=now)).entries == []
    sim.clock.advance(60)
    await api.add_to_list([INCEPTION])
    changed = await api.all_items(date_from=now, section="movies", status="plantowatch")
    assert [e.item.ids["tmdb"] for e in changed.entries] == ["27205"]
    seen = (await sim.requests("simkl", "GET /sync/all-items*"))[-1]
    assert seen["query"]["date_from"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_packed_read_unpacks_to_the_entries_of_the_same_request(sim, session) -> None:
    api = client(sim, session)
    entries = (await api.all_items()).entries
    rows = await api.all_item_rows()
    assert entries
    assert [unpack_entry(row) for row in rows] == entries
    whole, packed = await sim.requests("simkl", "GET /sync/all-items*")
    assert (whole["path"], whole["query"]) == (packed["path"], packed["query"])


async def test_add_to_list_and_remove(sim, session) -> None:
    api = client(sim, session)
    result = await api.add_to_list(
        [INCEPTION, BREAKING_BAD, MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0000222"})]
    )
    assert (result.added, result.not_found) == (2, 1)
    body = (await sim.requests("simkl", "POST /sync/add-to-list"))[0]["body"]
    assert body["movies"][0] == {"ids": {"tmdb": 27205}, "to": "plantowatch"}
    removed = await api.history_remove([INCEPTION])
    assert removed.batches == 1
    library = await api.all_items()
    assert "27205" not in {e.item.ids.get("tmdb") for e in library.watchlist()}
    with pytest.raises(ValueError, match="lists"):
        await api.add_to_list([INCEPTION], to="favourites")


async def test_history_add_nests_episodes_and_batches(sim, session) -> None:
    api = client(sim, session)
    when = datetime(2026, 10, 1, 20, 0, tzinfo=UTC)
    plays = [Play(item=INCEPTION, watched_at=when)]
    plays += [
        Play(
            item=MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "81189"}, season=s, number=n),
            watched_at=when + timedelta(hours=n),
        )
        for s, n in ((1, 1), (1, 2), (2, 1))
    ]
    plays.append(Play(item=MediaItem(kind=MediaKind.EPISODE), watched_at=when))  # unplaceable
    movies = [
        MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": str(m.tmdb)})
        for m in sim.state.catalogue.movies
        if m.tmdb
    ][:3]
    plays += [Play(item=m, watched_at=when) for m in movies for _ in range(40)]
    start = sim.clock.time()
    result = await api.history_add(plays)
    assert result.batches == 2
    assert sim.clock.time() - start >= 1  # writes paced
    body = (await sim.requests("simkl", "POST /sync/history"))[0]["body"]
    show = body["shows"][0]
    assert show["ids"] == {"tvdb": 81189}
    assert [s["number"] for s in show["seasons"]] == [1, 2]
    assert show["seasons"][0]["episodes"][1] == {"number": 2, "watched_at": "2026-10-01T22:00:00Z"}
    library = await api.all_items(extended="full")
    watched = {
        (p.item.season, p.item.number)
        for p in library.plays()
        if p.item.show_ids.get("tvdb") == "81189"
    }
    assert {(1, 1), (1, 2), (2, 1)} <= watched


async def test_ratings(sim, session) -> None:
    api = client(sim, session)
    before = await api.ratings()
    assert before
    when = datetime(2026, 10, 3, tzinfo=UTC)
    added = await api.ratings_add(
        [Rating(item=INCEPTION, rating=8, rated_at=when), Rating(item=BREAKING_BAD, rating=9)]
    )
    assert added.added == 2
    since = await api.ratings(date_from=when - timedelta(seconds=1))
    assert {(r.item.ids.get("tmdb"), r.rating) for r in since} >= {("27205", 8)}
    removed = await api.ratings_remove([INCEPTION])
    assert removed.batches == 1
    assert "27205" not in {r.item.ids.get("tmdb") for r in await api.ratings()}


async def test_scrobble(sim, session) -> None:
    api = client(sim, session)
    start = await api.scrobble("start", INCEPTION, 5)
    assert (start.action, start.history_id) == ("start", 0)
    assert start.item is not None
    assert start.item.ids["tmdb"] == "27205"
    stop = await api.scrobble("stop", INCEPTION, 90)
    assert stop.action == "scrobble"
    assert stop.history_id
    again = await api.scrobble("stop", INCEPTION, 91)
    assert again.already_scrobbled
    assert again.expires_at
    episode = MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "81189"}, season=1, number=3)
    paused = await api.scrobble("pause", episode, 30)
    assert paused.item == MediaItem(
        kind=MediaKind.EPISODE,
        show_ids=paused.item.show_ids,
        show_title="Breaking Bad",
        year=2008,
        season=1,
        number=3,
    )
    with pytest.raises(NotFoundError):
        await api.scrobble("start", MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0"}), 5)
    with pytest.raises(ValueError, match="scrobble"):
        await api.scrobble("watch", INCEPTION, 1)


async def test_errors_and_secrets(sim, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "ab" * 32
    with pytest.raises(AuthError) as info:
        await client(sim, session, bad).activities()
    assert bad not in str(info.value)
    wrong_client = SimklClient(
        session,
        base_url=sim.url("simkl"),
        client_id="nope-client-id",
        token=SIMKL_TOKEN,
        clock=sim.clock,
    )
    with pytest.raises(RequestRejectedError, match="412") as rejected:
        await wrong_client.activities()
    assert "nope-client-id" not in str(rejected.value)
    assert bad not in caplog.text
    assert SIMKL_TOKEN not in caplog.text
    api = client(sim, session)
    await sim.fault("simkl", "GET /sync/activities", status=429, headers={"Retry-After": "1"})
    with pytest.raises(RateLimitedError):
        await api.activities()
    await sim.clear_faults()
    await sim.fault("simkl", "GET /sync/all-items", kind="truncated", count=1)
    with pytest.raises(InvalidResponseError, match="GET /sync/all-items"):
        await api.all_items()
    await sim.fault("simkl", "POST /sync/history", status=500, count=1)
    with pytest.raises(ServiceUnavailableError):
        await api.history_add([Play(item=INCEPTION, watched_at=datetime.now(UTC))])


ODD_BODY = {
    "movies": [{"movie": {"ids": {}}}, "x", {"movie": {"title": 1, "ids": {"simkl": 5}}}],
    "shows": [
        {
            "show": {"ids": {"tvdb": "1"}},
            "seasons": [
                {"number": 1, "episodes": [{"number": 2}, {"number": "x"}, "y"]},
                {"number": None},
            ],
        },
        {"show": {"ids": {"tvdb": "2"}}},
    ],
    "people": [{"x": 1}],
    "anime": "nope",
}


def answer(body: object) -> Callable[[web.Request], web.Response]:
    return lambda _request: web.json_response(body)


async def test_odd_all_items_rows_are_left_out_and_the_rest_read(scripted, session, clock) -> None:
    """Rows without ids, sections that are not lists, episodes without numbers: each left out."""
    scripted.then(answer(ODD_BODY), answer(None), answer({}))
    api = SimklClient(session, base_url=scripted.url, client_id="c", token="t", clock=clock)
    odd = await api.all_items()
    assert [e.item.ids for e in odd.entries] == [{"simkl": "5"}, {"tvdb": "1"}, {"tvdb": "2"}]
    assert odd.entries[1].watched_episodes == ((1, 2, None),)
    assert odd.plays() == []  # no watch times known
    assert odd.ratings() == []
    assert (await api.all_items()).entries == []  # ``null``: an empty library (older app ids)
    assert (await api.all_items()).entries == []
    query = scripted.seen[0]["query"]
    assert {"extended": "full", "episode_watched_at": "yes"}.items() <= query.items()


async def test_a_watchlist_read_asks_for_the_rows_alone(scripted, session, clock) -> None:
    """Without ``extended`` SIMKL leaves out every show's watched episodes (the docs)."""
    scripted.then(answer(ODD_BODY))
    api = SimklClient(session, base_url=scripted.url, client_id="c", token="t", clock=clock)
    await api.all_items(extended=None)
    query = scripted.seen[0]["query"]
    assert "extended" not in query
    assert "episode_watched_at" not in query


async def test_an_episode_without_show_ids_goes_by_its_own_ids(sim, session) -> None:
    simkl = client(sim, session)
    orphan = MediaItem(kind=MediaKind.EPISODE, ids={"tvdb": "349232"}, season=1, number=1)
    watched = datetime(2026, 1, 1, tzinfo=UTC)
    result = await simkl.history_add([Play(item=orphan, watched_at=watched)])
    [request] = await sim.requests("simkl", "POST /sync/history")
    assert request["body"] == {
        "episodes": [{"ids": {"tvdb": 349232}, "watched_at": "2026-01-01T00:00:00Z"}]
    }
    assert (result.added, result.not_found) == (0, 1)  # not an episode SIMKL knows
    nothing = MediaItem(kind=MediaKind.EPISODE, ids={"plex": "a" * 24}, season=1, number=1)
    result = await simkl.history_add([Play(item=nothing, watched_at=watched)])
    assert result.batches == 0


async def test_anime_film_is_listed_under_anime_and_read_as_a_movie(sim, session) -> None:
    simkl = client(sim, session)
    film = MediaItem(kind=MediaKind.MOVIE, ids={"simkl": "799363"})
    await simkl.add_to_list([film], "completed")
    library = await simkl.all_items(section="anime")
    [entry] = [e for e in library.entries if e.item.ids.get("simkl") == "799363"]
    assert (entry.section, entry.item.kind, entry.item.title) == (
        "anime",
        MediaKind.MOVIE,
        "Violet Evergarden the Movie",
    )
    started = await simkl.scrobble("start", film, 25.5)
    assert started.item is not None
    assert started.item.kind is MediaKind.MOVIE
    [sent] = [r for r in await sim.requests("simkl") if r["path"].endswith("/scrobble/start")]
    assert sent["body"]["movie"] == {"ids": {"simkl": 799363}}


async def test_anime_episode_answers_echo_our_numbering(sim, session) -> None:
    simkl = client(sim, session)
    body = {"progress": 10, "anime": {"ids": {"mal": 11061}}, "episode": {"season": 1, "number": 2}}
    raw = await simkl.http.post("/scrobble/start", route="POST /scrobble/start", json_body=body)
    assert isinstance(raw, dict)
    assert raw["anime"]["anime_type"] == "tv"
    assert (raw["episode"]["tvdb_season"], raw["episode"]["tvdb_number"]) == (1, 2)
    episode = MediaItem(kind=MediaKind.EPISODE, show_ids={"mal": "11061"}, season=1, number=2)
    started = await simkl.scrobble("start", episode, 10)
    assert started.item is not None
    assert (started.item.kind, started.item.season, started.item.number) == (
        MediaKind.EPISODE,
        1,
        2,
    )


async def test_activities_reuse_a_young_answer(sim, session) -> None:
    api = client(sim, session)
    first = await api.activities()
    assert await api.activities(max_age=60) == first
    sim.clock.advance(61)
    await api.activities(max_age=60)
    assert len(await sim.requests("simkl", "GET /sync/activities")) == 2


async def test_a_date_from_watching_read_leaves_films_out(scripted, session, clock) -> None:
    """What-to-watch-next reads shows and anime; after a large import the read names every film."""
    shows = [{"status": "watching", "show": {"ids": {"simkl": 1}}}]
    anime = [{"status": "hold", "show": {"ids": {"simkl": 2}}}]
    body = {"movies": [{"movie": {"ids": {"simkl": 3}}}], "shows": shows, "anime": anime}
    scripted.then(answer(body))
    api = SimklClient(session, base_url=scripted.url, client_id="c", token="t", clock=clock)
    assert await api.watching(datetime(2026, 1, 1, tzinfo=UTC)) == {
        "movies": [],
        "shows": shows,
        "anime": anime,
    }
    assert scripted.seen[0]["query"]["date_from"] == "2026-01-01T00:00:00Z"
