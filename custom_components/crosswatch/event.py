"""Event entities: every scrobble a Plex account decided (start, pause, stop, watched).

Built from descriptions, one tuple per owner kind (see ``entity.py`` for the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback

from .entity import ScrobbleEntity, ScrobbleEntityDescription, async_add_crosswatch_entities
from .providers.plex.scrobbler import EVENT_WATCHED, event_type

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .providers.plex.scrobbler import PlexScrobbler
    from .scrobble.pipeline import DeliveryReport

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ScrobblerEventDescription(EventEntityDescription, ScrobbleEntityDescription):
    """An event entity of a scrobbling Plex account.

    ``event_fn`` turns a decided scrobble into the event's type and data.
    """

    event_fn: Callable[[PlexScrobbler, DeliveryReport], tuple[str, dict[str, Any]]]


def _scrobble_event(scrobbler: PlexScrobbler, report: DeliveryReport) -> tuple[str, dict[str, Any]]:
    """The scrobble's type, and what was played by whom (the bus event's data, less its keys)."""
    data = scrobbler.event_data(report)
    data.pop("type")
    data.pop("entry_id")
    return event_type(report.scrobble), data


SCROBBLER_EVENTS: tuple[ScrobblerEventDescription, ...] = (
    ScrobblerEventDescription(
        key="scrobble",
        translation_key="scrobble",
        event_types=["start", "pause", "stop", EVENT_WATCHED],
        event_fn=_scrobble_event,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entities of a Plex account that scrobbles."""
    async_add_crosswatch_entities(
        hass,
        entry,
        async_add_entities,
        scrobbler=lambda scrobbler: [ScrobblerEvent(scrobbler, d) for d in SCROBBLER_EVENTS],
    )


class ScrobblerEvent(ScrobbleEntity, EventEntity):
    """Fires for every scrobble the account's scrobbler decides."""

    entity_description: ScrobblerEventDescription

    def __init__(self, scrobbler: PlexScrobbler, description: ScrobblerEventDescription) -> None:
        """Fire for scrobbles decided from now on, not for the one the scrobbler holds."""
        super().__init__(scrobbler, description)
        self._fired: DeliveryReport | None = scrobbler.data

    @callback
    def _owner_updated(self) -> None:
        # Every decided scrobble is new data; any other change leaves the data as it was.
        report = self.scrobbler.data
        if report is not None and report is not self._fired:
            self._fired = report
            self._trigger_event(*self.entity_description.event_fn(self.scrobbler, report))
        super()._owner_updated()
