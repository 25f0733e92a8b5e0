"""The normalized scrobble vocabulary shared by the listener, the webhook and the sinks.

Both Plex paths (websocket frames bound to a session, webhook payloads) end up as a
``ScrobbleEvent``. The decision rules turn events into ``Scrobble`` commands, which are what the
sinks deliver and the queue persists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..api.models import MediaItem, MediaKind
from ..sync.inventory import item_from_dict, item_to_dict


class ScrobbleAction(StrEnum):
    """What the player did."""

    START = "start"
    PAUSE = "pause"
    STOP = "stop"


class EventSource(StrEnum):
    """Which Plex path reported the event."""

    WEBSOCKET = "websocket"
    WEBHOOK = "webhook"


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexUser:
    """A Plex account as the server knows it (``id`` is the server-local account id)."""

    id: str
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexPlayer:
    """A playback device (``id`` is its machineIdentifier / webhook ``Player.uuid``)."""

    id: str
    title: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScrobbleEvent:
    """One normalized playback event.

    ``watched`` is set when the source itself declares the item watched (webhook
    ``media.scrobble``); the rules also treat a stop at the watched threshold as watched.
    ``progress_known`` is false when the source gave no offset or no duration (real webhooks
    often lack them): ``progress`` is then a placeholder the pipeline must fill, never a fact.
    """

    action: ScrobbleAction
    item: MediaItem
    progress: float
    user: PlexUser
    player: PlexPlayer
    server_id: str
    rating_key: str
    source: EventSource
    timestamp: float
    session_key: str | None = None
    watched: bool = False
    progress_known: bool = True

    @property
    def kind(self) -> MediaKind:
        """Movie or episode."""
        return self.item.kind

    @property
    def playback_key(self) -> tuple[str, str, str, str]:
        """Identity of one playback, the same for both sources: server, item, player, user."""
        return (self.server_id, self.rating_key, self.player.id, self.user.id)


@dataclass(frozen=True, slots=True, kw_only=True)
class RatingEvent:
    """A ``media.rate`` webhook: ``rating`` on the 1-10 scale, ``None`` when cleared."""

    item: MediaItem
    rating: int | None
    user: PlexUser
    server_id: str
    rating_key: str
    timestamp: float


class ScrobbleCall(StrEnum):
    """The scrobble endpoint a sink calls; a pause is a stop below the watched threshold."""

    START = "start"
    STOP = "stop"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scrobble:
    """A decided scrobble: what every routed sink should be told.

    ``action`` records why (start/pause/stop) for entities and events; ``call`` is the endpoint.
    """

    call: ScrobbleCall
    action: ScrobbleAction
    progress: float
    watched: bool
    item: MediaItem
    user: PlexUser
    player: PlexPlayer
    server_id: str
    rating_key: str
    timestamp: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe form for the durable queue."""
        return {
            "call": self.call.value,
            "action": self.action.value,
            "progress": self.progress,
            "watched": self.watched,
            "item": item_to_dict(self.item),
            "user": {"id": self.user.id, "title": self.user.title},
            "player": {"id": self.player.id, "title": self.player.title},
            "server_id": self.server_id,
            "rating_key": self.rating_key,
            "timestamp": self.timestamp,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scrobble:
        """Rebuild from ``to_dict``; raises ``KeyError``/``ValueError``/``TypeError`` if corrupt."""
        user = data["user"]
        player = data.get("player") or {}
        return cls(
            call=ScrobbleCall(data["call"]),
            action=ScrobbleAction(data["action"]),
            progress=float(data["progress"]),
            watched=bool(data["watched"]),
            item=item_from_dict(data["item"]),
            user=PlexUser(id=str(user["id"]), title=str(user.get("title", ""))),
            player=PlexPlayer(id=str(player.get("id", "")), title=str(player.get("title", ""))),
            server_id=str(data.get("server_id", "")),
            rating_key=str(data.get("rating_key", "")),
            timestamp=float(data.get("timestamp", 0.0)),
        )


def plex_text(value: object) -> str | None:
    """A Plex key or name that comes as a number or a string; blanks and booleans are none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
