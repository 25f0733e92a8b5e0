"""De-duplication across the websocket listener and the Plex webhook.

Both paths report the same playback: with both enabled every play, pause and stop arrives twice.
An event is a duplicate when the same (server, rating key, player, user, action) was accepted
from the *other* source within ``window`` seconds, or from the same source within
``same_source_window`` (Plex retries webhooks; the websocket repeats ``playing`` frames, which the
rules absorb anyway). Time comes from the injected clock via the event timestamps.
"""

from __future__ import annotations

from .events import EventSource, ScrobbleAction, ScrobbleEvent

DEFAULT_WINDOW_SECONDS = 30.0
DEFAULT_SAME_SOURCE_WINDOW_SECONDS = 1.0

type DedupeKey = tuple[str, str, str, str, ScrobbleAction]


class Deduplicator:
    """Remembers recently accepted events per key and source."""

    def __init__(
        self,
        *,
        window: float = DEFAULT_WINDOW_SECONDS,
        same_source_window: float = DEFAULT_SAME_SOURCE_WINDOW_SECONDS,
    ) -> None:
        """Create with the cross-source and same-source windows in seconds."""
        self._window = window
        self._same_source_window = same_source_window
        self._seen: dict[DedupeKey, dict[EventSource, float]] = {}

    def __len__(self) -> int:
        """Return how many keys are remembered."""
        return len(self._seen)

    def is_duplicate(self, event: ScrobbleEvent) -> bool:
        """Return ``True`` if ``event`` repeats one already accepted; otherwise remember it."""
        now = event.timestamp
        self._expire(now)
        key: DedupeKey = (*event.playback_key, event.action)
        seen = self._seen.setdefault(key, {})
        for source, at in seen.items():
            limit = self._same_source_window if source is event.source else self._window
            if now - at < limit:
                return True
        seen[event.source] = now
        return False

    def _expire(self, now: float) -> None:
        horizon = max(self._window, self._same_source_window)
        stale = [k for k, seen in self._seen.items() if max(seen.values()) <= now - horizon]
        for key in stale:
            del self._seen[key]
