"""The pipeline: routing, now-watching, dedupe across sources, delivery and the queue."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import replace
from typing import Any

from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.providers.plex.binder import (
    SESSION_GONE_SECONDS,
    PlayNotification,
    SessionBinder,
)
from custom_components.crosswatch.scrobble.events import (
    PlexUser,
    RatingEvent,
    Scrobble,
    ScrobbleCall,
)
from custom_components.crosswatch.scrobble.pipeline import (
    DeliveryReport,
    NowWatching,
    ScrobblePipeline,
    ScrobbleRoute,
)
from custom_components.crosswatch.scrobble.queue import ScrobbleQueue
from custom_components.crosswatch.scrobble.sinks import (
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from simulator.clock import ManualClock

from .helpers import (
    EPISODE,
    EPISODE_SCROBBLE,
    JDOE,
    MOVIE_PLAY,
    SERVER_ID,
    FakeSource,
    RecordingSink,
    until,
)


class Rig:
    def __init__(
        self,
        routes: list[ScrobbleRoute] | None = None,
        viewer_id: str | None = None,
        **sinks: RecordingSink,
    ) -> None:
        self.clock = ManualClock(start=1000.0)
        self.source = FakeSource()
        self.sinks = sinks or {"trakt": RecordingSink("trakt")}
        self.now_watching: list[tuple[str, NowWatching | None]] = []
        self.reports: list[DeliveryReport] = []
        self.ratings: list[tuple[RatingEvent, tuple[str, ...]]] = []
        self.binder = SessionBinder(
            self.source, server_id=SERVER_ID, now=self.clock.time, viewer_id=viewer_id
        )
        self.pipeline = ScrobblePipeline(
            clock=self.clock,
            routes=routes or [ScrobbleRoute(sink_ids=("trakt",), user_ids=frozenset({"1"}))],
            sinks=self.sinks,
            queue=ScrobbleQueue(clock=self.clock),
            binder=self.binder,
            on_now_watching=lambda user, now: self.now_watching.append((user.id, now)),
            on_scrobble=self.reports.append,
            on_rating=lambda rating, sinks: self.ratings.append((rating, sinks)),
        )

    async def frame(self, state: str, offset: int, session: str = "27", rk: str = "12345") -> None:
        self.pipeline.handle_notification(
            PlayNotification(session_key=session, rating_key=rk, state=state, view_offset_ms=offset)
        )
        await self.pipeline.wait_idle()

    def calls(self, sink: str = "trakt") -> list[tuple[ScrobbleCall, float, bool]]:
        return [(s.call, s.progress, s.watched) for s in self.sinks[sink].attempts]


def webhook(base: dict[str, Any], event: str, offset: int) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    payload["event"] = event
    payload["Metadata"]["viewOffset"] = offset
    return payload


async def test_websocket_playback_scrobbles_and_tracks_now_watching() -> None:
    rig = Rig()
    await rig.frame("playing", 0)
    await rig.frame("playing", 888000)
    rig.clock.advance(60)
    await rig.frame("paused", 3552000)
    rig.clock.advance(60)
    await rig.frame("playing", 3552000)
    await rig.frame("stopped", 8880000)
    assert rig.calls() == [
        (ScrobbleCall.START, 10.0, False),
        (ScrobbleCall.STOP, 40.0, False),
        (ScrobbleCall.START, 40.0, False),
        (ScrobbleCall.STOP, 100.0, True),
    ]
    assert [r.delivered for r in rig.reports] == [("trakt",)] * 4
    states = [(n.progress, n.paused) if n else None for _, n in rig.now_watching]
    assert states == [(0.0, False), (10.0, False), (40.0, True), (40.0, False), None]
    first = rig.now_watching[0][1]
    assert first is not None
    assert (first.title, first.kind, first.player.title) == (
        "Inception",
        MediaKind.MOVIE,
        "SHIELD Android TV",
    )
    assert rig.pipeline.now_watching == {}


async def test_unrouted_user_and_other_server_are_ignored() -> None:
    rig = Rig([ScrobbleRoute(sink_ids=("trakt",), user_ids=frozenset({"1"}), server_id="other")])
    await rig.frame("playing", 888000)
    assert rig.calls() == []
    assert rig.now_watching == []
    rig.pipeline.update(
        routes=[ScrobbleRoute(sink_ids=("trakt",), user_ids=frozenset({"1"}))], sinks=rig.sinks
    )
    await rig.frame("playing", 1440000, session="28", rk="40294")  # user 2: not routed
    assert rig.calls() == []
    assert rig.pipeline.sink_ids_for(SERVER_ID, "2") == ()
    assert await rig.pipeline.handle_webhook({**MOVIE_PLAY, "Account": {"id": 5}}) is None
    assert rig.calls() == []


async def test_listener_and_webhook_together_scrobble_once() -> None:
    rig = Rig()
    await rig.frame("playing", 888000)
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.play", 888000))
    rig.clock.advance(30)
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.pause", 3552000))
    await rig.frame("paused", 3552000)
    rig.clock.advance(30)
    await rig.frame("playing", 3552000)
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.resume", 3552000))
    rig.clock.advance(3000)
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.scrobble", 7992000))
    await rig.frame("playing", 8000000)
    await rig.frame("stopped", 8880000)
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.stop", 8880000))
    assert rig.calls() == [
        (ScrobbleCall.START, 10.0, False),
        (ScrobbleCall.STOP, 40.0, False),
        (ScrobbleCall.START, 40.0, False),
        (ScrobbleCall.STOP, 90.0, True),
    ]


async def test_webhook_episode_gets_show_ids_from_the_server() -> None:
    rig = Rig()
    event = await rig.pipeline.handle_webhook(webhook(EPISODE_SCROBBLE, "media.stop", 2600000))
    assert event is not None
    assert event.item == EPISODE
    assert rig.sinks["trakt"].attempts[0].item.show_ids == EPISODE.show_ids
    # Unknown item on the server: the webhook's own ids are kept.
    payload = webhook(EPISODE_SCROBBLE, "media.stop", 2600000)
    payload["Metadata"]["ratingKey"] = "404"
    kept = await rig.pipeline.handle_webhook(payload)
    assert kept is not None
    assert kept.item.ids["tvdb"] == "4639411"
    # A webhook from another server of the same account is not looked up on ours.
    payload["Server"]["uuid"] = "another-server"
    rig.pipeline.update(routes=[ScrobbleRoute(sink_ids=("trakt",))], sinks=rig.sinks)
    calls = len(rig.source.media_calls)
    assert await rig.pipeline.handle_webhook(payload) is not None
    assert len(rig.source.media_calls) == calls


async def test_transient_failure_is_queued_and_delivered_later() -> None:
    trakt = RecordingSink("trakt", [None, RetryableDeliveryError("trakt 503")])
    rig = Rig(trakt=trakt)
    await rig.frame("playing", 888000)
    await rig.frame("stopped", 8880000)
    assert rig.reports[-1].queued == ("trakt",)
    assert len(rig.pipeline.queue) == 1
    rig.clock.advance(30)
    result = await rig.pipeline.drain_queue()
    assert [e.scrobble.watched for e in result.delivered] == [True]
    assert rig.calls()[-1] == (ScrobbleCall.STOP, 100.0, True)
    assert len(rig.pipeline.queue) == 0


async def test_rejections_and_missing_sinks_are_reported_not_queued() -> None:
    trakt = RecordingSink("trakt", [PermanentDeliveryError("not found")])
    rig = Rig([ScrobbleRoute(sink_ids=("trakt", "gone"))], trakt=trakt)
    await rig.frame("playing", 888000)
    assert rig.reports[-1].rejected == ("trakt", "gone")
    assert len(rig.pipeline.queue) == 0


async def test_several_routes_fan_out_once_per_sink() -> None:
    rig = Rig(
        [ScrobbleRoute(sink_ids=("trakt", "simkl")), ScrobbleRoute(sink_ids=("trakt",))],
        trakt=RecordingSink("trakt"),
        simkl=RecordingSink("simkl"),
    )
    await rig.frame("playing", 888000)
    assert rig.reports[-1].delivered == ("trakt", "simkl")
    assert len(rig.calls("trakt")) == len(rig.calls("simkl")) == 1


async def test_ratings_go_to_routed_sinks_only() -> None:
    rig = Rig()
    rate = webhook(MOVIE_PLAY, "media.rate", 0)
    rate["Metadata"]["userRating"] = 9
    assert await rig.pipeline.handle_webhook(rate) is None
    assert [(r.rating, s) for r, s in rig.ratings] == [(9, ("trakt",))]
    rate["Account"]["id"] = 7
    await rig.pipeline.handle_webhook(rate)
    assert len(rig.ratings) == 1


async def test_late_stop_of_another_item_keeps_now_watching() -> None:
    rig = Rig()
    await rig.frame("playing", 888000)
    await rig.pipeline.handle_webhook(webhook(EPISODE_SCROBBLE, "media.stop", 100))
    assert rig.pipeline.now_watching["1"].title == "Inception"


async def test_frames_of_one_session_keep_their_order() -> None:
    rig = Rig()
    rig.source.gate = asyncio.Event()
    for state, offset in (("playing", 888000), ("paused", 1776000), ("stopped", 1776000)):
        rig.pipeline.handle_notification(
            PlayNotification(
                session_key="27", rating_key="12345", state=state, view_offset_ms=offset
            )
        )
    await asyncio.sleep(0)
    rig.source.gate.set()
    await rig.pipeline.wait_idle()
    assert rig.calls() == [(ScrobbleCall.START, 10.0, False), (ScrobbleCall.STOP, 20.0, False)]


class GatedSink(RecordingSink):
    """Records each delivery as it begins, then holds it until ``gate`` opens."""

    def __init__(self, sink_id: str) -> None:
        super().__init__(sink_id)
        self.gate = asyncio.Event()
        self.gate.set()

    async def deliver(self, scrobble: Scrobble) -> None:
        await super().deliver(scrobble)
        await self.gate.wait()


async def test_a_vanished_sessions_stop_goes_out_before_its_next_frame() -> None:
    """The sweep's stop and a frame of the same session never go to a service side by side."""
    sink = GatedSink("trakt")
    rig = Rig(trakt=sink)
    await rig.frame("playing", 888000)
    listed = rig.source.sessions
    rig.source.sessions = [s for s in listed if s.session_key != "27"]
    rig.clock.advance(SESSION_GONE_SECONDS)
    sink.gate.clear()
    sweep = asyncio.create_task(rig.pipeline.sweep_sessions())
    await until(lambda: len(sink.attempts) == 2)  # the stop is on its way
    rig.source.sessions = listed  # the client is back on the same session
    rig.pipeline.handle_notification(
        PlayNotification(
            session_key="27", rating_key="12345", state="playing", view_offset_ms=1776000
        )
    )
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(sink.attempts) == 2  # the new start waits for the stop to finish
    sink.gate.set()
    await sweep
    await rig.pipeline.wait_idle()
    assert rig.calls() == [
        (ScrobbleCall.START, 10.0, False),
        (ScrobbleCall.STOP, 10.0, False),
        (ScrobbleCall.START, 20.0, False),
    ]


async def test_close_cancels_frames_in_flight() -> None:
    rig = Rig()
    rig.source.gate = asyncio.Event()
    rig.pipeline.handle_notification(
        PlayNotification(
            session_key="27", rating_key="12345", state="playing", view_offset_ms=888000
        )
    )
    await asyncio.sleep(0)
    await rig.pipeline.close()
    await rig.pipeline.wait_idle()
    assert rig.calls() == []


async def test_a_bug_downstream_is_logged_not_raised(caplog: Any) -> None:
    rig = Rig()

    def broken(_report: DeliveryReport) -> None:
        raise RuntimeError("entity update failed")

    rig.pipeline._on_scrobble = broken
    await rig.frame("playing", 888000)
    assert "entity update failed" in caplog.text
    await rig.frame("stopped", 8880000)
    assert len(rig.calls()) == 2


async def test_without_a_binder_frames_are_dropped() -> None:
    clock = ManualClock()
    sink = RecordingSink("trakt")
    pipeline = ScrobblePipeline(
        clock=clock,
        routes=[ScrobbleRoute(sink_ids=("trakt",))],
        sinks={"trakt": sink},
        queue=ScrobbleQueue(clock=clock),
    )
    pipeline.handle_notification(
        PlayNotification(session_key="1", rating_key="1", state="playing", view_offset_ms=1)
    )
    await pipeline.wait_idle()
    event = await pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.play", 1776000))
    assert event is not None
    assert [s.progress for s in sink.attempts] == [20.0]
    assert pipeline.now_watching["1"].user == PlexUser(id="1", title="jdoe")
    assert JDOE.id == "1"


async def test_a_late_media_scrobble_after_the_sweeps_watched_stop_adds_nothing() -> None:
    """The sweep's stop of a play Plex counted and the webhook's media.scrobble: one play."""
    rig = Rig(viewer_id="1")  # the server token is jdoe's
    await rig.frame("playing", 888000)
    await rig.frame("playing", 4440000)
    movie = rig.source.catalogue["12345"]
    rig.source.catalogue["12345"] = replace(movie, view_count=movie.view_count + 1)
    rig.source.sessions = rig.source.sessions[1:]
    rig.clock.advance(SESSION_GONE_SECONDS)
    await rig.pipeline.sweep_sessions()
    assert rig.calls() == [(ScrobbleCall.START, 10.0, False), (ScrobbleCall.STOP, 90.0, True)]
    assert rig.pipeline.now_watching == {}
    rig.clock.advance(5)
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.scrobble", 7992000))
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.stop", 8880000))
    assert len(rig.calls()) == 2
    rig.clock.advance(3600)  # long after the dedupe window: the playback's state still holds
    await rig.pipeline.handle_webhook(webhook(MOVIE_PLAY, "media.scrobble", 7992000))
    assert len(rig.calls()) == 2
