"""The *Up next* sensor of a Trakt or SIMKL account (added by the sensor platform)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription

from .entity import WatchNextEntity
from .whats_next import WatchNextSnapshot, poster_of

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry


@dataclass(frozen=True, kw_only=True)
class WatchNextSensorDescription(SensorEntityDescription):
    """A sensor over an account's what's-next snapshot."""

    value_fn: Callable[[WatchNextSnapshot], str | None]
    attr_fn: Callable[[WatchNextSnapshot], dict[str, Any]]


def _entries(snapshot: WatchNextSnapshot) -> dict[str, Any]:
    return {
        "entries": [
            {**entry.attributes(), "poster": poster_of(snapshot, entry)}
            for entry in snapshot.up_next
        ]
    }


UP_NEXT = WatchNextSensorDescription(
    key="up_next",
    translation_key="up_next",
    value_fn=lambda snapshot: snapshot.up_next[0].label if snapshot.up_next else None,
    attr_fn=_entries,
)


async def async_add_up_next_sensor(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's *Up next* sensor (Trakt and SIMKL accounts)."""
    coordinator = entry.runtime_data.watch_next
    if coordinator is None:
        return
    await coordinator.async_first_refresh()
    async_add_entities([WatchNextSensor(coordinator, UP_NEXT)])


class WatchNextSensor(WatchNextEntity, SensorEntity):
    """The next episode of the most recently watched show; the list in ``entries``."""

    entity_description: WatchNextSensorDescription

    @property
    def native_value(self) -> str | None:
        """``Show S02E05`` (``None`` when nothing is up next)."""
        data = self.coordinator.data
        return self.entity_description.value_fn(data) if data is not None else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The up-next list: show, episode, title, ids, poster, last watched."""
        data = self.coordinator.data
        return self.entity_description.attr_fn(data) if data is not None else {}
