"""Home scale: a large library inside a real Home Assistant never freezes its event loop.

One Plex → Trakt pair (one way) and one Plex ↔ SIMKL pair (two way) on the
simulator's ``large`` seed, with a scrobble route Plex → Trakt, inside a Home Assistant built by
pytest-homeassistant-custom-component (real ``.storage`` files in a temporary config dir). The
simulator runs in its own process; the clients' clock sleeps by moving the simulator's clock, so
rate-limit pacing costs no real time.

Home Assistant's own start (and the integration's setup) is collected before the first run, as
it is long settled in a running Home Assistant when a pair is created: a full garbage collection
counted in a run is then the run's own doing. A lag probe (a task that sleeps 10 ms and records
how late it wakes) runs throughout. Runs, each
pair via ``crosswatch.run_sync``: a first run (a movie is played on the simulated Plex server
meanwhile: frame → Trakt scrobble request latency), a settling run (the run after one that posted
plays reads the targets' watchlists again), a run with nothing changed, and a run after one new
play (a movie watched to the end on Plex). Then the Plex entry is reloaded to time the
state's load at setup. Before setup, after the runs and after the reload: the objects the
collector tracks and one timed full collection (what CrossWatch holds at rest makes every full
collection of Home Assistant longer, whoever sets it off).

Per run: max and p99 loop lag, loop-thread CPU, state bytes, store writes, requests per service.
The last line:
``ha_scale: max_lag_ms=<n> nochange_cpu_ms=<n> state_bytes=<n> nochange_writes=<n> setup_ms=<n>
scrobble_p99_ms=<n>``; targets: 50, 20, 2,097,152, 0, 100, 100.

``--why`` samples the loop thread's stack whenever the probe is 30 ms late and prints where the
loop stalled. ``--trace-memory`` traces the first run's allocations (tracemalloc; slows it, and
its lag figures are then meaningless) and prints its peak; target 150 MiB.

Run: ``.venv/bin/python -m benchmarks.ha_scale [seed] [--trace-memory] [--why]``
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import contextlib
import gc
import math
import os
import re
import sys
import tempfile
import threading
import time
import traceback
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable

ROOT = Path(__file__).resolve().parent.parent
PROBE_SECONDS = 0.010
STALL_SECONDS = 0.030
MIN_SCROBBLED = 10
FULL_COLLECTION = 2
# Routes the scrobble path uses (the first run's sync reads none of them).
SCROBBLE_ROUTE_ENDS = ("/status/sessions", "/library/metadata/{rk}")
URL_VARIABLES = {
    "CROSSWATCH_PLEX_TV_URL": "plex.tv",
    "CROSSWATCH_PLEX_DISCOVER_URL": "plex-discover",
    "CROSSWATCH_PLEX_METADATA_URL": "plex-metadata",
    "CROSSWATCH_TRAKT_URL": "trakt",
    "CROSSWATCH_TRAKT_AUTH_URL": "trakt",
    "CROSSWATCH_SIMKL_URL": "simkl",
    "CROSSWATCH_TMDB_URL": "tmdb",
}
ONE_WAY_PAIR = "pair0000000000000000000trakt"
TWO_WAY_PAIR = "pair0000000000000000000simkl"
TARGETS = {"max_lag_ms": 50, "nochange_cpu_ms": 20, "state_bytes": 2_097_152}


def overlaps(spans: list[tuple[float, float]], start: float, end: float) -> bool:
    """Whether any of the time-ordered ``spans`` overlaps ``start``..``end``.

    Spans never overlap one another (a collection holds the interpreter), so the one that
    begins last before ``end`` is the only candidate; bisecting keeps this off the loop's clock
    (thousands of young collections per run).
    """
    at = bisect.bisect_left(spans, (end, 0.0))
    return at > 0 and spans[at - 1][1] > start


def percentile(samples: list[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank); 0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


class LagProbe:
    """Sleeps 10 ms in a loop and records how late each wake-up is."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.spans: list[tuple[float, float, float]] = []  # each sleep: start, wake, lag
        self.last_spans = self.spans
        # The worst wake-up: its lag, and the CPU the loop thread and the whole process used
        # meanwhile (a stall with neither is the machine not running this process at all).
        self.worst = (0.0, 0.0, 0.0)
        self.last_worst = self.worst
        self.last_tick = time.perf_counter()
        self._task: asyncio.Task[None] | None = None

    async def _probe(self) -> None:
        while True:
            start = time.perf_counter()
            loop_cpu, process_cpu = time.thread_time(), time.process_time()
            await asyncio.sleep(PROBE_SECONDS)
            self.last_tick = time.perf_counter()
            lag = self.last_tick - start - PROBE_SECONDS
            self.samples.append(lag)
            self.spans.append((start, self.last_tick, lag))
            if lag > self.worst[0]:
                self.worst = (
                    lag,
                    time.thread_time() - loop_cpu,
                    time.process_time() - process_cpu,
                )

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._probe())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def take(self) -> list[float]:
        taken, self.samples = self.samples, []
        self.last_spans, self.spans = self.spans, []
        self.last_worst, self.worst = self.worst, (0.0, 0.0, 0.0)
        return taken


CONTROL_PROBE = """
import asyncio, sys, time
async def main():
    samples = []
    async def probe():
        while True:
            start = time.perf_counter()
            await asyncio.sleep(0.010)
            samples.append(time.perf_counter() - start - 0.010)
    task = asyncio.get_running_loop().create_task(probe())
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while await reader.readline():
        taken = sorted(samples)
        samples.clear()
        p99 = taken[max(0, -(-99 * len(taken) // 100) - 1)] if taken else 0.0
        print(f"{max(taken, default=0.0) * 1000:.1f} {p99 * 1000:.1f}", flush=True)
    task.cancel()
asyncio.run(main())
"""


class ControlProbe:
    """The same lag probe in a bare Python process: how late any loop wakes on this machine now.

    The machine is shared; its load alone makes loops late. The HA loop's lag is read against it.
    """

    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CONTROL_PROBE,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )

    async def take(self) -> tuple[float, float]:
        """Max and p99 lag (ms) since the last call."""
        assert self.process is not None
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(b"report\n")
        await self.process.stdin.drain()
        worst, p99 = (await self.process.stdout.readline()).split()
        return float(worst), float(p99)

    async def stop(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
            await self.process.wait()


class StallSampler:
    """``--why``: a thread that samples the loop thread's stack while the probe is overdue."""

    def __init__(self, probe: LagProbe) -> None:
        self.probe = probe
        self.loop_thread = threading.get_ident()
        self.stacks: collections.Counter[str] = collections.Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            if time.perf_counter() - self.probe.last_tick < STALL_SECONDS:
                continue
            frames = sys._current_frames()  # noqa: SLF001
            frame = frames.pop(self.loop_thread, None)
            if frame is None:
                continue
            stack = self._stack(frame)
            if "select" in stack:  # the loop waits for the interpreter: who holds it?
                busy = [self._stack(f) for f in frames.values()]
                stack += " || other threads: " + " | ".join(b for b in busy if b)
            self.stacks[stack] += 1

    @staticmethod
    def _stack(frame: Any) -> str:
        rows = [
            f"{Path(f.filename).name}:{f.lineno} {f.name}"
            for f in traceback.extract_stack(frame)
            if "threading.py" not in f.filename
        ]
        return " <- ".join(reversed(rows[-4:]))

    def show(self) -> None:
        print("   where the loop stalled (5 ms samples while the probe was 30+ ms late):")
        for stack, count in self.stacks.most_common(12):
            print(f"   {count * 5:6d} ms  {stack}")
        self.stacks.clear()


class GcPauses:
    """Every cyclic garbage collection's pause (it holds the interpreter, stopping the loop too)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, int]] = []
        self.spans: list[tuple[float, float]] = []
        self.last_spans = self.spans
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            ended = time.perf_counter()
            self.pauses.append((ended - self._started, info["generation"]))
            self.spans.append((self._started, ended))

    def install(self) -> None:
        gc.callbacks.append(self._callback)

    def take(self) -> tuple[float, int, int]:
        """The longest pause (ms), its generation, and how many full collections ran."""
        taken, self.pauses = self.pauses, []
        self.last_spans, self.spans = self.spans, []
        longest, generation = max(taken, default=(0.0, 0))
        return longest * 1000, generation, sum(1 for _, g in taken if g == FULL_COLLECTION)


class Control:
    """The simulator's control API (``/_sim/``) over HTTP: it lives in another process."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self.session = session
        self.base_url = base_url

    def url(self, service: str) -> str:
        return f"{self.base_url}/{service}"

    async def call(self, method: str, path: str, body: object = None) -> Any:
        async with self.session.request(method, f"{self.base_url}/_sim/{path}", json=body) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def advance(self, seconds: float) -> None:
        await self.call("POST", "clock/advance", {"seconds": seconds})

    async def counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = await self.call("GET", "counts")
        return counts

    async def movies(self) -> list[tuple[str, int]]:
        """Every movie's rating key and duration (ms) on the PMS."""
        from simulator.credentials import PLEX_SERVER_TOKEN  # noqa: PLC0415

        headers = {"X-Plex-Token": PLEX_SERVER_TOKEN, "Accept": "application/json"}
        async with self.session.get(
            f"{self.url('pms')}/library/sections/1/all", headers=headers
        ) as resp:
            resp.raise_for_status()
            rows = (await resp.json())["MediaContainer"]["Metadata"]
        return [(str(r["ratingKey"]), int(r.get("duration", 7_200_000))) for r in rows]


class SimulatorClock:
    """Wall time plus an offset; sleeping moves the offset here and in the simulator alike."""

    def __init__(self, control: Control) -> None:
        self.control = control
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.offset += seconds
            await self.control.advance(seconds)
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def simulator_process(seed: str) -> AsyncIterator[str]:
    """``python -m simulator`` on a free port; yields its base URL."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "simulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--seed",
        seed,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        loaded = (await process.stderr.readline()).decode().strip()
        ready = (await process.stdout.readline()).decode()
        found = re.search(r"http://127\.0\.0\.1:\d+", ready)
        assert found, ready
        print(f"simulator: {loaded} (own process)")
        yield found.group()
    finally:
        process.terminate()
        await process.wait()


@dataclass
class Writes:
    """Counts the pair stores' file writes (whatever thread they happen in)."""

    count: int = 0
    keys: list[str] = field(default_factory=list)

    def install(self) -> None:
        from homeassistant.helpers.storage import Store  # noqa: PLC0415

        original = Store._write_prepared_data  # noqa: SLF001
        counter = self

        def counted(store: Store[Any], mode: str, json_data: str | bytes) -> None:
            if store.key.startswith("crosswatch.pair."):
                counter.count += 1
                counter.keys.append(store.key)
            original(store, mode, json_data)

        Store._write_prepared_data = counted  # type: ignore[method-assign]  # noqa: SLF001

    def take(self) -> int:
        taken, self.count = self.count, 0
        self.keys.clear()
        return taken


@dataclass
class Scrobbles:
    """Frame arrival (listener hand-over) → Trakt scrobble call, per rating key and action."""

    arrived: dict[tuple[str, str], float] = field(default_factory=dict)
    sent: list[tuple[str, float]] = field(default_factory=list)

    def install(self) -> None:
        from custom_components.crosswatch.providers.trakt.client import TraktClient  # noqa: PLC0415
        from custom_components.crosswatch.scrobble.pipeline import (  # noqa: PLC0415
            ScrobblePipeline,
        )

        handle = ScrobblePipeline.handle_notification
        scrobble = TraktClient.scrobble
        me = self

        def handled(pipeline: ScrobblePipeline, note: Any) -> None:
            me.arrived[(note.rating_key, note.state)] = time.perf_counter()
            handle(pipeline, note)

        async def scrobbled(client: TraktClient, action: str, item: Any, progress: float) -> Any:
            me.sent.append((action, time.perf_counter()))
            return await scrobble(client, action, item, progress)

        ScrobblePipeline.handle_notification = handled  # type: ignore[method-assign]
        TraktClient.scrobble = scrobbled  # type: ignore[method-assign]


@dataclass
class RunFigures:
    label: str
    max_lag_ms: float
    p99_lag_ms: float
    loop_cpu_ms: float
    state_bytes: dict[str, int]
    writes: int
    requests: dict[str, int]
    results: list[str]
    wall_s: float
    samples: int
    bare_lag_ms: tuple[float, float]
    worst: tuple[float, float, float]
    gc: tuple[float, int, int]
    max_lag_outside_gc_ms: float
    scrobble_requests: int

    def show(self) -> None:
        states = ", ".join(f"{k} {v:,} B" for k, v in self.state_bytes.items())
        requests = ", ".join(f"{k} {v}" for k, v in sorted(self.requests.items()))
        print(f"\n== {self.label}")
        print(
            f"   loop lag max {self.max_lag_ms:.1f} ms, p99 {self.p99_lag_ms:.1f} ms; "
            f"loop CPU {self.loop_cpu_ms:.0f} ms; store writes {self.writes}; "
            f"wall {self.wall_s:.1f} s ({self.samples} lag samples)"
        )
        lag, loop_cpu, process_cpu = (round(v * 1000) for v in self.worst)
        print(
            f"   the worst wake-up ({lag} ms late): meanwhile the loop thread ran {loop_cpu} ms,"
            f" the whole process {process_cpu} ms"
        )
        longest, generation, full = self.gc
        print(
            f"   longest garbage collection {longest:.0f} ms (generation {generation});"
            f" {full} full collections; loop lag max {self.max_lag_outside_gc_ms:.1f} ms"
            " in wake-ups no collection overlapped"
        )
        print(
            f"   a bare Python loop on this machine meanwhile: lag max {self.bare_lag_ms[0]:.1f} ms"
            f", p99 {self.bare_lag_ms[1]:.1f} ms (machine load {os.getloadavg()[0]:.1f})"
        )
        print(f"   state: {states}")
        total = sum(self.requests.values())
        print(
            f"   requests: {total} ({requests}); "
            f"sync alone {total - self.scrobble_requests} "
            f"(less {self.scrobble_requests} on the scrobble path: sessions, metadata, scrobbles)"
        )
        print(f"   results: {', '.join(self.results)}")


async def add_trakt_app(hass: Any) -> None:
    """The simulated Trakt app as Home Assistant's application credential."""
    from homeassistant.components.application_credentials import (  # noqa: PLC0415
        ClientCredential,
        async_import_client_credential,
    )
    from homeassistant.setup import async_setup_component  # noqa: PLC0415

    from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415
    from simulator import credentials as cred  # noqa: PLC0415

    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass,
        DOMAIN,
        ClientCredential(cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET),
        "crosswatch_trakt",
    )


def trakt_entry(user: str, access_token: str, refresh_token: str) -> Any:
    """A Trakt account's config entry, signed in with these tokens."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry  # noqa: PLC0415

    from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415

    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Trakt ({user})",
        unique_id=user,
        data={
            "service": "trakt",
            "account_id": user,
            "account_name": user,
            "auth_implementation": "crosswatch_trakt",
            "token": {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "token_type": "Bearer",
                "expires_in": 7 * 86400,
                "expires_at": time.time() + 7 * 86400,
            },
        },
    )


def simkl_entry(user: str, user_id: int, token: str) -> Any:
    """A SIMKL account's config entry."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry  # noqa: PLC0415

    from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415
    from simulator import credentials as cred  # noqa: PLC0415

    return MockConfigEntry(
        domain=DOMAIN,
        title=f"SIMKL ({user})",
        unique_id=str(user_id),
        data={
            "service": "simkl",
            "account_id": str(user_id),
            "account_name": user,
            "client_id": cred.SIMKL_CLIENT_ID,
            "access_token": token,
        },
    )


class Bench:
    """Home Assistant with the three accounts, two pairs and a scrobble route."""

    def __init__(self, hass: Any, control: Control, config_dir: Path) -> None:
        self.hass = hass
        self.control = control
        self.config_dir = config_dir
        self.probe = LagProbe()
        self.control_probe = ControlProbe()
        self.gc_pauses = GcPauses()
        self.sampler: StallSampler | None = None
        self.writes = Writes()
        self.scrobbles = Scrobbles()
        self.plex: Any = None
        self.figures: list[RunFigures] = []
        self.alone = (0, 0.0)  # ``at_rest`` before setup: Home Assistant alone

    async def setup(self) -> None:
        from homeassistant.config_entries import ConfigSubentryData  # noqa: PLC0415
        from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
            MockConfigEntry,
        )

        from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415
        from custom_components.crosswatch.providers.base import CLOCK_KEY  # noqa: PLC0415
        from simulator import credentials as cred  # noqa: PLC0415

        hass = self.hass
        self.writes.install()
        self.scrobbles.install()  # before setup: the listener binds the pipeline's handler
        hass.data[CLOCK_KEY] = SimulatorClock(self.control)
        await self.control.call(
            "POST", f"trakt/users/{cred.TRAKT_USER}", {"vip": True, "watchlist_limit": 10_000}
        )
        await add_trakt_app(hass)
        trakt = trakt_entry(cred.TRAKT_USER, cred.TRAKT_ACCESS_TOKEN, cred.TRAKT_REFRESH_TOKEN)
        simkl = simkl_entry(cred.SIMKL_USER, cred.SIMKL_USER_ID, cred.SIMKL_TOKEN)

        def pair(subentry_id: str, target: Any, direction: str, removals: str) -> Any:
            return {
                "subentry_id": subentry_id,
                "subentry_type": "sync_pair",
                "title": f"Plex → {target.title}",
                "unique_id": None,
                "data": {
                    "target_entry_id": target.entry_id,
                    "features": ["watchlist", "history"],
                    "direction": direction,
                    "removals": removals,
                    "interval_minutes": 24 * 60,  # runs only when the benchmark asks
                },
            }

        route = ConfigSubentryData(
            subentry_type="scrobble_route",
            title="Owner → Trakt",
            unique_id=None,
            data={"plex_users": ["1"], "all_users": False, "target_entry_ids": [trakt.entry_id]},
        )
        self.plex = MockConfigEntry(
            domain=DOMAIN,
            title=f"Plex ({cred.PLEX_OWNER_NAME})",
            unique_id=str(cred.PLEX_OWNER_ID),
            data={
                "service": "plex",
                "account_id": str(cred.PLEX_OWNER_ID),
                "account_name": cred.PLEX_OWNER_NAME,
                "plex_token": cred.PLEX_OWNER_TOKEN,
                "plex_client_identifier": "crosswatch-benchmark",
                "server_id": cred.PMS_MACHINE_ID,
                "server_name": cred.PMS_NAME,
                "server_url": self.control.url("pms"),
                "server_token": cred.PLEX_SERVER_TOKEN,
                "server_owned": True,
            },
            subentries_data=[
                pair(ONE_WAY_PAIR, trakt, "one_way", "off"),
                pair(TWO_WAY_PAIR, simkl, "two_way", "off"),
                route,
            ],
        )
        for entry in (trakt, simkl, self.plex):
            entry.add_to_hass(hass)
        from homeassistant.config_entries import ConfigEntryState  # noqa: PLC0415

        for entry in (trakt, simkl, self.plex):
            if entry.state is ConfigEntryState.NOT_LOADED:
                assert await hass.config_entries.async_setup(entry.entry_id), entry.title
        await hass.async_block_till_done()

    def state_bytes(self) -> dict[str, int]:
        """Bytes on disk of each pair's stored state."""
        sizes: dict[str, int] = {}
        storage = self.config_dir / ".storage"
        for name, pair in (("trakt", ONE_WAY_PAIR), ("simkl", TWO_WAY_PAIR)):
            files = list(storage.glob(f"crosswatch.pair.{pair}*"))
            sizes[name] = sum(f.stat().st_size for f in files)
        return sizes

    async def run(self, label: str, during: Callable[[], Awaitable[None]] | None = None) -> Any:
        """Both pairs through ``crosswatch.run_sync``, one after the other; returns figures."""
        from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415

        await self.control.call("DELETE", "requests")
        self.probe.take()
        self.gc_pauses.take()
        await self.control_probe.take()
        self.writes.take()
        cpu = time.thread_time()
        wall = time.perf_counter()
        results: list[str] = []

        async def runs() -> None:
            for pair in (ONE_WAY_PAIR, TWO_WAY_PAIR):
                response = await self.hass.services.async_call(
                    DOMAIN,
                    "run_sync",
                    {"config_entry_id": self.plex.entry_id, "pair": pair},
                    blocking=True,
                    return_response=True,
                )
                results.extend(
                    f"{p.get('title')}: {p.get('result')} +{p.get('adds', 0)}"
                    f" -{p.get('removals', 0)}"
                    for p in _pair_summaries(response)
                )

        if during is None:
            await runs()
        else:
            await asyncio.gather(runs(), during())
        await self.hass.async_block_till_done()
        cpu = time.thread_time() - cpu
        lags = [s * 1000 for s in self.probe.take()]
        gc_figures = self.gc_pauses.take()
        collections_ = self.gc_pauses.last_spans
        outside_gc = [
            lag * 1000
            for start, woke, lag in self.probe.last_spans
            if not overlaps(collections_, start, woke)
        ]
        bare = await self.control_probe.take()
        counts = await self.control.counts()
        figures = RunFigures(
            label=label,
            max_lag_ms=max(lags, default=0.0),
            p99_lag_ms=percentile(lags, 99),
            loop_cpu_ms=cpu * 1000,
            state_bytes=self.state_bytes(),
            writes=self.writes.take(),
            requests={s: sum(r.values()) for s, r in counts.items()},
            bare_lag_ms=bare,
            worst=self.probe.last_worst,
            gc=gc_figures,
            max_lag_outside_gc_ms=max(outside_gc, default=0.0),
            scrobble_requests=sum(
                n
                for routes in counts.values()
                for route, n in routes.items()
                if route.endswith(SCROBBLE_ROUTE_ENDS) or "/scrobble/" in route
            ),
            results=results,
            wall_s=time.perf_counter() - wall,
            samples=len(lags),
        )
        figures.show()
        if self.sampler is not None:
            self.sampler.show()
        self.figures.append(figures)
        return figures

    async def play_movies(self, movies: list[tuple[str, int]], stop: asyncio.Event) -> None:
        """Play movies from 10% and stop them at 20%, one by one, while the first run goes on.

        At least ``MIN_SCROBBLED`` of them, so a quick run still gives samples.
        """
        for played, (rating_key, duration) in enumerate(movies):
            if stop.is_set() and played >= MIN_SCROBBLED:
                return
            await self.control.call(
                "POST",
                "plex/playback/play",
                {"rating_key": rating_key, "offset_ms": duration // 10},
            )
            await asyncio.sleep(0.3)
            await self.control.call("POST", "plex/playback/stop", {"offset_ms": duration // 5})
            await asyncio.sleep(0.3)

    async def watch_one_movie(self, rating_key: str, duration: int) -> None:
        """The owner watches a movie to the end: Plex records a play (and it scrobbles)."""
        await self.control.call(
            "POST", "plex/playback/play", {"rating_key": rating_key, "offset_ms": 0}
        )
        await asyncio.sleep(0.3)
        await self.control.call("POST", "plex/playback/stop", {"offset_ms": duration * 95 // 100})
        await asyncio.sleep(0.5)
        await self.hass.async_block_till_done()

    def scrobble_latencies(self) -> list[float]:
        """Per Trakt ``start`` call: ms since its frame arrived."""
        latencies = []
        arrived = self.scrobbles.arrived.items()
        arrivals = sorted(t for (_, state), t in arrived if state == "playing")
        for action, sent in self.scrobbles.sent:
            if action != "start":
                continue
            before = [t for t in arrivals if t <= sent]
            if before:
                latencies.append((sent - before[-1]) * 1000)
        return latencies

    async def reload_ms(self) -> float:
        """Loop-thread CPU of reloading the Plex entry (which loads both pairs' states)."""
        cpu = time.thread_time()
        assert await self.hass.config_entries.async_reload(self.plex.entry_id)
        await self.hass.async_block_till_done()
        return (time.thread_time() - cpu) * 1000


def at_rest() -> tuple[int, float]:
    """Objects the collector tracks now, and ms of a full collection of them (best of three).

    Any part of Home Assistant may set off a full collection; it walks every tracked object with
    the interpreter held, so what we keep between runs makes each one longer. The best of three
    leaves out what the machine's other work adds to one.
    """
    gc.collect()
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        gc.collect()
        best = min(best, time.perf_counter() - start)
    return len(gc.get_objects()), best * 1000


def show_at_rest(label: str, alone: tuple[int, float], now: tuple[int, float]) -> None:
    print(
        f"== held at rest {label}: {now[0]:,} tracked objects (HA alone {alone[0]:,}), "
        f"a full collection at rest {now[1]:.0f} ms (HA alone {alone[1]:.0f} ms)"
    )


def _pair_summaries(response: Any) -> list[dict[str, Any]]:
    """The pair summaries in a ``run_sync`` response, whatever its nesting."""
    if isinstance(response, dict):
        if "pair" in response and "result" in response:
            return [response]
        return [s for value in response.values() for s in _pair_summaries(value)]
    if isinstance(response, list):
        return [s for value in response for s in _pair_summaries(value)]
    return []


async def main(seed: str, *, trace_memory: bool, why: bool) -> None:
    from homeassistant import loader  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        async_test_home_assistant,
    )

    with tempfile.TemporaryDirectory(prefix="ha_scale_") as tmp:
        config_dir = Path(tmp)
        async with (
            simulator_process(seed) as base_url,
            aiohttp.ClientSession() as session,
            async_test_home_assistant(config_dir=str(config_dir)) as hass,
        ):
            control = Control(session, base_url)
            for variable, service in URL_VARIABLES.items():
                os.environ[variable] = control.url(service)
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # let HA load custom_components/
            bench = Bench(hass, control, config_dir)
            await bench.control_probe.start()
            bench.gc_pauses.install()
            bench.alone = at_rest()
            await bench.setup()
            # Home Assistant has just started and set the integration up here; in a running one
            # that start is long settled when a pair is created. Collecting it now leaves the
            # full collections counted below to what the runs themselves promote.
            gc.collect()
            movies = await control.movies()
            bench.probe.start()
            sampler = StallSampler(bench.probe) if why else None
            bench.sampler = sampler
            if sampler is not None:
                sampler.start()
            stop = asyncio.Event()

            async def scrobbling() -> None:
                await bench.play_movies(movies[:40], stop)

            async def first() -> None:
                if trace_memory:
                    tracemalloc.start()
                try:
                    await bench.run("first run (movies played on Plex meanwhile)")
                finally:
                    stop.set()
                    if trace_memory:
                        _, peak = tracemalloc.get_traced_memory()
                        tracemalloc.stop()
                        print(f"   peak traced memory {peak / 2**20:.1f} MiB")

            await asyncio.gather(first(), scrobbling())
            await main_rest(bench, movies, sampler)
            await bench.probe.stop()
            await bench.control_probe.stop()


async def main_rest(
    bench: Bench, movies: list[tuple[str, int]], sampler: StallSampler | None
) -> None:
    """The settling run, the no-change run, the one-new-play run, the reload, the last line.

    The run after one that posted plays reads the targets' watchlists again (the services take
    watched titles off them), so it is no "nothing moved" run: it settles the first run.
    """
    await bench.run("settling: the targets' watchlists read again after the first run's plays")
    nochange = await bench.run("no change")
    await bench.control.advance(3600)
    rating_key, duration = movies[-1]
    await bench.watch_one_movie(rating_key, duration)
    await bench.run("one new play (a movie watched on Plex)")
    print()
    show_at_rest("after the runs", bench.alone, at_rest())
    setup_ms = await bench.reload_ms()
    print(f"== setup: reloading the Plex entry (both pairs' states): loop CPU {setup_ms:.0f} ms")
    show_at_rest("after the reload", bench.alone, at_rest())
    scrobble = bench.scrobble_latencies()
    print(
        f"== scrobbles during the first run: {len(scrobble)} starts, "
        f"p50 {percentile(scrobble, 50):.1f} ms, p99 {percentile(scrobble, 99):.1f} ms"
    )
    if sampler is not None:
        sampler.stop()
    runs = bench.figures
    print(
        f"ha_scale: max_lag_ms={max(r.max_lag_ms for r in runs):.0f}"
        f" nochange_cpu_ms={nochange.loop_cpu_ms:.0f}"
        f" state_bytes={max(max(r.state_bytes.values()) for r in runs)}"
        f" nochange_writes={nochange.writes}"
        f" setup_ms={setup_ms:.0f}"
        f" scrobble_p99_ms={percentile(scrobble, 99):.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ha_scale", description=__doc__)
    parser.add_argument("seed", nargs="?", default="large")
    parser.add_argument("--trace-memory", action="store_true")
    parser.add_argument("--why", action="store_true", help="sample the loop's stack in stalls")
    args = parser.parse_args()
    asyncio.run(main(args.seed, trace_memory=args.trace_memory, why=args.why))
