"""Contract tests: the simulated Trakt calendars, playback resume points and watched progress.

Shapes: tests/fixtures/real/trakt/calendars_my_{shows,movies}.json, episode_extended_full.json,
sync_playback.json, sync_playback_remove_204.json and shows_progress_watched.json.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from simulator.catalogue import Episode, Movie, Show
from simulator.clock import iso_ms
from simulator.testing import Simulator

from .helpers import trakt_headers


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def _get(
    sim: Simulator, http: aiohttp.ClientSession, path: str, **params: str
) -> tuple[int, Any]:
    async with http.get(sim.url("trakt") + path, params=params, headers=trakt_headers()) as resp:
        body = await resp.json() if resp.status == 200 else None
        return resp.status, body


async def _post(sim: Simulator, http: aiohttp.ClientSession, path: str, body: object) -> Any:
    await sim.clock.sleep(1)  # one write per second per user
    async with http.post(sim.url("trakt") + path, json=body, headers=trakt_headers()) as resp:
        assert resp.status == 201, await resp.text()
        return await resp.json()


async def test_calendar_episodes_extended_full(sim: Simulator, http: aiohttp.ClientSession) -> None:
    odd = sim.item("Odd Anthology", 1, 3)
    assert isinstance(odd, Episode)
    await _post(sim, http, "/sync/watchlist", {"shows": [{"ids": {"trakt": odd.show.trakt}}]})
    status, rows = await _get(sim, http, "/calendars/my/shows/2026-11-01/14", extended="full")
    assert status == 200
    row = next(r for r in rows if r["episode"]["ids"]["trakt"] == odd.trakt)
    assert row["first_aired"] == iso_ms(odd.first_aired)
    assert row["episode"]["runtime"] == odd.runtime
    assert row["episode"]["first_aired"] == row["first_aired"]
    assert row["episode"]["overview"]
    # without extended=full the episode is the standard object only
    _, rows = await _get(sim, http, "/calendars/my/shows/2026-11-01/14")
    assert set(next(iter(rows))["episode"]) == {"season", "number", "title", "ids"}
    status, _ = await _get(sim, http, "/calendars/my/shows/not-a-date/7")
    assert status == 400


async def test_calendar_movies_from_the_watchlist(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    inception = sim.item("Inception")
    fight_club = sim.item("Fight Club")
    assert isinstance(inception, Movie)
    assert isinstance(fight_club, Movie)
    inception.released = "2026-11-05"  # an upcoming release in the window
    fight_club.released = "2026-11-06"  # released in the window, but not on the watchlist
    body = {"movies": [{"ids": {"trakt": inception.trakt}}]}
    await _post(sim, http, "/sync/watchlist", body)
    status, rows = await _get(sim, http, "/calendars/my/movies/2026-11-01/7")
    assert status == 200
    assert [(r["released"], r["movie"]["title"]) for r in rows] == [("2026-11-05", "Inception")]
    _, rows = await _get(sim, http, "/calendars/my/movies/2026-11-06/7")
    assert rows == []  # the window starts after the release


async def test_playback_lists_newest_first_and_removes_by_id(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    movie = sim.item("Inception")
    episode = sim.item("Breaking Bad", 1, 2)
    assert isinstance(movie, Movie)
    assert isinstance(episode, Episode)
    paused_movie = await _post(
        sim, http, "/scrobble/pause", {"movie": {"ids": {"trakt": movie.trakt}}, "progress": 40}
    )
    await sim.clock.sleep(60)
    body = {"episode": {"ids": {"trakt": episode.trakt}}, "progress": 25.5}
    paused_episode = await _post(sim, http, "/scrobble/stop", body)  # below 80: saved as a pause
    assert paused_episode["action"] == "pause"
    status, rows = await _get(sim, http, "/sync/playback")
    assert status == 200
    assert [r["id"] for r in rows] == [paused_episode["id"], paused_movie["id"]]
    first = rows[0]
    assert set(first) == {"progress", "paused_at", "id", "type", "episode", "show"}
    assert (first["type"], first["progress"], first["episode"]["number"]) == ("episode", 25.5, 2)
    _, movies = await _get(sim, http, "/sync/playback/movies")
    assert [(r["type"], r["movie"]["title"], r["progress"]) for r in movies] == [
        ("movie", "Inception", 40.0)
    ]
    _, later = await _get(sim, http, "/sync/playback", start_at=first["paused_at"])
    assert [r["id"] for r in later] == [paused_episode["id"]]
    url = f"{sim.url('trakt')}/sync/playback/{paused_movie['id']}"
    await sim.clock.sleep(1)  # a DELETE is a write: one per second
    async with http.delete(url, headers=trakt_headers()) as resp:
        assert resp.status == 204
    await sim.clock.sleep(1)
    async with http.delete(url, headers=trakt_headers()) as resp:
        assert resp.status == 404
    _, rows = await _get(sim, http, "/sync/playback")
    assert [r["id"] for r in rows] == [paused_episode["id"]]


async def test_show_progress_follows_the_last_aired_episode_watched(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    show = sim.item("Breaking Bad")
    user = sim.state.trakt.users[next(iter(sim.state.trakt.users))]
    user.history = [p for p in user.history if getattr(p.item, "show", None) is not show]
    watched = [sim.item("Breaking Bad", 1, 1), sim.item("Breaking Bad", 1, 3)]
    episodes = [
        {"ids": {"trakt": e.trakt}, "watched_at": "2026-10-01T00:00:00.000Z"} for e in watched
    ]
    await _post(sim, http, "/sync/history", {"episodes": episodes})
    status, body = await _get(sim, http, "/shows/breaking-bad/progress/watched")
    assert status == 200
    assert (body["aired"], body["completed"]) == (6, 2)  # specials left out by default
    assert [s["number"] for s in body["seasons"]] == [1, 2]
    assert [e["completed"] for e in body["seasons"][0]["episodes"]] == [True, False, True]
    # the next episode follows the last one watched in aired order (S1E3), not the gap (S1E2)
    assert (body["next_episode"]["season"], body["next_episode"]["number"]) == (2, 1)
    assert (body["last_episode"]["season"], body["last_episode"]["number"]) == (1, 3)
    assert body["last_watched_at"] == "2026-10-01T00:00:00.000Z"
    _, with_specials = await _get(sim, http, "/shows/tt0903747/progress/watched", specials="true")
    assert with_specials["aired"] == 7
    status, _ = await _get(sim, http, "/shows/999999999/progress/watched")
    assert status == 404


async def test_show_progress_is_null_next_when_everything_aired_was_seen(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    show = sim.item("Parks and Recreation")
    assert isinstance(show, Show)
    user = sim.state.trakt.users[next(iter(sim.state.trakt.users))]
    user.history = [p for p in user.history if getattr(p.item, "show", None) is not show]
    status, body = await _get(sim, http, f"/shows/{show.trakt}/progress/watched")
    assert status == 200
    assert (body["completed"], body["last_episode"]) == (0, None)
    assert (body["next_episode"]["season"], body["next_episode"]["number"]) == (1, 1)
    eps = [{"ids": {"trakt": e.trakt}} for e in show.episodes]
    await _post(sim, http, "/sync/history", {"episodes": eps})
    _, body = await _get(sim, http, f"/shows/{show.trakt}/progress/watched")
    assert body["next_episode"] is None
    assert body["completed"] == body["aired"] == 3
