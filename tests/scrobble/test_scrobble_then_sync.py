"""A viewing scrobbled live, then a Plex -> Trakt history run: one play on Trakt, not two.

Plex stamps a title watched when most of it has played (90%), the scrobble's stop is stamped when
playback stops after the credits: the two plays of one viewing are minutes apart (found by a
review: the history run posted Plex's play again, PlexTraktSync's known complaint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from benchmarks.sync import build_sides
from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.sync.engine import PairMemory, execute, finish_run, plan_run
from custom_components.crosswatch.sync.plan import Side, SyncMode
from simulator.testing import TRAKT_USER

from .test_end_to_end import rig  # noqa: F401  (the fixture)

if TYPE_CHECKING:
    from simulator.testing import Simulator

    from .test_end_to_end import Rig


async def history_run(
    sim: Simulator, http: aiohttp.ClientSession, memory: PairMemory
) -> PairMemory:
    plex, trakt = build_sides(sim, http, "trakt")
    sides = {Side.SOURCE: plex, Side.TARGET: trakt}
    plan = await plan_run(
        memory, sides, [Feature.HISTORY], mode=SyncMode.ADD_ONLY, now=sim.clock.time()
    )
    outcome = (await execute(sides, plan)).outcome
    return await finish_run(memory, plan, outcome, sides, now=sim.clock.time())


def trakt_plays(sim: Simulator, title: str) -> list[tuple[str, float]]:
    history = sim.state.trakt.users[TRAKT_USER].history
    return sorted((p.action, p.watched_at) for p in history if p.item.title == title)


async def test_a_scrobbled_viewing_is_not_posted_again_by_the_history_run(
    sim: Simulator,
    rig: Rig,  # noqa: F811
) -> None:
    async with aiohttp.ClientSession() as http:
        memory = await history_run(sim, http, PairMemory())
        before = trakt_plays(sim, "Inception")
        key = sim.rating_key("Inception")
        await rig.control("play", key, offset_ms=888_000)  # 10%
        rig.clock.advance(3000)
        await rig.control("seek", 8_100_000)  # 91%: Plex marks it watched now
        rig.clock.advance(600)  # the credits roll on
        await rig.control("stop", offset_ms=8_880_000)  # the scrobble's stop: Trakt's play
        scrobbled = trakt_plays(sim, "Inception")
        assert [action for action, at in scrobbled if (action, at) not in before] == ["scrobble"]
        rig.clock.advance(3600)
        memory = await history_run(sim, http, memory)
        assert trakt_plays(sim, "Inception") == scrobbled  # nothing posted a second time
        # And the run after it agrees: still nothing to post.
        await history_run(sim, http, memory)
        assert trakt_plays(sim, "Inception") == scrobbled
