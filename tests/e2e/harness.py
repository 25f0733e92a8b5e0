"""Processes of the browser test: the simulator and a real Home Assistant, each a subprocess.

Both bind 127.0.0.1 only. Their output goes to files in the test's work directory so a failure can
keep them next to the screenshots.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Chromium in a container: no sandbox (root), no GPU, and no traffic to anything but our servers.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEV_USER = "dev"  # made by scripts/dev-config.py
DEV_PASSWORD = "dev"
# HA takes ~10-20 s to start on two busy cores; a cold first start (frontend, recorder) more.
HA_START_TIMEOUT = 180.0
SIM_START_TIMEOUT = 60.0
# Where CrossWatch finds each upstream, relative to the simulator's base URL (as scripts/develop).
URL_VARIABLES = {
    "CROSSWATCH_PLEX_TV_URL": "plex.tv",
    "CROSSWATCH_PLEX_DISCOVER_URL": "plex-discover",
    "CROSSWATCH_PLEX_METADATA_URL": "plex-metadata",
    "CROSSWATCH_TRAKT_URL": "trakt",
    "CROSSWATCH_TRAKT_AUTH_URL": "trakt",
    # Sign-in pages open the simulator's approve page, as in scripts/develop.
    "CROSSWATCH_PLEX_AUTH_URL": "_sim/approve",
    "CROSSWATCH_TRAKT_ACTIVATE_URL": "_sim/approve",
    "CROSSWATCH_SIMKL_PIN_URL": "_sim/approve",
    "CROSSWATCH_SIMKL_URL": "simkl",
    "CROSSWATCH_TMDB_URL": "tmdb",
    "CROSSWATCH_TMDB_IMAGE_URL": "tmdb-image/t/p",
}


def free_port() -> int:
    """A port nothing listens on right now (Home Assistant needs it up front, in its config)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(slots=True)
class Process:
    """A running subprocess whose output goes to ``log``."""

    name: str
    proc: asyncio.subprocess.Process
    log: Path

    async def stop(self, grace: float = 20.0) -> None:
        """SIGTERM, then SIGKILL if it has not exited ``grace`` seconds later."""
        if self.proc.returncode is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(self.proc.wait(), grace)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()

    def tail(self, lines: int = 60) -> str:
        """The end of the process's output, for a failure message."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


async def _spawn(name: str, args: list[str], log: Path, env: dict[str, str]) -> Process:
    out = log.open("ab")
    try:
        proc = await asyncio.create_subprocess_exec(
            *args, cwd=ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=out
        )
    finally:
        out.close()  # the child holds its own copy
    return Process(name, proc, log)


async def _wait_for(
    process: Process, ready: Callable[[], Awaitable[str | None]], limit: float
) -> str:
    """Call ``ready()`` until it returns something; fail early when the process exits."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        if process.proc.returncode is not None:
            msg = f"{process.name} exited with {process.proc.returncode}:\n{process.tail()}"
            raise RuntimeError(msg)
        if (found := await ready()) is not None:
            return found
        await asyncio.sleep(0.25)
    msg = f"{process.name} did not start within {limit:.0f} s:\n{process.tail()}"
    raise RuntimeError(msg)


async def start_simulator(work: Path, env: dict[str, str], processes: list[Process]) -> str:
    """``python -m simulator`` on a port it picks (added to ``processes``); returns its URL."""
    log = work / "simulator.log"
    args = [sys.executable, "-m", "simulator", "--host", "127.0.0.1", "--port", "0"]
    process = await _spawn("simulator", [*args, "--seed", "tiny"], log, env)
    processes.append(process)

    async def ready() -> str | None:
        found = re.search(r"ready at (http://127\.0\.0\.1:\d+)", log.read_text(errors="replace"))
        return found.group(1) if found else None

    return await _wait_for(process, ready, SIM_START_TIMEOUT)


def prepare_config(config: Path) -> None:
    """A Home Assistant config like the repo's dev one; scripts/dev-config.py finishes it."""
    config.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ROOT / "config" / "configuration.yaml", config / "configuration.yaml")


async def run_checked(args: list[str], log: Path, env: dict[str, str]) -> None:
    """Run a setup command to completion; its output goes to ``log``."""
    process = await _spawn(Path(args[1]).name, args, log, env)
    if await process.proc.wait():
        msg = f"{' '.join(args)} failed:\n{process.tail()}"
        raise RuntimeError(msg)


async def start_home_assistant(
    config: Path,
    port: int,
    env: dict[str, str],
    session: aiohttp.ClientSession,
    processes: list[Process],
) -> str:
    """``hass --skip-pip`` on ``config`` (added to ``processes``); returns its URL once up."""
    hass = str(VENV_BIN / "hass")
    setup_log = config.parent / "ha-setup.log"
    requirements = [sys.executable, str(ROOT / "scripts" / "ha-requirements.py")]
    await run_checked([*requirements, str(config / "configuration.yaml")], setup_log, env)
    dev_config = [sys.executable, str(ROOT / "scripts" / "dev-config.py"), str(config), str(port)]
    await run_checked(dev_config, setup_log, env)
    url = f"http://127.0.0.1:{port}"
    env = {**env, "CROSSWATCH_DEV_HA_URL": url}  # configuration.yaml's internal_url
    process = await _spawn(
        "Home Assistant", [hass, "-c", str(config), "--skip-pip"], config.parent / "ha.out", env
    )
    processes.append(process)

    async def ready() -> str | None:
        with contextlib.suppress(aiohttp.ClientError, TimeoutError):
            async with session.get(f"{url}/manifest.json", timeout=aiohttp.ClientTimeout(5)) as r:
                if r.status == 200:
                    return url
        return None

    return await _wait_for(process, ready, HA_START_TIMEOUT)


def environment(sim_url: str | None = None) -> dict[str, str]:
    """The subprocesses' environment: ours, minus pytest's, plus the simulator's URLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    if sim_url is not None:
        env.update({name: f"{sim_url}/{path}" for name, path in URL_VARIABLES.items()})
    return env


def keep_logs(work: Path, name: str) -> list[Path]:
    """Copy the processes' logs into artifacts/ (after a failure); returns the copies."""
    ARTIFACTS.mkdir(exist_ok=True)
    kept = []
    for log in (*work.glob("*.log"), *work.glob("*.out"), work / "config" / "home-assistant.log"):
        if log.is_file():
            target = ARTIFACTS / f"{name}-{log.name}"
            shutil.copyfile(log, target)
            kept.append(target)
    return kept
