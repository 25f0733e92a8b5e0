"""Binary sensors: whether a Plex account's session listener is connected.

Built from descriptions, one tuple per owner kind (see ``entity.py`` for the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory

from .entity import ScrobbleEntity, ScrobbleEntityDescription, async_add_crosswatch_entities

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .providers.plex.scrobbler import PlexScrobbler

# Pushed by the scrobbler: no polling, no requests of their own.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ScrobblerBinarySensorDescription(BinarySensorEntityDescription, ScrobbleEntityDescription):
    """A binary sensor of a scrobbling Plex account, read from its scrobbler."""

    is_on_fn: Callable[[PlexScrobbler], bool]
    attr_fn: Callable[[PlexScrobbler], dict[str, Any]] | None = None


def _listener_attributes(scrobbler: PlexScrobbler) -> dict[str, Any]:
    """The reconnect count and the undelivered queue.

    Not the webhook URL: anyone who has it can post plays, and a state attribute is readable by
    every user and state subscriber. The scrobble-route form shows it to admins.
    """
    return {
        "reconnect_attempts": scrobbler.listener.failures,
        "queued_scrobbles": len(scrobbler.queue),
    }


SCROBBLER_BINARY_SENSORS: tuple[ScrobblerBinarySensorDescription, ...] = (
    # On while the PMS notification websocket is open.
    ScrobblerBinarySensorDescription(
        key="plex_listener",
        translation_key="plex_listener",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        # It reports the connection itself: "off" while down, never unavailable.
        follows_plays=False,
        is_on_fn=lambda scrobbler: scrobbler.listener.connected,
        attr_fn=_listener_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the binary sensors of a Plex account that scrobbles."""
    async_add_crosswatch_entities(
        hass,
        entry,
        async_add_entities,
        scrobbler=lambda scrobbler: [
            ScrobblerBinarySensor(scrobbler, d) for d in SCROBBLER_BINARY_SENSORS
        ],
    )


class ScrobblerBinarySensor(ScrobbleEntity, BinarySensorEntity):
    """A binary sensor of a scrobbling Plex account."""

    entity_description: ScrobblerBinarySensorDescription

    @property
    def is_on(self) -> bool:
        """Return the description's reading of the scrobbler."""
        return self.entity_description.is_on_fn(self.scrobbler)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        attr_fn = self.entity_description.attr_fn
        return None if attr_fn is None else attr_fn(self.scrobbler)
