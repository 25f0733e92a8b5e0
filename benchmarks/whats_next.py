"""What the calendar and the up-next list cost per poll, per account, on a seeded simulator.

Runs the real Trakt and SIMKL clients with the what-to-watch-next pollers
(``custom_components/crosswatch/watchnext``) against the simulator on 127.0.0.1 and prints the
requests of: the first poll (calendar + first fill of up next), a poll when nothing changed, a
poll after one new play, a poll once the calendar is due again (6 h later), and a calendar view
of a window outside the cache. The activity stamps (``/sync/last_activities``,
``/sync/activities``) are counted: the sync runner reads them anyway, so a no-change poll costs
that one request and nothing else. CPU milliseconds per poll are printed too; they include the
in-process simulator's own work (it computes watched lists from the seeded history).

Run: ``.venv/bin/python -m benchmarks.whats_next [seed]`` (seed: tiny, small, large, ...)
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime, timedelta

import aiohttp

from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.watchnext.poller import SimklWatchNext, TraktWatchNext
from simulator import credentials as cred
from simulator.catalogue import Episode
from simulator.simkl import Entry as SimklEntry
from simulator.testing import Simulator


def _now(sim: Simulator) -> datetime:
    return datetime.fromtimestamp(sim.clock.time(), UTC)


async def _count(sim: Simulator, service: str) -> int:
    counts = await sim.counts()
    await sim.clear_requests()
    return sum(counts.get(service, {}).values())


def _latest_episode(sim: Simulator) -> Episode:
    """An episode of a show the seeded user already watches (so up next has a show to move)."""
    plays = sim.state.trakt.users[cred.TRAKT_USER].history
    watched = next(p.item for p in reversed(plays) if isinstance(p.item, Episode))
    return next(e for e in watched.show.episodes if e.season > 0)


async def trakt_rows(sim: Simulator, http: aiohttp.ClientSession) -> list[tuple[str, int, float]]:
    async def token() -> str:
        return cred.TRAKT_ACCESS_TOKEN

    client = TraktClient(
        http,
        base_url=sim.url("trakt"),
        client_id=cred.TRAKT_CLIENT_ID,
        access_token=token,
        clock=sim.clock,
    )
    watch = TraktWatchNext(client)
    rows: list[tuple[str, int, float]] = []

    async def poll(label: str) -> None:
        await sim.clear_requests()
        start = time.process_time()
        await watch.refresh(await client.last_activities(), _now(sim))
        cpu = time.process_time() - start
        rows.append((label, await _count(sim, "trakt"), cpu))

    await poll("first poll")
    await poll("no change")
    episode = _latest_episode(sim)
    await sim.clock.sleep(1)
    played = MediaItem(kind=MediaKind.EPISODE, ids={"trakt": str(episode.trakt)})
    await client.history_add([Play(item=played, watched_at=_now(sim))])
    await poll("one new play")
    sim.clock.advance(6 * 3600)
    await poll("calendar due (6 h)")
    await sim.clear_requests()
    start = time.process_time()
    later = _now(sim) + timedelta(days=60)
    await watch.events(later, later + timedelta(days=30))
    cpu = time.process_time() - start
    rows.append(("view 60-90 days ahead", await _count(sim, "trakt"), cpu))
    await watch.events(later, later + timedelta(days=30))
    rows.append(("same view again", await _count(sim, "trakt"), 0.0))
    return rows


async def simkl_rows(sim: Simulator, http: aiohttp.ClientSession) -> list[tuple[str, int, float]]:
    client = SimklClient(
        http,
        base_url=sim.url("simkl"),
        client_id=cred.SIMKL_CLIENT_ID,
        token=cred.SIMKL_TOKEN,
        clock=sim.clock,
    )
    watch = SimklWatchNext(client)
    rows: list[tuple[str, int, float]] = []
    # One show the user watches is still airing, so the calendar has an episode list to read.
    airing = sim.item("Odd Anthology")
    moment = sim.clock.time()
    user = sim.state.simkl.users[cred.SIMKL_USER]
    user.entries[airing] = SimklEntry("watching", moment - 86400, moment - 86400)  # type: ignore[index]

    async def poll(label: str) -> None:
        await sim.clear_requests()
        start = time.process_time()
        await watch.refresh(await client.activities(), _now(sim))
        cpu = time.process_time() - start
        rows.append((label, await _count(sim, "simkl"), cpu))

    await poll("first poll")
    await poll("no change")
    entry = next(iter(watch.up_next()), None)
    if entry is not None:
        await sim.clock.sleep(60)
        played = MediaItem(
            kind=MediaKind.EPISODE,
            show_ids=entry.show.ids,
            season=entry.season,
            number=entry.number,
        )
        await client.history_add([Play(item=played, watched_at=_now(sim))])
    await poll("one new play")
    sim.clock.advance(86400)
    await poll("a day later")
    return rows


async def main(seed: str) -> None:
    async with Simulator(seed=seed) as sim, aiohttp.ClientSession() as http:
        await sim.set_rate_limits(enabled=False)
        print(f"seed {seed}: requests per poll (activity stamps included) and CPU ms")
        print(f"{'account':8} {'poll':24} {'requests':>8} {'cpu ms':>8}")
        for name, rows in (
            ("trakt", await trakt_rows(sim, http)),
            ("simkl", await simkl_rows(sim, http)),
        ):
            for label, requests, cpu in rows:
                print(f"{name:8} {label:24} {requests:>8} {cpu * 1000:>8.1f}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "small"))
