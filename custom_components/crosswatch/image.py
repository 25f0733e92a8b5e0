"""Image entities: the poster of what each routed Plex user is watching (TMDb artwork).

Built from descriptions, one tuple per owner kind (see ``entity.py`` for the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import callback
from homeassistant.util import dt as dt_util

from .entity import ScrobbleEntityDescription, ScrobbleUserEntity, async_add_crosswatch_entities

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .providers.plex.scrobbler import PlexScrobbler

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ScrobbleUserImageDescription(ImageEntityDescription, ScrobbleEntityDescription):
    """An image of one routed Plex user: ``url_fn`` gives its URL (``None``: no image)."""

    url_fn: Callable[[PlexScrobbler, str], str | None]


SCROBBLE_USER_IMAGES: tuple[ScrobbleUserImageDescription, ...] = (
    # The poster URL of the title the user is watching; no image while idle.
    ScrobbleUserImageDescription(
        key="now_watching_poster",
        translation_key="now_watching_poster",
        url_fn=lambda scrobbler, user_id: scrobbler.posters.get(user_id),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the images of every routed Plex user, and of each user seen later."""
    async_add_crosswatch_entities(
        hass,
        entry,
        async_add_entities,
        scrobble_user=lambda scrobbler, user_id: [
            ScrobbleUserImage(scrobbler, user_id, d) for d in SCROBBLE_USER_IMAGES
        ],
    )


class ScrobbleUserImage(ScrobbleUserEntity, ImageEntity):
    """An image (by URL) of one routed Plex user; it moves when the URL does."""

    entity_description: ScrobbleUserImageDescription

    def __init__(
        self, scrobbler: PlexScrobbler, user_id: str, description: ScrobbleUserImageDescription
    ) -> None:
        """Create for ``user_id``; ``ImageEntity`` gets ``hass`` through the base class."""
        super().__init__(scrobbler, user_id, description, scrobbler.hass)
        self._attr_image_url = description.url_fn(scrobbler, user_id)
        self._attr_image_last_updated = dt_util.utcnow()

    @property
    def entity_picture(self) -> str | None:
        """No picture while there is no image: HA would answer its URL with an error."""
        if not self._attr_image_url:
            return None
        return super().entity_picture

    @callback
    def _owner_updated(self) -> None:
        url = self.entity_description.url_fn(self.scrobbler, self.user_id)
        if url != self._attr_image_url:
            self._attr_image_url = url
            self._attr_image_last_updated = dt_util.utcnow()
            self._cached_image = None
        super()._owner_updated()  # availability may have changed even when the image did not
