"""Calendar and up next of one account, polled against the simulator over real sockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from custom_components.crosswatch.api.http import RetryPolicy
from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.watchnext.poller import SimklWatchNext, TraktWatchNext
from simulator.catalogue import Episode, Movie, Show
from simulator.simkl import Entry as SimklEntry
from simulator.testing import (
    SIMKL_CLIENT_ID,
    SIMKL_TOKEN,
    SIMKL_USER,
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    Simulator,
)

POLICY = RetryPolicy(attempts=2, timeout=2.0)


def trakt(sim: Simulator, session: aiohttp.ClientSession) -> TraktClient:
    async def token() -> str:
        return TRAKT_ACCESS_TOKEN

    return TraktClient(
        session,
        base_url=sim.url("trakt"),
        client_id=TRAKT_CLIENT_ID,
        access_token=token,
        clock=sim.clock,
        policy=POLICY,
    )


def simkl(sim: Simulator, session: aiohttp.ClientSession) -> SimklClient:
    return SimklClient(
        session,
        base_url=sim.url("simkl"),
        client_id=SIMKL_CLIENT_ID,
        token=SIMKL_TOKEN,
        clock=sim.clock,
        policy=POLICY,
    )


def now(sim: Simulator) -> datetime:
    return datetime.fromtimestamp(sim.clock.time(), UTC)


async def routes(sim: Simulator, service: str) -> list[str]:
    rows = await sim.requests(service)
    await sim.clear_requests()
    return [f"{r['method']} {r['path'].split('?')[0]}" for r in rows]


async def test_trakt_poll_reads_only_when_a_stamp_moved(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    client = trakt(sim, session)
    odd = sim.item("Odd Anthology")
    assert isinstance(odd, Show)
    watch = TraktWatchNext(client, limit=3)
    await client.watchlist_add([MediaItem(kind=MediaKind.SHOW, ids={"trakt": str(odd.trakt)})])
    await sim.clear_requests()

    assert await watch.refresh(await client.last_activities(), now(sim))
    first = await routes(sim, "trakt")
    assert first[:4] == [
        "GET /trakt/sync/last_activities",
        "GET /trakt/calendars/my/shows/2026-10-31/33",
        "GET /trakt/calendars/my/movies/2026-10-31/33",
        "GET /trakt/sync/watched/shows",
    ]
    progress_reads = [r for r in first if r.endswith("/progress/watched")]
    assert 1 <= len(progress_reads) <= 6  # the first fill: at most twice the list
    upcoming = [e for e in watch.calendar.entries.values() if e.item.show_title == "Odd Anthology"]
    assert upcoming  # weekly episodes of the watchlisted show
    assert all(e.span()[1] - e.span()[0] == timedelta(minutes=odd.runtime) for e in upcoming)
    listed = watch.up_next()
    assert listed
    assert len(listed) <= 3

    # nothing moved: the stamps are all that is read
    assert not await watch.refresh(await client.last_activities(), now(sim))
    assert await routes(sim, "trakt") == ["GET /trakt/sync/last_activities"]

    # one new play of an episode: the watched list and that one show's progress
    bad = sim.item("Breaking Bad", 1, 1)
    assert isinstance(bad, Episode)
    await sim.clock.sleep(1)
    played = MediaItem(
        kind=MediaKind.EPISODE, ids={"trakt": str(bad.trakt)}, show_ids={}, season=1, number=1
    )
    await client.history_add([Play(item=played, watched_at=now(sim))])
    await sim.clear_requests()
    assert await watch.refresh(await client.last_activities(), now(sim))
    assert await routes(sim, "trakt") == [
        "GET /trakt/sync/last_activities",
        "GET /trakt/sync/watched/shows",
        f"GET /trakt/shows/{bad.show.trakt}/progress/watched",
    ]
    assert watch.up_next()[0].show.title == "Breaking Bad"

    # the calendar is read again once it is due, even without activity
    sim.clock.advance(6 * 3600)
    await sim.clear_requests()
    assert await watch.refresh(await client.last_activities(), now(sim))
    assert [r for r in await routes(sim, "trakt") if "/calendars/" in r] == [
        "GET /trakt/calendars/my/shows/2026-10-31/33",
        "GET /trakt/calendars/my/movies/2026-10-31/33",
    ]


async def test_trakt_events_read_one_bounded_window_then_answer_from_the_cache(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    client = trakt(sim, session)
    inception = sim.item("Inception")
    assert isinstance(inception, Movie)
    inception.released = "2027-03-04"
    item = MediaItem(kind=MediaKind.MOVIE, ids={"trakt": str(inception.trakt)})
    await client.watchlist_add([item])
    watch = TraktWatchNext(client)
    await watch.refresh(await client.last_activities(), now(sim))
    await sim.clear_requests()
    start = datetime(2027, 3, 1, tzinfo=UTC)
    events = await watch.events(start, start + timedelta(days=90))
    assert [e.summary for e in events] == ["Inception (2010)"]
    assert await routes(sim, "trakt") == [
        "GET /trakt/calendars/my/shows/2027-03-01/33",
        "GET /trakt/calendars/my/movies/2027-03-01/33",
    ]
    assert await watch.events(start, start + timedelta(days=20)) == events
    assert await routes(sim, "trakt") == []


async def test_simkl_poll_reads_changes_since_the_last_stamp(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    client = simkl(sim, session)
    watch = SimklWatchNext(client)
    await sim.clear_requests()
    assert await watch.refresh(await client.activities(), now(sim))
    assert await routes(sim, "simkl") == [
        "GET /simkl/sync/activities",
        "GET /simkl/sync/all-items/shows/watching",
        "GET /simkl/sync/all-items/anime/watching",
        "GET /simkl/ratings/movies",  # the calendar: no planned film of the seed is to come
    ]
    before = {e.show.title: e.label for e in watch.up_next()}
    assert not await watch.refresh(await client.activities(), now(sim))
    assert await routes(sim, "simkl") == ["GET /simkl/sync/activities"]

    # one episode watched: one date_from read, and the show's next episode moves on
    show = next(s for s in sim.state.catalogue.shows if s.title in before)
    label = before[show.title]
    season, number = int(label[-5:-3]), int(label[-2:])
    await sim.clock.sleep(60)
    played = MediaItem(
        kind=MediaKind.EPISODE, show_ids={"simkl": str(show.simkl)}, season=season, number=number
    )
    await client.history_add([Play(item=played, watched_at=now(sim))])
    await sim.clear_requests()
    assert await watch.refresh(await client.activities(), now(sim))
    rows = await sim.requests("simkl")
    assert [r["path"].split("?")[0] for r in rows] == [
        "/simkl/sync/activities",
        "/simkl/sync/all-items",
    ]
    assert "date_from" in rows[1]["query"]
    assert {e.show.title: e.label for e in watch.up_next()}[show.title] != label


async def test_playback_reads_and_removals(sim: Simulator, session: aiohttp.ClientSession) -> None:
    trakt_client, simkl_client = trakt(sim, session), simkl(sim, session)
    inception = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt1375666"})
    await trakt_client.scrobble("pause", inception, 40.0)
    await simkl_client.scrobble("pause", inception, 30.0)
    for reads in (trakt_client, simkl_client):
        [row] = await reads.playback()
        assert row["movie"]["title"] == "Inception"
        await sim.clock.sleep(1)  # deletes are writes: one per second
        assert await reads.remove_playback(str(row["id"]))
        await sim.clock.sleep(1)
        assert not await reads.remove_playback(str(row["id"]))  # 404: already gone
        assert await reads.playback() == []


async def test_simkl_calendar_reads_only_the_lists_of_shows_with_episodes_to_come(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    client = simkl(sim, session)
    odd = sim.item("Odd Anthology")
    assert isinstance(odd, Show)
    user = sim.state.simkl.users[SIMKL_USER]
    moment = sim.clock.time()
    user.entries[odd] = SimklEntry("watching", moment - 86400, moment - 86400)
    # and a planned film comes out in 20 days
    film = next(
        i for i, e in user.entries.items() if e.status == "plantowatch" and isinstance(i, Movie)
    )
    release = datetime.fromtimestamp(moment + 20 * 86400, UTC).date()
    film.released = release.isoformat()
    watch = SimklWatchNext(client)
    await sim.clear_requests()
    assert await watch.refresh(await client.activities(), now(sim))
    # every other watching show of the seed has aired whole, every other planned film is out
    whole = [
        "GET /simkl/sync/activities",
        "GET /simkl/sync/all-items/shows/watching",
        "GET /simkl/sync/all-items/anime/watching",
        "GET /simkl/ratings/movies",
        f"GET /simkl/movies/{film.simkl}",
        f"GET /simkl/tv/episodes/{odd.simkl}",
    ]
    assert await routes(sim, "simkl") == whole
    start = now(sim)
    coming = [
        f"Odd Anthology S01E{ep.number:02d} · Chapter {ep.number}"
        for ep in odd.episodes
        if ep.first_aired + odd.runtime * 60 > start.timestamp()
    ]
    assert len(coming) >= 3
    events = await watch.events(start, start + timedelta(days=60))
    assert [e.summary for e in events if not e.all_day] == coming
    [premiere] = [e for e in events if e.all_day]
    assert (premiere.summary, premiere.start) == (f"{film.title} ({film.year})", release)
    odd_events = [e for e in events if not e.all_day]
    assert odd_events[0].item.show_ids["simkl"] == str(odd.simkl)
    assert (odd_events[0].end - odd_events[0].start) == timedelta(minutes=odd.runtime)
    nxt = watch.calendar.current_or_next(start)
    assert nxt is not None
    assert nxt.summary == coming[0]
    assert await routes(sim, "simkl") == []  # any window: from memory

    # nothing moved: the stamps alone
    assert not await watch.refresh(await client.activities(), now(sim))
    assert await routes(sim, "simkl") == ["GET /simkl/sync/activities"]

    # a day on: the lists read whole once (a new episode moves no stamp), the film and the show
    sim.clock.advance(86400)
    assert await watch.refresh(await client.activities(), now(sim))
    assert await routes(sim, "simkl") == whole

    # no longer watched, no longer planned: both leave the calendar, nothing more is read
    del user.entries[odd]
    del user.entries[film]
    sim.clock.advance(86400)
    assert await watch.refresh(await client.activities(), now(sim))
    read = " ".join(await routes(sim, "simkl"))
    assert "/tv/episodes" not in read
    assert "/movies/" not in read
    later = now(sim)
    assert await watch.events(later, later + timedelta(days=60)) == []
