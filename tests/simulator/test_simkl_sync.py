"""Contract tests: SIMKL scrobble bodies and ``date_from`` on the sync reads."""

from __future__ import annotations

from functools import partial
from typing import Any

import aiohttp
import pytest

from simulator import credentials as cred
from simulator.catalogue import Episode, Show
from simulator.clock import iso_s
from simulator.testing import Simulator

from .helpers import SIMKL_PARAMS, simkl_headers

BREAKING_BAD = {"ids": {"tvdb": 81189}}


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def _post(
    sim: Simulator, http: aiohttp.ClientSession, path: str, body: object, **params: str
) -> tuple[int, Any]:
    async with http.post(
        sim.url("simkl") + path,
        json=body,
        params={**SIMKL_PARAMS, **params},
        headers=simkl_headers(),
    ) as resp:
        return resp.status, await resp.json()


async def _get(
    sim: Simulator, http: aiohttp.ClientSession, path: str, **params: str
) -> tuple[int, Any]:
    async with http.get(
        sim.url("simkl") + path, params={**SIMKL_PARAMS, **params}, headers=simkl_headers()
    ) as resp:
        return resp.status, await resp.json()


@pytest.mark.parametrize(
    "body",
    [
        {"show": BREAKING_BAD, "progress": 10},
        {"show": BREAKING_BAD, "episode": {"season": 1}, "progress": 10},
        {"anime": {"ids": {"mal": 11061}}, "progress": 10},
    ],
)
async def test_scrobbling_a_show_without_an_episode_is_an_empty_field(
    sim: Simulator, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    for action in ("start", "pause", "stop"):
        status, out = await _post(sim, http, f"/scrobble/{action}", body)
        assert status == 400
        assert out["error"] == "empty_field"
        assert out["code"] == 400
    user = sim.state.simkl.users[cred.SIMKL_USER]
    assert user.playback == {}
    assert user.scrobbled == {}


async def test_scrobble_body_errors(sim: Simulator, http: aiohttp.ClientSession) -> None:
    status, out = await _post(sim, http, "/scrobble/start", {"progress": 10})
    assert (status, out["error"]) == (400, "empty_field")
    unknown_show = {"show": {"ids": {"tvdb": 1}}, "episode": {"season": 1, "number": 1}}
    status, out = await _post(sim, http, "/scrobble/start", {**unknown_show, "progress": 10})
    assert (status, out["error"]) == (404, "id_err")
    status, out = await _post(
        sim, http, "/scrobble/start", {"movie": {"ids": {"imdb": "tt0000001"}}, "progress": 10}
    )
    assert (status, out["error"]) == (404, "id_err")
    no_such_episode = {"show": BREAKING_BAD, "episode": {"season": 1, "number": 99}}
    status, out = await _post(sim, http, "/scrobble/start", {**no_such_episode, "progress": 10})
    assert (status, out["error"]) == (404, "id_err")


async def test_scrobble_episode_numbers_as_strings_and_default_season(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    body = {"show": BREAKING_BAD, "episode": {"season": "2", "number": "1"}, "progress": 10}
    status, out = await _post(sim, http, "/scrobble/start", body)
    assert status == 201
    assert out["episode"] == {"season": 2, "number": 1, "title": "Chapter 1"}
    assert out["show"]["ids"]["tvdb"] == "81189"
    anime = {"anime": {"ids": {"mal": 11061}}, "episode": {"number": 2}, "progress": 90}
    status, out = await _post(sim, http, "/scrobble/stop", anime)
    assert status == 201
    assert out["action"] == "scrobble"
    assert out["episode"]["season"] == 1  # no season: the first
    assert out["anime"]["anime_type"] == "tv"


async def test_all_items_date_from_is_inclusive(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.clock.advance(100.5)  # 2026-11-01T12:01:40.5Z
    body = {"movies": [{"to": "plantowatch", "ids": {"tmdb": 27205}}]}
    status, _ = await _post(sim, http, "/sync/add-to-list", body)
    assert status == 201
    _, activities = await _get(sim, http, "/sync/activities")
    changed = activities["movies"]["plantowatch"]
    assert changed == "2026-11-01T12:01:40Z"  # whole seconds, cut down

    async def titles(date_from: str) -> dict[str, list[str]]:
        status, out = await _get(sim, http, "/sync/all-items", date_from=date_from)
        assert status == 200
        return {
            group: [row["movie" if group == "movies" else "show"]["title"] for row in rows]
            for group, rows in out.items()
        }

    assert await titles(changed) == {"movies": ["Inception"]}  # what activities said: included
    assert await titles("2026-11-01T12:01:40.500Z") == {"movies": ["Inception"]}
    assert await titles("2026-11-01T13:01:40.5+01:00") == {"movies": ["Inception"]}
    assert await titles("2026-11-01T12:01:40.501Z") == {}
    assert await titles("2026-11-01T12:01:41Z") == {}
    earlier = await titles("2026-10-01T00:00:00Z")
    assert "Inception" in earlier["movies"]
    assert len(earlier["movies"]) > 1
    status, out = await _get(sim, http, "/sync/all-items/movies/plantowatch", date_from=changed)
    assert [r["movie"]["title"] for r in out["movies"]] == ["Inception"]
    status, out = await _get(sim, http, "/sync/all-items/shows", date_from=changed)
    assert out == {}


async def test_ratings_date_from_follows_rated_at(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    body = {"movies": [{"rating": 7, "rated_at": "2026-10-20T08:00:00Z", "ids": {"tmdb": 27205}}]}
    status, _ = await _post(sim, http, "/sync/ratings", body)
    assert status == 201
    # SIMKL's docs give the ratings read as a POST (tests/fixtures/real/simkl/ratings.json).
    since = "2026-10-20T08:00:00Z"
    status, out = await _post(sim, http, "/sync/ratings/movies", None, date_from=since)
    assert [r["movie"]["title"] for r in out["movies"]] == ["Inception"]
    later = "2026-10-20T08:00:01Z"
    status, out = await _post(sim, http, "/sync/ratings/movies", None, date_from=later)
    assert "Inception" not in [r["movie"]["title"] for r in out.get("movies", [])]
    status, _ = await _get(sim, http, "/sync/ratings/movies")
    assert status == 404  # no GET in SIMKL's docs


@pytest.mark.parametrize("path", ["/sync/all-items", "/sync/ratings/movies"])
async def test_unreadable_date_from_is_a_wrong_parameter(
    sim: Simulator, http: aiohttp.ClientSession, path: str
) -> None:
    read = _get if path == "/sync/all-items" else partial(_post, body=None)
    status, out = await read(sim, http, path, date_from="last tuesday")
    assert status == 400
    assert out == {
        "error": "wrong_parameter",
        "code": 400,
        "message": "date_from must be an ISO 8601 time",
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sync/history", {"movies": [{"watched_at": "soon", "ids": {"tmdb": 27205}}]}),
        ("/sync/history", {"episodes": [{"watched_at": "soon", "ids": {"tvdb": 4000002}}]}),
        ("/sync/ratings", {"movies": [{"rating": 5, "rated_at": "?", "ids": {"tmdb": 27205}}]}),
        (
            "/sync/add-to-list",
            {"movies": [{"to": "completed", "watched_at": "x", "ids": {"tmdb": 27205}}]},
        ),
    ],
)
async def test_unreadable_body_times_are_400(
    sim: Simulator, http: aiohttp.ClientSession, path: str, body: dict[str, Any]
) -> None:
    status, out = await _post(sim, http, path, body)
    assert status == 400
    assert out["error"] == "wrong_parameter"


async def test_history_episodes_by_ids_and_unknown_entries(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    episode = sim.item("Breaking Bad", 2, 3)
    assert isinstance(episode, Episode)
    user = sim.state.simkl.users[cred.SIMKL_USER]
    assert episode not in user.watched
    body = {
        "episodes": [
            {"watched_at": "2026-10-01T10:00:00Z", "ids": {"tvdb": episode.tvdb}},
            {"ids": {"tvdb": 1}},
            "not an object",
        ]
    }
    status, out = await _post(sim, http, "/sync/history", body)
    assert status == 201
    assert out["added"]["episodes"] == 1
    assert out["not_found"]["episodes"] == [{"ids": {"tvdb": 1}}, "not an object"]
    assert iso_s(user.watched[episode]) == "2026-10-01T10:00:00Z"


def _show_row(items: dict[str, Any], title: str) -> dict[str, Any] | None:
    return next((r for r in items.get("shows", []) if r["show"]["title"] == title), None)


async def test_whole_titles_through_lists_history_and_removal(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    user = sim.state.simkl.users[cred.SIMKL_USER]
    show = sim.item("Breaking Bad")
    assert isinstance(show, Show)
    regular = [e for e in show.episodes if e.season > 0]
    # Completed through the list: every regular episode is watched at the given time.
    body = {
        "shows": [{"to": "completed", "watched_at": "2026-10-01T10:00:00Z", **BREAKING_BAD}],
        "movies": [{"to": "completed", "ids": {"tmdb": 27205}}],
    }
    status, out = await _post(sim, http, "/sync/add-to-list", body)
    assert status == 201
    assert [a["to"] for a in out["added"]["shows"]] == ["completed"]
    _, items = await _get(sim, http, "/sync/all-items")
    row = _show_row(items, "Breaking Bad")
    assert row is not None
    assert row["status"] == "completed"
    assert row["watched_episodes_count"] == row["total_episodes_count"] == len(regular)
    assert sim.item("Inception") in user.watched

    # Part of a season goes, the title stays; then the whole title goes, rating included.
    remove = {"shows": [{**BREAKING_BAD, "seasons": [{"number": 1}]}]}
    status, out = await _post(sim, http, "/sync/history/remove", remove)
    season_one = [e for e in regular if e.season == 1]
    assert out["deleted"] == {"movies": 0, "shows": 0, "episodes": len(season_one)}
    _, items = await _get(sim, http, "/sync/all-items/shows")
    row = _show_row(items, "Breaking Bad")
    assert row is not None
    assert row["watched_episodes_count"] == len(regular) - len(season_one)
    status, out = await _post(sim, http, "/sync/history/remove", {"shows": [BREAKING_BAD]})
    assert out["deleted"] == {
        "movies": 0,
        "shows": 1,
        "episodes": len(regular) - len(season_one),
    }
    _, items = await _get(sim, http, "/sync/all-items/shows")
    assert _show_row(items, "Breaking Bad") is None
    status, out = await _post(sim, http, "/sync/history/remove", {"shows": [BREAKING_BAD]})
    assert out["not_found"]["shows"] == [BREAKING_BAD]

    # A bare show in history: every regular episode, and an ended show is completed.
    status, out = await _post(sim, http, "/sync/history", {"shows": [BREAKING_BAD]})
    assert out["added"]["episodes"] == len(regular)
    assert out["added"]["statuses"][0]["response"]["status"] == "completed"
    status, out = await _post(
        sim, http, "/sync/history", {"movies": [{"ids": {"tmdb": 550}}, {"ids": {"tmdb": 1}}]}
    )
    assert out["added"]["movies"] == 1
    assert out["not_found"]["movies"] == [{"ids": {"tmdb": 1}}]


async def test_ratings_remove_and_watched_lookups(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    rate = {"movies": [{"rating": 6, "ids": {"tmdb": 550}}]}
    status, _ = await _post(sim, http, "/sync/ratings", rate)
    assert status == 201
    status, out = await _post(sim, http, "/sync/ratings/remove", rate)
    assert status == 200
    assert out["deleted"] == {"movies": 1, "shows": 0}
    status, out = await _post(sim, http, "/sync/ratings/remove", rate)
    assert out["deleted"] == {"movies": 0, "shows": 0}
    assert out["not_found"]["movies"] == rate["movies"]
    queries = [{"tmdb": "550", "type": "movie"}, {"imdb": "tt0000001", "type": "movie"}]
    status, out = await _post(sim, http, "/sync/watched", queries)
    watched = sim.item("Fight Club") in sim.state.simkl.users[cred.SIMKL_USER].watched
    assert out[0]["result"] is watched
    assert out[0]["list"] is not None  # rated once: listed, as SIMKL auto-adds rated titles
    assert out[1]["result"] == "not_found"
    status, out = await _post(sim, http, "/sync/watched", {"not": "a list"})
    assert (status, out["error"]) == (400, "wrong_parameter")


async def test_tmdb_finds_a_season_by_its_tvdb_id(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    show = sim.item("Breaking Bad")
    assert isinstance(show, Show)
    season = show.season_items[2]
    async with http.get(
        f"{sim.url('tmdb')}/find/{season.tvdb}",
        params={"external_source": "tvdb_id", "api_key": cred.TMDB_V3_KEY},
    ) as resp:
        found = await resp.json()
    assert found["tv_results"] == found["tv_episode_results"] == found["movie_results"] == []
    assert found["tv_season_results"] == [
        {
            "id": season.tmdb,
            "name": "Season 2",
            "overview": "",
            "media_type": "tv_season",
            "air_date": iso_s(season.episodes[0].first_aired)[:10],
            "episode_count": len(season.episodes),
            "poster_path": None,
            "season_number": 2,
            "show_id": 1396,
            "vote_average": 0.0,
        }
    ]


async def test_playback_sessions_list_and_delete(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    movie = {"movie": {"ids": {"tmdb": 27205}}, "progress": 40}
    episode = {"show": BREAKING_BAD, "episode": {"season": 1, "number": 2}, "progress": 30}
    _, paused_movie = await _post(sim, http, "/scrobble/pause", movie)
    sim.clock.advance(60)
    _, paused_episode = await _post(sim, http, "/scrobble/stop", episode)  # < 80%: a pause
    assert paused_episode["action"] == "pause"
    status, rows = await _get(sim, http, "/sync/playback")
    assert status == 200
    assert {r["id"] for r in rows} == {paused_movie["id"], paused_episode["id"]}
    _, movies = await _get(sim, http, "/sync/playback/movies")
    assert [(r["type"], r["movie"]["title"], r["progress"]) for r in movies] == [
        ("movie", "Inception", 40.0)
    ]
    _, episodes = await _get(sim, http, "/sync/playback/episode")
    # named season/episode plus the tvdb numbering (real: simkl/sync_playback.json)
    assert [(r["type"], r["show"]["title"], r["episode"]) for r in episodes] == [
        (
            "episode",
            "Breaking Bad",
            {
                "season": 1,
                "episode": 2,
                "title": "Chapter 2",
                "tvdb_season": 1,
                "tvdb_number": 2,
            },
        )
    ]
    assert [r["id"] for r in rows] == [paused_episode["id"], paused_movie["id"]]  # newest first
    url = f"{sim.url('simkl')}/sync/playback/{paused_movie['id']}"
    async with http.delete(url, params=SIMKL_PARAMS, headers=simkl_headers()) as resp:
        assert resp.status == 204
    async with http.delete(url, params=SIMKL_PARAMS, headers=simkl_headers()) as resp:
        assert resp.status == 404
        assert (await resp.json())["error"] == "not_found"
    _, rows = await _get(sim, http, "/sync/playback")
    assert [r["id"] for r in rows] == [paused_episode["id"]]


async def test_search_by_id_and_unknown_methods(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    _, rows = await _get(sim, http, "/search/id", tmdb="1396")
    assert [(r["type"], r["title"]) for r in rows] == [
        ("movie", "Breaking Point"),
        ("show", "Breaking Bad"),
    ]
    _, rows = await _get(sim, http, "/search/id", tmdb="1396", type="show")
    assert [r["title"] for r in rows] == ["Breaking Bad"]
    _, rows = await _get(sim, http, "/search/id", mal="11061")
    assert [(r["type"], r["ids"]["mal"]) for r in rows] == [("anime", "11061")]
    _, rows = await _get(sim, http, "/search/id", imdb="tt0000001")
    assert rows == []
    status, out = await _get(sim, http, "/sync/nothing-here")
    assert status == 404
    assert out == {"error": "not_found", "code": 404, "message": "Method not found"}


async def test_watched_episodes_come_with_extended_full_only(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """The docs' parameter table: ``extended=full`` "adds a list of episodes user have watched"."""
    body = {"shows": [{"to": "completed", "watched_at": "2026-10-01T10:00:00Z", **BREAKING_BAD}]}
    assert (await _post(sim, http, "/sync/add-to-list", body))[0] == 201
    _, plain = await _get(sim, http, "/sync/all-items/shows")
    row = _show_row(plain, "Breaking Bad")
    assert row is not None
    assert "seasons" not in row
    assert row["watched_episodes_count"] > 0
    _, full = await _get(sim, http, "/sync/all-items/shows", extended="full")
    row = _show_row(full, "Breaking Bad")
    assert row is not None
    episodes = [e for season in row["seasons"] for e in season["episodes"]]
    assert len(episodes) == row["watched_episodes_count"]
    assert all(set(e) == {"number"} for e in episodes)  # times with episode_watched_at=yes only
    _, timed = await _get(
        sim, http, "/sync/all-items/shows", extended="full", episode_watched_at="yes"
    )
    row = _show_row(timed, "Breaking Bad")
    assert row is not None
    timed_episodes = [e for season in row["seasons"] for e in season["episodes"]]
    assert [e["number"] for e in timed_episodes] == [e["number"] for e in episodes]
    assert all(set(e) == {"number", "watched_at"} for e in timed_episodes)
