"""Calendar: upcoming episodes of the shows a Trakt or SIMKL account follows (Trakt: and movies)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.calendar import (
    CalendarEntity,
    CalendarEntityDescription,
    CalendarEvent,
)

from .entity import WatchNextEntity

if TYPE_CHECKING:
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .watchnext.calendar import Upcoming

# Coordinator-driven; a view of other days reads through the coordinator's cache.
PARALLEL_UPDATES = 0


UPCOMING = CalendarEntityDescription(key="upcoming", translation_key="upcoming")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the calendar of a Trakt or SIMKL account."""
    coordinator = entry.runtime_data.watch_next
    if coordinator is None:
        return
    await coordinator.async_first_refresh()
    async_add_entities([WatchNextCalendar(coordinator, UPCOMING)])


def calendar_event(entry: Upcoming) -> CalendarEvent:
    """One cached entry as Home Assistant's event (all-day for a release date)."""
    return CalendarEvent(
        start=entry.start,
        end=entry.end,
        summary=entry.summary,
        description=entry.description or None,
        uid=entry.uid,
    )


class WatchNextCalendar(WatchNextEntity, CalendarEntity):
    """Upcoming episodes and releases; its state is on while one is airing."""

    entity_description: CalendarEntityDescription

    @property
    def event(self) -> CalendarEvent | None:
        """The entry airing now, else the next one."""
        upcoming = self.coordinator.data.upcoming if self.coordinator.data else None
        return calendar_event(upcoming) if upcoming is not None else None

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Entries of the window HA asks for: cached, or after one bounded read."""
        return [
            calendar_event(e) for e in await self.coordinator.async_events(start_date, end_date)
        ]
