"""Plex → Trakt history: every play once, across failed writes and a restart mid-run."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState

from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import only_unmatched_left, run_pair, runner, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator

# Enough plays that the first run posts more than one batch of 100.
SEED = {"movies": 300, "movie_plays": 250}


def _plays(sim: Simulator) -> Counter[tuple[int, float]]:
    history = sim.state.trakt.users[cred.TRAKT_USER].history
    return Counter((id(p.item), p.watched_at) for p in history)


def _plex_plays(sim: Simulator) -> set[tuple[int, float]]:
    owner = sim.state.plex.users["owner"]
    return {
        (id(row.item), row.viewed_at)
        for row in sim.state.plex.history
        if row.account_id == owner.account_id and row.item.trakt is not None
    }


async def _pair(hass: HomeAssistant, sim: Simulator) -> tuple[MockConfigEntry, MockConfigEntry]:
    await sim.reset(SEED)
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"])
    await setup_entries(hass, trakt, plex)
    return plex, trakt


def _assert_in_step(sim: Simulator) -> None:
    plays = _plays(sim)
    assert max(plays.values()) == 1, "a play was posted twice"
    assert _plex_plays(sim) <= set(plays)


async def test_history_twice_posts_each_play_once(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    await _pair(hass, sim)
    before = sum(_plays(sim).values())
    missing = len(_plex_plays(sim) - set(_plays(sim)))
    assert missing > 100

    first = await run_pair(hass, PAIR_ID)
    assert only_unmatched_left(first)
    assert first["features"]["history"]["adds"] == missing
    assert sum(_plays(sim).values()) == before + missing
    _assert_in_step(sim)
    posts = [r for r in await writes(sim, "trakt") if r["route"] == "POST /sync/history"]
    assert len(posts) == 2  # ceil(missing / 100)

    await sim.clear_requests()
    second = await run_pair(hass, PAIR_ID)
    assert second["adds"] == 0
    assert await writes(sim, "trakt") == []
    _assert_in_step(sim)


async def test_write_landed_but_answer_lost_is_not_repeated(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    plex, _ = await _pair(hass, sim)
    # The first batch reaches Trakt, but its answer is cut in half.
    await sim.fault("trakt", "POST /sync/history", kind="truncated", count=1)
    first = await run_pair(hass, PAIR_ID)
    assert first["result"] == "partial"
    assert first["counts"]["history"]["failed"] == 100

    # Restart: unload and load the account again, then run.
    assert await hass.config_entries.async_unload(plex.entry_id)
    assert await hass.config_entries.async_setup(plex.entry_id)
    await hass.async_block_till_done()
    second = await run_pair(hass, PAIR_ID)
    assert only_unmatched_left(second)
    assert second["adds"] == 0  # Trakt was read again: the landed batch is there
    _assert_in_step(sim)


async def test_restart_in_the_middle_of_a_run(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    plex, _ = await _pair(hass, sim)
    # The first write is slow: HA stops while it is in flight (the write still lands).
    await sim.fault("trakt", "POST /sync/history", latency=0.3, count=1)
    pair = runner(plex, PAIR_ID)
    pair._schedule_run()
    for _ in range(200):
        if await sim.requests("trakt", "POST /sync/history"):
            break
        await asyncio.sleep(0.01)
    assert await hass.config_entries.async_unload(plex.entry_id)
    assert plex.state is ConfigEntryState.NOT_LOADED
    await asyncio.sleep(0.4)  # the server finishes the request the client gave up on
    assert pair.state.last_run is None  # nothing was stored for the cut-off run
    landed = sum(_plays(sim).values())

    assert await hass.config_entries.async_setup(plex.entry_id)
    await hass.async_block_till_done()
    result = await run_pair(hass, PAIR_ID)
    assert only_unmatched_left(result)
    assert sum(_plays(sim).values()) == landed + result["adds"]
    _assert_in_step(sim)
