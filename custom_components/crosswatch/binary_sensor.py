"""Binary sensors: whether a Plex account's session listener is connected."""

from __future__ import annotations

from typing import Any

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory

from .entity import ScrobbleEntity, scrobble_platform

# Pushed by the scrobbler: no polling, no requests of their own.
PARALLEL_UPDATES = 0


# The listener sensor of a Plex account that scrobbles.
async_setup_entry = scrobble_platform(
    account=lambda scrobbler: [ListenerConnectedSensor(scrobbler, "plex_listener")]
)


class ListenerConnectedSensor(ScrobbleEntity, BinarySensorEntity):
    """On while the PMS notification websocket is open."""

    _attr_translation_key = "plex_listener"
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # It reports the connection itself: "off" while down, never unavailable.
    _follows_plays = False
    # The webhook URL is a secret-ish address: shown, but kept out of the recorder.
    _unrecorded_attributes = frozenset({"webhook_url"})

    @property
    def is_on(self) -> bool:
        """Return whether the listener is connected."""
        return self.scrobbler.listener.connected

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the reconnect count, the undelivered queue and the webhook URL."""
        return {
            "reconnect_attempts": self.scrobbler.listener.failures,
            "queued_scrobbles": len(self.scrobbler.queue),
            "webhook_url": self.scrobbler.webhook_url,
        }
