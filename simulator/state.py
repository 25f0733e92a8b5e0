"""The simulator's whole in-memory state; ``reset`` rebuilds it in place."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .catalogue import Catalogue, build_catalogue, resolve_counts
from .core import Fault, RequestLog
from .seed import make_plan

if TYPE_CHECKING:
    from .clock import Clock


class State:
    def __init__(self, clock: Clock, seed: str | dict[str, int] = "tiny") -> None:
        self.clock = clock
        self.log = RequestLog()
        self.faults: list[Fault] = []
        self._fault_ids = 0
        self.rate_limits = True
        # Set to release requests hung by a "timeout" fault (on clear, reset and shutdown).
        self.release = asyncio.Event()
        self.webhooks: list[str] = []
        self.reset(seed)

    def reset(self, seed: str | dict[str, int] = "tiny") -> None:
        # Imported here: the service modules import core/clock only, never this module.
        from .plex import PlexState  # noqa: PLC0415
        from .simkl import SimklState  # noqa: PLC0415
        from .tmdb import TmdbState  # noqa: PLC0415
        from .trakt import TraktState  # noqa: PLC0415

        self.counts = resolve_counts(seed)
        self.seed = seed
        self.catalogue: Catalogue = build_catalogue(self.counts)
        plan = make_plan(self.catalogue, self.counts)
        now = self.clock.time()
        self.trakt = TraktState(self.catalogue, plan, now)
        self.simkl = SimklState(self.catalogue, plan, now)
        self.plex = PlexState(self.catalogue, plan, now)
        self.tmdb = TmdbState(self.catalogue)
        self.log.clear()
        self.clear_faults()
        self.rate_limits = True
        self.webhooks = []

    def now(self) -> float:
        return self.clock.time()

    # -- faults ---------------------------------------------------------------------------
    def add_fault(self, **spec: Any) -> Fault:
        self._fault_ids += 1
        fault = Fault(id=self._fault_ids, **spec)
        self.faults.append(fault)
        return fault

    def take_fault(self, service: str, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.matches(service, route):
                fault.hits += 1
                return fault
        return None

    def clear_faults(self) -> None:
        self.faults.clear()
        self.release.set()
        self.release = asyncio.Event()

    def revoke_token(self, service: str, token: str) -> None:
        if service == "trakt":
            self.trakt.revoke(token)
        elif service == "simkl":
            self.simkl.tokens.pop(token, None)
        elif service in ("pms", "plex.tv", "plex-discover", "plex-metadata"):
            self.plex.revoke(token)
        elif service == "tmdb":
            self.tmdb.revoked.add(token)
