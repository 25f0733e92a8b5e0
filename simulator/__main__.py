"""``python -m simulator --host 127.0.0.1 --port 8765 --seed tiny|small|large|movies=10,...``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import time

from aiohttp import web

from .app import build_app
from .clock import RealClock
from .state import State


async def serve(host: str, port: int, seed: str) -> None:
    started = time.perf_counter()
    state = State(RealClock(), seed)
    loaded = time.perf_counter() - started
    runner = web.AppRunner(build_app(state), handle_signals=False, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    bound = runner.addresses[0][1]
    print(f"seed {seed!r} loaded in {loaded:.2f} s", file=sys.stderr, flush=True)  # noqa: T201
    print(f"CrossWatch simulator ready at http://{host}:{bound}", flush=True)  # noqa: T201
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", default="tiny")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, args.seed))


if __name__ == "__main__":
    main()
