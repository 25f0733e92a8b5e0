"""Event entities: every scrobble a Plex account decided (start, pause, stop, watched)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.event import EventEntity
from homeassistant.core import callback

from .entity import ScrobbleEntity, scrobble_platform
from .providers.plex.scrobbler import EVENT_WATCHED, event_type

if TYPE_CHECKING:
    from .scrobble.pipeline import DeliveryReport

PARALLEL_UPDATES = 0


# The scrobble event entity of a Plex account that scrobbles.
async_setup_entry = scrobble_platform(
    account=lambda scrobbler: [ScrobbleEventEntity(scrobbler, "scrobble")]
)


class ScrobbleEventEntity(ScrobbleEntity, EventEntity):
    """Fires with the scrobble's type and what was played by whom."""

    _attr_translation_key = "scrobble"
    _attr_event_types = ["start", "pause", "stop", EVENT_WATCHED]  # noqa: RUF012

    async def async_added_to_hass(self) -> None:
        """Follow decided scrobbles, and the scrobbler's availability."""
        await super().async_added_to_hass()
        self.async_on_remove(self.scrobbler.async_add_scrobble_listener(self._scrobbled))

    @callback
    def _scrobbled(self, report: DeliveryReport) -> None:
        data = self.scrobbler.event_data(report)
        data.pop("type")
        data.pop("entry_id")
        self._trigger_event(event_type(report.scrobble), data)
        self.async_write_ha_state()
