"""Plex webhook payloads -> ``ScrobbleEvent`` / ``RatingEvent``.

Tolerant by contract: the HA webhook view hands over whatever JSON it parsed from the multipart
``payload`` part (or a JSON body); anything malformed, foreign (another event, a non-Plex body)
or not scrobblable (trailers, extras, clips) returns ``None`` and never raises.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from ...api.models import MediaItem, MediaKind
from ...scrobble.events import (
    EventSource,
    PlexPlayer,
    PlexUser,
    RatingEvent,
    ScrobbleAction,
    ScrobbleEvent,
    plex_text,
)
from ...scrobble.untrusted import UntrustedJsonError, loads_bounded
from .client import item_from_metadata

_LOGGER = logging.getLogger(__name__)

_EVENT_ACTIONS = {
    "media.play": ScrobbleAction.START,
    "media.resume": ScrobbleAction.START,
    "media.pause": ScrobbleAction.PAUSE,
    "media.stop": ScrobbleAction.STOP,
    "media.scrobble": ScrobbleAction.STOP,
}
RATE_EVENT = "media.rate"
_RATED_KINDS = (MediaKind.MOVIE, MediaKind.SHOW, MediaKind.SEASON, MediaKind.EPISODE)


def parse_payload_text(text: str | bytes) -> dict[str, Any] | None:
    """Parse the ``payload`` form field (or a JSON body); ``None`` unless it is a JSON object.

    Bounded in size and depth (``loads_bounded``): a body of ``[[[[…`` is no payload.
    """
    try:
        data = loads_bounded(text)
    except UntrustedJsonError:
        return None
    return data if isinstance(data, dict) else None


def normalize_webhook(payload: object, *, timestamp: float) -> ScrobbleEvent | None:
    """Turn a playback webhook into an event; ``None`` for anything else."""
    try:
        return _scrobble_event(payload, timestamp)
    except TypeError, ValueError, AttributeError, OverflowError:
        _LOGGER.debug("Ignoring a malformed Plex webhook payload")
        return None


def normalize_rating(payload: object, *, timestamp: float) -> RatingEvent | None:
    """Turn a ``media.rate`` webhook into a rating; ``None`` for anything else."""
    try:
        return _rating_event(payload, timestamp)
    except TypeError, ValueError, AttributeError, OverflowError:
        _LOGGER.debug("Ignoring a malformed Plex rating webhook")
        return None


def webhook_rating_key(payload: object) -> str | None:
    """Return the grandparent (show) rating key of an episode webhook, for show-id enrichment."""
    metadata = payload.get("Metadata") if isinstance(payload, dict) else None
    return plex_text(metadata.get("grandparentRatingKey")) if isinstance(metadata, dict) else None


def _scrobble_event(payload: object, timestamp: float) -> ScrobbleEvent | None:
    if not isinstance(payload, dict):
        return None
    action = _EVENT_ACTIONS.get(payload.get("event"))  # type: ignore[arg-type]
    if action is None:
        return None
    common = _common(payload)
    if common is None:
        return None
    metadata, item, user, server_id, rating_key = common
    player = payload.get("Player")
    player_id = plex_text(player.get("uuid")) if isinstance(player, dict) else None
    if player_id is None or not isinstance(player, dict):
        return None
    # Real webhooks often lack viewOffset or duration (tests/fixtures/real/plex/webhook_*): the
    # progress is then unknown, not 0; the pipeline asks the server for it.
    duration = _number(metadata.get("duration"))
    offset = _number(metadata.get("viewOffset"))
    progress, known = 0.0, offset is not None and bool(duration and duration > 0)
    if known and offset is not None and duration:
        progress = max(0.0, min(100.0, offset / duration * 100.0))
    return ScrobbleEvent(
        action=action,
        item=item,
        progress=progress,
        user=user,
        player=PlexPlayer(id=player_id, title=plex_text(player.get("title")) or ""),
        server_id=server_id,
        rating_key=rating_key,
        source=EventSource.WEBHOOK,
        timestamp=timestamp,
        watched=payload.get("event") == "media.scrobble",
        progress_known=known,
    )


def _rating_event(payload: object, timestamp: float) -> RatingEvent | None:
    if not isinstance(payload, dict) or payload.get("event") != RATE_EVENT:
        return None
    common = _common(payload, kinds=_RATED_KINDS)
    if common is None:
        return None
    metadata, item, user, server_id, rating_key = common
    raw = _rating_value(metadata, payload)
    value = _number(raw)
    if value is None:
        # No rating in the payload at all (or not a number): nothing to set and nothing to clear.
        _LOGGER.debug("Ignoring a media.rate webhook without a rating")
        return None
    rating: int | None = None  # 0 or -1 is how Plex says "no rating": a clear
    if value > 0:
        rating = max(1, min(10, round(value)))
    return RatingEvent(
        item=item,
        rating=rating,
        user=user,
        server_id=server_id,
        rating_key=rating_key,
        timestamp=timestamp,
    )


def _rating_value(metadata: dict[str, Any], payload: dict[str, Any]) -> object:
    """``Metadata.userRating`` first, then the top-level ``rating`` Plex also sends.

    Real payloads carry ``"rating": "10"`` next to ``userRating: 10.0``, or only a top-level
    ``rating`` (tests/fixtures/real/plex/webhook_*rate*).
    """
    for value in (metadata.get("userRating"), payload.get("rating"), payload.get("userRating")):
        if value is not None:
            return value
    return None


def _common(
    payload: dict[str, Any],
    kinds: tuple[MediaKind, ...] = (MediaKind.MOVIE, MediaKind.EPISODE),
) -> tuple[dict[str, Any], MediaItem, PlexUser, str, str] | None:
    metadata = payload.get("Metadata")
    account = payload.get("Account")
    server = payload.get("Server")
    if not (isinstance(metadata, dict) and isinstance(account, dict) and isinstance(server, dict)):
        return None
    if _is_extra(metadata):
        return None
    user_id = plex_text(account.get("id"))
    server_id = plex_text(server.get("uuid"))
    rating_key = plex_text(metadata.get("ratingKey"))
    if user_id is None or server_id is None or rating_key is None:
        return None
    item = item_from_metadata(metadata)
    if item is None or item.kind not in kinds:
        return None
    return (
        metadata,
        item,
        PlexUser(id=user_id, title=plex_text(account.get("title")) or ""),
        server_id,
        rating_key,
    )


def _is_extra(metadata: dict[str, Any]) -> bool:
    """Trailers, extras and clips are never scrobbled (CrossWatch #543)."""
    return (
        metadata.get("subtype") == "trailer"
        or metadata.get("extraType") not in (None, "", 0)
        or metadata.get("type") == "clip"
    )


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return None if math.isnan(parsed) else parsed
    return None
