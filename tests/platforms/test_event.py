"""The event platform: the scrobbles a Plex account decides."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform
from homeassistant.core import Event, callback
from homeassistant.helpers.event import EventStateChangedData, async_track_state_change_event
from pytest_homeassistant_custom_component.common import snapshot_platform

from tests.ha_scrobble.conftest import until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from simulator.testing import Simulator

    from .conftest import Scene


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.EVENT]


async def test_event_entities(
    hass: HomeAssistant,
    scene: Scene,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, scene.plex.entry_id)


async def test_the_event_fires_once_per_decided_scrobble(
    hass: HomeAssistant, scene: Scene, sim: Simulator
) -> None:
    """Other scrobbler updates (now watching, queue, listener) fire nothing."""
    entity_id = "event.plex_simowner_scrobble"
    fired: list[str | None] = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        new_state = event.data["new_state"]
        assert new_state is not None
        fired.append(new_state.attributes.get("event_type"))

    async_track_state_change_event(hass, entity_id, changed)
    scene.scrobbler.async_update_listeners()  # a change that is no scrobble
    await hass.async_block_till_done()
    assert fired == []
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: scene.scrobbler.data is not None)
    await hass.async_block_till_done()
    assert fired == ["start"]
    scene.scrobbler.async_update_listeners()
    await hass.async_block_till_done()
    assert fired == ["start"]
