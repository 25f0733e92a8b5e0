"""Sync sides over the simulator and one run of the engine, for tests that drive sides directly."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.providers.plex.client import PlexServerClient, PlexTvClient
from custom_components.crosswatch.providers.plex.side import PlexSide
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.simkl.side import SimklSide
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.providers.trakt.side import TraktSide
from custom_components.crosswatch.sync.engine import (
    PairMemory,
    execute,
    finish_run,
    plan_run,
)
from custom_components.crosswatch.sync.plan import Side, SyncMode
from custom_components.crosswatch.sync.side import SyncSide
from simulator import credentials as cred

if TYPE_CHECKING:
    from custom_components.crosswatch.sync.plan import SyncPlan
    from simulator.testing import Simulator


def plex_side(sim: Simulator, session: aiohttp.ClientSession) -> PlexSide:
    tv = PlexTvClient(
        session,
        base_url=sim.url("plex.tv"),
        discover_url=sim.url("plex-discover"),
        metadata_url=sim.url("plex-metadata"),
        client_identifier="reads-test",
        token=cred.PLEX_OWNER_TOKEN,
        clock=sim.clock,
    )
    server = PlexServerClient(
        session, base_url=sim.url("pms"), token=cred.PLEX_SERVER_TOKEN, clock=sim.clock
    )
    return PlexSide(tv, server, account_id=sim.state.plex.users["owner"].account_id)


def trakt_side(sim: Simulator, session: aiohttp.ClientSession) -> TraktSide:
    async def token() -> str:
        return cred.TRAKT_ACCESS_TOKEN

    return TraktSide(
        TraktClient(
            session,
            base_url=sim.url("trakt"),
            client_id=cred.TRAKT_CLIENT_ID,
            access_token=token,
            clock=sim.clock,
        )
    )


def plex_to_trakt(sim: Simulator, session: aiohttp.ClientSession) -> dict[Side, SyncSide]:
    return {Side.SOURCE: plex_side(sim, session), Side.TARGET: trakt_side(sim, session)}


def simkl_side(sim: Simulator, session: aiohttp.ClientSession) -> SimklSide:
    return SimklSide(
        SimklClient(
            session,
            base_url=sim.url("simkl"),
            client_id=cred.SIMKL_CLIENT_ID,
            token=cred.SIMKL_TOKEN,
            clock=sim.clock,
        )
    )


async def run(
    sim: Simulator,
    memory: PairMemory,
    sides: dict[Side, SyncSide],
    features: tuple[Feature, ...] = (Feature.HISTORY,),
    *,
    mode: SyncMode = SyncMode.ADD_ONLY,
    whole: bool = False,
    allow_removals: bool = True,
) -> tuple[PairMemory, SyncPlan]:
    plan = await plan_run(
        memory,
        sides,
        features,
        mode=mode,
        now=sim.clock.time(),
        whole=whole,
        allow_removals=allow_removals,
    )
    execution = await execute(sides, plan)
    assert not execution.outcome.failed
    assert not execution.progress.failed
    memory = await finish_run(
        memory, plan, execution.outcome, sides, now=sim.clock.time(), progress=execution.progress
    )
    return memory, plan
