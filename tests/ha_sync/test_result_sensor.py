"""The *Result* sensor explains a partial run and keeps its run history out of the recorder."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.recorder.history import get_significant_states
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_pair, runner, setup_entries

if TYPE_CHECKING:
    from homeassistant.components.recorder import Recorder
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

# Enough plays that the first run posts three batches of 100.
SEED = {"movies": 300, "movie_plays": 250}


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """The recorder's database is prepared before Home Assistant starts."""


async def test_a_partial_run_says_what_it_left(
    recorder_mock: Recorder, hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await sim.reset(SEED)
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["history"])
    await setup_entries(hass, trakt, plex)
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", "crosswatch", f"{plex.entry_id}_{PAIR_ID}_result"
    )
    assert entity_id is not None
    start = dt_util.utcnow()
    # The first batch of plays lands; Trakt answers the later ones with a 503.
    await sim.fault("trakt", "POST /sync/history", count=1, latency=0.0)
    await sim.fault("trakt", "POST /sync/history", status=503)
    summary = await run_pair(hass, PAIR_ID)
    await sim.clear_faults()
    await hass.async_block_till_done()

    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "partial"
    failed = summary["counts"]["history"]["failed"]
    assert failed == summary["planned_adds"] - 100 > 0
    # The seeded library also holds a play whose title has no id Trakt takes: it stays unsynced.
    [unsynced] = runner(plex, PAIR_ID).state.unmatched.values()
    assert state.attributes["left"] == {"failed": failed, "unmatched": 1}
    assert state.attributes["unsynced"] == [unsynced.title]
    [run] = state.attributes["history"]
    assert run["result"] == "partial"
    assert run["features"] == {"history": {"adds": 100, "removals": 0, "failed": failed, "held": 0}}

    # Trakt answers again: the rest is written, only the unsynced title is left.
    second = await run_pair(hass, PAIR_ID)
    assert second["counts"]["history"]["adds"] == failed
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert (state.state, state.attributes["left"]) == ("partial", {"unmatched": 1})
    assert [r["features"]["history"]["adds"] for r in state.attributes["history"]] == [failed, 100]

    # The recorder keeps each state's explanation but not the run history.
    await async_wait_recording_done(hass)
    recorded = await recorder_mock.async_add_executor_job(
        partial(
            get_significant_states, hass, start, None, [entity_id], significant_changes_only=False
        )
    )
    states = recorded[entity_id]
    assert [s.attributes.get("left") for s in states][-2:] == [
        {"failed": failed, "unmatched": 1},
        {"unmatched": 1},
    ]
    assert all("history" not in s.attributes for s in states)
