"""The switch platform: every pair's Enabled switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.const import Platform
from pytest_homeassistant_custom_component.common import snapshot_platform

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from .conftest import Scene


@pytest.fixture
def platforms() -> list[Platform]:
    return [Platform.SWITCH]


async def test_switch_entities(
    hass: HomeAssistant,
    scene: Scene,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, scene.plex.entry_id)
