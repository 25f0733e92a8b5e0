"""Session binding: give websocket frames the user, player and media they do not carry.

A ``playing`` frame has a session key, a rating key and an offset, nothing else. On a session's
first frame the binder reads ``/status/sessions`` (user, player) and
``/library/metadata/{ratingKey}`` (ids, duration; show ids from the grandparent for episodes)
through a ``SessionSource`` and caches the result per session. ``stopped`` arrives after the
session has left ``/status/sessions``, so it is answered from the cache and ends the binding.

Real clients do not always say ``stopped`` (``tests/fixtures/real/plex/ws_*``): a session that
moves on to another item ends the first one, a ``stopped`` may come under a new session key, and a
session may just vanish. Each binding keeps its last offset so those get their stop anyway.

A session can also end while the websocket is down: its last frame is then older than its end.
For the account whose token reads the server (its ``viewCount`` is the one the PMS answers with),
a binding keeps the item's ``viewCount`` from a fresh read at its start; when the session has
vanished, the item is read again, and a higher count means Plex counted the play as watched, so the
stop is a watched one. ``lastViewedAt`` is no such sign: a partial play moves it too
(``tests/fixtures/real/plex/pms_metadata_movie_timeline_views.json``). Other users' views are not
in that read, so their vanished sessions stop at the last offset, as does any session when the read
fails or takes longer than ``VIEW_CHECK_SECONDS``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ...api.errors import CrosswatchApiError
from ...scrobble.events import EventSource, PlexPlayer, PlexUser, ScrobbleAction, ScrobbleEvent
from ...scrobble.rules import watched_progress

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ...api.models import MediaItem
    from .client import PlexServerClient

_LOGGER = logging.getLogger(__name__)

MEDIA_CACHE_SIZE = 256
MAX_BINDINGS = 500
# A binding whose session left /status/sessions and sent no frame for this long has ended;
# bound sessions are checked this often (an idle server is asked nothing).
SESSION_GONE_SECONDS = 60.0
SESSION_SWEEP_SECONDS = 30.0
# How long the sweep waits for an item's fresh viewCount before it stops at the last offset.
VIEW_CHECK_SECONDS = 10.0

_STATE_ACTIONS = {
    "playing": ScrobbleAction.START,
    "paused": ScrobbleAction.PAUSE,
    "stopped": ScrobbleAction.STOP,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlayNotification:
    """One ``PlaySessionStateNotification`` from the PMS websocket."""

    session_key: str
    rating_key: str
    state: str
    view_offset_ms: int
    client_identifier: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveSession:
    """One row of ``/status/sessions``: who plays what where."""

    session_key: str
    rating_key: str
    user: PlexUser
    player: PlexPlayer
    duration_ms: int | None = None
    view_offset_ms: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundMedia:
    """An item's ids (show ids for episodes), its duration, resume offset and view count.

    Offset and count are those of the account whose token reads the server.
    """

    item: MediaItem
    duration_ms: int | None
    view_offset_ms: int | None = None
    view_count: int = 0


class SessionSource(Protocol):
    """What the binder needs from the Plex server."""

    async def active_sessions(self) -> Sequence[ActiveSession]:
        """Return the sessions currently playing (``/status/sessions``)."""

    async def media(self, rating_key: str) -> BoundMedia:
        """Return the item behind ``rating_key`` with show ids for episodes."""


@dataclass(slots=True)
class SessionBinding:
    """What a session was bound to on its first frame, and its last frame."""

    rating_key: str
    user: PlexUser
    player: PlexPlayer
    media: BoundMedia
    duration_ms: int | None
    last_offset_ms: int = 0
    last_seen: float = 0.0
    # The item's viewCount when the binding was made; None when the server's answer is not this
    # session user's count (another user) or was not read fresh.
    views_at_start: int | None = None


class SessionBinder:
    """Turns ``PlayNotification``s into ``ScrobbleEvent``s, binding each session once."""

    def __init__(
        self,
        source: SessionSource,
        *,
        server_id: str,
        now: Callable[[], float],
        viewer_id: str | None = None,
        view_check_seconds: float = VIEW_CHECK_SECONDS,
    ) -> None:
        """Create for the server ``server_id`` (its machineIdentifier).

        ``viewer_id`` is the server-local account id whose views ``source.media`` reads (the
        token's account); ``None``: nobody's, vanished sessions always stop at their last offset.
        """
        self._source = source
        self._server_id = server_id
        self._now = now
        self._viewer_id = viewer_id
        self._view_check_seconds = view_check_seconds
        self._bindings: OrderedDict[str, SessionBinding] = OrderedDict()
        self._media: OrderedDict[str, BoundMedia] = OrderedDict()
        self._media_inflight: dict[str, asyncio.Task[BoundMedia]] = {}
        self._sessions_inflight: asyncio.Task[Sequence[ActiveSession]] | None = None

    @property
    def server_id(self) -> str:
        """The server this binder reads from."""
        return self._server_id

    @property
    def bound_sessions(self) -> int:
        """How many sessions are bound (playing or paused, as far as frames told)."""
        return len(self._bindings)

    def binding(self, session_key: str) -> SessionBinding | None:
        """Return the cached binding of a session, if any."""
        return self._bindings.get(session_key)

    async def close(self) -> None:
        """Cancel lookups still in flight."""
        tasks = [*self._media_inflight.values()]
        if self._sessions_inflight is not None:
            tasks.append(self._sessions_inflight)  # type: ignore[arg-type]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def event_for(self, note: PlayNotification) -> ScrobbleEvent | None:
        """Return the last event for a frame (see ``events_for``)."""
        events = await self.events_for(note)
        return events[-1] if events else None

    async def events_for(self, note: PlayNotification) -> list[ScrobbleEvent]:
        """Return the events a frame means.

        None (buffering, unknown session, lookup failed), one, or a stop for the item the
        session left without ``stopped`` followed by the new item's event.
        """
        action = _STATE_ACTIONS.get(note.state)
        if action is None:
            return []
        binding = self._bindings.get(note.session_key)
        if action is ScrobbleAction.STOP:
            binding = self._bindings.pop(note.session_key, None) or self._orphan_stop(note)
            if binding is None:
                return []
            return [self._event(action, note.session_key, binding, note.view_offset_ms)]
        ended: list[ScrobbleEvent] = []
        if binding is not None and binding.rating_key != note.rating_key:
            # The client moved the session to another item without stopping the first
            # (Tautulli's "ratingKey changed" case): the first ends at its last offset.
            ended.append(
                self._event(ScrobbleAction.STOP, note.session_key, binding, binding.last_offset_ms)
            )
            self._bindings.pop(note.session_key, None)  # ended once, even if the rebind fails
        if binding is None or binding.rating_key != note.rating_key:
            binding = await self._bind(note, binding)
        if binding is None:
            return ended
        binding.last_offset_ms = note.view_offset_ms
        binding.last_seen = self._now()
        return [*ended, self._event(action, note.session_key, binding, note.view_offset_ms)]

    async def vanished(self) -> list[ScrobbleEvent]:
        """Stop every bound session that left ``/status/sessions`` without a ``stopped`` frame.

        A session counts as gone once it is missing from the server's list and sent no frame for
        ``SESSION_GONE_SECONDS`` (its ``stopped`` may still be on the way just after it leaves).
        """
        if not self._bindings:
            return []
        try:
            live = {s.session_key for s in await self._source.active_sessions()}
        except CrosswatchApiError as err:
            _LOGGER.debug("Active sessions unavailable: %s", err)
            return []
        now = self._now()
        gone = [
            (key, binding)
            for key, binding in self._bindings.items()
            if key not in live and now - binding.last_seen >= SESSION_GONE_SECONDS
        ]
        counted = await asyncio.gather(*(self._counted(binding) for _key, binding in gone))
        events = []
        for (key, binding), watched in zip(gone, counted, strict=True):
            if (
                self._bindings.get(key) is not binding
                or now - binding.last_seen < SESSION_GONE_SECONDS
            ):
                continue  # a frame came in during the read: the session lives on
            del self._bindings[key]
            _LOGGER.debug(
                "Session %s ended without a stopped frame%s",
                key,
                " (Plex counted it as watched)" if watched else "",
            )
            events.append(
                self._event(
                    ScrobbleAction.STOP, key, binding, binding.last_offset_ms, counted=watched
                )
            )
        return events

    async def _counted(self, binding: SessionBinding) -> bool:
        """Whether Plex counted a view of the binding's item since the binding was made."""
        if binding.views_at_start is None:
            return False
        try:
            async with asyncio.timeout(self._view_check_seconds):
                media = await self._source.media(binding.rating_key)
        except (CrosswatchApiError, TimeoutError) as err:
            _LOGGER.debug("View count of %s unavailable: %r", binding.rating_key, err)
            return False
        self._remember(binding.rating_key, media)
        return media.view_count > binding.views_at_start

    async def live_progress(self, rating_key: str, player_id: str) -> float | None:
        """Progress of ``rating_key`` on ``player_id`` from the server, for a webhook without one.

        ``/status/sessions`` first (the play is on), else the item's resume offset.
        """
        try:
            for session in await self._source.active_sessions():
                if (
                    session.rating_key == rating_key
                    and session.player.id == player_id
                    and session.view_offset_ms is not None
                    and session.duration_ms
                ):
                    return _progress(session.view_offset_ms, session.duration_ms)
            media = await self._source.media(rating_key)
        except CrosswatchApiError as err:
            _LOGGER.debug("Progress of %s unavailable: %s", rating_key, err)
            return None
        if media.view_offset_ms is None or not media.duration_ms:
            return None
        return _progress(media.view_offset_ms, media.duration_ms)

    def _orphan_stop(self, note: PlayNotification) -> SessionBinding | None:
        """Find the playback a ``stopped`` under an unknown session key ends.

        The PMS can re-key the stop of a playback (node-plex-api #80): it ends the one bound
        session playing that item (on that player, when the frame names it).
        """
        keys = [
            key
            for key, binding in self._bindings.items()
            if binding.rating_key == note.rating_key
            and (not note.client_identifier or note.client_identifier == binding.player.id)
        ]
        return self._bindings.pop(keys[0]) if len(keys) == 1 else None

    def _event(
        self,
        action: ScrobbleAction,
        session_key: str,
        binding: SessionBinding,
        offset_ms: int,
        *,
        counted: bool = False,
    ) -> ScrobbleEvent:
        progress = _progress(offset_ms, binding.duration_ms)
        return ScrobbleEvent(
            action=action,
            item=binding.media.item,
            # Plex counted it: a stop at the progress the rules take as watched (the play ended).
            progress=watched_progress(progress) if counted else progress,
            user=binding.user,
            player=binding.player,
            server_id=self._server_id,
            rating_key=binding.rating_key,
            source=EventSource.WEBSOCKET,
            timestamp=self._now(),
            session_key=session_key,
        )

    async def media(self, rating_key: str, *, fresh: bool = False) -> BoundMedia | None:
        """Return the item behind ``rating_key`` (cached, lookups shared); ``None`` on error.

        ``fresh`` asks the server even when the item is cached (its view count may have moved).
        """
        cached = None if fresh else self._media.get(rating_key)
        if cached is not None:
            self._media.move_to_end(rating_key)
            return cached
        try:
            media = await self._shared_media(rating_key)
        except CrosswatchApiError as err:
            _LOGGER.debug("Metadata for %s unavailable: %s", rating_key, err)
            return None
        self._remember(rating_key, media)
        return media

    def _remember(self, rating_key: str, media: BoundMedia) -> None:
        self._media[rating_key] = media
        self._media.move_to_end(rating_key)
        while len(self._media) > MEDIA_CACHE_SIZE:
            self._media.popitem(last=False)

    async def _bind(
        self, note: PlayNotification, previous: SessionBinding | None
    ) -> SessionBinding | None:
        if previous is not None:
            # The session moved on to another item (autoplay): same user and player.
            user, player, duration = previous.user, previous.player, None
        else:
            session = await self._find_session(note.session_key)
            if session is None:
                return None
            user, player, duration = session.user, session.player, session.duration_ms
        # The reading account's own play: its view count now, so a vanished end can be told.
        counts = self._viewer_id is not None and user.id == self._viewer_id
        media = await self.media(note.rating_key, fresh=counts)
        if media is None:
            return None
        binding = SessionBinding(
            rating_key=note.rating_key,
            user=user,
            player=player,
            media=media,
            duration_ms=media.duration_ms or duration,
            views_at_start=media.view_count if counts else None,
        )
        self._bindings[note.session_key] = binding
        while len(self._bindings) > MAX_BINDINGS:
            self._bindings.popitem(last=False)
        return binding

    async def _find_session(self, session_key: str) -> ActiveSession | None:
        try:
            if self._sessions_inflight is None:
                self._sessions_inflight = asyncio.create_task(self._source.active_sessions())
                self._sessions_inflight.add_done_callback(self._sessions_done)
            sessions = await asyncio.shield(self._sessions_inflight)
        except CrosswatchApiError as err:
            _LOGGER.debug("Active sessions unavailable: %s", err)
            return None
        for session in sessions:
            if session.session_key == session_key:
                return session
        _LOGGER.debug("Session %s is not in the active sessions", session_key)
        return None

    def _sessions_done(self, _task: asyncio.Task[Sequence[ActiveSession]]) -> None:
        self._sessions_inflight = None

    async def _shared_media(self, rating_key: str) -> BoundMedia:
        task = self._media_inflight.get(rating_key)
        if task is None:
            task = asyncio.create_task(self._source.media(rating_key))
            self._media_inflight[rating_key] = task
            task.add_done_callback(lambda _t: self._media_inflight.pop(rating_key, None))
        return await asyncio.shield(task)


def _progress(view_offset_ms: int, duration_ms: int | None) -> float:
    if not duration_ms or duration_ms <= 0:
        return 0.0
    return max(0.0, min(100.0, view_offset_ms / duration_ms * 100.0))


class PlexSessionSource:
    """``SessionSource`` over the real ``PlexServerClient`` (owner/admin server token)."""

    def __init__(self, client: PlexServerClient) -> None:
        """Wrap ``client``."""
        self._client = client

    async def active_sessions(self) -> list[ActiveSession]:
        """Return the sessions that name a user, a player and an item."""
        return [
            ActiveSession(
                session_key=s.session_key,
                rating_key=s.rating_key,
                user=PlexUser(id=s.user_id, title=s.user_title or ""),
                player=PlexPlayer(id=s.player_id, title=s.player_title or ""),
                duration_ms=s.duration_ms,
                view_offset_ms=s.view_offset_ms,
            )
            for s in await self._client.sessions()
            if s.rating_key and s.user_id and s.player_id
        ]

    async def media(self, rating_key: str) -> BoundMedia:
        """Return the item (show ids from the grandparent, cached by the client)."""
        entry = await self._client.metadata(rating_key)
        return BoundMedia(
            item=entry.item,
            duration_ms=entry.duration_ms,
            view_offset_ms=entry.view_offset_ms,
            view_count=entry.view_count,
        )
