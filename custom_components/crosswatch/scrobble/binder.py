"""Session binding: give websocket frames the user, player and media they do not carry.

A ``playing`` frame has a session key, a rating key and an offset, nothing else. On a session's
first frame the binder reads ``/status/sessions`` (user, player) and
``/library/metadata/{ratingKey}`` (ids, duration; show ids from the grandparent for episodes)
through a ``SessionSource`` and caches the result per session. ``stopped`` arrives after the
session has left ``/status/sessions``, so it is answered from the cache and ends the binding.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from custom_components.crosswatch.api.errors import CrosswatchApiError

from .events import EventSource, PlexPlayer, PlexUser, ScrobbleAction, ScrobbleEvent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from custom_components.crosswatch.api.models import MediaItem
    from custom_components.crosswatch.api.plex import PlexServerClient

_LOGGER = logging.getLogger(__name__)

MEDIA_CACHE_SIZE = 256
MAX_BINDINGS = 500

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


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundMedia:
    """An item's ids (show ids for episodes) and its duration."""

    item: MediaItem
    duration_ms: int | None


class SessionSource(Protocol):
    """What the binder needs from the Plex server."""

    async def active_sessions(self) -> Sequence[ActiveSession]:
        """Return the sessions currently playing (``/status/sessions``)."""

    async def media(self, rating_key: str) -> BoundMedia:
        """Return the item behind ``rating_key`` with show ids for episodes."""


@dataclass(frozen=True, slots=True)
class SessionBinding:
    """What a session was bound to on its first frame."""

    rating_key: str
    user: PlexUser
    player: PlexPlayer
    media: BoundMedia
    duration_ms: int | None


class SessionBinder:
    """Turns ``PlayNotification``s into ``ScrobbleEvent``s, binding each session once."""

    def __init__(self, source: SessionSource, *, server_id: str, now: Callable[[], float]) -> None:
        """Create for the server ``server_id`` (its machineIdentifier)."""
        self._source = source
        self._server_id = server_id
        self._now = now
        self._bindings: OrderedDict[str, SessionBinding] = OrderedDict()
        self._media: OrderedDict[str, BoundMedia] = OrderedDict()
        self._media_inflight: dict[str, asyncio.Task[BoundMedia]] = {}
        self._sessions_inflight: asyncio.Task[Sequence[ActiveSession]] | None = None

    @property
    def server_id(self) -> str:
        """The server this binder reads from."""
        return self._server_id

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
        """Return the event for a frame, or ``None`` (buffering, unknown session, lookup failed)."""
        action = _STATE_ACTIONS.get(note.state)
        if action is None:
            return None
        binding = self._bindings.get(note.session_key)
        if action is ScrobbleAction.STOP:
            self._bindings.pop(note.session_key, None)
        elif binding is None or binding.rating_key != note.rating_key:
            binding = await self._bind(note, binding)
        if binding is None:
            return None
        return ScrobbleEvent(
            action=action,
            item=binding.media.item,
            progress=_progress(note.view_offset_ms, binding.duration_ms),
            user=binding.user,
            player=binding.player,
            server_id=self._server_id,
            rating_key=binding.rating_key,
            source=EventSource.WEBSOCKET,
            timestamp=self._now(),
            session_key=note.session_key,
        )

    async def media(self, rating_key: str) -> BoundMedia | None:
        """Return the item behind ``rating_key`` (cached, lookups shared); ``None`` on error."""
        cached = self._media.get(rating_key)
        if cached is not None:
            self._media.move_to_end(rating_key)
            return cached
        try:
            media = await self._shared_media(rating_key)
        except CrosswatchApiError as err:
            _LOGGER.debug("Metadata for %s unavailable: %s", rating_key, err)
            return None
        self._media[rating_key] = media
        while len(self._media) > MEDIA_CACHE_SIZE:
            self._media.popitem(last=False)
        return media

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
        media = await self.media(note.rating_key)
        if media is None:
            return None
        binding = SessionBinding(
            rating_key=note.rating_key,
            user=user,
            player=player,
            media=media,
            duration_ms=media.duration_ms or duration,
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
            )
            for s in await self._client.sessions()
            if s.rating_key and s.user_id and s.player_id
        ]

    async def media(self, rating_key: str) -> BoundMedia:
        """Return the item (show ids from the grandparent, cached by the client)."""
        entry = await self._client.metadata(rating_key)
        return BoundMedia(item=entry.item, duration_ms=entry.duration_ms)
