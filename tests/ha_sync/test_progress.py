"""The progress feature over the simulator: resume points carried between Plex, Trakt and SIMKL.

The sides and the engine run against the simulator's services over real sockets; resume points
are left the way each service's apps leave them (a pause scrobble, a Plex playback stopped early).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.sync.engine import PairMemory, execute, finish_run, plan_run
from custom_components.crosswatch.sync.plan import RunResult, Side, SyncMode
from custom_components.crosswatch.sync.state import PairState
from simulator import credentials as cred

from .conftest import PAIR_ID, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, runner, setup_entries
from .sides import plex_side, run, simkl_side, trakt_side

if TYPE_CHECKING:
    import aiohttp
    from homeassistant.core import HomeAssistant

    from custom_components.crosswatch.sync.side import SyncSide
    from simulator.catalogue import Episode, Movie
    from simulator.testing import Simulator

PROGRESS = (Feature.PROGRESS,)
MARKERS = {"GET /sync/last_activities", "GET /sync/activities"}


def movie_item(movie: Movie) -> MediaItem:
    return MediaItem(kind=MediaKind.MOVIE, ids={"imdb": str(movie.imdb)}, title=movie.title)


def episode_item(episode: Episode) -> MediaItem:
    show = episode.show
    return MediaItem(
        kind=MediaKind.EPISODE,
        show_ids={"tvdb": str(show.tvdb)},
        season=episode.season,
        number=episode.number,
    )


def a_movie(sim: Simulator, nth: int = 0) -> Movie:
    """A movie every service knows, in the Plex library, nobody is half way through."""
    movies = [
        m
        for m in sim.state.catalogue.movies
        if m.in_seed and m.imdb and m.trakt and m.simkl and not m.anime
    ]
    return movies[nth]


def trakt_points(sim: Simulator) -> dict[str, float]:
    user = sim.state.trakt.users[cred.TRAKT_USER]
    return {item.title: progress for item, (_id, progress, _at) in user.playback.items()}


def simkl_points(sim: Simulator) -> dict[str, float]:
    user = sim.state.simkl.users[cred.SIMKL_USER]
    return {item.title: progress for item, progress, _at in user.playback.values()}


def plex_offset(sim: Simulator, item: Movie | Episode) -> int:
    view = sim.state.plex.peek(sim.state.plex.users["owner"], item)
    return 0 if view is None else view.view_offset


def plays(sim: Simulator, item: Movie | Episode) -> tuple[int, int]:
    """How often ``item`` was played on Trakt and on Plex."""
    trakt = sum(1 for p in sim.state.trakt.users[cred.TRAKT_USER].history if p.item is item)
    return trakt, sum(1 for r in sim.state.plex.history if r.item is item)


def routes(requests: list[dict[str, Any]]) -> list[str]:
    return [r["route"] for r in requests]


async def pause_on_plex(sim: Simulator, item: Movie | Episode, offset_ms: int) -> None:
    """The owner watches part of ``item`` in a Plex app and stops."""
    await sim.play(sim.rating_key(item))
    await sim.stop(offset_ms=offset_ms)


async def progress_run(
    sim: Simulator,
    memory: PairMemory,
    sides: dict[Side, SyncSide],
    mode: SyncMode = SyncMode.TWO_WAY,
    *,
    removals: bool = False,
) -> tuple[PairMemory, dict[str, Any]]:
    memory, plan = await run(sim, memory, sides, PROGRESS, mode=mode, allow_removals=removals)
    return memory, plan.summary()["features"]["progress"]


async def test_plex_to_trakt_and_back(sim: Simulator, session: aiohttp.ClientSession) -> None:
    plex, trakt = plex_side(sim, session), trakt_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: plex, Side.TARGET: trakt}
    movie = a_movie(sim)
    played = plays(sim, movie)
    await pause_on_plex(sim, movie, movie.runtime * 60_000 * 40 // 100)

    memory, summary = await progress_run(sim, PairMemory(), sides)
    assert summary["by_side"]["target"]["adds"] == 1
    assert trakt_points(sim) == {movie.title: 40.0}

    # Later the user goes on in a Trakt-scrobbling app and pauses at 65%: back to Plex.
    await sim.advance(3600)
    await trakt.client.scrobble("pause", movie_item(movie), 65.0)
    memory, summary = await progress_run(sim, memory, sides)
    assert summary["by_side"]["source"]["adds"] == 1
    assert plex_offset(sim, movie) == movie.runtime * 60_000 * 65 // 100
    # Nothing was marked watched on either side.
    assert plays(sim, movie) == played

    # Both agree now: the next run reads the markers only (Trakt's stamps; Plex's sections and
    # the last viewed movie and episode) and writes nothing.
    await sim.advance(600)
    await sim.clear_requests()
    memory, summary = await progress_run(sim, memory, sides)
    assert (summary["read"], summary["adds"], summary["removals"]) == (False, 0, 0)
    assert sorted(routes(await sim.requests())) == [
        "GET /library/sections",
        "GET /library/sections/{section}/all",
        "GET /library/sections/{section}/all",
        "GET /sync/last_activities",
    ]

    # A pause on Plex moves its marker: carried again.
    await sim.advance(3600)
    await pause_on_plex(sim, movie, movie.runtime * 60_000 * 20 // 100)
    memory, summary = await progress_run(sim, memory, sides)
    assert summary["by_side"]["target"]["adds"] == 1
    assert trakt_points(sim) == {movie.title: 20.0}
    assert plays(sim, movie) == played


async def test_trakt_to_simkl_newest_wins_never_watched_and_quiet_runs_read_markers_only(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    trakt, simkl = trakt_side(sim, session), simkl_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: trakt, Side.TARGET: simkl}
    first, second, third = a_movie(sim, 0), a_movie(sim, 1), a_movie(sim, 2)
    played = plays(sim, third)
    await trakt.client.scrobble("pause", movie_item(first), 30.0)
    await sim.advance(60)
    await simkl.client.scrobble("pause", movie_item(first), 50.0)  # newer: SIMKL's wins
    await trakt.client.scrobble("pause", movie_item(second), 20.0)
    # SIMKL left at 85%: a resume point there, but watched on Trakt (80%): never carried.
    await simkl.client.scrobble("pause", movie_item(third), 85.0)
    await sim.advance(60)

    memory, summary = await progress_run(sim, PairMemory(), sides)
    assert summary["skipped_watched"] == 1
    assert trakt_points(sim) == {first.title: 50.0, second.title: 20.0}
    assert simkl_points(sim)[second.title] == 20.0
    assert third.title not in trakt_points(sim)
    assert plays(sim, third) == played

    # No pause anywhere since: the run reads the two activity markers and nothing else.
    await sim.advance(600)
    await sim.clear_requests()
    memory, summary = await progress_run(sim, memory, sides)
    assert summary["read"] is False
    assert sorted(routes(await sim.requests())) == sorted(MARKERS)
    assert memory.state.last_run is not None
    assert memory.state.last_run.counts["progress"]["adds"] == 0


async def test_episodes_carry_by_show_ids_and_numbers(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    trakt, simkl = trakt_side(sim, session), simkl_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: simkl, Side.TARGET: trakt}
    show = next(s for s in sim.state.catalogue.shows if s.in_seed and not s.anime and s.tvdb)
    episode = show.seasons[1][1]
    await simkl.client.scrobble("pause", episode_item(episode), 42.0)
    await progress_run(sim, PairMemory(), sides, SyncMode.ADD_ONLY)
    user = sim.state.trakt.users[cred.TRAKT_USER]
    assert [(item, p) for item, (_id, p, _at) in user.playback.items()] == [(episode, 42.0)]


async def test_removals_are_carried_only_when_on(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    trakt, simkl = trakt_side(sim, session), simkl_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: trakt, Side.TARGET: simkl}
    movie, other, third = a_movie(sim, 0), a_movie(sim, 1), a_movie(sim, 2)
    await trakt.client.scrobble("pause", movie_item(movie), 30.0)
    memory, _ = await progress_run(sim, PairMemory(), sides)
    assert simkl_points(sim) == {movie.title: 30.0}

    # The user clears it on SIMKL, and later pauses another movie there (its marker moves).
    [pid] = sim.state.simkl.users[cred.SIMKL_USER].playback
    assert await simkl.client.remove_playback(str(pid))
    await sim.advance(600)
    await simkl.client.scrobble("pause", movie_item(other), 10.0)
    await sim.advance(600)

    # Removals off: Trakt keeps it, and it is not put back on SIMKL either (now or later).
    kept, summary = await progress_run(sim, memory, sides)
    assert (summary["by_side"]["source"], summary["by_side"]["target"]) == (
        {"adds": 1, "removals": 0},  # the other movie
        {"adds": 0, "removals": 0},
    )
    await sim.advance(600)
    await simkl.client.scrobble("pause", movie_item(third), 15.0)
    _, summary = await progress_run(sim, kept, sides)
    assert (summary["adds"], summary["removals"]) == (1, 0)  # the third movie only
    assert trakt_points(sim)[movie.title] == 30.0
    assert movie.title not in simkl_points(sim)

    # Removals on (the same runs as a pair that carries removals): Trakt's goes too.
    _, summary = await progress_run(sim, memory, sides, removals=True)
    assert summary["by_side"]["source"]["removals"] == 1
    assert movie.title not in trakt_points(sim)


def test_an_older_stored_state_loads_unchanged() -> None:
    """A state stored before the progress feature existed has no ``progress`` key."""
    stored = PairState(watermarks={"source:history": "x"}).to_stored()
    assert "progress" not in stored
    state = PairState.from_stored(stored)
    assert state.progress == {}
    assert state.to_stored() == stored
    with_progress = PairState(progress={"movie:imdb:tt1": 1700000000.0})
    assert PairState.from_stored(with_progress.to_stored()) == with_progress


async def test_a_progress_pair_in_home_assistant(hass: HomeAssistant, sim_urls: Simulator) -> None:
    """A Trakt → SIMKL pair syncing resume points: run, summary, record and diagnostics."""
    sim = sim_urls
    simkl = simkl_entry()
    trakt = with_pair(await trakt_entry(hass, sim), simkl, ["progress"], direction="two_way")
    await setup_entries(hass, simkl, trakt)
    movie, other = a_movie(sim, 0), a_movie(sim, 1)
    await trakt.runtime_data.account.client.scrobble("pause", movie_item(movie), 35.0)
    await simkl.runtime_data.account.client.scrobble("pause", movie_item(other), 25.0)

    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "ok", result
    assert result["features"]["progress"]["by_side"] == {
        "source": {"adds": 1, "removals": 0},
        "target": {"adds": 1, "removals": 0},
    }
    assert (result["adds"], result["removals"]) == (2, 0)
    assert trakt_points(sim) == simkl_points(sim) == {movie.title: 35.0, other.title: 25.0}
    pair = runner(trakt, PAIR_ID)
    assert pair.diagnostics()["progress_keys"] > 0
    assert pair.last_count("adds") == 2

    # A quiet run: the two markers, nothing more.
    await sim.clear_requests()
    again = await run_pair(hass, PAIR_ID)
    assert (again["result"], again["adds"]) == ("ok", 0)
    assert sorted(routes(await sim.requests())) == sorted(MARKERS)


async def engine_run(
    sim: Simulator, memory: PairMemory, sides: dict[Side, SyncSide], *, removals: bool = False
) -> tuple[PairMemory, dict[str, Any]]:
    """One two-way run that may fail (``run`` asserts that nothing failed)."""
    now = sim.clock.time()
    mode = SyncMode.TWO_WAY
    plan = await plan_run(memory, sides, PROGRESS, mode=mode, now=now, allow_removals=removals)
    execution = await execute(sides, plan)
    memory = await finish_run(
        memory, plan, execution.outcome, sides, now=sim.clock.time(), progress=execution.progress
    )
    return memory, plan.summary()["features"]["progress"]


async def test_a_failed_write_is_tried_again_and_refused_credentials_fail_the_run(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    trakt, simkl = trakt_side(sim, session), simkl_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: trakt, Side.TARGET: simkl}
    movie = a_movie(sim)
    await trakt.client.scrobble("pause", movie_item(movie), 30.0)
    await sim.fault("simkl", "POST /scrobble/*", status=400, count=1)
    memory, _ = await engine_run(sim, PairMemory(), sides)
    record = memory.state.last_run
    assert record is not None
    assert (record.result, record.counts["progress"]["failed"]) == (RunResult.PARTIAL, 1)
    assert simkl_points(sim) == {}
    # Nothing moved since, but the failed write is not forgotten: read again and written.
    memory, summary = await engine_run(sim, memory, sides)
    assert (summary["read"], summary["adds"]) == (True, 1)
    assert simkl_points(sim) == {movie.title: 30.0}

    await trakt.client.scrobble("pause", movie_item(a_movie(sim, 1)), 20.0)
    await sim.fault("simkl", "POST /scrobble/*", status=401, count=1)
    memory, _ = await engine_run(sim, memory, sides)
    assert memory.state.last_run is not None
    assert memory.state.last_run.result is RunResult.FAILED


async def test_titles_a_side_lacks_and_points_plex_cannot_remove(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    plex, trakt = plex_side(sim, session), trakt_side(sim, session)
    sides: dict[Side, SyncSide] = {Side.SOURCE: plex, Side.TARGET: trakt}
    movie, other = a_movie(sim, 0), a_movie(sim, 1)
    await pause_on_plex(sim, movie, movie.runtime * 60_000 * 30 // 100)
    # Trakt does not know the title (404): counted, not retried while nothing moves.
    await sim.fault("trakt", "POST /scrobble/*", status=404, count=1)
    memory, _ = await engine_run(sim, PairMemory(), sides)
    assert memory.state.last_run is not None
    assert memory.state.last_run.counts["progress"]["not_found"] == 1
    await sim.advance(600)
    _, summary = await engine_run(sim, memory, sides)
    assert summary["read"] is False

    # Carried once Plex moves; then cleared on Trakt: Plex cannot clear it, and it is never
    # carried back to Trakt either.
    await sim.advance(600)
    await pause_on_plex(sim, movie, movie.runtime * 60_000 * 35 // 100)
    memory, _ = await engine_run(sim, memory, sides, removals=True)
    [(playback_id, _, _)] = sim.state.trakt.users[cred.TRAKT_USER].playback.values()
    assert await trakt.client.remove_playback(str(playback_id))
    for _ in range(2):
        await sim.advance(600)
        await trakt.client.scrobble("pause", movie_item(other), 10.0)  # Trakt's marker moves
        memory, summary = await engine_run(sim, memory, sides, removals=True)
        assert summary["by_side"]["source"]["removals"] == 1  # planned, refused by Plex
        assert memory.state.last_run is not None
        assert memory.state.last_run.counts["progress"]["not_found"] == 1
        assert movie.title not in trakt_points(sim)
        assert plex_offset(sim, movie) == movie.runtime * 60_000 * 35 // 100
