"""Scrobbling for one Plex account: the scrobble pipeline wired into Home Assistant.

A Plex entry with at least one scrobble route gets a ``PlexScrobbler``: the PMS notification
listener (an entry background task, stopped on unload and on HA stop), the session binder, the
pipeline, and a durable queue kept in a ``Store`` and drained with backoff (after a restart too).
Routes come from the entry's ``scrobble_route`` subentries; their targets are other CrossWatch
entries, resolved to Trakt/SIMKL clients when a scrobble is delivered, so the target account may
load after the Plex account, reload, or be renewing its token: until it is back, scrobbles queue.
Entities and the webhook read the scrobbler; it tells them about changes through listeners.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components.diagnostics import REDACTED
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later, async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from ...api.errors import CrosswatchApiError
from ...api.models import MediaItem, MediaKind, Rating
from ...const import (
    CONF_SERVER_ID,
    DOMAIN,
    ROUTE_ALL_USERS,
    ROUTE_PLEX_USERS,
    ROUTE_TARGETS,
    SIGNAL_SCROBBLE_USER_ADDED,
    SUBENTRY_SCROBBLE_ROUTE,
)
from ...posters import async_poster_url, metadata_client, poster_key
from ...repairs import async_update_listener_issue
from ...scrobble.pipeline import DeliveryReport, NowWatching, ScrobblePipeline, ScrobbleRoute
from ...scrobble.queue import DrainResult, DropReason, ScrobbleQueue
from ...scrobble.sinks import PermanentDeliveryError, RetryableDeliveryError
from ...scrobble.untrusted import loggable
from ..base import BaseAccount, ScrobbleTarget, get_clock, loaded_account
from .account import PlexAccount
from .binder import SESSION_SWEEP_SECONDS, PlayNotification, PlexSessionSource, SessionBinder
from .listener import ListenerState, PlexNotificationListener, backoff_delay
from .webhook import async_setup_webhook, webhook_url

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from homeassistant.config_entries import ConfigEntry

    from ...scrobble.events import PlexUser, RatingEvent, Scrobble
    from ...scrobble.queue import QueuedScrobble

_LOGGER = logging.getLogger(__name__)

EVENT_SCROBBLE: Final = f"{DOMAIN}_scrobble"
STORE_VERSION: Final = 1
STORE_SAVE_DELAY: Final = 1.0
# Never re-run the queue more often than this, whatever the clock says.
MIN_DRAIN_DELAY: Final = 1.0
EVENT_WATCHED: Final = "watched"
# After this many failed connects in a row (about 8 minutes of backoff) a repair issue says so.
LISTENER_DOWN_ATTEMPTS: Final = 10
# The now-watching sensor's state when nothing plays (a plain string dashboards can test).
IDLE: Final = "idle"
MAX_STATE_LENGTH: Final = 255
USERS_LOOKUP_SECONDS: Final = 10.0
# The sessions of /status/sessions bound again after a restart or a lost connection.
REBOUND_STATES: Final = ("playing", "paused")


def scrobble_routes(entry: ConfigEntry) -> list[ScrobbleRoute]:
    """The routes of a Plex entry's ``scrobble_route`` subentries, bound to its server."""
    server_id = entry.data[CONF_SERVER_ID]
    routes: list[ScrobbleRoute] = []
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_SCROBBLE_ROUTE:
            continue
        users = [str(user) for user in subentry.data.get(ROUTE_PLEX_USERS) or ()]
        every_user = bool(subentry.data.get(ROUTE_ALL_USERS)) or not users
        routes.append(
            ScrobbleRoute(
                sink_ids=tuple(str(t) for t in subentry.data.get(ROUTE_TARGETS) or ()),
                user_ids=None if every_user else frozenset(users),
                server_id=server_id,
            )
        )
    return routes


def route_sinks(
    hass: HomeAssistant, routes: list[ScrobbleRoute], known: dict[str, AccountSink]
) -> dict[str, AccountSink]:
    """A sink per target account of ``routes``, keeping the ``known`` ones."""
    return {
        sink_id: known.get(sink_id) or AccountSink(hass, sink_id)
        for route in routes
        for sink_id in route.sink_ids
    }


def event_type(scrobble: Scrobble) -> str:
    """The event entity's type: start, pause, stop, or watched."""
    return EVENT_WATCHED if scrobble.watched else scrobble.action.value


def describe_item(item: MediaItem) -> dict[str, Any]:
    """Media attributes shared by the sensor, the event entity and the bus event."""
    return {
        "media_type": item.kind.value,
        "title": item.title,
        "year": item.year,
        "show": item.show_title,
        "season": item.season,
        "episode": item.number,
        "ids": dict(item.ids),
        "show_ids": dict(item.show_ids),
    }


def display_title(watching: NowWatching) -> str:
    """``Inception`` or ``Breaking Bad S01E01 · Pilot``: what a dashboard shows as the state."""
    title = watching.title or watching.rating_key
    if watching.kind is MediaKind.EPISODE and watching.show_title:
        numbers = f"S{watching.season or 0:02d}E{watching.number or 0:02d}"
        title = f"{watching.show_title} {numbers} · {title}"
    return title[:MAX_STATE_LENGTH]  # HA refuses longer states


def now_watching_attributes(scrobbler: PlexScrobbler, user_id: str) -> dict[str, Any]:
    """The now-watching sensor's attributes; the same keys (``None``) while idle."""
    watching = scrobbler.pipeline.now_watching.get(user_id)
    if watching is None:
        return {
            "user": scrobbler.users.get(user_id, user_id),
            "state": IDLE,
            **dict.fromkeys(("media_type", "title", "show", "season", "episode", "progress")),
            **dict.fromkeys(("player", "ids", "show_ids", "poster_url")),
        }
    return {
        "user": scrobbler.users.get(user_id, user_id),
        "state": "paused" if watching.paused else "playing",
        "media_type": watching.kind.value,
        "title": watching.title,
        "show": watching.show_title,
        "season": watching.season,
        "episode": watching.number,
        # Whole percent: frames come every few seconds, a state write per percent is plenty.
        "progress": round(watching.progress),
        "player": watching.player.title or watching.player.id,
        "ids": dict(watching.ids),
        "show_ids": dict(watching.show_ids),
        "poster_url": scrobbler.posters.get(user_id),
    }


class AccountSink:
    """A scrobble sink for another CrossWatch account, resolved when a scrobble is delivered."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Point at the entry ``entry_id``."""
        self._hass = hass
        self._entry_id = entry_id
        self._built: tuple[object, ScrobbleTarget] | None = None

    @property
    def sink_id(self) -> str:
        """The target entry's id (what the queue stores)."""
        return self._entry_id

    async def deliver(self, scrobble: Scrobble) -> None:
        """Deliver through the target account's client."""
        await self._resolve().sink.deliver(scrobble)

    async def rate(self, rating: RatingEvent) -> None:
        """Set (or clear) a rating on the target account; failures are logged, not raised."""
        try:
            client = self._resolve().ratings
            if rating.rating is None:
                await client.ratings_remove([rating.item])
            else:
                await client.ratings_add([Rating(item=rating.item, rating=rating.rating)])
        except (CrosswatchApiError, RetryableDeliveryError, PermanentDeliveryError) as err:
            _LOGGER.warning(
                "Rating of %s not sent to %s: %s", loggable(rating.item.title), self._entry_id, err
            )

    def _resolve(self) -> ScrobbleTarget:
        entry = self._hass.config_entries.async_get_entry(self._entry_id)
        if entry is None or entry.domain != DOMAIN:
            msg = "the target account was removed"
            raise PermanentDeliveryError(msg)
        account = loaded_account(self._hass, self._entry_id)
        if entry.state is not ConfigEntryState.LOADED or account is None:
            msg = "the target account is not loaded"
            raise RetryableDeliveryError(msg)
        if self._built is not None and self._built[0] is account:
            return self._built[1]
        # The account's own client: its rate limiter paces scrobbles and sync runs together.
        target = account.scrobble_target(self._entry_id)
        if target is None:
            msg = f"{account.service} accounts do not take scrobbles"
            raise PermanentDeliveryError(msg)
        self._built = (account, target)
        return target


class PlexScrobbler(DataUpdateCoordinator[DeliveryReport | None]):
    """Everything scrobbling keeps for one Plex account while its entry is loaded.

    It is the scrobble entities' push coordinator (never polled: ``update_interval`` is
    ``None``). Its data is the last decided scrobble, set with every decision; any other change
    (listener state, now watching, posters, queue) tells the listeners without new data. A user
    seen for the first time is announced with ``SIGNAL_SCROBBLE_USER_ADDED`` (entities get made).
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, account: PlexAccount) -> None:
        """Build the pipeline from the entry's data and routes (nothing runs yet)."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} scrobbler {entry.title}",
            update_interval=None,
        )
        self.entry = entry
        self.clock = get_clock(hass)
        session = async_get_clientsession(hass)
        self.server_id: str = entry.data[CONF_SERVER_ID]
        # The account's server client serves sessions and the websocket.
        self._plex = account.server
        self.routes = scrobble_routes(entry)
        self.sinks = route_sinks(hass, self.routes, {})
        self._store = queue_store(hass, entry.entry_id)
        # Logged once when the live connection is lost and once when it is back, not per retry.
        self._connection_lost = False
        # A webhook since the live connection went down: what entities show is current again.
        self._webhook_since_lost = False
        self.queue = ScrobbleQueue(
            clock=self.clock, on_change=self._queue_changed, on_dropped=self._queue_dropped
        )
        self.pipeline = ScrobblePipeline(
            clock=self.clock,
            routes=self.routes,
            sinks=self.sinks,
            queue=self.queue,
            binder=SessionBinder(
                PlexSessionSource(self._plex),
                server_id=self.server_id,
                now=self.clock.time,
                # The server token's account: its plays' view counts tell a vanished end.
                viewer_id=str(account.server_account_id),
            ),
            on_now_watching=self._now_watching_changed,
            on_scrobble=self._scrobbled,
            on_rating=self._rated,
            on_queued=self._persist_queue,
        )
        self.listener = PlexNotificationListener(
            session,
            self._plex.websocket_url(),
            clock=self.clock,
            on_notification=self.pipeline.handle_notification,
            on_state=self._listener_state_changed,
        )
        self.users: dict[str, str] = {}
        self.posters: dict[str, str | None] = {}
        self.dropped = 0
        self.webhook_id: str | None = None
        self._poster_cache: dict[str, str | None] = {}
        self._poster_wanted: dict[str, str | None] = {}
        self._drain_timer: CALLBACK_TYPE | None = None
        self._draining = False
        self._drain_task: asyncio.Task[None] | None = None
        self._stopped = False
        self._restart_timer: CALLBACK_TYPE | None = None
        self._listener_restarts = 0

    # -- lifecycle --------------------------------------------------------------------------
    async def async_start(self) -> None:
        """Load the queue, learn the routed users' names, connect, and drain what is due."""
        stored = await self._store.async_load()
        if stored and self.queue.load(stored.get("queue")):
            _LOGGER.info("%d undelivered scrobbles waiting from before", len(self.queue))
        await self._learn_users()
        self.listener.start(self._background)
        self.entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._hass_stopping)
        )
        # Clients that never send ``stopped``: their sessions are stopped once gone.
        self.entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._sweep_due, timedelta(seconds=SESSION_SWEEP_SECONDS)
            )
        )
        self._schedule_drain()

    @callback
    def _restart_listener_later(self) -> None:
        """The listener's task ended though we did not stop it: start it again, with backoff."""
        if self._restart_timer is not None:
            return
        delay = backoff_delay(self._listener_restarts)
        self._listener_restarts += 1
        _LOGGER.debug("Restarting the Plex notification listener in %.1fs", delay)

        @callback
        def restart(_now: Any) -> None:
            self._restart_timer = None
            if not self._stopped:
                self.listener.start(self._background)

        self._restart_timer = async_call_later(self.hass, delay, restart)

    async def _rebind_sessions(self) -> None:
        """Feed every play in progress on the server (``/status/sessions``) to the pipeline.

        The sensor then shows it and its stop is delivered, though its first frames were
        missed. A session whose frames already arrived is left to them: this answer may be older
        than those frames (read while they came in), and would repeat or undo their progress.
        """
        try:
            sessions = await self._plex.sessions()
        except CrosswatchApiError as err:
            _LOGGER.debug("Plays in progress unavailable: %s", err)
            return
        for session in sessions:
            if (
                self._stopped
                or session.state not in REBOUND_STATES
                or not session.rating_key
                or self.pipeline.knows_session(session.session_key)
            ):
                continue
            self.pipeline.handle_notification(
                PlayNotification(
                    session_key=session.session_key,
                    rating_key=session.rating_key,
                    state=session.state,
                    view_offset_ms=max(session.view_offset_ms or 0, 0),
                    client_identifier=session.player_id or "",
                )
            )

    @callback
    def _sweep_due(self, _now: Any) -> None:
        if not self._stopped:
            self._background(self.pipeline.sweep_sessions(), "crosswatch plex sessions")

    async def async_update_routes(self) -> None:
        """Follow changed scrobble routes without a reload; newly routed users get entities."""
        self.routes = scrobble_routes(self.entry)
        self.sinks = route_sinks(self.hass, self.routes, self.sinks)
        self.pipeline.update(routes=self.routes, sinks=self.sinks)
        known = dict(self.users)
        await self._learn_users()  # users no route names any more go (and their entities)
        for user_id in self.users.keys() - known.keys():
            self._user_added(user_id)
        self._updated()

    async def async_stop(self) -> None:
        """Close the websocket, cancel work in flight, and persist the queue."""
        if self._stopped:
            return
        self._stopped = True
        if self._drain_timer is not None:
            self._drain_timer()
            self._drain_timer = None
        if self._restart_timer is not None:
            self._restart_timer()
            self._restart_timer = None
        await self.listener.stop()
        await self.pipeline.close()
        await self._store.async_save(self._stored())
        async_update_listener_issue(self.hass, self.entry, down=False, error=None)

    async def _hass_stopping(self, _event: Event) -> None:
        await self.async_stop()

    def _background(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        return self.entry.async_create_background_task(self.hass, coro, name)

    async def _learn_users(self) -> None:
        explicit = {u for route in self.routes if route.user_ids for u in route.user_ids}
        every_user = any(route.user_ids is None for route in self.routes)
        try:
            # A sleeping server must not hold up setup: users seen later get entities then.
            async with asyncio.timeout(USERS_LOOKUP_SECONDS):
                names = {str(i): name for i, name in (await self._plex.accounts()).items()}
        except (CrosswatchApiError, TimeoutError) as err:
            _LOGGER.debug("Plex users unavailable (%s); using their ids as names", err)
            names = {}
        wanted = set(names) | explicit if every_user else explicit
        self.users = {user_id: names.get(user_id, user_id) for user_id in sorted(wanted)}

    # -- what entities hear --------------------------------------------------------------
    @property
    def last_report(self) -> DeliveryReport | None:
        """The last decided scrobble (the coordinator's data)."""
        return self.data

    @callback
    def _updated(self) -> None:
        self.async_update_listeners()

    @callback
    def _user_added(self, user_id: str) -> None:
        async_dispatcher_send(
            self.hass, SIGNAL_SCROBBLE_USER_ADDED.format(self.entry.entry_id), self, user_id
        )

    @property
    def live(self) -> bool:
        """Whether plays reach us: the live connection is up, or a webhook came since it went."""
        return self.listener.connected or self._webhook_since_lost

    def now_watching_title(self, user_id: str) -> str | None:
        """The display title of what ``user_id`` watches, ``None`` when idle."""
        watching = self.pipeline.now_watching.get(user_id)
        return None if watching is None else display_title(watching)

    # -- intake -------------------------------------------------------------------------------
    async def async_handle_webhook(self, payload: dict[str, Any]) -> None:
        """Feed a parsed Plex webhook payload to the pipeline."""
        if self._stopped:
            return
        if not self._webhook_since_lost:
            self._webhook_since_lost = True
            self._updated()
        await self.pipeline.handle_webhook(payload)

    # -- pipeline callbacks ---------------------------------------------------------------
    def _listener_state_changed(self, state: ListenerState) -> None:
        _LOGGER.debug("Plex notifications for %s: %s", self.entry.title, state)
        if state is ListenerState.STOPPED and not self._stopped:
            self._restart_listener_later()
        if state is ListenerState.CONNECTED:
            self._listener_restarts = 0
            # Plays that began while we were away (a restart, a lost connection) get bound now.
            self._background(self._rebind_sessions(), "crosswatch plex sessions")
            if self._connection_lost:
                _LOGGER.info("Live connection to %s is back", self.entry.title)
                self._connection_lost = False
            async_update_listener_issue(self.hass, self.entry, down=False, error=None)
        elif state is ListenerState.DISCONNECTED and not self._connection_lost:
            _LOGGER.info(
                "Lost the live connection to %s (%s); reconnecting",
                self.entry.title,
                self.listener.last_error or "no answer",
            )
            self._connection_lost = True
            self._webhook_since_lost = False
        if (
            state is ListenerState.DISCONNECTED
            and self.listener.failures + 1 >= LISTENER_DOWN_ATTEMPTS
        ):
            async_update_listener_issue(
                self.hass, self.entry, down=True, error=self.listener.last_error
            )
        self._updated()

    def _now_watching_changed(self, user: PlexUser, watching: NowWatching | None) -> None:
        if user.id not in self.users:
            self.users[user.id] = user.title or user.id
            self._user_added(user.id)
        key = None if watching is None else poster_key(watching)
        looked_up = self._poster_wanted.get(user.id) == key
        self._poster_wanted[user.id] = key
        if key is None:
            self.posters[user.id] = None
        elif key in self._poster_cache:
            self.posters[user.id] = self._poster_cache[key]
        elif not looked_up:
            self.posters[user.id] = None  # never show the previous title's poster meanwhile
            self._background(self._look_up_poster(user.id, key), "crosswatch poster")
        self._updated()

    def _scrobbled(self, report: DeliveryReport) -> None:
        self.hass.bus.async_fire(EVENT_SCROBBLE, self.event_data(report))
        self.async_set_updated_data(report)

    def _rated(self, rating: RatingEvent, sink_ids: tuple[str, ...]) -> None:
        for sink_id in sink_ids:  # routed ids: every one has a sink
            self.entry.async_create_task(
                self.hass, self.sinks[sink_id].rate(rating), "crosswatch rating"
            )

    def event_data(self, report: DeliveryReport) -> dict[str, Any]:
        """The ``crosswatch_scrobble`` bus event's data (also the event entity's attributes)."""
        scrobble = report.scrobble
        return {
            "entry_id": self.entry.entry_id,
            "type": event_type(scrobble),
            "action": scrobble.action.value,
            "progress": round(scrobble.progress, 1),
            "watched": scrobble.watched,
            "user_id": scrobble.user.id,
            "user": self.users.get(scrobble.user.id) or scrobble.user.title,
            "player": scrobble.player.title or scrobble.player.id,
            **describe_item(scrobble.item),
            "delivered": list(report.delivered),
            "queued": list(report.queued),
            "rejected": list(report.rejected),
        }

    # -- posters ------------------------------------------------------------------------------
    async def _look_up_poster(self, user_id: str, key: str) -> None:
        url: str | None = None
        client = metadata_client(self.hass)
        if client is not None:
            try:
                url = await async_poster_url(client, key)
            except CrosswatchApiError as err:
                _LOGGER.debug("No TMDb poster for %s: %s", key, err)
            else:
                self._poster_cache[key] = url
        if self._poster_wanted.get(user_id) == key:
            self.posters[user_id] = url
            self._updated()

    # -- the durable queue ----------------------------------------------------------------
    def _stored(self) -> dict[str, Any]:
        return {"queue": self.queue.to_dicts()}

    async def _persist_queue(self) -> None:
        """Write the queue now: a scrobble that just failed is on disk before it is retried."""
        await self._store.async_save(self._stored())

    def _queue_changed(self) -> None:
        self._store.async_delay_save(self._stored, STORE_SAVE_DELAY)
        if not self._draining:
            self._schedule_drain()
        self._updated()

    def _queue_dropped(self, entry: QueuedScrobble, reason: DropReason) -> None:
        if reason is DropReason.SUPERSEDED:
            return  # a later scrobble of the same playback says more: nothing is lost
        self.dropped += 1
        _LOGGER.warning(
            "A %s scrobble for %s was dropped from the queue (%s)",
            entry.scrobble.action,
            entry.sink_id,
            reason,
        )

    def _schedule_drain(self) -> None:
        if self._drain_timer is not None:
            self._drain_timer()
            self._drain_timer = None
        due = self.queue.next_due()
        if due is None or self._stopped:
            return
        delay = max(MIN_DRAIN_DELAY, due - self.clock.time())
        self._drain_timer = async_call_later(self.hass, delay, self._drain_due)

    @callback
    def _drain_due(self, _now: Any) -> None:
        self._drain_timer = None
        self._drain_task = self._background(self._drain(), "crosswatch scrobble queue")

    async def async_drained(self) -> None:
        """Wait for a queue run in progress (if any) to finish."""
        if self._drain_task is not None:
            await asyncio.shield(self._drain_task)

    async def async_retry_now(self) -> DrainResult:
        """Try every queued scrobble now, backoff or not (``crosswatch.retry_scrobbles``).

        Waits for a queue run in progress first: a scrobble is never delivered twice at once.
        """
        while self._drain_task is not None and not self._drain_task.done():
            await asyncio.shield(self._drain_task)
        if self._drain_timer is not None:
            self._drain_timer()
            self._drain_timer = None
        self.queue.make_due()
        self._draining = True
        try:
            result = await self.pipeline.drain_queue()
        finally:
            self._draining = False
        self._schedule_drain()
        return result

    async def _drain(self) -> None:
        self._draining = True
        try:
            result = await self.pipeline.drain_queue()
        finally:
            self._draining = False
        if result.delivered:
            _LOGGER.debug("Delivered %d queued scrobbles", len(result.delivered))
        self._schedule_drain()

    # -- diagnostics --------------------------------------------------------------------------
    def diagnostics(self) -> dict[str, Any]:
        """Listener and queue state, without any secret."""
        return {
            "listener": {
                "state": self.listener.state.value,
                "failures": self.listener.failures,
                "last_error": self.listener.last_error,
            },
            "routes": [
                {
                    "users": None if r.user_ids is None else sorted(r.user_ids),
                    "targets": list(r.sink_ids),
                }
                for r in self.routes
            ],
            "queue_size": len(self.queue),
            "queue_next_due_in": None
            if (due := self.queue.next_due()) is None
            else round(due - self.clock.time(), 1),
            "queue_dropped": self.dropped,
            "now_watching": sorted(self.pipeline.now_watching),
            "webhook_url": None if self.webhook_url is None else REDACTED,
        }

    @property
    def webhook_url(self) -> str | None:
        """Where Plex should post its webhooks."""
        return None if self.webhook_id is None else webhook_url(self.hass, self.webhook_id)


def queue_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Where a Plex account's undelivered scrobbles are kept."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.scrobble_queue.{entry_id}")


async def async_remove_scrobble_queue(hass: HomeAssistant, entry_id: str) -> None:
    """Delete the stored queue of a removed account."""
    await queue_store(hass, entry_id).async_remove()


async def async_setup_scrobbling(
    hass: HomeAssistant, entry: ConfigEntry, account: BaseAccount
) -> PlexScrobbler | None:
    """Start scrobbling for a Plex entry with scrobble routes (``None`` without routes)."""
    # The Plex provider is the one scrobble source: its entries hold a ``PlexAccount``.
    if not isinstance(account, PlexAccount) or not scrobble_routes(entry):
        return None
    scrobbler = PlexScrobbler(hass, entry, account)
    await scrobbler.async_start()
    entry.async_on_unload(scrobbler.async_stop)
    scrobbler.webhook_id = async_setup_webhook(hass, entry, scrobbler.async_handle_webhook)
    return scrobbler
