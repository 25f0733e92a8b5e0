"""Image entities: the poster of what each routed Plex user is watching (TMDb artwork)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.image import ImageEntity
from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .entity import ScrobbleEntity, scrobble_platform

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .providers.plex.scrobbler import PlexScrobbler

PARALLEL_UPDATES = 0


# A poster per routed Plex user, and one for each user seen later.
async_setup_entry = scrobble_platform(
    per_user=lambda scrobbler, user_id: NowWatchingPoster(scrobbler.hass, scrobbler, user_id)
)


class NowWatchingPoster(ScrobbleEntity, ImageEntity):
    """The poster URL of the title a user is watching; no image while idle."""

    _attr_translation_key = "now_watching_poster"

    def __init__(self, hass: HomeAssistant, scrobbler: PlexScrobbler, user_id: str) -> None:
        """Create for ``user_id`` (the PMS account id)."""
        ScrobbleEntity.__init__(self, scrobbler, f"now_watching_poster_{user_id}")
        ImageEntity.__init__(self, hass)
        self.user_id = user_id
        self._attr_translation_placeholders = {"user": scrobbler.users.get(user_id, user_id)}
        self._attr_image_url = scrobbler.posters.get(user_id)
        self._attr_image_last_updated = dt_util.utcnow()

    @property
    def entity_picture(self) -> str | None:
        """No picture while nothing with a poster plays: there is no image to fetch then."""
        if not self._attr_image_url:
            return None
        return super().entity_picture

    @callback
    def _scrobbler_updated(self) -> None:
        url = self.scrobbler.posters.get(self.user_id)
        if url != self._attr_image_url:
            self._attr_image_url = url
            self._attr_image_last_updated = dt_util.utcnow()
            self._cached_image = None
        self.async_write_ha_state()  # availability may have changed even when the poster did not
