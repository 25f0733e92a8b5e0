"""The durable delivery queue: a scrobble a sink could not take is kept, never lost.

Each entry remembers its sink, attempts and next-attempt time (exponential backoff). The queue is
plain data both ways (``to_dicts``/``load``) so the HA layer can keep it in a ``Store`` and
reload it after a restart. It is bounded: when full, the oldest entry that is not a "watched"
stop goes first, and every drop is reported. Starts and pauses older than ``stale_after`` are
dropped (reported) instead of delivered: telling Trakt an hour later that someone *started*
watching is wrong, but a watched stop is always worth delivering. A queued start or pause is
dropped once a later scrobble of the same playback exists (``supersede``): it must never reach
the service after that playback's stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .events import Scrobble
from .sinks import PermanentDeliveryError, RetryableDeliveryError, ScrobbleSink
from .untrusted import loggable

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from ..api.clock import Clock

_LOGGER = logging.getLogger(__name__)

DEFAULT_MAX_ITEMS = 500
BACKOFF_BASE_SECONDS = 30.0
BACKOFF_CAP_SECONDS = 3600.0
STALE_AFTER_SECONDS = 3600.0


class DropReason(StrEnum):
    """Why an entry left the queue without being delivered."""

    OVERFLOW = "overflow"
    STALE = "stale"
    REJECTED = "rejected"
    UNKNOWN_SINK = "unknown_sink"
    SUPERSEDED = "superseded"


@dataclass(slots=True, kw_only=True)
class QueuedScrobble:
    """One undelivered scrobble for one sink."""

    sink_id: str
    scrobble: Scrobble
    queued_at: float
    next_attempt_at: float
    attempts: int = 1
    last_error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain form for the Store."""
        return {
            "sink_id": self.sink_id,
            "scrobble": self.scrobble.to_dict(),
            "queued_at": self.queued_at,
            "next_attempt_at": self.next_attempt_at,
            "attempts": self.attempts,
            "last_error": self.last_error,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueuedScrobble:
        """Inverse of ``to_dict``; raises on corrupt data."""
        return cls(
            sink_id=str(data["sink_id"]),
            scrobble=Scrobble.from_dict(data["scrobble"]),
            queued_at=float(data["queued_at"]),
            next_attempt_at=float(data["next_attempt_at"]),
            attempts=int(data["attempts"]),
            last_error=str(data.get("last_error", "")),
        )


@dataclass(slots=True)
class DrainResult:
    """What one ``drain`` did."""

    delivered: list[QueuedScrobble] = field(default_factory=list)
    retrying: list[QueuedScrobble] = field(default_factory=list)
    dropped: list[tuple[QueuedScrobble, DropReason]] = field(default_factory=list)


def retry_delay(attempts: int, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Wait before the next try after ``attempts`` failures: 30 s, 60 s, ... capped at 1 h."""
    return min(BACKOFF_CAP_SECONDS, base * 2.0 ** min(max(attempts - 1, 0), 20))


class ScrobbleQueue:
    """Bounded, serializable retry queue; ``drain`` delivers what is due."""

    def __init__(
        self,
        *,
        clock: Clock,
        max_items: int = DEFAULT_MAX_ITEMS,
        stale_after: float = STALE_AFTER_SECONDS,
        on_dropped: Callable[[QueuedScrobble, DropReason], None] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """Create an empty queue; ``on_change`` fires whenever the content changes (persist)."""
        self._clock = clock
        self._max_items = max_items
        self._stale_after = stale_after
        self._on_dropped = on_dropped
        self._on_change = on_change
        self._items: list[QueuedScrobble] = []

    def __len__(self) -> int:
        """Return how many entries wait."""
        return len(self._items)

    @property
    def items(self) -> tuple[QueuedScrobble, ...]:
        """The waiting entries, oldest first."""
        return tuple(self._items)

    def next_due(self) -> float | None:
        """When the earliest entry is due, or ``None`` when empty."""
        return min((entry.next_attempt_at for entry in self._items), default=None)

    def make_due(self) -> int:
        """Make every waiting entry due now (the user asked to retry); return how many wait."""
        now = self._clock.time()
        for entry in self._items:
            entry.next_attempt_at = min(entry.next_attempt_at, now)
        return len(self._items)

    def add(self, sink_id: str, scrobble: Scrobble, *, error: str = "") -> QueuedScrobble:
        """Queue a scrobble that just failed its first delivery."""
        now = self._clock.time()
        entry = QueuedScrobble(
            sink_id=sink_id,
            scrobble=scrobble,
            queued_at=now,
            next_attempt_at=now + retry_delay(1),
            last_error=error,
        )
        self._items.append(entry)
        while len(self._items) > self._max_items:
            self._drop(self._overflow_victim(), DropReason.OVERFLOW)
        self._changed()
        return entry

    def supersede(self, sink_id: str, later: Scrobble) -> None:
        """Drop ``sink_id``'s queued scrobbles of ``later``'s playback that came before it.

        Only starts and pauses go: a watched stop is always worth delivering.
        """
        playback = _playback(later)
        stale = [
            entry
            for entry in self._items
            if entry.sink_id == sink_id
            and not entry.scrobble.watched
            and _playback(entry.scrobble) == playback
            and entry.scrobble.timestamp <= later.timestamp
            and entry.scrobble is not later
        ]
        for entry in stale:
            self._drop(entry, DropReason.SUPERSEDED)
        if stale:
            self._changed()

    def to_dicts(self) -> list[dict[str, Any]]:
        """Plain form of every entry, for the Store."""
        return [entry.to_dict() for entry in self._items]

    def load(self, data: Any) -> int:
        """Replace the content with stored entries; corrupt ones are skipped. Returns the count."""
        loaded: list[QueuedScrobble] = []
        for raw in data if isinstance(data, list) else []:
            try:
                loaded.append(QueuedScrobble.from_dict(raw))
            except KeyError, TypeError, ValueError, AttributeError:
                _LOGGER.warning("Skipping a corrupt entry in the stored scrobble queue")
        self._items = loaded[-self._max_items :]
        return len(self._items)

    async def drain(self, sinks: Mapping[str, ScrobbleSink]) -> DrainResult:
        """Try every due entry once, in order; a sink that fails again is left for later."""
        result = DrainResult()
        now = self._clock.time()
        failed_sinks: set[str] = set()
        for entry in list(self._items):
            if entry.next_attempt_at > now or entry.sink_id in failed_sinks:
                continue
            if not entry.scrobble.watched and now - entry.queued_at > self._stale_after:
                self._drop(entry, DropReason.STALE)
                result.dropped.append((entry, DropReason.STALE))
                continue
            sink = sinks.get(entry.sink_id)
            if sink is None:
                self._drop(entry, DropReason.UNKNOWN_SINK)
                result.dropped.append((entry, DropReason.UNKNOWN_SINK))
                continue
            try:
                await sink.deliver(entry.scrobble)
            except RetryableDeliveryError as err:
                # Keep the sink's order: its later entries wait for this one.
                failed_sinks.add(entry.sink_id)
                entry.attempts += 1
                entry.last_error = str(err)
                entry.next_attempt_at = self._clock.time() + retry_delay(entry.attempts)
                result.retrying.append(entry)
            except PermanentDeliveryError:
                self._drop(entry, DropReason.REJECTED)
                result.dropped.append((entry, DropReason.REJECTED))
            else:
                self._items.remove(entry)
                result.delivered.append(entry)
        if result.delivered or result.retrying or result.dropped:
            self._changed()
        return result

    def _overflow_victim(self) -> QueuedScrobble:
        for entry in self._items:
            if not entry.scrobble.watched:
                return entry
        return self._items[0]

    def _drop(self, entry: QueuedScrobble, reason: DropReason) -> None:
        self._items.remove(entry)
        # A superseded entry is no loss: a later scrobble of its playback says more.
        _LOGGER.log(
            logging.DEBUG if reason is DropReason.SUPERSEDED else logging.WARNING,
            "Dropped a queued %s scrobble of %s for %s (%s)",
            entry.scrobble.action,
            loggable(entry.scrobble.item.title or entry.scrobble.rating_key),
            entry.sink_id,
            reason,
        )
        if self._on_dropped is not None:
            self._on_dropped(entry, reason)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()


def _playback(scrobble: Scrobble) -> tuple[str, str, str, str]:
    """One playback: the same item, by the same user, on the same player and server."""
    return (scrobble.server_id, scrobble.rating_key, scrobble.user.id, scrobble.player.id)
