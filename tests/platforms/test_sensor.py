"""The sensor platform: watchlist and TMDb cache per account, run results per pair, now watching."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import snapshot_platform

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
