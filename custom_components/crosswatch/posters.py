"""Posters, from TMDb when a TMDb account is loaded: one lookup and one key format for everything.

The watchlist sensor, the now-watching sensor and image, and title look-ups all ask here. A poster
is keyed ``<kind>:<tmdb id>`` (TMDb ids are unique per kind only); an episode or season shows its
show's poster. Posters are decoration: a title TMDb cannot answer for has none, never an error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from .api.errors import CrosswatchApiError
from .api.models import MediaKind
from .providers.base import loaded_accounts

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from homeassistant.core import HomeAssistant

    from .providers.tmdb.client import TmdbClient

_LOGGER = logging.getLogger(__name__)


class Titled(Protocol):
    """A title with ids: a ``MediaItem``, or what is playing now."""

    @property
    def kind(self) -> MediaKind:
        """Movie, show, season or episode."""

    @property
    def ids(self) -> Mapping[str, str]:
        """The title's own ids."""

    @property
    def show_ids(self) -> Mapping[str, str]:
        """The show's ids (seasons and episodes)."""


def poster_key(title: Titled) -> str | None:
    """The key of a title's poster: its own TMDb id, or its show's for an episode."""
    if title.kind in (MediaKind.MOVIE, MediaKind.SHOW):
        tmdb_id, kind = title.ids.get("tmdb"), title.kind
    elif title.kind is MediaKind.EPISODE:
        tmdb_id, kind = title.show_ids.get("tmdb"), MediaKind.SHOW
    else:
        return None
    return f"{kind}:{tmdb_id}" if tmdb_id else None


def metadata_client(hass: HomeAssistant) -> TmdbClient | None:
    """The metadata client of the first loaded account that serves one (TMDb), if any."""
    return next((a.metadata for a in loaded_accounts(hass) if a.metadata is not None), None)


async def async_poster_url(client: TmdbClient, key: str) -> str | None:
    """The poster URL of ``key`` (``None``: TMDb has none); raises ``CrosswatchApiError``."""
    kind, tmdb_id = key.split(":", 1)
    await client.configuration()  # the image base URL; cached for a week
    return client.image_url((await client.details(MediaKind(kind), tmdb_id)).poster_path)


async def async_poster_urls(hass: HomeAssistant, titles: Iterable[Titled]) -> dict[str, str]:
    """Poster URLs by ``poster_key`` of the titles TMDb has one for (none without TMDb)."""
    client = metadata_client(hass)
    posters: dict[str, str] = {}
    if client is None:
        return posters
    try:
        await client.configuration()
    except CrosswatchApiError:
        return posters
    for title in titles:
        key = poster_key(title)
        if key is None or key in posters:
            continue
        try:
            url = await async_poster_url(client, key)
        except CrosswatchApiError as err:
            _LOGGER.debug("No TMDb poster for %s: %s", key, err)
            continue
        if url:
            posters[key] = url
    return posters
