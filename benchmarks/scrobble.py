"""Scrobble latency: a PMS websocket frame arriving -> the sink's request reaching the simulator.

Runs the real pieces (listener, binder over ``PlexServerClient``, rules, dedupe, Trakt sink over
``TraktClient``) against the simulator on 127.0.0.1 with 50 concurrent sessions:

- cold: a session's first ``playing`` frame (binding: ``/status/sessions`` + metadata) -> start;
- warm: later frames of bound sessions (pause -> stop, resume -> start).

Frame arrival is taken where the listener hands the notification over; the request time when
aiohttp has sent the request body to the simulator (a trace hook on the Trakt session).
Trakt's 1 POST/s per-user pacing runs on the simulator's manual clock, so it is excluded: the
figures are the pipeline's own cost. The simulator offers two players x two users, so the
benchmark registers 50 extra players and puts the sessions into its state directly.

    .venv/bin/python -m benchmarks.scrobble [--sessions 50] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import aiohttp

from custom_components.crosswatch.providers.plex.binder import (
    PlayNotification,
    PlexSessionSource,
    SessionBinder,
)
from custom_components.crosswatch.providers.plex.client import PlexServerClient
from custom_components.crosswatch.providers.plex.listener import PlexNotificationListener
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.providers.trakt.sink import trakt_sink
from custom_components.crosswatch.scrobble.pipeline import ScrobblePipeline, ScrobbleRoute
from custom_components.crosswatch.scrobble.queue import ScrobbleQueue
from simulator import plex as sim_plex
from simulator.clock import ManualClock
from simulator.testing import (
    PLEX_SERVER_TOKEN,
    PMS_MACHINE_ID,
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    Simulator,
)


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(
        f"{name:5} n={len(ms):4d}  p50={percentile(ms, 50):7.2f} ms  "
        f"p95={percentile(ms, 95):7.2f} ms  p99={percentile(ms, 99):7.2f} ms  "
        f"max={max(ms):7.2f} ms  mean={statistics.fmean(ms):7.2f} ms"
    )


class Bench:
    def __init__(self, sim: Simulator, clock: ManualClock, sessions: int) -> None:
        self.sim = sim
        self.clock = clock
        self.count = sessions
        self.arrived: dict[tuple[str, str], float] = {}  # (rating key, state) -> arrival
        self.sent: dict[tuple[str, str], float] = {}  # (rating key, call) -> request sent
        self.id_to_rk: dict[str, str] = {}
        self.rating_keys: list[str] = []
        self.pending: asyncio.Queue[None] = asyncio.Queue()

    def on_frame(self, note: PlayNotification, pipeline: ScrobblePipeline) -> None:
        self.arrived[(note.rating_key, note.state)] = time.perf_counter()
        pipeline.handle_notification(note)

    async def on_chunk(
        self, _s: Any, _ctx: Any, params: aiohttp.TraceRequestChunkSentParams
    ) -> None:
        now = time.perf_counter()
        try:
            body = json.loads(params.chunk)
        except ValueError:
            return
        ids = body.get("movie", {}).get("ids", {})
        rk = self.id_to_rk.get(str(ids.get("tmdb"))) or self.id_to_rk.get(str(ids.get("imdb")))
        call = str(params.url).rsplit("/", 1)[-1]
        self.sent[(rk or "?", call)] = now
        self.pending.put_nowait(None)

    def setup_sessions(self) -> list[sim_plex.Session]:
        plex = self.sim.state.plex
        owner = plex.find_user("owner")
        out = []
        # Titles Plex knows only by a plex:// guid cannot be scrobbled anywhere: skip them.
        movies = [m for m in self.sim.state.catalogue.movies if m.plex_guids and m.tmdb]
        for n, movie in enumerate(movies[: self.count]):
            player = f"bench-player-{n:03d}"
            sim_plex.PLAYERS[player] = {
                "title": f"Bench {n}",
                "product": "Bench",
                "platform": "Bench",
                "address": "127.0.0.1",
            }
            plex.session_ids += 1
            rk = plex.rating_key(movie)
            session = sim_plex.Session(plex.session_ids, owner, player, movie, 0, rk)
            session.offset = movie.duration_ms // 10  # 10 %: a first frame that starts at once
            plex.sessions[(owner.key, player)] = session
            self.id_to_rk[str(movie.tmdb)] = rk
            if movie.imdb:
                self.id_to_rk[movie.imdb] = rk
            self.rating_keys.append(rk)
            out.append(session)
        return out

    async def broadcast(self, sessions: list[sim_plex.Session], state: str) -> None:
        for s in sessions:
            s.state = state
        frames = [
            {
                "sessionKey": str(s.key),
                "clientIdentifier": s.player,
                "guid": "",
                "ratingKey": s.rk,
                "key": f"/library/metadata/{s.rk}",
                "viewOffset": s.offset,
                "state": state,
            }
            for s in sessions
        ]
        await asyncio.gather(
            *(self.sim.notify("playing", "PlaySessionStateNotification", [f]) for f in frames)
        )

    async def wait_requests(self, expected: int) -> None:
        async with asyncio.timeout(60):
            for _ in range(expected):
                await self.pending.get()

    def latencies(self, state: str, call: str) -> list[float]:
        out = []
        for rk in self.rating_keys:
            sent = self.sent.get((rk, call))
            arrived = self.arrived.get((rk, state))
            if sent is not None and arrived is not None:
                out.append(sent - arrived)
        return out


async def run(sessions: int, rounds: int) -> None:
    clock = ManualClock()
    async with Simulator(seed="small", clock=clock) as sim:
        bench = Bench(sim, clock, sessions)
        await sim.set_rate_limits(enabled=False)  # pacing is excluded (see the docstring)
        trace = aiohttp.TraceConfig()
        trace.on_request_chunk_sent.append(bench.on_chunk)
        async with (
            aiohttp.ClientSession() as plex_http,
            aiohttp.ClientSession(trace_configs=[trace]) as trakt_http,
        ):
            plex = PlexServerClient(
                plex_http, base_url=sim.url("pms"), token=PLEX_SERVER_TOKEN, clock=clock
            )

            async def token() -> str:
                return TRAKT_ACCESS_TOKEN

            trakt = TraktClient(
                trakt_http,
                base_url=sim.url("trakt"),
                client_id=TRAKT_CLIENT_ID,
                access_token=token,
                clock=clock,
            )
            pipeline = ScrobblePipeline(
                clock=clock,
                routes=[ScrobbleRoute(sink_ids=("trakt",))],
                sinks={"trakt": trakt_sink("trakt", trakt)},
                queue=ScrobbleQueue(clock=clock),
                binder=SessionBinder(
                    PlexSessionSource(plex), server_id=PMS_MACHINE_ID, now=clock.time
                ),
            )
            connected = asyncio.Event()
            listener = PlexNotificationListener(
                plex_http,
                plex.websocket_url(),
                clock=clock,
                on_notification=lambda note: bench.on_frame(note, pipeline),
                on_state=lambda _s: connected.set(),
            )
            listener.start()
            await asyncio.wait_for(connected.wait(), 10)
            await asyncio.sleep(0.2)

            live = bench.setup_sessions()
            cold: list[float] = []
            warm: list[float] = []
            await bench.broadcast(live, "playing")
            await bench.wait_requests(len(live))
            cold += bench.latencies("playing", "start")
            for _ in range(rounds):
                bench.sent.clear()
                bench.arrived.clear()
                clock.advance(10)  # past the pause debounce
                await bench.broadcast(live, "paused")
                await bench.wait_requests(len(live))
                warm += bench.latencies("paused", "stop")
                bench.sent.clear()
                bench.arrived.clear()
                clock.advance(10)
                await bench.broadcast(live, "playing")
                await bench.wait_requests(len(live))
                warm += bench.latencies("playing", "start")
            await pipeline.wait_idle()
            await listener.stop()
            await pipeline.close()
            print(f"scrobble latency, {sessions} concurrent sessions, {rounds} pause/resume rounds")
            report("cold", cold)
            report("warm", warm)
            target = percentile([w * 1000 for w in warm], 95)
            print(
                f"warm p95 target < 50 ms: {'met' if target < 50 else 'MISSED'} ({target:.2f} ms)"
            )
            counts = await sim.counts()
            print(
                "requests:", json.dumps({k: v for k, v in counts.items() if k in ("pms", "trakt")})
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(run(args.sessions, args.rounds))


if __name__ == "__main__":
    main()
