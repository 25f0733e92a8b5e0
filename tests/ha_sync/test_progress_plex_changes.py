"""Plex's resume points read by what changed: a page per section by ``lastViewedAt``, not a sweep.

Over the simulator with real sockets: the request log shows what a changed run reads, the kept
read survives the state file, older or unusable kept reads fall back to the sweep, and a point
cleared without a view (marking unwatched) is noticed as the README says.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.providers.plex.client import RECENT_PAGE_SIZE
from custom_components.crosswatch.providers.plex.side import PlexSide
from custom_components.crosswatch.sync.engine import PairMemory
from custom_components.crosswatch.sync.guards import WHOLE_READ_EVERY
from custom_components.crosswatch.sync.plan import ProgressRead, Side
from custom_components.crosswatch.sync.state import PairState, watermark_key
from simulator import credentials as cred

from .sides import plex_side, trakt_side
from .test_progress import (
    a_movie,
    movie_item,
    pause_on_plex,
    progress_run,
    routes,
    trakt_points,
)

if TYPE_CHECKING:
    import aiohttp

    from custom_components.crosswatch.sync.side import SyncSide
    from simulator.catalogue import Movie
    from simulator.testing import Simulator

PLEX_KEY = watermark_key(Side.SOURCE, Feature.PROGRESS)
SECTION_PAGE = "GET /library/sections/{section}/all"


def sweep_pages(requests: list[dict[str, Any]]) -> int:
    """Section pages read unsorted: the library sweep (markers and changes sort by lastViewedAt)."""
    return sum(
        1
        for r in requests
        if r["route"] == SECTION_PAGE and r["query"].get("sort") != "lastViewedAt:desc"
    )


def pct(movie: Movie, percent: int) -> int:
    return movie.runtime * 60_000 * percent // 100


async def started(
    sim: Simulator, session: aiohttp.ClientSession
) -> tuple[dict[Side, SyncSide], PairMemory, list[Movie]]:
    """A two-way Plex ↔ Trakt progress pair after its first run, two points carried from Plex."""
    sides: dict[Side, SyncSide] = {
        Side.SOURCE: plex_side(sim, session),
        Side.TARGET: trakt_side(sim, session),
    }
    movies = [a_movie(sim, n) for n in range(4)]
    await pause_on_plex(sim, movies[0], pct(movies[0], 30))
    await sim.advance(60)
    await pause_on_plex(sim, movies[1], pct(movies[1], 40))
    memory, _ = await progress_run(sim, PairMemory(), sides)
    assert trakt_points(sim) == {movies[0].title: 30.0, movies[1].title: 40.0}
    assert PLEX_KEY in memory.state.progress_reads
    return sides, memory, movies


async def test_a_pause_on_plex_reads_one_page_per_section(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sides, memory, movies = await started(sim, session)
    await sim.advance(3600)
    await pause_on_plex(sim, movies[2], pct(movies[2], 55))
    await sim.clear_requests()
    memory, summary = await progress_run(sim, memory, sides)
    assert summary["by_side"]["target"]["adds"] == 1
    assert trakt_points(sim)[movies[2].title] == 55.0
    # Markers (sections, one row each), then one page of what was viewed since per section;
    # Trakt: stamps, playback, the pause, stamps again. No library sweep.
    assert sorted(routes(await sim.requests())) == sorted(
        ["GET /library/sections", *[SECTION_PAGE] * 4]
        + ["GET /sync/last_activities"] * 2
        + ["GET /sync/playback", "POST /scrobble/{action}"]
    )
    # The kept points still hold the two older ones: nothing is carried back or removed.
    await sim.advance(3600)
    await sim.clear_requests()
    await trakt_side(sim, session).client.scrobble("pause", movie_item(movies[3]), 20.0)
    memory, summary = await progress_run(sim, memory, sides, removals=True)
    assert summary["by_side"]["source"] == {"adds": 1, "removals": 0}
    assert summary["by_side"]["target"] == {"adds": 0, "removals": 0}
    assert trakt_points(sim) == {
        movies[0].title: 30.0,
        movies[1].title: 40.0,
        movies[2].title: 55.0,
        movies[3].title: 20.0,
    }
    # Written to Plex over no point of its own: that title's ratingKey needed the library.
    assert sweep_pages(await sim.requests()) > 0

    # The point written to Plex is read back as changed (viewed since): a quiet exchange after.
    await sim.advance(3600)
    await pause_on_plex(sim, movies[0], pct(movies[0], 35))
    memory, summary = await progress_run(sim, memory, sides, removals=True)
    assert (summary["adds"], summary["removals"]) == (1, 0)
    assert trakt_points(sim)[movies[3].title] == 20.0


async def test_many_views_since_are_read_page_by_page(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    """More episodes viewed since than one page holds: the read pages on, still no sweep."""
    sides, memory, _ = await started(sim, session)
    shows = [s for s in sim.state.catalogue.shows if s.in_seed and not s.anime and s.tvdb]
    episodes = [e for show in shows for e in show.episodes if e.season > 0]
    episodes = episodes[: RECENT_PAGE_SIZE + 5]
    assert len(episodes) == RECENT_PAGE_SIZE + 5
    await sim.advance(3600)
    for episode in episodes:
        await sim.play(sim.rating_key(episode))
        await sim.stop(offset_ms=episode.duration_ms * 33 // 100)
        await sim.advance(1)
    await sim.clear_requests()
    memory, summary = await progress_run(sim, memory, sides)
    assert summary["by_side"]["target"]["adds"] == len(episodes)
    user = sim.state.trakt.users[cred.TRAKT_USER]
    assert set(user.playback) >= set(episodes)
    requests = await sim.requests()
    assert sweep_pages(requests) == 0
    starts = [
        int(r["query"]["X-Plex-Container-Start"])
        for r in requests
        if r["route"] == SECTION_PAGE and r["query"].get("type") == "4"
    ]
    assert starts == [0, 0, RECENT_PAGE_SIZE]  # the marker's row, then two pages


async def test_an_episode_paused_on_plex_gets_its_show_ids_once(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sides, memory, _ = await started(sim, session)
    show = next(s for s in sim.state.catalogue.shows if s.in_seed and not s.anime and s.tvdb)
    episode = show.seasons[1][1]
    await sim.advance(3600)
    await sim.play(sim.rating_key(episode))
    await sim.stop(offset_ms=episode.duration_ms * 45 // 100)
    await sim.clear_requests()
    memory, summary = await progress_run(sim, memory, sides)
    assert summary["by_side"]["target"]["adds"] == 1
    user = sim.state.trakt.users[cred.TRAKT_USER]
    assert [p for item, (_id, p, _at) in user.playback.items() if item is episode] == [45.0]
    requests = routes(await sim.requests())
    assert requests.count("GET /library/metadata/{rk}") == 1  # the show's ids
    assert requests.count(SECTION_PAGE) == 4
    assert sweep_pages(await sim.requests()) == 0


async def test_kept_reads_survive_the_state_file_and_older_ones_read_whole(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    sides, memory, movies = await started(sim, session)
    stored = memory.state.to_stored()
    assert PairState.from_stored(stored) == memory.state
    # A state stored before kept reads existed, and one with a kept read of another form.
    older = {k: v for k, v in stored.items() if k != "progress_reads"}
    assert PairState.from_stored(older).progress_reads == {}
    other_form = PairState.from_stored(
        {**stored, "progress_reads": {PLEX_KEY: {"full_at": 0.0, "memo": {"v": 0}}}}
    )
    malformed = replace(
        memory.state,
        progress_reads={
            PLEX_KEY: ProgressRead(sim.clock.time(), {"v": 1, "since": 1, "points": [{}]})
        },
    )
    cases = ((50, PairState.from_stored(older)), (52, other_form), (54, malformed))
    for percent, state in cases:
        await sim.advance(3600)
        await pause_on_plex(sim, movies[2], pct(movies[2], percent))
        await sim.clear_requests()
        again, summary = await progress_run(sim, PairMemory(state=state), sides)
        assert summary["read"] is True
        assert sweep_pages(await sim.requests()) > 0
        read = again.state.progress_reads[PLEX_KEY]
        assert read.memo["v"] == 1
        assert sim.clock.time() - 60 <= read.full_at <= sim.clock.time()
        assert trakt_points(sim)[movies[2].title] == percent
    # A kept read a day old is read whole again.
    kept = memory.state.progress_reads[PLEX_KEY]
    old = ProgressRead(sim.clock.time() - WHOLE_READ_EVERY, kept.memo)
    stale = replace(memory.state, progress_reads={PLEX_KEY: old})
    await sim.advance(3600)
    await pause_on_plex(sim, movies[3], pct(movies[3], 25))
    await sim.clear_requests()
    await progress_run(sim, PairMemory(state=stale), sides)
    assert sweep_pages(await sim.requests()) > 0


async def test_a_point_cleared_by_marking_unwatched(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    """Noticed at once when it was the newest viewed; else at the next whole read (a day)."""
    sides, memory, movies = await started(sim, session)
    plex = sides[Side.SOURCE]
    trakt = trakt_side(sim, session)
    # movies[1] was viewed last: clearing it moves Plex's marker, and the changed rows show
    # nothing newer, so the read is whole and sees it gone.
    await sim.advance(3600)
    assert isinstance(plex, PlexSide)
    await plex.server.mark_unwatched(sim.rating_key(movies[1]))
    memory, summary = await progress_run(sim, memory, sides, removals=True)
    assert summary["by_side"]["target"]["removals"] == 1
    assert movies[1].title not in trakt_points(sim)

    # movies[0] is not the newest once another is paused after it: clearing it moves nothing
    # a read of changes sees, so it stands until the next whole read.
    await sim.advance(3600)
    await pause_on_plex(sim, movies[2], pct(movies[2], 50))
    memory, _ = await progress_run(sim, memory, sides, removals=True)
    await sim.advance(3600)
    await plex.server.mark_unwatched(sim.rating_key(movies[0]))
    await trakt.client.scrobble("pause", movie_item(movies[3]), 20.0)
    memory, summary = await progress_run(sim, memory, sides, removals=True)
    assert summary["by_side"]["target"]["removals"] == 0
    assert movies[0].title in trakt_points(sim)
    await sim.advance(WHOLE_READ_EVERY)
    await trakt.client.scrobble("pause", movie_item(movies[3]), 25.0)
    memory, summary = await progress_run(sim, memory, sides, removals=True)
    assert summary["by_side"]["target"]["removals"] == 1
    assert movies[0].title not in trakt_points(sim)
