"""The PMS websocket listener against a real aiohttp websocket server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.crosswatch.providers.plex.binder import PlayNotification
from custom_components.crosswatch.providers.plex.listener import (
    HEALTHY_SECONDS,
    ListenerState,
    PlexNotificationListener,
    backoff_delay,
    parse_frame,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

from .helpers import until

TOKEN = "server-token-ABC123-secret"


def playing(session_key: str = "628", offset: int = 788796, state: str = "playing") -> str:
    return json.dumps(
        {
            "NotificationContainer": {
                "type": "playing",
                "size": 1,
                "PlaySessionStateNotification": [
                    {
                        "sessionKey": session_key,
                        "clientIdentifier": "980878c6a5f14965-com-plexapp-android",
                        "guid": "",
                        "ratingKey": "46642",
                        "url": "",
                        "key": "/library/metadata/46642",
                        "viewOffset": offset,
                        "playQueueItemID": 4821,
                        "state": state,
                        "transcodeSession": "4avh8p7h64n4e9a16xsqvr9e",
                    }
                ],
            }
        }
    )


class FakePms:
    """A PMS notifications endpoint: accepts sockets, lets the test push frames or drop them."""

    def __init__(self) -> None:
        self.sockets: list[web.WebSocketResponse] = []
        self.connected = asyncio.Event()
        self.tokens: list[str | None] = []
        self.refuse_with: int | None = None
        self.autoping = True
        self.close_at_once = False  # accept, then close: a restarting PMS or a proxy killing it
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handler(self, request: web.Request) -> web.StreamResponse:
        self.tokens.append(request.query.get("X-Plex-Token"))
        if self.refuse_with is not None:
            return web.Response(status=self.refuse_with, text="Unauthorized")
        ws = web.WebSocketResponse(autoping=self.autoping)
        await ws.prepare(request)
        self.sockets.append(ws)
        if self.close_at_once:
            await ws.close()
            return ws
        self.connected.set()
        async for _message in ws:
            pass
        return ws

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/:/websockets/notifications", self.handler)
        self.runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", port)
        await site.start()
        self.port = self.runner.addresses[0][1]

    async def stop(self) -> None:
        for ws in self.sockets:
            await ws.close()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/:/websockets/notifications?X-Plex-Token={TOKEN}"

    async def push(self, text: str) -> None:
        await self.sockets[-1].send_str(text)

    async def wait_connection(self, count: int) -> None:
        """Wait until ``count`` sockets were accepted and one of them is open."""
        await until(
            lambda: len(self.sockets) >= count and any(not ws.closed for ws in self.sockets)
        )


class RecordingClock:
    """Real time, but backoff sleeps are recorded and shortened so tests stay fast."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self.skipped = 0.0  # time the test moved on without waiting

    def time(self) -> float:
        return asyncio.get_running_loop().time() + self.skipped

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0.01)


@pytest.fixture
async def pms(socket_enabled: None) -> AsyncIterator[FakePms]:
    server = FakePms()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


class Harness:
    def __init__(self, session: aiohttp.ClientSession, url: str, **kwargs: Any) -> None:
        self.notes: asyncio.Queue[PlayNotification] = asyncio.Queue()
        self.states: list[ListenerState] = []
        self.clock = RecordingClock()
        self.listener = PlexNotificationListener(
            session,
            url,
            clock=self.clock,
            on_notification=self.notes.put_nowait,
            on_state=self.states.append,
            jitter=lambda: 1.0,
            **kwargs,
        )

    async def next_note(self) -> PlayNotification:
        async with asyncio.timeout(5):
            return await self.notes.get()

    async def wait_state(self, state: ListenerState) -> None:
        await until(lambda: self.listener.state is state)


async def test_receives_playing_frames_and_reports_state(
    pms: FakePms, http: aiohttp.ClientSession
) -> None:
    harness = Harness(http, pms.url)
    harness.listener.start()
    harness.listener.start()  # idempotent
    await harness.wait_state(ListenerState.CONNECTED)
    assert harness.listener.connected
    assert pms.tokens == [TOKEN]
    await pms.push(json.dumps({"NotificationContainer": {"type": "timeline", "size": 0}}))
    await pms.push("not json at all")
    await pms.push(playing(offset=1000))
    note = await harness.next_note()
    assert note == PlayNotification(
        session_key="628",
        rating_key="46642",
        state="playing",
        view_offset_ms=1000,
        client_identifier="980878c6a5f14965-com-plexapp-android",
    )
    assert harness.notes.empty()  # the timeline and junk frames produced nothing
    await harness.listener.stop()
    assert harness.states == [
        ListenerState.CONNECTING,
        ListenerState.CONNECTED,
        ListenerState.STOPPED,
    ]
    assert not harness.listener.connected


async def test_drop_mid_play_reconnects_with_backoff_and_continues(
    pms: FakePms, http: aiohttp.ClientSession
) -> None:
    harness = Harness(http, pms.url)
    harness.listener.start()
    await harness.wait_state(ListenerState.CONNECTED)
    await pms.push(playing(offset=1000))
    assert (await harness.next_note()).view_offset_ms == 1000
    await pms.sockets[-1].close()  # the PMS restarts mid-play
    await pms.wait_connection(2)
    await harness.wait_state(ListenerState.CONNECTED)
    assert ListenerState.DISCONNECTED in harness.states
    assert harness.clock.sleeps == [1.0]
    await pms.push(playing(offset=2000, state="paused"))
    note = await harness.next_note()
    assert (note.state, note.view_offset_ms) == ("paused", 2000)
    assert harness.listener.failures == 0  # reset once connected again
    await harness.listener.stop()


async def flapping_then_held(pms: FakePms, http: aiohttp.ClientSession, flaps: int) -> Harness:
    """A listener that met ``flaps`` connections closed at once, now on one the server holds."""
    pms.close_at_once = True
    harness = Harness(http, pms.url)
    harness.listener.start()
    await until(lambda: len(harness.clock.sleeps) >= flaps)
    pms.close_at_once = False
    await harness.wait_state(ListenerState.CONNECTED)
    await until(lambda: not pms.sockets[-1].closed)
    return harness


async def closed_by_server(pms: FakePms, harness: Harness) -> float:
    """Close the open connection from the server side; the backoff the listener then sleeps."""
    before = len(harness.clock.sleeps)
    await pms.sockets[-1].close()
    await until(lambda: len(harness.clock.sleeps) > before)
    return harness.clock.sleeps[before]


async def test_a_server_that_accepts_and_closes_at_once_is_retried_ever_more_slowly(
    pms: FakePms, http: aiohttp.ClientSession
) -> None:
    harness = await flapping_then_held(pms, http, flaps=6)
    # Every handshake succeeded, yet none counted as a good connection: the backoff grew.
    assert harness.states.count(ListenerState.CONNECTED) >= 7
    assert harness.clock.sleeps[:6] == [1, 2, 4, 8, 16, 32]
    assert harness.listener.last_error is None  # the open connection's
    assert harness.listener.failures == len(harness.clock.sleeps)
    # A connection that stayed up long enough is good, even without a frame: back to 1 s.
    harness.clock.skipped += HEALTHY_SECONDS
    assert await closed_by_server(pms, harness) == 1.0
    assert harness.listener.last_error == "closed (code 1000)"
    await harness.listener.stop()


async def test_a_short_connection_that_brought_a_frame_counts_as_good(
    pms: FakePms, http: aiohttp.ClientSession
) -> None:
    harness = await flapping_then_held(pms, http, flaps=3)
    flaps = len(harness.clock.sleeps)
    # Up for a moment and silent: not good, the backoff goes on.
    assert await closed_by_server(pms, harness) == 2.0**flaps
    await pms.wait_connection(flaps + 2)
    await pms.push(playing())
    await harness.next_note()
    assert harness.listener.failures == 0
    assert await closed_by_server(pms, harness) == 1.0
    await harness.listener.stop()


async def test_never_gives_up_and_caps_backoff_at_five_minutes(
    http: aiohttp.ClientSession,
) -> None:
    pms = FakePms()
    await pms.start()
    port = pms.port
    await pms.stop()  # nothing listens on the port now: every attempt is refused
    harness = Harness(http, f"ws://127.0.0.1:{port}/:/websockets/notifications?X-Plex-Token=t")
    harness.listener.start()
    await until(lambda: len(harness.clock.sleeps) >= 12)
    assert harness.clock.sleeps[:11] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert harness.listener.state in (ListenerState.DISCONNECTED, ListenerState.CONNECTING)
    assert harness.listener.last_error == "ClientConnectorError"
    # The PMS comes back on the same port: the listener picks it up by itself.
    await pms.start(port)
    await harness.wait_state(ListenerState.CONNECTED)
    await harness.listener.stop()
    await pms.stop()


async def test_heartbeat_detects_a_silent_server(http: aiohttp.ClientSession) -> None:
    pms = FakePms()
    pms.autoping = False  # a hung PMS: the socket stays open but pings are never answered
    await pms.start()
    harness = Harness(http, pms.url, heartbeat=0.1)
    harness.listener.start()
    await harness.wait_state(ListenerState.CONNECTED)
    await pms.wait_connection(2)  # the heartbeat gave up on the first and reconnected
    assert harness.clock.sleeps[0] == 1.0
    await harness.listener.stop()
    await pms.stop()


async def test_refused_token_is_retried_and_never_logged(
    pms: FakePms, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    pms.refuse_with = 401
    harness = Harness(http, pms.url)
    harness.listener.start()
    await until(lambda: len(pms.tokens) >= 3)
    await harness.listener.stop()
    assert harness.listener.last_error == "WSServerHandshakeError (HTTP 401)"
    assert "reconnecting" in caplog.text
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert ours
    assert not [m for m in ours if TOKEN in m]


async def test_a_failing_callback_does_not_kill_the_listener(
    pms: FakePms, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def explode(note: PlayNotification) -> None:
        seen.append(note.session_key)
        if len(seen) == 1:
            raise RuntimeError("bug downstream")

    listener = PlexNotificationListener(
        http, pms.url, clock=RecordingClock(), on_notification=explode
    )
    listener.start()
    await pms.wait_connection(1)
    await pms.push(playing(session_key="1"))
    await pms.push(playing(session_key="2"))
    await until(lambda: len(seen) >= 2)
    assert listener.connected
    assert "bug downstream" in caplog.text
    await listener.stop()


async def test_host_can_own_the_background_task(pms: FakePms, http: aiohttp.ClientSession) -> None:
    names: list[str] = []

    def create_task(coro: Any, name: str) -> asyncio.Task[None]:
        names.append(name)
        return asyncio.create_task(coro, name=name)

    harness = Harness(http, pms.url)
    harness.listener.start(create_task)
    await harness.wait_state(ListenerState.CONNECTED)
    assert names == ["crosswatch plex notifications"]
    await harness.listener.stop()


def test_backoff_jitter_stays_in_the_upper_half() -> None:
    assert backoff_delay(3, jitter=0.0) == 4.0
    assert backoff_delay(3, jitter=1.0) == 8.0
    assert backoff_delay(100, jitter=0.5) == 225.0
    assert backoff_delay(0, jitter=7.0) == 1.0


def test_parse_frame_accepts_real_shapes_and_int_keys() -> None:
    frame = json.loads(playing())
    entry = frame["NotificationContainer"]["PlaySessionStateNotification"][0]
    entry["sessionKey"] = 628
    entry["viewOffset"] = 5.0
    entry.pop("clientIdentifier")
    notes = parse_frame(json.dumps(frame))
    assert [(n.session_key, n.view_offset_ms, n.client_identifier) for n in notes] == [
        ("628", 5, "")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        '{"NotificationContainer": []}',
        '{"NotificationContainer": {"type": "playing"}}',
        '{"NotificationContainer": {"type": "playing", "PlaySessionStateNotification": {}}}',
        (
            '{"NotificationContainer": {"type": "playing", "PlaySessionStateNotification": '
            '[1, {"sessionKey": true, "ratingKey": "1", "state": "playing"},'
            ' {"sessionKey": "1", "ratingKey": "1", "state": "playing", "viewOffset": -5},'
            ' {"sessionKey": "1", "ratingKey": " ", "state": "playing"},'
            ' {"sessionKey": "1", "ratingKey": "1", "state": 3}]}}'
        ),
    ],
)
def test_parse_frame_ignores_malformed(text: str) -> None:
    assert parse_frame(text) == []


# Control, bidi and JSON-structural characters: what a hostile server could put in a frame.
_hostile_text = st.text(
    alphabet=st.sampled_from('\x00\x1b\n\r\t\x7f\u202e\u2066\u2069\u200f\\"[]{}a'), max_size=12
)
# Nesting from shallow to far past the parser's recursion limit, closed or not.
_deep = st.integers(1, 5000).flatmap(
    lambda n: st.sampled_from(["[" * n, "[" * n + "]" * n, '{"a":' * n + "1" + "}" * n])
)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | _hostile_text,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=12,
)


@st.composite
def _frames(draw: st.DrawFn) -> str:
    entry = json.loads(playing())["NotificationContainer"]["PlaySessionStateNotification"][0]
    for key in draw(st.lists(st.sampled_from(sorted(entry)), max_size=4)):
        entry[key] = draw(_values)
    container = {
        "type": draw(st.sampled_from(["playing", "timeline", 5])),
        "PlaySessionStateNotification": [entry, draw(_values)],
    }
    return json.dumps({"NotificationContainer": container})


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), _hostile_text, _deep, _frames(), _values.map(json.dumps)))
def test_malformed_frames_never_raise(text: str) -> None:
    for note in parse_frame(text):
        assert note.view_offset_ms >= 0
        assert note.session_key
        assert note.rating_key
