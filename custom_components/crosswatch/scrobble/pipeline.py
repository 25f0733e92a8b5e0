"""The scrobble pipeline: routes, rules, dedupe, sinks and the queue, for one Plex server.

Both intakes end here: ``handle_notification`` (the websocket listener's callback; frames of one
session, and the sweep's stop of a session that vanished, are processed in order, sessions in
parallel) and ``handle_webhook`` (the HA webhook view's parsed payload). For each routed event it
updates the user's now-watching state, drops cross-source duplicates, lets the rules decide, and
delivers the scrobble to every routed sink; a delivery that fails transiently goes to the durable
queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING

from ..providers.plex.webhook_payload import normalize_rating, normalize_webhook
from .dedupe import Deduplicator
from .events import PlexPlayer, PlexUser, RatingEvent, Scrobble, ScrobbleAction, ScrobbleEvent
from .rules import ScrobbleRules
from .sinks import PermanentDeliveryError, RetryableDeliveryError, ScrobbleSink
from .untrusted import loggable

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping

    from ..api.clock import Clock
    from ..api.models import Ids, MediaKind
    from ..providers.plex.binder import PlayNotification, SessionBinder
    from .queue import DrainResult, ScrobbleQueue

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ScrobbleRoute:
    """Which Plex users (``None`` = all) of which server (``None`` = any) go to which sinks."""

    sink_ids: tuple[str, ...]
    user_ids: frozenset[str] | None = None
    server_id: str | None = None

    def matches(self, server_id: str, user_id: str) -> bool:
        """Whether an event of ``user_id`` on ``server_id`` takes this route."""
        if self.server_id is not None and self.server_id != server_id:
            return False
        return self.user_ids is None or user_id in self.user_ids


@dataclass(frozen=True, slots=True, kw_only=True)
class NowWatching:
    """What a user is watching right now, for the now-watching sensor."""

    user: PlexUser
    title: str | None
    kind: MediaKind
    show_title: str | None
    season: int | None
    number: int | None
    progress: float
    player: PlexPlayer
    paused: bool
    ids: Ids = field(default_factory=dict)
    show_ids: Ids = field(default_factory=dict)
    rating_key: str = ""
    server_id: str = ""


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What happened to one scrobble: per sink, delivered / queued / rejected."""

    scrobble: Scrobble
    delivered: tuple[str, ...] = ()
    queued: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()


class ScrobblePipeline:
    """Everything between a Plex event and the sinks."""

    def __init__(
        self,
        *,
        clock: Clock,
        routes: Iterable[ScrobbleRoute],
        sinks: Mapping[str, ScrobbleSink],
        queue: ScrobbleQueue,
        binder: SessionBinder | None = None,
        rules: ScrobbleRules | None = None,
        dedupe: Deduplicator | None = None,
        on_now_watching: Callable[[PlexUser, NowWatching | None], None] | None = None,
        on_scrobble: Callable[[DeliveryReport], None] | None = None,
        on_rating: Callable[[RatingEvent, tuple[str, ...]], None] | None = None,
        on_queued: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Wire the parts; callbacks run in the event loop and must not block.

        ``on_queued`` is awaited after a scrobble went to the queue, before the delivery is
        reported: it puts the queue on disk, so a power cut cannot lose it.
        """
        self._clock = clock
        self._routes = tuple(routes)
        self._sinks = dict(sinks)
        self._queue = queue
        self._binder = binder
        self._rules = rules or ScrobbleRules()
        self._dedupe = dedupe or Deduplicator()
        self._on_now_watching = on_now_watching
        self._on_scrobble = on_scrobble
        self._on_rating = on_rating
        self._on_queued = on_queued
        self._now_watching: dict[str, NowWatching] = {}
        self._session_tails: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._sinks_down: set[str] = set()

    @property
    def now_watching(self) -> Mapping[str, NowWatching]:
        """Current now-watching state per Plex user id."""
        return self._now_watching

    @property
    def queue(self) -> ScrobbleQueue:
        """The delivery queue (for persistence and diagnostics)."""
        return self._queue

    def update(self, *, routes: Iterable[ScrobbleRoute], sinks: Mapping[str, ScrobbleSink]) -> None:
        """Replace routes and sinks (subentries changed)."""
        self._routes = tuple(routes)
        self._sinks = dict(sinks)

    def sink_ids_for(self, server_id: str, user_id: str) -> tuple[str, ...]:
        """Return the sinks an event of ``user_id`` on ``server_id`` goes to (empty: unrouted)."""
        ids: dict[str, None] = {}
        for route in self._routes:
            if route.matches(server_id, user_id):
                ids.update(dict.fromkeys(route.sink_ids))
        return tuple(ids)

    def knows_session(self, session_key: str) -> bool:
        """Whether frames of ``session_key`` were handed over (bound, or still being handled)."""
        if session_key in self._session_tails:
            return True
        return self._binder is not None and self._binder.binding(session_key) is not None

    # -- intake ---------------------------------------------------------------------------
    def handle_notification(self, note: PlayNotification) -> None:
        """Process ``note`` after the earlier frames of its session (the listener callback)."""
        self._chain(note.session_key, lambda: self._frame(note))

    async def handle_webhook(self, payload: object) -> ScrobbleEvent | None:
        """Process a parsed webhook payload; returns the event it became (``None`` = ignored)."""
        now = self._clock.time()
        rating = normalize_rating(payload, timestamp=now)
        if rating is not None:
            await self._rating(rating)
            return None
        event = normalize_webhook(payload, timestamp=now)
        if event is None or not self.sink_ids_for(event.server_id, event.user.id):
            return None
        event = await self._enrich(event)
        await self.process(event)
        return event

    async def process(self, event: ScrobbleEvent) -> DeliveryReport | None:
        """Route, decide, dedupe and deliver one event."""
        sink_ids = self.sink_ids_for(event.server_id, event.user.id)
        if not sink_ids:
            _LOGGER.debug("Ignoring playback of unrouted Plex user %s", loggable(event.user.id))
            return None
        self._update_now_watching(event)
        scrobble = self._rules.decide(event)
        if scrobble is None or self._dedupe.is_duplicate(event):
            return None
        report = await self._deliver(scrobble, sink_ids)
        if self._on_scrobble is not None:
            self._on_scrobble(report)
        return report

    async def sweep_sessions(self) -> None:
        """Stop the sessions that left the server without a ``stopped`` frame.

        The scrobbler calls it every ``binder.SESSION_SWEEP_SECONDS``; with no session bound it
        asks the server nothing.
        """
        if self._binder is None:
            return
        # Each stop joins its session's chain: a frame of that session arriving meanwhile (it
        # binds again and starts) is handled after the stop went out, never beside it.
        tasks = [
            self._chain(event.session_key or "", partial(self.process, event))
            for event in await self._binder.vanished()
        ]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def drain_queue(self) -> DrainResult:
        """Retry the queued scrobbles that are due."""
        result = await self._queue.drain(self._sinks)
        for entry in result.retrying:
            self._sink_failed(entry.sink_id, entry.last_error)
        for entry in result.delivered:
            self._sink_delivered(entry.sink_id)
        return result

    async def close(self) -> None:
        """Cancel frames still in flight (the entry is unloading)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._binder is not None:
            await self._binder.close()

    async def wait_idle(self) -> None:
        """Wait until every frame handed over so far has been processed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
            # A gather of finished tasks returns without yielding; yield so their done
            # callbacks can drop them from ``_tasks`` (else this loop spins forever).
            await asyncio.sleep(0)

    # -- internals ------------------------------------------------------------------------
    def _chain(self, session_key: str, work: Callable[[], Awaitable[object]]) -> asyncio.Task[None]:
        """Run ``work`` after everything already handed over for ``session_key``."""
        previous = self._session_tails.get(session_key)
        task = asyncio.create_task(self._after(previous, session_key, work))
        self._session_tails[session_key] = task
        self._tasks.add(task)
        task.add_done_callback(lambda done: self._task_done(session_key, done))
        return task

    async def _after(
        self,
        previous: asyncio.Task[None] | None,
        session_key: str,
        work: Callable[[], Awaitable[object]],
    ) -> None:
        if previous is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(previous)
        try:
            await work()
        except Exception:
            _LOGGER.exception("Scrobble pipeline failed on session %s", session_key)

    async def _frame(self, note: PlayNotification) -> None:
        if self._binder is None:
            return
        for event in await self._binder.events_for(note):
            await self.process(event)

    def _task_done(self, session_key: str, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._session_tails.get(session_key) is task:
            del self._session_tails[session_key]

    async def _enrich(self, event: ScrobbleEvent) -> ScrobbleEvent:
        """Give a webhook event what the listener would know.

        The item with its ids (show ids for episodes), and the progress the server knows when
        the payload had no offset or no duration.
        """
        if self._binder is None or event.server_id != self._binder.server_id:
            if not event.progress_known:
                _LOGGER.info(
                    "Progress of %s unknown (no viewOffset/duration)", loggable(event.rating_key)
                )
            return event
        media = await self._binder.media(event.rating_key)
        if media is not None:
            event = replace(event, item=media.item)
        if not event.progress_known:
            progress = await self._binder.live_progress(event.rating_key, event.player.id)
            if progress is None:
                _LOGGER.info(
                    "Progress of %s unknown (no viewOffset/duration)", loggable(event.rating_key)
                )
            else:
                event = replace(event, progress=progress, progress_known=True)
        return event

    async def _deliver(self, scrobble: Scrobble, sink_ids: tuple[str, ...]) -> DeliveryReport:
        outcomes = await asyncio.gather(*(self._deliver_one(scrobble, s) for s in sink_ids))
        by_outcome: dict[str, list[str]] = {"delivered": [], "queued": [], "rejected": []}
        for sink_id, outcome in zip(sink_ids, outcomes, strict=True):
            by_outcome[outcome].append(sink_id)
        return DeliveryReport(
            scrobble,
            delivered=tuple(by_outcome["delivered"]),
            queued=tuple(by_outcome["queued"]),
            rejected=tuple(by_outcome["rejected"]),
        )

    async def _deliver_one(self, scrobble: Scrobble, sink_id: str) -> str:
        sink = self._sinks.get(sink_id)
        if sink is None:
            _LOGGER.warning("Scrobble route points at a missing account %s", sink_id)
            return "rejected"
        # A queued start or pause of this playback must not reach the service after this.
        self._queue.supersede(sink_id, scrobble)
        try:
            await sink.deliver(scrobble)
        except RetryableDeliveryError as err:
            self._sink_failed(sink_id, str(err))
            self._queue.add(sink_id, scrobble, error=str(err))
            if self._on_queued is not None:
                await self._on_queued()
            return "queued"
        except PermanentDeliveryError as err:
            _LOGGER.warning("Scrobble to %s rejected: %s", sink_id, err)
            return "rejected"
        self._sink_delivered(sink_id)
        return "delivered"

    def _sink_failed(self, sink_id: str, error: str | None) -> None:
        """Log once when a target account stops taking scrobbles (each one after at debug)."""
        if sink_id in self._sinks_down:
            _LOGGER.debug("Scrobble to %s failed again (%s); queued", sink_id, error)
            return
        self._sinks_down.add(sink_id)
        _LOGGER.info("Scrobbles to %s are unavailable (%s); queuing them", sink_id, error)

    def _sink_delivered(self, sink_id: str) -> None:
        if sink_id in self._sinks_down:
            self._sinks_down.discard(sink_id)
            _LOGGER.info("Scrobbles to %s are delivered again", sink_id)

    def _update_now_watching(self, event: ScrobbleEvent) -> None:
        if event.action is ScrobbleAction.STOP and event.watched:
            return  # webhook media.scrobble: watched, yet still playing (credits)
        user_id = event.user.id
        current: NowWatching | None = None
        if event.action is not ScrobbleAction.STOP:
            item = event.item
            current = NowWatching(
                user=event.user,
                title=item.title,
                kind=item.kind,
                show_title=item.show_title,
                season=item.season,
                number=item.number,
                progress=round(event.progress, 1),
                player=event.player,
                paused=event.action is ScrobbleAction.PAUSE,
                ids=dict(item.ids),
                show_ids=dict(item.show_ids),
                rating_key=event.rating_key,
                server_id=event.server_id,
            )
        previous = self._now_watching.get(user_id)
        if current is None:
            if previous is None or previous.rating_key != event.rating_key:
                return  # a late stop of something else must not clear what plays now
            del self._now_watching[user_id]
        elif current == previous:
            return
        else:
            self._now_watching[user_id] = current
        if self._on_now_watching is not None:
            self._on_now_watching(event.user, current)

    async def _rating(self, rating: RatingEvent) -> None:
        sink_ids = self.sink_ids_for(rating.server_id, rating.user.id)
        if not sink_ids or self._on_rating is None:
            return
        binder = self._binder
        if binder is not None and rating.server_id == binder.server_id:
            # Webhooks often carry only the plex:// guid: the server's metadata has the ids.
            media = await binder.media(rating.rating_key)
            if media is not None:
                rating = replace(rating, item=media.item)
        self._on_rating(rating, sink_ids)
