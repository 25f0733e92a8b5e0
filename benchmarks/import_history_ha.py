"""A large Trakt export imported through ``crosswatch.import_history`` inside Home Assistant.

The export is the simulator's ``large`` seed as a Trakt data export ZIP (the owner's 21,000 plays,
2,000 ratings, the 1,000-title watchlist, in Trakt's export row shapes as the simulated Trakt
writes them). It is imported into an empty Trakt account and an empty SIMKL account (the
simulator's second users), then imported again into each; then the Trakt account is exported
(``crosswatch.export_history``, CrossWatch's JSON schema) and that export imported into it (the
round trip: nothing to write). Home Assistant is built by
pytest-homeassistant-custom-component; the simulator runs in its own process and the clients'
clock sleeps by moving the simulator's clock, so rate-limit pacing costs no real time (its
length is read off the simulated clock).

Per import: requests per route against the floor (the reads the target's data needs: Trakt a
watchlist request, a ratings request and history pages of 100; SIMKL its all-items and three
ratings reads; plus one write per 100 records and feature), the simulated pacing time, the loop
thread's CPU, the longest event-loop stall (a task sleeping 10 ms records how late it wakes; a bare
Python loop beside it shows the machine's own lateness), the full garbage collections (each holds
the loop while it walks Home Assistant's heap) and what was written (the second import and the
round trip must write 0). ``--trace-memory`` traces allocations during the first import into
Trakt (slows it; its stall figures are then meaningless); target 150 MiB.

Run: ``.venv/bin/python -m benchmarks.import_history_ha [seed] [--trace-memory]``
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import math
import os
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.ha_scale import (
    URL_VARIABLES,
    Control,
    ControlProbe,
    GcPauses,
    LagProbe,
    SimulatorClock,
    add_trakt_app,
    overlaps,
    percentile,
    simkl_entry,
    simulator_process,
    trakt_entry,
)
from simulator.catalogue import SEEDS, Movie, Show, build_catalogue
from simulator.clock import iso_ms
from simulator.seed import make_plan

BATCH = 100
PAGE = 100
TRAKT_READS = ("GET /sync/watchlist", "GET /sync/ratings")
RATINGS = 2_000


def trakt_export(seed: str) -> tuple[bytes, dict[str, int]]:
    """The seed's owner history, 2,000 ratings and the watchlist as a Trakt export ZIP."""
    from simulator.trakt import media_json  # noqa: PLC0415

    cat = build_catalogue(SEEDS[seed])
    plan = make_plan(cat, SEEDS[seed])
    history = [
        {"id": n, "watched_at": iso_ms(at), "action": "watch", **media_json(item)}
        for n, (item, at) in enumerate(plan.plex_plays, start=1)
        if item.trakt is not None
    ]
    known_movies = [m for m in cat.movies if m.trakt is not None]
    known_shows = [s for s in cat.shows if s.trakt is not None]
    rated: list[Movie | Show] = [*known_movies, *known_shows][:RATINGS]
    ratings = [
        {"rated_at": iso_ms(plan.plex_plays[0][1]), "rating": 1 + i % 10, **media_json(title)}
        for i, title in enumerate(rated)
    ]
    watchlist = [
        {"listed_at": iso_ms(at), "rank": n, **media_json(title)}
        for n, (title, at) in enumerate(plan.plex_watchlist, start=1)
        if title.trakt is not None
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("history-1.json", json.dumps(history))
        archive.writestr("ratings-movies.json", json.dumps(ratings))
        archive.writestr("watchlist.json", json.dumps(watchlist))
    counts = {"history": len(history), "ratings": len(ratings), "watchlist": len(watchlist)}
    return buffer.getvalue(), counts


def read_floor(service: str, held: dict[str, int]) -> int:
    """The fewest reads the target's data needs (``held``: what the account holds now)."""
    if service == "trakt":
        return len(TRAKT_READS) + max(1, math.ceil(held.get("history", 0) / PAGE))
    return 1 + 3  # SIMKL: one all-items answer, ratings per type (movies, shows, anime)


async def add_accounts(hass: Any, control: Control) -> dict[str, str]:
    """The empty second Trakt and SIMKL users as accounts; their entry ids by service."""
    from simulator import credentials as cred  # noqa: PLC0415

    user = cred.TRAKT_USER_2
    await control.call("POST", f"trakt/users/{user}", {"vip": True, "watchlist_limit": 10_000})
    token = await control.call("POST", "trakt/token", {"user": user})
    await add_trakt_app(hass)
    trakt = trakt_entry(user, token["access_token"], token["refresh_token"])
    simkl = simkl_entry(cred.SIMKL_USER_2, cred.SIMKL_USER_ID + 1, cred.SIMKL_TOKEN_2)
    for entry in (trakt, simkl):
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id), entry.title
    await hass.async_block_till_done()
    return {"trakt": trakt.entry_id, "simkl": simkl.entry_id}


class Bench:
    """One Home Assistant, the export on disk, the probes."""

    def __init__(self, hass: Any, control: Control, clock: SimulatorClock, path: Path) -> None:
        self.hass = hass
        self.control = control
        self.clock = clock
        self.path = path
        self.probe = LagProbe()
        self.bare = ControlProbe()
        self.gc_pauses = GcPauses()
        self.entries: dict[str, str] = {}
        self.worst_lag_ms = 0.0
        self.second_writes: dict[str, int] = {}

    async def export(self, service: str) -> Path:
        """``crosswatch.export_history`` of the account (JSON): its figures; returns the file."""
        from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415

        await self.control.call("DELETE", "requests")
        self.probe.take()
        self.gc_pauses.take()
        cpu = time.thread_time()
        wall = time.perf_counter()
        response = await self.hass.services.async_call(
            DOMAIN,
            "export_history",
            {"config_entry_id": self.entries[service], "folder": "exports"},
            blocking=True,
            return_response=True,
        )
        cpu = time.thread_time() - cpu
        wall = time.perf_counter() - wall
        lags = [lag * 1000 for lag in self.probe.take()]
        longest_gc, _, full = self.gc_pauses.take()
        self.worst_lag_ms = max(self.worst_lag_ms, max(lags, default=0.0))
        assert isinstance(response, dict)
        path = Path(str(response["path"]))
        counts = {k: response[k] for k in ("history", "ratings", "watchlist")}
        print(f"\n== export of the {service} account")
        size = (await self.hass.async_add_executor_job(path.stat)).st_size
        print(f"   {counts}, {size / 1024:.0f} KiB zipped; wall {wall:.1f} s")
        print(
            f"   loop: CPU {cpu * 1000:.0f} ms, stall max {max(lags, default=0.0):.1f} ms;"
            f" garbage collection: {full} full collections, the longest pause {longest_gc:.0f} ms"
        )
        return path

    async def run(
        self,
        label: str,
        service: str,
        held: dict[str, int],
        *,
        trace: bool = False,
        path: Path | None = None,
    ) -> dict[str, int]:
        """One import (of the Trakt export, or ``path``); prints its figures and what it wrote."""
        from custom_components.crosswatch.const import DOMAIN  # noqa: PLC0415

        await self.control.call("DELETE", "requests")
        self.probe.take()
        self.gc_pauses.take()
        await self.bare.take()
        simulated = self.clock.offset
        cpu = time.thread_time()
        wall = time.perf_counter()
        if trace:
            tracemalloc.start()
        response = await self.hass.services.async_call(
            DOMAIN,
            "import_history",
            {"config_entry_id": self.entries[service], "file": str(path or self.path)},
            blocking=True,
            return_response=True,
        )
        await self.hass.async_block_till_done()
        peak = 0.0
        if trace:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        cpu = time.thread_time() - cpu
        wall = time.perf_counter() - wall
        lags = [lag * 1000 for lag in self.probe.take()]
        longest_gc, _, full = self.gc_pauses.take()
        spans = self.gc_pauses.last_spans
        outside_gc = [
            lag * 1000
            for begin, woke, lag in self.probe.last_spans
            if not overlaps(spans, begin, woke)
        ]
        bare = await self.bare.take()
        counts = await self.control.counts()
        assert isinstance(response, dict)
        written: dict[str, int] = response.get("written") or {}
        routes = counts.get(service, {})
        writes = {route: n for route, n in routes.items() if route.startswith("POST /sync/")}
        writes = {r: n for r, n in writes.items() if "ratings/{type}" not in r}
        reads = sum(routes.values()) - sum(writes.values())
        floor = read_floor(service, held) + sum(math.ceil(n / BATCH) for n in written.values() if n)
        total = sum(routes.values())
        self.worst_lag_ms = max(self.worst_lag_ms, max(lags, default=0.0))
        print(f"\n== {label}")
        print(
            f"   written {written or '{}'}; unknown to the target"
            f" {len(response['unknown_to_target'])}; bad rows {response['problem_count']}"
        )
        print(
            f"   requests {total} ({reads} reads, {sum(writes.values())} writes), floor {floor}"
            f" ({100 * (total - floor) / floor:+.1f}%); simulated pacing"
            f" {self.clock.offset - simulated:.0f} s; wall {wall:.1f} s"
        )
        log = await self.control.call("GET", f"requests?service={service}")
        refused = sum(1 for row in log if row.get("status") == 429)
        for route, count in sorted(routes.items()):
            print(f"      {route:<44} {count:>5}")
        print(f"   of these, answered 429 (rate limited, then retried): {refused}")
        print(
            f"   loop: CPU {cpu * 1000:.0f} ms, stall max {max(lags, default=0.0):.1f} ms,"
            f" p99 {percentile(lags, 99):.1f} ms ({len(lags)} samples); a bare loop meanwhile:"
            f" max {bare[0]:.1f} ms, p99 {bare[1]:.1f} ms (load {os.getloadavg()[0]:.1f})"
        )
        print(
            f"   garbage collection: {full} full collections, the longest pause"
            f" {longest_gc:.0f} ms; stall max where no collection ran"
            f" {max(outside_gc, default=0.0):.1f} ms"
        )
        if trace:
            print(f"   peak traced memory {peak:.1f} MiB (target 150)")
        for feature, preview in response["features"].items():
            print(
                f"   {feature:<9} read {preview['read']:>6}  to add {preview['to_add']:>6}"
                f"  already there {preview['already_on_target']:>6}"
                f"  unmatched {preview['unmatched']:>4}"
            )
        return {feature: int(n) for feature, n in written.items()}


async def main(seed: str, *, trace_memory: bool) -> None:
    from homeassistant import loader  # noqa: PLC0415
    from pytest_homeassistant_custom_component.common import (  # noqa: PLC0415
        async_test_home_assistant,
    )

    from custom_components.crosswatch.providers.base import CLOCK_KEY  # noqa: PLC0415

    data, counts = trakt_export(seed)
    print(f"Trakt export of seed {seed}: {len(data) / 1024:.0f} KiB zipped, {counts}")
    with tempfile.TemporaryDirectory(prefix="import_history_") as tmp:
        config_dir = Path(tmp)
        path = config_dir / "trakt-export.zip"
        path.write_bytes(data)
        async with (
            simulator_process(seed) as base_url,
            aiohttp.ClientSession() as session,
            async_test_home_assistant(config_dir=str(config_dir)) as hass,
        ):
            control = Control(session, base_url)
            for variable, service in URL_VARIABLES.items():
                os.environ[variable] = control.url(service)
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # let HA load custom_components/
            clock = SimulatorClock(control)
            hass.data[CLOCK_KEY] = clock
            bench = Bench(hass, control, clock, path)
            bench.entries = await add_accounts(hass, control)
            await bench.bare.start()
            # Setup's garbage (the catalogue built for the export file, Home Assistant's start)
            # is collected first, so a full collection counted below is the imports' own doing.
            gc.collect()
            bench.gc_pauses.install()
            bench.probe.start()
            second: dict[str, dict[str, int]] = {}
            first_trakt: dict[str, int] = {}
            for service in ("trakt", "simkl"):
                first = await bench.run(
                    f"into an empty {service} account",
                    service,
                    {},
                    trace=trace_memory and service == "trakt",
                )
                second[service] = await bench.run(
                    f"the same file again into {service}", service, first
                )
                if service == "trakt":
                    first_trakt = first
            # The round trip: the Trakt account exported, the export imported into it again.
            exported = await bench.export("trakt")
            second["round trip"] = await bench.run(
                "its export imported into the same trakt account",
                "trakt",
                first_trakt,
                path=exported,
            )
            await bench.probe.stop()
            await bench.bare.stop()
    again = sum(n for written in second.values() for n in written.values())
    print(
        f"\nimport_history_ha: max_stall_ms={bench.worst_lag_ms:.0f} second_import_writes={again}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.import_history_ha", description=__doc__
    )
    parser.add_argument("seed", nargs="?", default="large")
    parser.add_argument("--trace-memory", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.seed, trace_memory=args.trace_memory))
