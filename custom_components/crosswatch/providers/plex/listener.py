"""The PMS notification websocket: ``/:/websockets/notifications``.

One long-lived connection on the injected aiohttp session, with heartbeat. When it drops, it
reconnects with exponential backoff (full jitter in the upper half) capped at 5 minutes and never
gives up while running: a sleeping PMS only slows the retries down. A connection counts as good,
and the backoff starts over, only once it brought a frame or stayed up ``HEALTHY_SECONDS``: a
server (or proxy) that accepts and closes at once is retried ever more slowly, not every second
(each reconnect also re-reads the server's sessions). Connection state changes are reported
through a callback. Only ``playing`` notifications are parsed; everything else is
ignored. The token travels in the URL, so URLs and raw exception texts are never logged.

The listener cannot die silently: a frame that is too large or too deep is ignored, any error
while handling a frame is logged (once; repeats at debug) and the next frame is read, and an
error that ends a connection is a lost connection like any other, retried with backoff. Should
the task end anyway, the state says so (``stopped``) and the next ``start`` runs it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import aiohttp
from yarl import URL

from ...scrobble.events import plex_text
from ...scrobble.untrusted import UntrustedJsonError, loads_bounded
from .binder import PlayNotification

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from ...api.clock import Clock

_LOGGER = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0
# Up this long (two heartbeats answered), a connection without any frame still counts as good.
HEALTHY_SECONDS = 30.0


class ListenerState(StrEnum):
    """Connection state, as the listener-connected binary sensor shows it."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    STOPPED = "stopped"


def backoff_delay(
    attempt: int,
    *,
    base: float = BACKOFF_BASE_SECONDS,
    cap: float = BACKOFF_CAP_SECONDS,
    jitter: float = 0.5,
) -> float:
    """Delay before reconnect ``attempt`` (0-based): ``min(cap, base*2^n)`` scaled by jitter.

    ``jitter`` in [0, 1] picks a point in the upper half of the window, so a fleet of listeners
    restarted together does not reconnect in lockstep, yet never waits less than half.
    """
    ceiling = min(cap, base * 2.0 ** min(attempt, 32))
    return ceiling * (0.5 + 0.5 * min(1.0, max(0.0, jitter)))


def parse_frame(text: str) -> list[PlayNotification]:
    """Return the ``playing`` notifications in a frame; anything malformed yields nothing.

    A frame larger or deeper than any Plex sends is malformed too (``loads_bounded``).
    """
    try:
        data = loads_bounded(text)
    except UntrustedJsonError:
        return []
    container = data.get("NotificationContainer") if isinstance(data, dict) else None
    if not isinstance(container, dict) or container.get("type") != "playing":
        return []
    entries = container.get("PlaySessionStateNotification")
    if not isinstance(entries, list):
        return []
    return [note for entry in entries if (note := _notification(entry)) is not None]


def _notification(entry: object) -> PlayNotification | None:
    if not isinstance(entry, dict):
        return None
    session_key = plex_text(entry.get("sessionKey"))
    rating_key = plex_text(entry.get("ratingKey"))
    state = entry.get("state")
    offset = entry.get("viewOffset", 0)
    if isinstance(offset, float) and offset.is_integer():
        offset = int(offset)
    if (
        session_key is None
        or rating_key is None
        or not isinstance(state, str)
        or isinstance(offset, bool)
        or not isinstance(offset, int)
        or offset < 0
    ):
        return None
    client = entry.get("clientIdentifier")
    return PlayNotification(
        session_key=session_key,
        rating_key=rating_key,
        state=state,
        view_offset_ms=offset,
        client_identifier=client if isinstance(client, str) else "",
    )


def _describe(err: BaseException) -> str:
    """Describe an error for logs: the type and HTTP status, never the URL (it holds the token)."""
    status = getattr(err, "status", None)
    return f"{type(err).__name__} (HTTP {status})" if status else type(err).__name__


class PlexNotificationListener:
    """Keeps the PMS websocket open and hands ``playing`` notifications to a callback."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        url: str,
        *,
        clock: Clock,
        on_notification: Callable[[PlayNotification], None],
        on_state: Callable[[ListenerState], None] | None = None,
        heartbeat: float = HEARTBEAT_SECONDS,
        backoff_base: float = BACKOFF_BASE_SECONDS,
        backoff_cap: float = BACKOFF_CAP_SECONDS,
        healthy_after: float = HEALTHY_SECONDS,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """Create for the notifications ``url`` (``PlexServerClient.websocket_url()``).

        The URL carries the server token: it is used to connect and never logged.
        """
        self._session = session
        self._url = URL(url)
        self._clock = clock
        self._on_notification = on_notification
        self._on_state = on_state
        self._heartbeat = heartbeat
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._healthy_after = healthy_after
        self._jitter = jitter
        self._state = ListenerState.STOPPED
        self._task: asyncio.Task[None] | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.failures = 0
        self.last_error: str | None = None
        # Unexpected errors are logged with their traceback once; repeats go to debug.
        self._logged_unexpected = False

    @property
    def state(self) -> ListenerState:
        """The current connection state."""
        return self._state

    @property
    def connected(self) -> bool:
        """Whether the websocket is open."""
        return self._state is ListenerState.CONNECTED

    def start(
        self,
        create_task: Callable[[Coroutine[Any, Any, None], str], asyncio.Task[None]] | None = None,
    ) -> None:
        """Start connecting in the background (no-op when already running).

        ``create_task`` lets the host own the task (HA: the entry's background task).
        """
        if self._task is not None and not self._task.done():
            return
        name = "crosswatch plex notifications"
        if create_task is None:
            self._task = asyncio.create_task(self._run(), name=name)
        else:
            self._task = create_task(self._run(), name)
        self._task.add_done_callback(self._ended)

    @property
    def running(self) -> bool:
        """Whether the background task is alive."""
        return self._task is not None and not self._task.done()

    def _ended(self, task: asyncio.Task[None]) -> None:
        """The task is over (stopped, cancelled, or ended by something unforeseen)."""
        if task is self._task and not task.cancelled() and task.exception() is not None:
            self._unexpected(
                "The Plex notification listener ended", task.exception(), traceback=False
            )
        self._set_state(ListenerState.STOPPED)

    async def stop(self) -> None:
        """Close the websocket and end the background task."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        self._set_state(ListenerState.STOPPED)

    async def _run(self) -> None:
        while True:
            self._set_state(ListenerState.CONNECTING)
            try:
                await self._connect_and_read()
            except (aiohttp.ClientError, TimeoutError, OSError) as err:
                self.last_error = _describe(err)
            except Exception as err:  # noqa: BLE001 - the one boundary: the listener goes on
                self.last_error = _describe(err)
                # No traceback: the connection's errors may carry its URL, and so the token.
                self._unexpected(
                    "The Plex notification listener failed; reconnecting", err, traceback=False
                )
            self._set_state(ListenerState.DISCONNECTED)
            delay = backoff_delay(
                self.failures,
                base=self._backoff_base,
                cap=self._backoff_cap,
                jitter=self._jitter(),
            )
            self.failures += 1
            _LOGGER.debug(
                "Plex notifications at %s lost (%s); reconnecting in %.1fs (attempt %d)",
                self._url.host,
                self.last_error,
                delay,
                self.failures,
            )
            await self._clock.sleep(delay)

    async def _connect_and_read(self) -> None:
        ws = await self._session.ws_connect(self._url, heartbeat=self._heartbeat)
        self._ws = ws
        opened = self._clock.time()
        try:
            self.last_error = None
            self._set_state(ListenerState.CONNECTED)
            async for message in ws:
                if message.type is aiohttp.WSMsgType.TEXT:
                    self.failures = 0  # the server speaks: a good connection
                    self._dispatch(message.data)
                elif message.type is aiohttp.WSMsgType.ERROR:
                    break
            self.last_error = f"closed (code {ws.close_code})"
        finally:
            self._ws = None
            # The handshake alone proves nothing (a restarting PMS or a proxy may close at once).
            if self._clock.time() - opened >= self._healthy_after:
                self.failures = 0
            await ws.close()

    def _dispatch(self, text: str) -> None:
        """Handle one frame; nothing in it may end the listener."""
        try:
            for note in parse_frame(text):
                self._on_notification(note)
        except Exception as err:  # noqa: BLE001 - the one boundary: the next frame is read
            self._unexpected("A Plex notification could not be handled", err)

    def _unexpected(
        self,
        what: str,
        err: BaseException | None,
        *,
        traceback: bool = True,
    ) -> None:
        """Log an unforeseen error once (a frame's with its traceback); repeats at debug."""
        described = _describe(err) if err else "unknown"
        if self._logged_unexpected:
            _LOGGER.debug("%s: %s", what, described)
            return
        self._logged_unexpected = True
        _LOGGER.error("%s: %s", what, described, exc_info=err if traceback else None)

    def _set_state(self, state: ListenerState) -> None:
        if state is self._state:
            return
        self._state = state
        if self._on_state is not None:
            self._on_state(state)
