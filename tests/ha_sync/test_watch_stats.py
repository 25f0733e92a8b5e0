"""Watch statistics in the recorder: per day from a known Trakt history, then one new play."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.recorder import get_instance
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play
from custom_components.crosswatch.sync.stats import OVERLAP, Series
from custom_components.crosswatch.watch_stats import (
    PlexDurations,
    WatchStats,
    plex_plays,
    simkl_plays,
    statistic_id,
    trakt_plays,
)
from simulator import credentials as cred
from simulator.catalogue import Episode, Movie

from .conftest import plex_entry, simkl_entry, trakt_entry
from .helpers import setup_entries

if TYPE_CHECKING:
    from homeassistant.components.recorder import Recorder
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

DAY1 = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """The recorder's database is prepared before Home Assistant starts."""


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return DAY1 + timedelta(days=day, hours=hour, minutes=minute)


async def per_day(hass: HomeAssistant, series: Series, who: str) -> list[float]:
    """The change of ``who``'s ``series`` on each of the four days from DAY1 (a graph's bars)."""
    sid = statistic_id(who, series)
    stats: dict[str, list[dict[str, Any]]] = await get_instance(hass).async_add_executor_job(
        statistics_during_period,
        hass,
        DAY1,
        DAY1 + timedelta(days=4),
        {sid},
        "day",
        None,
        {"change"},
    )
    by_day = {row["start"]: row["change"] for row in stats.get(sid, [])}
    return [by_day.get((DAY1 + timedelta(days=d)).timestamp(), 0.0) or 0.0 for d in range(4)]


async def test_plays_per_day_then_one_new_play_adds_to_its_day(
    recorder_mock: Recorder, hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await hass.config.async_set_time_zone("UTC")
    entry = await trakt_entry(hass, sim)
    await setup_entries(hass, entry)
    # The entry counts its own statistics of the seed first; this test's are apart (``who``).
    await hass.async_block_till_done(wait_background_tasks=True)
    client = entry.runtime_data.account.client
    user = sim.state.trakt.users[cred.TRAKT_USER]
    user.history.clear()
    cat = sim.state.catalogue
    movie = next(m for m in cat.movies if m.tmdb is not None)
    episodes = [e for e in cat.episodes if e.tvdb is not None][:3]

    def film() -> MediaItem:
        return MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": str(movie.tmdb)})

    def ep(n: int) -> MediaItem:
        return MediaItem(kind=MediaKind.EPISODE, ids={"tvdb": str(episodes[n].tvdb)})

    await client.history_add(
        [
            Play(item=film(), watched_at=at(0, 20)),
            Play(item=ep(0), watched_at=at(0, 21)),
            Play(item=ep(1), watched_at=at(0, 22)),
            Play(item=ep(2), watched_at=at(2, 19)),
        ]
    )
    who = "trakt_known"
    stats = WatchStats(hass, who, "Trakt user", trakt_plays(client))
    # One movie hour and three episode hours, each as plays and as minutes.
    assert await stats.async_update() == 8
    await async_wait_recording_done(hass)
    assert await per_day(hass, Series.MOVIE_PLAYS, who) == [1, 0, 0, 0]
    assert await per_day(hass, Series.EPISODE_PLAYS, who) == [2, 0, 1, 0]
    # Minutes: each title's runtime as Trakt gives it (the simulator's catalogue).
    assert await per_day(hass, Series.MOVIE_MINUTES, who) == [movie.runtime, 0, 0, 0]
    minutes = [e.runtime for e in episodes]
    assert minutes[0] > 0
    assert await per_day(hass, Series.EPISODE_MINUTES, who) == [
        minutes[0] + minutes[1],
        0,
        minutes[2],
        0,
    ]
    ids = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    names = {row["statistic_id"]: row["name"] for row in ids}
    assert names[statistic_id(who, Series.EPISODE_PLAYS)] == ("Trakt user episodes watched")

    # One new play: only its hour is imported, and it adds to its own day.
    await client.history_add([Play(item=ep(0), watched_at=at(3, 1))])
    sim.state.log.clear()
    assert await stats.async_update() == 2  # its hour's plays and minutes
    await async_wait_recording_done(hass)
    assert await per_day(hass, Series.EPISODE_PLAYS, who) == [2, 0, 1, 1]
    assert await per_day(hass, Series.MOVIE_PLAYS, who) == [1, 0, 0, 0]
    assert await per_day(hass, Series.EPISODE_MINUTES, who) == [
        minutes[0] + minutes[1],
        0,
        minutes[2],
        minutes[0],
    ]
    # Read from the watermark, not the whole history again: one page, runtimes in it.
    [read] = await sim.requests("trakt", "GET /sync/history")
    assert read["query"]["start_at"] == "2026-11-04T16:00:00.000Z"  # the watermark less 3 h
    assert read["query"]["extended"] == "full"

    # Nothing new: nothing imported, nothing changes.
    assert await stats.async_update() == 0


async def test_a_plex_users_plays_per_day_from_the_server_history(
    recorder_mock: Recorder, hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await hass.config.async_set_time_zone("UTC")
    plex = plex_entry(sim)
    await setup_entries(hass, plex)
    await hass.async_block_till_done(wait_background_tasks=True)
    owner = sim.state.plex.users["owner"]
    rows = [r for r in sim.state.plex.history if r.account_id == owner.account_id]
    episodes: dict[float, int] = {}
    minutes: dict[float, float] = {}
    for row in rows:
        if type(row.item).__name__ == "Episode":
            day = (row.viewed_at // 86400) * 86400
            episodes[day] = episodes.get(day, 0) + 1
            minutes[day] = minutes.get(day, 0) + row.item.runtime
    assert len({id(r.item) for r in rows}) > PlexDurations.SWEEP_AT, "enough titles to sweep"
    server = plex.runtime_data.account.server
    sim.state.log.clear()
    stats = WatchStats(hass, "plex_known", "Owner", plex_plays(server, owner.account_id))
    assert await stats.async_update() > 0
    await async_wait_recording_done(hass)
    first, last = min(episodes), max(episodes) + 86400

    async def changes(series: Series) -> dict[float, float]:
        sid = statistic_id("plex_known", series)
        found = await get_instance(hass).async_add_executor_job(
            statistics_during_period,
            hass,
            datetime.fromtimestamp(first, UTC),
            datetime.fromtimestamp(last, UTC),
            {sid},
            "day",
            None,
            {"change"},
        )
        return {row["start"]: row["change"] for row in found[sid]}

    assert await changes(Series.EPISODE_PLAYS) == episodes
    # Minutes: each episode's duration on the server (the history rows carry none). Many new
    # titles: their lengths come from one sweep of the library, not a request per title.
    assert await changes(Series.EPISODE_MINUTES) == pytest.approx(minutes)
    assert await sim.requests("pms", "GET /library/metadata/*") == []
    assert await sim.requests("pms", "GET /library/sections/*/all")
    # Counted once: a second update finds nothing new.
    assert await stats.async_update() == 0

    # After a restart (lengths are kept in memory), one new play: its title is looked up alone.
    known = {id(r.item) for r in rows}
    plex_state = sim.state.plex
    fresh = next(
        e for e in sim.state.catalogue.episodes if id(e) not in known and id(e) in plex_state.key_of
    )
    watermark = max(r.viewed_at for r in rows)
    when = watermark + 3600
    plex_state.mark_watched(owner, fresh, when)
    # A title played in the read's window has left the server since: Plex keeps its plays.
    gone = next(r.item for r in rows if r.viewed_at >= watermark - OVERLAP and r.item is not fresh)
    del plex_state.keys[int(plex_state.rating_key(gone))]
    sim.state.log.clear()
    again = WatchStats(hass, "plex_known", "Owner", plex_plays(server, owner.account_id))
    assert await again.async_update() == 2  # its hour's play and minutes
    assert await sim.requests("pms", "GET /library/sections/*/all") == []
    looked_up = {
        r["path"].rsplit("/", 1)[-1] for r in await sim.requests("pms", "GET /library/metadata/*")
    }
    # The titles played from the watermark less 3 h on (the read's window), and their shows.
    window = [r.item for r in plex_state.history if r.viewed_at >= watermark - OVERLAP]
    expected = {plex_state.rating_key(i) for i in window} | {
        plex_state.rating_key(i.show) for i in window if isinstance(i, Episode)
    }
    assert {plex_state.rating_key(fresh), plex_state.rating_key(gone)} <= looked_up  # gone: 404
    assert looked_up <= expected
    await async_wait_recording_done(hass)
    day = (when // 86400) * 86400
    last = max(last, day + 86400)
    assert (await changes(Series.EPISODE_MINUTES))[day] == pytest.approx(
        minutes.get(day, 0) + fresh.runtime
    )


async def test_a_loaded_trakt_account_imports_its_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    entry = await trakt_entry(hass, sim)
    await setup_entries(hass, entry)
    # The backfill is the entry's background task: without waiting for it the test raced it
    # (it failed once in a full run under load).
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    ids = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    found = {row["statistic_id"] for row in ids}
    who = "trakt_" + cred.TRAKT_USER
    assert statistic_id(who, Series.EPISODE_PLAYS) in found  # the seed's history, backfilled
    assert sim.state.trakt.users[cred.TRAKT_USER].history


async def test_simkl_watches_per_day_then_one_new_watch_adds_to_its_day(
    recorder_mock: Recorder, hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await hass.config.async_set_time_zone("UTC")
    entry = simkl_entry()
    await setup_entries(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    client = entry.runtime_data.account.client
    user = sim.state.simkl.users[cred.SIMKL_USER]
    user.watched.clear()
    user.entries.clear()
    show = next(
        s
        for s in sim.state.catalogue.shows
        if not s.anime and s.tvdb and len([e for e in s.episodes if e.season > 0]) >= 4
    )
    episodes = [e for e in show.episodes if e.season > 0][:4]
    movie = sim.item("Inception")
    assert isinstance(movie, Movie)

    def ep(n: int) -> MediaItem:
        e = episodes[n]
        show_ids = {"tvdb": str(show.tvdb)}
        return MediaItem(
            kind=MediaKind.EPISODE, show_ids=show_ids, season=e.season, number=e.number
        )

    # SIMKL dates a change by when it was posted: watches are posted after they happened.
    await sim.advance(at(3, 0).timestamp() - sim.state.now())
    film = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": str(movie.tmdb)})
    await client.history_add(
        [
            Play(item=film, watched_at=at(0, 20)),
            Play(item=ep(0), watched_at=at(0, 21)),
            Play(item=ep(1), watched_at=at(0, 22)),
            Play(item=ep(2), watched_at=at(2, 19)),
        ]
    )
    who = "simkl_known"  # apart from the statistics the loaded entry keeps of the seed
    stats = WatchStats(hass, who, "SIMKL user", simkl_plays(client))
    assert await stats.async_update() == 8  # four hours, each as plays and as minutes
    await async_wait_recording_done(hass)
    assert await per_day(hass, Series.MOVIE_PLAYS, who) == [1, 0, 0, 0]
    assert await per_day(hass, Series.EPISODE_PLAYS, who) == [2, 0, 1, 0]
    # Minutes: the movie's runtime; an episode counts its show's (SIMKL gives no other).
    assert await per_day(hass, Series.MOVIE_MINUTES, who) == [movie.runtime, 0, 0, 0]
    minutes = show.runtime
    assert await per_day(hass, Series.EPISODE_MINUTES, who) == [2 * minutes, 0, minutes, 0]

    # One new watch: one activities read, one read of the titles changed since, one hour.
    await sim.advance(at(3, 2).timestamp() - sim.state.now())
    await client.history_add([Play(item=ep(3), watched_at=at(3, 1))])
    sim.state.log.clear()
    assert await stats.async_update() == 2
    await async_wait_recording_done(hass)
    assert await per_day(hass, Series.EPISODE_PLAYS, who) == [2, 0, 1, 1]
    assert await per_day(hass, Series.EPISODE_MINUTES, who) == [
        2 * minutes,
        0,
        minutes,
        minutes,
    ]
    assert await per_day(hass, Series.MOVIE_PLAYS, who) == [1, 0, 0, 0]
    assert len(await sim.requests("simkl", "GET /sync/activities")) == 1
    [read] = await sim.requests("simkl", "GET /sync/all-items*")
    assert read["query"]["date_from"] == "2026-11-04T16:00:00Z"  # the watermark less 3 h

    # Nothing new: the activities answer says so, the library is not read.
    sim.state.log.clear()
    assert await stats.async_update() == 0
    assert len(await sim.requests("simkl", "GET /sync/activities")) == 1
    assert await sim.requests("simkl", "GET /sync/all-items*") == []


async def test_a_loaded_simkl_account_imports_its_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = simkl_entry()
    await setup_entries(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    await async_wait_recording_done(hass)
    ids = await get_instance(hass).async_add_executor_job(list_statistic_ids, hass)
    names = {row["statistic_id"]: row["name"] for row in ids}
    who = f"simkl_{cred.SIMKL_USER_ID}"
    # The seed's watched episodes and movies, backfilled; minutes from SIMKL's runtimes.
    assert names[statistic_id(who, Series.EPISODE_PLAYS)] == f"{entry.title} episodes watched"
    assert statistic_id(who, Series.MOVIE_MINUTES) in names
