"""Contract tests: Trakt ratings at every level, history time windows, paging and removal."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from simulator import credentials as cred
from simulator.catalogue import Show
from simulator.clock import iso_ms
from simulator.testing import Simulator

from .helpers import trakt_headers

BREAKING_BAD = {"tvdb": 81189}


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def _post(
    sim: Simulator, http: aiohttp.ClientSession, path: str, body: object
) -> tuple[int, Any]:
    """One POST, then a second of simulated time (Trakt allows one write per second)."""
    async with http.post(sim.url("trakt") + path, json=body, headers=trakt_headers()) as resp:
        status, out = resp.status, await resp.json(content_type=None)
    await sim.clock.sleep(1)
    return status, out


async def _get(
    sim: Simulator, http: aiohttp.ClientSession, path: str, **params: str
) -> tuple[Any, dict[str, str]]:
    async with http.get(sim.url("trakt") + path, params=params, headers=trakt_headers()) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json(), dict(resp.headers)


def _show(sim: Simulator, title: str) -> Show:
    show = sim.item(title)
    assert isinstance(show, Show)
    return show


def _season_row(rows: list[dict[str, Any]], number: int) -> dict[str, Any]:
    return next(r for r in rows if r["season"]["number"] == number)


async def test_ratings_nested_under_a_show_rate_each_level(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    show = _show(sim, "Breaking Bad")
    before = (await _get(sim, http, "/sync/last_activities"))[0]["seasons"]["rated_at"]
    body = {
        "shows": [
            {
                "ids": BREAKING_BAD,
                "rating": 9,
                "rated_at": "2026-10-05T10:00:00.000Z",
                "seasons": [
                    {"number": 1, "rating": 7},
                    {
                        "number": 2,
                        "episodes": [
                            {"number": 1, "rating": 10, "rated_at": "2026-10-06T10:00:00.000Z"},
                            {"number": 3, "rating": 4},
                            {"number": 2},
                            {"number": 99, "rating": 5},
                        ],
                    },
                    {"number": 9, "rating": 5},
                ],
            }
        ]
    }
    status, out = await _post(sim, http, "/sync/ratings", body)
    assert status == 201
    assert out["added"] == {"movies": 0, "shows": 1, "seasons": 1, "episodes": 2}
    missing = out["not_found"]
    assert missing["movies"] == missing["shows"] == []
    assert missing["seasons"] == [{"number": 9, "rating": 5}]
    assert sorted(missing["episodes"], key=lambda e: e["number"]) == [
        {"number": 2, "rating": None},  # no rating of its own
        {"number": 99, "rating": 5},  # no such episode
    ]

    seasons, _ = await _get(sim, http, "/sync/ratings/seasons")
    assert [r["season"]["number"] for r in seasons] == [1]  # season 2 only named its episodes
    row = _season_row(seasons, 1)
    season_ids = {"trakt": row["season"]["ids"]["trakt"], "tvdb": row["season"]["ids"]["tvdb"]}
    assert row == {
        "rated_at": "2026-10-05T10:00:00.000Z",  # the show's rated_at carries down
        "rating": 7,
        "type": "season",
        "season": {"number": 1, "ids": {**season_ids, "tmdb": row["season"]["ids"]["tmdb"]}},
        "show": {
            "title": "Breaking Bad",
            "year": 2008,
            "ids": {
                "trakt": 1388,
                "slug": "breaking-bad",
                "tvdb": 81189,
                "imdb": "tt0903747",
                "tmdb": 1396,
            },
        },
    }
    assert all(isinstance(v, int) for v in row["season"]["ids"].values())

    episodes, _ = await _get(sim, http, "/sync/ratings/episodes")
    rated = {(r["episode"]["season"], r["episode"]["number"]): r for r in episodes}
    assert rated[2, 1]["rating"] == 10
    assert rated[2, 1]["rated_at"] == "2026-10-06T10:00:00.000Z"  # its own time wins
    assert rated[2, 3]["rating"] == 4
    assert rated[2, 3]["rated_at"] == "2026-10-05T10:00:00.000Z"
    assert (2, 2) not in rated  # no rating of its own: the show's is not inherited
    assert rated[2, 1]["show"]["ids"]["tvdb"] == 81189

    shows, _ = await _get(sim, http, "/sync/ratings/shows/9")
    assert "Breaking Bad" in [r["show"]["title"] for r in shows]
    assert all(r["rating"] == 9 for r in shows)

    after = (await _get(sim, http, "/sync/last_activities"))[0]["seasons"]["rated_at"]
    assert after > before
    user = sim.state.trakt.users[cred.TRAKT_USER]
    assert user.ratings[show.season_items[1]][0] == 7


async def test_top_level_seasons_and_episodes_by_ids(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    season = _show(sim, "Breaking Bad").season_items[2]
    episode = sim.item("Breaking Bad", 1, 3)
    body = {
        "seasons": [{"ids": {"trakt": season.trakt}, "rating": 6}, {"ids": {"trakt": 1}}],
        "episodes": [{"ids": {"trakt": episode.trakt}, "rating": 3}],
    }
    status, out = await _post(sim, http, "/sync/ratings", body)
    assert status == 201
    assert out["added"] == {"movies": 0, "shows": 0, "seasons": 1, "episodes": 1}
    assert out["not_found"]["seasons"] == [{"ids": {"trakt": 1}}]
    seasons, _ = await _get(sim, http, "/sync/ratings/seasons/6")
    assert _season_row(seasons, 2)["season"]["ids"]["tvdb"] == season.tvdb
    # The season answers to its tvdb id too.
    status, out = await _post(
        sim, http, "/sync/ratings/remove", {"seasons": [{"ids": {"tvdb": season.tvdb}}]}
    )
    assert out["deleted"]["seasons"] == 1


async def test_ratings_remove_nested_removes_only_the_named_levels(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    rate = {
        "shows": [
            {
                "ids": BREAKING_BAD,
                "rating": 8,
                "seasons": [
                    {"number": 1, "rating": 7, "episodes": [{"number": 1, "rating": 6}]},
                    {"number": 2, "rating": 5},
                ],
            }
        ]
    }
    status, out = await _post(sim, http, "/sync/ratings", rate)
    assert out["added"] == {"movies": 0, "shows": 1, "seasons": 2, "episodes": 1}
    # A removal body may still carry ratings: they name nothing extra.
    remove = {
        "shows": [
            {
                "ids": BREAKING_BAD,
                "rating": 8,
                "seasons": [{"number": 1, "rating": 7, "episodes": [{"number": 1}]}],
            }
        ]
    }
    status, out = await _post(sim, http, "/sync/ratings/remove", remove)
    assert status == 200
    assert out["deleted"] == {"movies": 0, "shows": 0, "seasons": 0, "episodes": 1}
    seasons, _ = await _get(sim, http, "/sync/ratings/seasons")
    assert sorted(r["season"]["number"] for r in seasons) == [1, 2]

    remove = {"shows": [{"ids": BREAKING_BAD, "seasons": [{"number": 1}, {"number": 2}]}]}
    status, out = await _post(sim, http, "/sync/ratings/remove", remove)
    assert out["deleted"] == {"movies": 0, "shows": 0, "seasons": 2, "episodes": 0}
    shows, _ = await _get(sim, http, "/sync/ratings/shows")
    assert "Breaking Bad" in [r["show"]["title"] for r in shows]  # the show keeps its rating

    status, out = await _post(sim, http, "/sync/ratings/remove", {"shows": [{"ids": BREAKING_BAD}]})
    assert out["deleted"] == {"movies": 0, "shows": 1, "seasons": 0, "episodes": 0}
    status, out = await _post(sim, http, "/sync/ratings/remove", {"shows": [{"ids": BREAKING_BAD}]})
    assert out["deleted"]["shows"] == 0
    assert out["not_found"]["shows"] == [{"ids": BREAKING_BAD}]
    assert out["not_found"]["seasons"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"shows": {"ids": BREAKING_BAD}},
        {"shows": ["Breaking Bad"]},
        {"shows": [{"ids": BREAKING_BAD, "seasons": {"number": 1}}]},
        {"shows": [{"ids": BREAKING_BAD, "seasons": [{"number": 1, "episodes": [1]}]}]},
    ],
)
async def test_malformed_rating_bodies_are_400(
    sim: Simulator, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    before = dict(sim.state.trakt.users[cred.TRAKT_USER].ratings)
    async with http.post(
        sim.url("trakt") + "/sync/ratings", json=body, headers=trakt_headers()
    ) as resp:
        assert resp.status == 400
    assert sim.state.trakt.users[cred.TRAKT_USER].ratings == before


async def test_bad_season_and_episode_numbers_are_not_found(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    body = {
        "shows": [
            {
                "ids": BREAKING_BAD,
                "seasons": [
                    {"number": "x", "rating": 5},
                    {"number": "1", "rating": 5, "episodes": [{"rating": 5}]},
                ],
            }
        ]
    }
    status, out = await _post(sim, http, "/sync/ratings", body)
    assert status == 201
    assert out["added"]["seasons"] == 1  # "1" is read as season 1
    assert out["not_found"]["seasons"] == [{"number": "x", "rating": 5}]
    assert out["not_found"]["episodes"] == [{"rating": 5}]


async def test_a_season_on_the_watchlist_leaves_it_once_an_episode_is_watched(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    listed = {"shows": [{"ids": BREAKING_BAD, "seasons": [{"number": 2}]}]}
    status, out = await _post(sim, http, "/sync/watchlist", listed)
    assert status == 201
    assert out["added"] == {"movies": 0, "shows": 0, "seasons": 1, "episodes": 0}
    rows, _ = await _get(sim, http, "/sync/watchlist/seasons")
    assert [(r["type"], r["season"]["number"], r["show"]["title"]) for r in rows] == [
        ("season", 2, "Breaking Bad")
    ]
    rows, _ = await _get(sim, http, "/sync/watchlist/all/title/asc")
    assert "Breaking Bad" in [r["show"]["title"] for r in rows if r["type"] == "season"]
    watched = {
        "shows": [{"ids": BREAKING_BAD, "seasons": [{"number": 2, "episodes": [{"number": 1}]}]}]
    }
    status, out = await _post(sim, http, "/sync/history", watched)
    assert out["added"] == {"movies": 0, "episodes": 1}
    rows, _ = await _get(sim, http, "/sync/watchlist/seasons")
    assert rows == []


# -- history -----------------------------------------------------------------------------------
def _movie_plays(*stamps: str, tmdb: int = 550) -> dict[str, Any]:
    return {"movies": [{"watched_at": at, "ids": {"tmdb": tmdb}} for at in stamps]}


async def test_history_window_is_inclusive_to_the_millisecond(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    stamps = [f"2026-10-01T10:00:00.{ms}Z" for ms in ("123", "124", "125")]
    status, out = await _post(sim, http, "/sync/history", _movie_plays(*stamps))
    assert status == 201
    assert out["added"] == {"movies": 3, "episodes": 0}

    async def window(start: str, end: str) -> list[str]:
        rows, _ = await _get(sim, http, "/sync/history", start_at=start, end_at=end)
        return [r["watched_at"] for r in rows]

    assert await window(stamps[1], stamps[1]) == [stamps[1]]
    assert await window(stamps[0], stamps[2]) == stamps[::-1]  # newest first
    assert await window("2026-10-01T10:00:00.1235Z", stamps[2]) == [stamps[2], stamps[1]]
    # Offsets and second precision mean the same instants.
    assert await window("2026-10-01T12:00:00.124+02:00", "2026-10-01T10:00:01Z") == [
        stamps[2],
        stamps[1],
    ]
    rows, _ = await _get(sim, http, "/sync/history/movies", start_at=stamps[2])
    assert [r["watched_at"] for r in rows] == [stamps[2]]
    rows, _ = await _get(sim, http, "/sync/history/movies", end_at=stamps[0])
    assert stamps[0] in [r["watched_at"] for r in rows]
    assert stamps[1] not in [r["watched_at"] for r in rows]


async def test_a_scrobble_read_back_bounds_its_own_window(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    sim.clock.advance(0.0004567)  # a clock between milliseconds
    body = {"movie": {"ids": {"tmdb": 27205}}, "progress": 95}
    status, out = await _post(sim, http, "/scrobble/stop", body)
    assert status == 201
    assert out["action"] == "scrobble"
    rows, _ = await _get(sim, http, "/sync/history", limit="1")
    stamp = rows[0]["watched_at"]
    assert rows[0]["id"] == out["id"]
    rows, _ = await _get(sim, http, "/sync/history", start_at=stamp, end_at=stamp)
    assert [r["id"] for r in rows] == [out["id"]]


async def test_history_extended_full_carries_runtimes(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    """Shape: tests/fixtures/real/trakt/sync_history_extended_full.json."""
    show = _show(sim, "Breaking Bad")
    episode = show.seasons[1][0]
    movie = sim.item("Inception")
    watched = {
        "movies": [{"watched_at": "2001-10-01T10:00:00.000Z", "ids": {"tmdb": 27205}}],
        "episodes": [{"watched_at": "2001-10-01T12:00:00.000Z", "ids": {"tvdb": episode.tvdb}}],
    }
    await _post(sim, http, "/sync/history", watched)
    window = {"start_at": "2001-10-01T00:00:00.000Z", "end_at": "2001-10-02T00:00:00.000Z"}
    full, _ = await _get(sim, http, "/sync/history", extended="full", **window)
    [ep_row, movie_row] = full
    assert movie_row["movie"]["runtime"] == movie.runtime
    assert ep_row["episode"]["runtime"] == episode.runtime
    assert ep_row["show"]["runtime"] == show.runtime
    assert ep_row["episode"]["season"] == episode.season
    # Without it, rows keep the minimal objects (title, year, ids).
    short, _ = await _get(sim, http, "/sync/history", **window)
    assert "runtime" not in short[0]["episode"]
    assert "runtime" not in short[1]["movie"]
    assert [r["id"] for r in short] == [r["id"] for r in full]


@pytest.mark.parametrize("param", ["start_at", "end_at"])
async def test_history_rejects_an_unreadable_time(
    sim: Simulator, http: aiohttp.ClientSession, param: str
) -> None:
    async with http.get(
        sim.url("trakt") + "/sync/history", params={param: "yesterday"}, headers=trakt_headers()
    ) as resp:
        assert resp.status == 400


async def test_history_paging_headers_walk_every_play_once(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    stamps = [f"2026-09-{day:02d}T10:00:00.000Z" for day in range(1, 13)]
    await _post(sim, http, "/sync/history", _movie_plays(*stamps))
    everything, headers = await _get(sim, http, "/sync/history", limit="100000")
    total = len(everything)
    assert total > 12
    assert headers["X-Pagination-Item-Count"] == str(total)
    assert headers["X-Pagination-Page-Count"] == "1"
    seen: list[int] = []
    pages = -(-total // 3)
    for page in range(1, pages + 1):
        rows, headers = await _get(sim, http, "/sync/history", page=str(page), limit="3")
        assert headers["X-Pagination-Page"] == str(page)
        assert headers["X-Pagination-Limit"] == "3"
        assert headers["X-Pagination-Page-Count"] == str(pages)
        assert headers["X-Pagination-Item-Count"] == str(total)
        assert len(rows) == (3 if page < pages else total - 3 * (pages - 1))
        seen += [r["id"] for r in rows]
    assert seen == [r["id"] for r in everything]
    assert len(set(seen)) == total
    stamps = [r["watched_at"] for r in everything]
    assert stamps == sorted(stamps, reverse=True)
    rows, headers = await _get(sim, http, "/sync/history", page=str(pages + 1), limit="3")
    assert rows == []
    assert headers["X-Pagination-Page"] == str(pages + 1)
    rows, headers = await _get(sim, http, "/sync/history")
    assert len(rows) == 10
    assert headers["X-Pagination-Limit"] == "10"
    assert headers["X-Pagination-Page"] == "1"


async def test_history_remove_by_ids_removes_exactly_those_plays(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    stamp = "2026-10-01T10:00:00.000Z"
    await _post(sim, http, "/sync/history", _movie_plays(stamp, stamp, stamp))
    rows, _ = await _get(sim, http, "/sync/history/movies/432", start_at=stamp, end_at=stamp)
    ids = [r["id"] for r in rows]
    assert len(ids) == 3  # the same movie and time three times: Trakt keeps them all
    before, _ = await _get(sim, http, "/sync/history", limit="100000")

    body = {"ids": [ids[0], str(ids[1]), 42, ids[0], "abc"]}
    status, out = await _post(sim, http, "/sync/history/remove", body)
    assert status == 200
    assert out["deleted"] == {"movies": 2, "episodes": 0}
    assert out["not_found"] == {
        "ids": [42, "abc"],
        "movies": [],
        "shows": [],
        "seasons": [],
        "episodes": [],
    }
    after, _ = await _get(sim, http, "/sync/history", limit="100000")
    assert [r["id"] for r in after] == [r["id"] for r in before if r["id"] not in ids[:2]]
    rows, _ = await _get(sim, http, "/sync/history/movies/432", start_at=stamp, end_at=stamp)
    assert [r["id"] for r in rows] == [ids[2]]

    status, out = await _post(sim, http, "/sync/history/remove", {"ids": [ids[0]]})
    assert out["deleted"] == {"movies": 0, "episodes": 0}
    assert out["not_found"]["ids"] == [ids[0]]


@pytest.mark.parametrize("ids", [123, {"id": 1}, [None], [[1]]])
async def test_history_remove_rejects_malformed_ids(
    sim: Simulator, http: aiohttp.ClientSession, ids: object
) -> None:
    before = len(sim.state.trakt.users[cred.TRAKT_USER].history)
    async with http.post(
        sim.url("trakt") + "/sync/history/remove", json={"ids": ids}, headers=trakt_headers()
    ) as resp:
        assert resp.status == 400
    assert len(sim.state.trakt.users[cred.TRAKT_USER].history) == before


async def test_history_by_season_and_top_level_season(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    season = _show(sim, "Breaking Bad").season_items[2]
    stamp = "2026-10-03T10:00:00.000Z"
    body = {"seasons": [{"ids": {"trakt": season.trakt}, "watched_at": stamp}]}
    status, out = await _post(sim, http, "/sync/history", body)
    assert out["added"] == {"movies": 0, "episodes": len(season.episodes)}
    rows, _ = await _get(
        sim, http, f"/sync/history/seasons/{season.trakt}", start_at=stamp, end_at=stamp
    )
    assert sorted(r["episode"]["number"] for r in rows) == [e.number for e in season.episodes]
    assert {r["episode"]["season"] for r in rows} == {2}
    rows, _ = await _get(sim, http, "/sync/history/shows/1388", start_at=stamp, end_at=stamp)
    assert len(rows) == len(season.episodes)
    rows, _ = await _get(sim, http, "/sync/history/movies/1388", start_at=stamp, end_at=stamp)
    assert rows == []
    async with http.get(sim.url("trakt") + "/sync/history/people", headers=trakt_headers()) as resp:
        assert resp.status == 404
    status, out = await _post(sim, http, "/sync/history/remove", body)
    assert status == 200
    assert out["deleted"]["episodes"] >= len(season.episodes)
    rows, _ = await _get(sim, http, f"/sync/history/seasons/{season.trakt}")
    assert rows == []


async def test_history_add_bare_show_released_and_unknown_times(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    show = _show(sim, "Parks and Recreation")
    body = {
        "shows": [{"ids": {"tvdb": show.tvdb}, "watched_at": "released"}],
        "movies": [
            {"ids": {"tmdb": 27205}, "watched_at": "released"},
            {"ids": {"tmdb": 9_000_001}, "watched_at": "unknown"},  # no release date known
        ],
    }
    status, out = await _post(sim, http, "/sync/history", body)
    assert status == 201
    regular = [ep for ep in show.episodes if ep.season > 0]
    assert out["added"] == {"movies": 2, "episodes": len(regular)}
    rows, _ = await _get(sim, http, f"/sync/history/shows/{show.trakt}", limit="1000")
    aired = {(r["episode"]["season"], r["episode"]["number"]): r["watched_at"] for r in rows}
    first = regular[0]
    assert aired[first.season, first.number] == iso_ms(first.first_aired)
    rows, _ = await _get(sim, http, "/sync/history/movies/16662", limit="1000")
    assert "2010-07-15T00:00:00.000Z" in [r["watched_at"] for r in rows]
    rows, _ = await _get(sim, http, "/sync/history/movies/9000001", limit="1000")
    assert [r["watched_at"] for r in rows] == ["1970-01-01T00:00:00.000Z"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sync/history", {"movies": [{"ids": {"tmdb": 550}, "watched_at": "noon"}]}),
        ("/sync/history", [{"ids": {"tmdb": 550}}]),
        ("/sync/ratings", {"movies": [{"ids": {"tmdb": 550}, "rating": 5, "rated_at": "?"}]}),
        ("/sync/watchlist", "movies"),
    ],
)
async def test_unreadable_sync_bodies_are_400(
    sim: Simulator, http: aiohttp.ClientSession, path: str, body: object
) -> None:
    history = len(sim.state.trakt.users[cred.TRAKT_USER].history)
    async with http.post(sim.url("trakt") + path, json=body, headers=trakt_headers()) as resp:
        assert resp.status == 400
    assert len(sim.state.trakt.users[cred.TRAKT_USER].history) == history


async def test_watchlist_sorted_by_added_both_ways(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    asc, headers = await _get(sim, http, "/sync/watchlist/all/added/asc")
    assert (headers["X-Sort-By"], headers["X-Sort-How"]) == ("added", "asc")
    stamps = [r["listed_at"] for r in asc]
    assert len(stamps) > 1
    assert stamps == sorted(stamps)
    desc, _ = await _get(sim, http, "/sync/watchlist/all/added/desc")
    assert [r["id"] for r in desc] == [r["id"] for r in asc][::-1]


async def test_scrobble_finds_episodes_by_ids_or_by_show_and_numbers(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    episode = sim.item("Breaking Bad", 2, 2)
    status, out = await _post(
        sim, http, "/scrobble/start", {"episode": {"ids": {"trakt": episode.trakt}}, "progress": 5}
    )
    assert status == 201
    assert (out["episode"]["season"], out["episode"]["number"]) == (2, 2)
    body = {"show": {"ids": BREAKING_BAD}, "episode": {"season": "2", "number": 3}, "progress": 5}
    status, out = await _post(sim, http, "/scrobble/start", body)
    assert status == 201
    assert (out["episode"]["season"], out["episode"]["number"]) == (2, 3)
    for unmatched in (
        {"show": {"ids": BREAKING_BAD}, "episode": {"season": 2}},
        {"show": {"ids": {"tvdb": 1}}, "episode": {"season": 1, "number": 1}},
        {"episode": {"ids": {"trakt": 1}}},
        {"progress": 5},
    ):
        status, _ = await _post(sim, http, "/scrobble/start", {**unmatched, "progress": 5})
        assert status == 404


async def test_an_empty_history_window_has_no_pages(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    rows, headers = await _get(
        sim, http, "/sync/history", start_at="2030-01-01T00:00:00.000Z", limit="100"
    )
    assert rows == []
    assert headers["X-Pagination-Page"] == "1"
    assert headers["X-Pagination-Limit"] == "100"
    assert headers["X-Pagination-Page-Count"] == "0"
    assert headers["X-Pagination-Item-Count"] == "0"
