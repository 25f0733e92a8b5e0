"""The sensor platform: watchlist and TMDb cache per account, run results per pair, now watching."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import snapshot_platform

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.sensor import _result_attributes
from custom_components.crosswatch.sync.plan import RunResult
from custom_components.crosswatch.sync.state import PairState, RunRecord

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from simulator.testing import Simulator

    from .conftest import Scene


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SENSOR]


async def test_sensors(
    hass: HomeAssistant,
    scene: Scene,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    for entry in (scene.plex, scene.trakt, scene.tmdb):
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_asking_a_pair_sensor_to_update_runs_nothing(
    hass: HomeAssistant, scene: Scene, sim: Simulator
) -> None:
    """The runner is a pushed coordinator: a refresh reads its state, it never runs the pair."""
    assert await async_setup_component(hass, "homeassistant", {})
    runs = scene.runner.state.runs
    requests = len(await sim.requests("trakt")) + len(await sim.requests("plex-discover"))
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {"entity_id": "sensor.plex_trakt_result"},
        blocking=True,
    )
    assert scene.runner.state.runs == runs
    assert scene.runner.data is scene.runner.state
    assert len(await sim.requests("trakt")) + len(await sim.requests("plex-discover")) == requests
    state = hass.states.get("sensor.plex_trakt_result")
    assert state is not None
    assert state.state == "ok"


def test_every_result_attribute_has_a_translated_name() -> None:
    """A run of every feature (resume points too) shows only attributes strings.json names."""

    counts = {feature.value: {"adds": 1, "removals": 1, "failed": 1} for feature in Feature}
    record = RunRecord(started_at=0.0, finished_at=1.0, result=RunResult.OK, counts=counts)
    state = PairState().with_run(record)
    runner = SimpleNamespace(last_run=record, state=state, clock_time=lambda: 1.0)
    attributes = _result_attributes(runner)  # type: ignore[arg-type]
    strings = Path(__file__).parents[2] / "custom_components" / "crosswatch" / "strings.json"
    named = json.loads(strings.read_text())["entity"]["sensor"]["result"]["state_attributes"]
    assert {"progress_adds", "progress_removals"} <= attributes.keys()
    assert attributes.keys() <= named.keys()
