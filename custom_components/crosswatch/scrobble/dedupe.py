"""De-duplication across the websocket listener and the Plex webhook.

Both paths report the same playback, so with both enabled every play, pause and stop arrives
twice. The rules already share one state machine per playback, which absorbs most repeats; what
is left is a scrobble decided twice, e.g. a stop that ended the playback followed by the other
source's late stop. So a decided scrobble is a duplicate when the same (server, rating key,
player, user, action) was sent on behalf of the *other* source within ``window`` seconds. Repeats
from one source are never dropped here: a quick pause/resume/pause is real.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .events import EventSource, ScrobbleAction, ScrobbleEvent

DEFAULT_WINDOW_SECONDS = 30.0

type DedupeKey = tuple[str, str, str, str, ScrobbleAction]


class Deduplicator:
    """Remembers, per key and source, when a scrobble was last sent."""

    def __init__(self, *, window: float = DEFAULT_WINDOW_SECONDS) -> None:
        """Create with the cross-source window in seconds."""
        self._window = window
        self._seen: dict[DedupeKey, dict[EventSource, float]] = {}

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        return len(self._seen)

    def is_duplicate(self, event: ScrobbleEvent) -> bool:
        """Return ``True`` if the other source already caused this; otherwise remember it."""
        now = event.timestamp
        self._expire(now)
        key: DedupeKey = (*event.playback_key, event.action)
        seen = self._seen.setdefault(key, {})
        for source, at in seen.items():
            if source is not event.source and now - at < self._window:
                return True
        seen[event.source] = now
        return False

    def _expire(self, now: float) -> None:
        stale = [k for k, seen in self._seen.items() if max(seen.values()) <= now - self._window]
        for key in stale:
            del self._seen[key]
