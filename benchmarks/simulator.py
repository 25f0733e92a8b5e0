"""How fast the simulator seeds and serves: ``large`` seed load time and 1000-item page latency.

Starts ``python -m simulator --seed large`` as its own process (as scripts/develop does) and
times real HTTP requests against it from this one, JSON parsing included.

Run: ``.venv/bin/python -m benchmarks.simulator [seed] [rounds]``
"""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time

import aiohttp

from simulator.credentials import PLEX_SERVER_TOKEN, TRAKT_ACCESS_TOKEN, TRAKT_CLIENT_ID

TRAKT = {
    "trakt-api-key": TRAKT_CLIENT_ID,
    "trakt-api-version": "2",
    "Authorization": f"Bearer {TRAKT_ACCESS_TOKEN}",
    "User-Agent": "crosswatch-benchmark/1.0",
}
PLEX = {"X-Plex-Token": PLEX_SERVER_TOKEN, "Accept": "application/json"}
PAGE = {"X-Plex-Container-Start": "1000", "X-Plex-Container-Size": "1000"}
PAGES = {
    "Trakt /sync/history (limit 1000, page 5)": ("trakt/sync/history?limit=1000&page=5", TRAKT),
    "PMS history/all (1000 rows)": ("pms/status/sessions/history/all", PLEX, PAGE),
    "PMS episodes, includeGuids (1000 rows)": (
        "pms/library/sections/2/all?type=4&includeGuids=1",
        PLEX,
        PAGE,
    ),
}


async def main(seed: str, rounds: int) -> None:
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
    )
    assert process.stdout is not None
    assert process.stderr is not None
    try:
        loaded = (await process.stderr.readline()).decode().strip()
        ready = (await process.stdout.readline()).decode()
        base = re.search(r"http://127\.0\.0\.1:\d+", ready)
        assert base, ready
        print(f"{loaded}  ({seed!r} seed, in its own process)")
        async with aiohttp.ClientSession() as session:
            for name, (path, headers, *params) in PAGES.items():
                timings, size = [], 0
                url, query = f"{base.group()}/{path}", params[0] if params else None
                for _ in range(rounds):
                    started = time.perf_counter()
                    async with session.get(url, headers=headers, params=query) as resp:
                        resp.raise_for_status()
                        body = await resp.json()
                    timings.append((time.perf_counter() - started) * 1000)
                    rows = body if isinstance(body, list) else body["MediaContainer"]["Metadata"]
                    size = len(rows)
                print(
                    f"{name:42} {size:5} items  median {statistics.median(timings):6.1f} ms"
                    f"  max {max(timings):6.1f} ms  ({rounds} rounds)"
                )
    finally:
        process.terminate()
        await process.wait()


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1] if len(sys.argv) > 1 else "large",
            int(sys.argv[2]) if len(sys.argv) > 2 else 10,
        )
    )
