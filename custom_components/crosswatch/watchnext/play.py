"""Play next: find an episode on the user's Plex server and name it the way HA's Plex plays it.

Home Assistant's Plex integration accepts ``media_player.play_media`` with ``media_content_id``
``plex://{server machineIdentifier}/{ratingKey}`` (its media-browser form; ``?resume=1`` starts
at the item's ``viewOffset``): home-assistant/core ``homeassistant/components/plex/services.py``
``process_plex_payload`` (tests/fixtures/real/SOURCES.md, "What to watch next").
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from ..api.models import STRONG_ID_TYPES, MediaItem, MediaKind
from .progress import match_keys

if TYPE_CHECKING:
    from ..providers.plex.client import PlexLibraryItem

PLEX_SCHEME: Final = "plex://"
# The entity registry's ``platform`` of a player that HA's Plex integration provides.
PLEX_PLATFORM: Final = "plex"


def plex_media_id(server_id: str, rating_key: str, *, resume: bool = True) -> str:
    """``plex://{server}/{ratingKey}``, resuming where the item was left unless told not to."""
    media_id = f"{PLEX_SCHEME}{server_id}/{rating_key}"
    return f"{media_id}?resume=1" if resume else media_id


def find_on_plex(library: Iterable[PlexLibraryItem], episode: MediaItem) -> PlexLibraryItem | None:
    """The server's copy of ``episode``: by the episode's own ids first, then show + numbers.

    Own ids come first because Plex may number a show in another order than Trakt and SIMKL
    (DVD vs aired, as Firefly), where show + season/number would name a different episode.
    """
    if episode.kind is not MediaKind.EPISODE:
        return None
    own = {k for k in match_keys(episode) if not k.startswith("episode:show:")}
    by_show = match_keys(episode) - own
    fallback: PlexLibraryItem | None = None
    for entry in library:
        if entry.item.kind is not MediaKind.EPISODE:
            continue
        keys = match_keys(entry.item)
        if keys & own:
            return entry
        if fallback is None and keys & by_show:
            fallback = entry
    return fallback


def _show_keys(item: MediaItem) -> set[str]:
    return {f"{t}:{item.ids[t]}" for t in STRONG_ID_TYPES if item.ids.get(t)}


def find_show(library: Iterable[PlexLibraryItem], show: MediaItem) -> PlexLibraryItem | None:
    """The server's copy of a show, by any id both know (tvdb, imdb, tmdb, plex guid)."""
    wanted = _show_keys(show)
    return next(
        (
            entry
            for entry in library
            if entry.item.kind is MediaKind.SHOW and _show_keys(entry.item) & wanted
        ),
        None,
    )
