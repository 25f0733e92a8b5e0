"""End to end against the simulator: PMS websocket + webhooks -> pipeline -> Trakt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.crosswatch.providers.plex.binder import (
    VIEW_CHECK_SECONDS,
    PlayNotification,
    PlexSessionSource,
    SessionBinder,
)
from custom_components.crosswatch.providers.plex.client import PlexServerClient
from custom_components.crosswatch.providers.plex.listener import (
    ListenerState,
    PlexNotificationListener,
)
from custom_components.crosswatch.providers.plex.webhook_payload import parse_payload_text
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.providers.trakt.sink import trakt_sink
from custom_components.crosswatch.scrobble.pipeline import (
    NowWatching,
    ScrobblePipeline,
    ScrobbleRoute,
)
from custom_components.crosswatch.scrobble.queue import ScrobbleQueue
from simulator.testing import (
    PLEX_SERVER_TOKEN,
    PMS_MACHINE_ID,
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    TRAKT_USER,
    Simulator,
)

from .helpers import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator.clock import ManualClock

OWNER = "1"  # the owner's PMS-local account id, in sessions and webhooks alike


def trakt_scrobble_plays(sim: Simulator, since: float) -> list[str]:
    """Titles Trakt added to the history through scrobbles after ``since``."""
    user = sim.state.trakt.users[TRAKT_USER]
    return [p.item.title for p in user.history if p.action == "scrobble" and p.watched_at > since]


class Rig:
    """Listener + binder + pipeline + Trakt sink, wired like the HA layer will wire them."""

    def __init__(
        self,
        sim: Simulator,
        clock: ManualClock,
        http: aiohttp.ClientSession,
        view_check_seconds: float = VIEW_CHECK_SECONDS,
    ) -> None:
        self.sim = sim
        self.clock = clock
        self.frames = 0
        self.expected_frames = 0
        self.now_watching: list[tuple[str, NowWatching | None]] = []
        self.plex = PlexServerClient(
            http, base_url=sim.url("pms"), token=PLEX_SERVER_TOKEN, clock=clock
        )

        async def token() -> str:
            return TRAKT_ACCESS_TOKEN

        self.trakt = TraktClient(
            http,
            base_url=sim.url("trakt"),
            client_id=TRAKT_CLIENT_ID,
            access_token=token,
            clock=clock,
        )
        self.sinks = {"trakt-entry": trakt_sink("trakt-entry", self.trakt)}
        self.pipeline = ScrobblePipeline(
            clock=clock,
            routes=[
                ScrobbleRoute(
                    sink_ids=("trakt-entry",), user_ids=frozenset({OWNER}), server_id=PMS_MACHINE_ID
                )
            ],
            sinks=self.sinks,
            queue=ScrobbleQueue(clock=clock),
            binder=SessionBinder(
                PlexSessionSource(self.plex),
                server_id=PMS_MACHINE_ID,
                now=clock.time,
                viewer_id=OWNER,  # the server token is the owner's
                view_check_seconds=view_check_seconds,
            ),
            on_now_watching=lambda user, now: self.now_watching.append((user.id, now)),
        )
        self.states: list[ListenerState] = []
        self.listener = PlexNotificationListener(
            http,
            self.plex.websocket_url(),
            clock=clock,
            on_notification=self._on_frame,
            on_state=self.states.append,
        )

    def _on_frame(self, note: PlayNotification) -> None:
        self.frames += 1
        self.pipeline.handle_notification(note)

    async def control(self, action: str, *args: Any, **kwargs: Any) -> None:
        """Drive the simulator's player; wait until its websocket frame went through."""
        self.expected_frames += 1
        await getattr(self.sim, action)(*args, **kwargs)
        await until(lambda: self.frames >= self.expected_frames)
        await self.pipeline.wait_idle()

    async def scrobbles(self) -> list[tuple[str, float, int]]:
        return [
            (r["path"].rsplit("/", 1)[-1], r["body"]["progress"], r["status"])
            for r in await self.sim.requests("trakt")
            if "/scrobble/" in r["path"]
        ]


@pytest.fixture
async def rig(
    sim: Simulator, sim_clock: ManualClock, request: pytest.FixtureRequest
) -> AsyncIterator[Rig]:
    """The rig, connected; ``indirect`` parametrization gives its view-check timeout."""
    view_check_seconds = getattr(request, "param", VIEW_CHECK_SECONDS)
    async with aiohttp.ClientSession() as http:
        rig = Rig(sim, sim_clock, http, view_check_seconds)
        rig.listener.start()
        await until(lambda: rig.listener.connected)
        yield rig
        await rig.listener.stop()
        await rig.pipeline.close()


async def play_movie_with_a_pause(rig: Rig, rating_key: str) -> None:
    await rig.control("play", rating_key, offset_ms=0)
    await rig.control("seek", 888_000)  # 10 %
    rig.clock.advance(600)
    await rig.control("pause", offset_ms=3_552_000)  # 40 %
    rig.clock.advance(60)
    await rig.control("play", rating_key)  # resume
    rig.clock.advance(3000)
    await rig.control("seek", 8_436_000)  # 95 %
    rig.clock.advance(300)
    await rig.control("stop", offset_ms=8_880_000)


async def test_movie_with_a_pause_scrobbles_each_step_once(sim: Simulator, rig: Rig) -> None:
    rating_key = sim.rating_key("Inception")
    started = rig.clock.time()
    await play_movie_with_a_pause(rig, rating_key)
    assert await rig.scrobbles() == [
        ("start", 10.0, 201),
        ("stop", 40.0, 201),
        ("start", 40.0, 201),
        ("stop", 100.0, 201),
    ]
    assert trakt_scrobble_plays(sim, started) == ["Inception"]  # exactly one play
    states = [(n.title, n.progress, n.paused) if n else None for _, n in rig.now_watching]
    assert states[0] == ("Inception", 0.0, False)
    assert ("Inception", 40.0, True) in states
    assert states[-1] is None
    pms_routes = [r["route"] for r in await sim.requests("pms") if "websockets" not in r["route"]]
    # One /status/sessions and one /library/metadata for the whole playback: then cached.
    assert sorted(pms_routes) == ["GET /library/metadata/{rk}", "GET /status/sessions"]


async def test_episode_scrobbles_by_its_own_ids(sim: Simulator, rig: Rig) -> None:
    episode = sim.item("Breaking Bad", 1, 1)
    rating_key = sim.rating_key(episode)
    await rig.control("play", rating_key, offset_ms=270_000)  # 10 % of 45 min
    requests = [r for r in await sim.requests("trakt") if "/scrobble/" in r["path"]]
    assert len(requests) == 1
    body = requests[0]["body"]
    # Plex's Guid[] gives the episode its own ids; Trakt is told those, not show + S/E.
    assert "show" not in body
    assert body["episode"]["ids"]["tvdb"] == episode.tvdb  # type: ignore[union-attr]
    assert requests[0]["status"] == 201
    assert rig.now_watching[-1][1] is not None
    assert rig.now_watching[-1][1].show_title == "Breaking Bad"


async def test_unrouted_user_is_ignored(sim: Simulator, rig: Rig) -> None:
    rating_key = sim.rating_key("Inception")
    await rig.control("play", rating_key, user="shared", offset_ms=888_000)
    await rig.control("stop", user="shared", offset_ms=8_880_000)
    assert await rig.scrobbles() == []
    assert rig.now_watching == []


async def test_websocket_drop_mid_play_reconnects_and_continues(sim: Simulator, rig: Rig) -> None:
    rating_key = sim.rating_key("Inception")
    await rig.control("play", rating_key, offset_ms=888_000)
    await sim.fault("pms", "GET /:/websockets/notifications", kind="drop", count=1)
    await until(lambda: ListenerState.DISCONNECTED in rig.states)
    await until(lambda: rig.listener.connected)
    assert rig.states.count(ListenerState.CONNECTED) == 2
    rig.clock.advance(600)
    await rig.control("pause", offset_ms=3_552_000)
    await rig.control("stop", offset_ms=8_880_000)
    assert await rig.scrobbles() == [
        ("start", 10.0, 201),
        ("stop", 40.0, 201),
        ("stop", 100.0, 201),
    ]


async def test_trakt_outage_on_the_final_stop_is_queued_and_survives_a_restart(
    sim: Simulator, rig: Rig, sim_clock: ManualClock
) -> None:
    rating_key = sim.rating_key("Inception")
    await rig.control("play", rating_key, offset_ms=888_000)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    await rig.control("stop", offset_ms=8_880_000)
    assert len(rig.pipeline.queue) == 1
    stored = rig.pipeline.queue.to_dicts()  # what the HA Store keeps across the restart
    await sim.clear_faults()
    await sim.clear_requests()
    restarted = ScrobbleQueue(clock=sim_clock)
    assert restarted.load(stored) == 1
    assert not (await restarted.drain(rig.sinks)).delivered  # not due yet
    sim_clock.advance(30)
    result = await restarted.drain(rig.sinks)
    assert len(result.delivered) == 1
    assert await rig.scrobbles() == [("stop", 100.0, 201)]
    assert len(restarted) == 0


async def play_half_then_lose_the_listener(rig: Rig, rating_key: str) -> None:
    """Playing, last frame seen at 50 %, then the websocket drops."""
    await rig.control("play", rating_key, offset_ms=888_000)  # 10 %
    rig.clock.advance(1200)
    await rig.control("seek", 4_440_000)  # 50 %: the last frame seen
    await rig.listener.stop()


async def reconnect_and_sweep(rig: Rig) -> None:
    rig.listener.start()
    await until(lambda: rig.listener.connected)
    rig.clock.advance(120)  # the session stays gone past SESSION_GONE_SECONDS
    await rig.pipeline.sweep_sessions()
    await rig.pipeline.wait_idle()


async def test_a_play_finished_while_disconnected_is_one_watched_stop(
    sim: Simulator, rig: Rig
) -> None:
    started = rig.clock.time()
    await play_half_then_lose_the_listener(rig, sim.rating_key("Inception"))
    rig.clock.advance(2400)
    await sim.seek(8_436_000)  # 95 %: Plex counts the view
    rig.clock.advance(300)
    assert (await sim.stop(offset_ms=8_880_000))["watched"]
    await reconnect_and_sweep(rig)
    # The last frame said 50 %; Plex's view count says the film was watched.
    assert await rig.scrobbles() == [("start", 10.0, 201), ("stop", 90.0, 201)]
    assert trakt_scrobble_plays(sim, started) == ["Inception"]
    assert rig.now_watching[-1] == (OWNER, None)
    await reconnect_and_sweep(rig)  # a later sweep finds nothing more to stop
    assert len(await rig.scrobbles()) == 2


async def test_a_play_stopped_short_while_disconnected_stays_a_pause(
    sim: Simulator, rig: Rig
) -> None:
    rating_key = sim.rating_key("Inception")
    # Watched to the end first (the count rises then), so the metadata cache holds a count
    # that is one short when the second play binds: the binding must read it fresh.
    await play_movie_with_a_pause(rig, rating_key)
    await sim.clear_requests()
    rig.clock.advance(3600)
    await play_half_then_lose_the_listener(rig, rating_key)
    rig.clock.advance(600)
    await sim.seek(5_328_000)  # 60 %
    # Stopped short: Plex keeps the resume point and moves lastViewedAt, not the view count.
    assert not (await sim.stop(offset_ms=5_328_000))["watched"]
    await reconnect_and_sweep(rig)
    assert await rig.scrobbles() == [("start", 10.0, 201), ("stop", 50.0, 201)]
    routes = [r["route"] for r in await sim.requests("pms") if "websockets" not in r["route"]]
    # Read at the bind and once more when the session vanished.
    assert routes.count("GET /library/metadata/{rk}") == 2


@pytest.mark.parametrize(
    ("fault", "rig"),
    [({"status": 500}, VIEW_CHECK_SECONDS), ({"kind": "timeout"}, 0.2)],
    indirect=["rig"],
)
async def test_no_view_count_at_the_sweep_stops_at_the_last_offset(
    sim: Simulator, rig: Rig, fault: dict[str, Any]
) -> None:
    await play_half_then_lose_the_listener(rig, sim.rating_key("Inception"))
    await sim.seek(8_436_000)
    await sim.stop(offset_ms=8_880_000)
    await sim.fault("pms", "GET /library/metadata/*", **fault)
    await reconnect_and_sweep(rig)
    # As before the check: the play is not made up, the pause at the last frame goes out.
    assert await rig.scrobbles() == [("start", 10.0, 201), ("stop", 50.0, 201)]
    assert rig.now_watching[-1] == (OWNER, None)


@pytest.fixture
async def webhook_receiver(rig: Rig, sim: Simulator) -> AsyncIterator[list[str]]:
    """A Plex webhook endpoint feeding the pipeline, as the HA webhook view will."""
    events: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        form = await request.post()
        payload = parse_payload_text(str(form.get("payload", "")))
        assert payload is not None
        events.append(str(payload.get("event")))
        await rig.pipeline.handle_webhook(payload)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    await sim.register_webhook(f"http://127.0.0.1:{port}/hook")
    yield events
    await runner.cleanup()


async def test_listener_and_webhook_both_on_scrobble_once(
    sim: Simulator, rig: Rig, webhook_receiver: list[str]
) -> None:
    started = rig.clock.time()
    await play_movie_with_a_pause(rig, sim.rating_key("Inception"))
    assert webhook_receiver == [
        "media.play",
        "media.pause",
        "media.resume",
        "media.scrobble",
        "media.stop",
    ]
    scrobbles = await rig.scrobbles()
    assert [(a, p) for a, p, _ in scrobbles[:3]] == [
        ("start", 10.0),
        ("stop", 40.0),
        ("start", 40.0),
    ]
    assert len(scrobbles) == 4
    final = scrobbles[3]
    assert final[0] == "stop"
    assert final[1] >= 80
    assert final[2] == 201
    assert trakt_scrobble_plays(sim, started) == ["Inception"]


async def test_a_watched_stop_from_the_webhook_is_not_doubled_by_the_sweep(
    sim: Simulator, rig: Rig, webhook_receiver: list[str]
) -> None:
    started = rig.clock.time()
    await play_half_then_lose_the_listener(rig, sim.rating_key("Inception"))
    await sim.seek(8_436_000)  # media.scrobble reaches the webhook while the websocket is down
    await sim.stop(offset_ms=8_880_000)
    await reconnect_and_sweep(rig)
    assert "media.scrobble" in webhook_receiver
    assert await rig.scrobbles() == [("start", 10.0, 201), ("stop", 95.0, 201)]
    assert trakt_scrobble_plays(sim, started) == ["Inception"]
