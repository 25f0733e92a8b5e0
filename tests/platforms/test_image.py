"""The image platform: the poster of what each routed Plex user watches."""

from __future__ import annotations

from typing import TYPE_CHECKING
from unittest.mock import patch

import pytest
from homeassistant.const import Platform
from pytest_homeassistant_custom_component.common import snapshot_platform

if TYPE_CHECKING:
    from collections.abc import Iterator

    from freezegun.api import FrozenDateTimeFactory
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import entity_registry as er
    from syrupy.assertion import SnapshotAssertion

    from .conftest import Scene


@pytest.fixture
def platforms(freezer: FrozenDateTimeFactory) -> Iterator[list[Platform]]:
    """Only images; their state (when the poster last changed) and access token held still."""
    freezer.move_to("2026-11-01T12:00:00+00:00")
    with patch("homeassistant.components.image._RND.getrandbits", return_value=0xC0FFEE):
        yield [Platform.IMAGE]


async def test_image_entities(
    hass: HomeAssistant,
    scene: Scene,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, scene.plex.entry_id)
