"""The *Up next* sensor of a Trakt or SIMKL account (added by the sensor platform)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .entity import account_device_info
from .whats_next import WatchNextCoordinator, WatchNextSnapshot, poster_of

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


class WatchNextSensor(CoordinatorEntity[WatchNextCoordinator], SensorEntity):
    """The next episode of the most recently watched show; the list in ``entries``."""

    _attr_has_entity_name = True
    entity_description: WatchNextSensorDescription

    def __init__(
        self, coordinator: WatchNextCoordinator, description: WatchNextSensorDescription
    ) -> None:
        """Attach to the account's device."""
        super().__init__(coordinator)
        self.entity_description = description
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = account_device_info(entry)

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
