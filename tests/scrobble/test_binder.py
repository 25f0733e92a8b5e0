"""Session binding: frames get user, player and media from one lookup per session."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from custom_components.crosswatch.providers.plex.binder import (
    SESSION_GONE_SECONDS,
    ActiveSession,
    BoundMedia,
    PlayNotification,
    SessionBinder,
)
from custom_components.crosswatch.scrobble.events import EventSource, ScrobbleAction
from simulator.clock import ManualClock

from .helpers import EPISODE, JDOE, MOVIE, SERVER_ID, SHIELD, FakeSource, until


def note(
    state: str, offset: int, session: str = "27", rating_key: str = "12345"
) -> PlayNotification:
    return PlayNotification(
        session_key=session, rating_key=rating_key, state=state, view_offset_ms=offset
    )


def binder(source: FakeSource) -> SessionBinder:
    return SessionBinder(source, server_id=SERVER_ID, now=lambda: 42.0)


async def test_first_frame_binds_then_cache_serves_until_stopped() -> None:
    source = FakeSource()
    bound = binder(source)
    first = await bound.event_for(note("playing", 888000))
    assert first is not None
    assert first.action is ScrobbleAction.START
    assert first.progress == 10.0
    assert first.user == JDOE
    assert first.player == SHIELD
    assert first.item == MOVIE
    assert (first.server_id, first.rating_key, first.session_key) == (SERVER_ID, "12345", "27")
    assert first.source is EventSource.WEBSOCKET
    assert first.timestamp == 42.0
    paused = await bound.event_for(note("paused", 4440000))
    assert paused is not None
    assert (paused.action, paused.progress) == (ScrobbleAction.PAUSE, 50.0)
    assert await bound.event_for(note("buffering", 4440000)) is None
    source.sessions = []  # the session leaves /status/sessions before "stopped" arrives
    stopped = await bound.event_for(note("stopped", 8880000))
    assert stopped is not None
    assert (stopped.action, stopped.progress, stopped.user) == (ScrobbleAction.STOP, 100.0, JDOE)
    assert (source.session_calls, source.media_calls) == (1, ["12345"])
    assert bound.binding("27") is None
    assert await bound.event_for(note("stopped", 8880000)) is None  # nothing bound any more


async def test_episode_keeps_show_ids_and_numbers() -> None:
    bound = binder(FakeSource())
    event = await bound.event_for(note("playing", 1440000, session="28", rating_key="40294"))
    assert event is not None
    assert event.item.show_ids == EPISODE.show_ids
    assert (event.item.season, event.item.number) == (5, 14)
    assert event.progress == 50.0
    assert event.user.id == "2"


async def test_unknown_session_or_failed_lookups_bind_nothing_and_retry_later() -> None:
    source = FakeSource()
    bound = binder(source)
    assert await bound.event_for(note("playing", 1000, session="99")) is None
    source.fail_sessions = True
    assert await bound.event_for(note("playing", 1000)) is None
    source.fail_sessions = False
    assert await bound.event_for(note("playing", 1000, rating_key="404")) is None
    assert bound.binding("27") is None
    assert await bound.event_for(note("playing", 1000)) is not None
    assert source.session_calls == 4


async def test_missing_duration_falls_back_to_the_session_then_zero() -> None:
    source = FakeSource()
    source.sessions[0] = ActiveSession(
        session_key="27", rating_key="777", user=JDOE, player=SHIELD, duration_ms=1000
    )
    bound = binder(source)
    event = await bound.event_for(note("playing", 500, rating_key="777"))
    assert event is not None
    assert event.progress == 50.0
    source.sessions[0] = ActiveSession(session_key="29", rating_key="777", user=JDOE, player=SHIELD)
    event = await bound.event_for(note("playing", 500, session="29", rating_key="777"))
    assert event is not None
    assert event.progress == 0.0


async def test_autoplay_to_the_next_item_rebinds_media_only() -> None:
    source = FakeSource()
    bound = binder(source)
    await bound.event_for(note("playing", 1000))
    event = await bound.event_for(note("playing", 288000, rating_key="40294"))
    assert event is not None
    assert event.item == EPISODE
    assert event.user == JDOE
    assert event.progress == 10.0
    assert source.session_calls == 1


async def test_concurrent_cold_frames_share_lookups() -> None:
    source = FakeSource()
    source.gate = asyncio.Event()
    bound = binder(source)
    frames = [
        note("playing", 1000),
        note("playing", 2000, session="28", rating_key="40294"),
        note("playing", 1000, session="27"),
    ]
    tasks = [asyncio.create_task(bound.event_for(f)) for f in frames]
    await asyncio.sleep(0)
    source.gate.set()
    events = await asyncio.gather(*tasks)
    assert all(e is not None for e in events)
    assert source.session_calls == 1
    assert sorted(source.media_calls) == ["12345", "40294"]
    assert await bound.media("12345") == source.catalogue["12345"]
    assert sorted(source.media_calls) == ["12345", "40294"]  # served from the cache


def counting_binder(source: FakeSource, clock: ManualClock) -> SessionBinder:
    """A binder reading the server as user 1 (JDOE): its plays' view counts tell a vanished end."""
    return SessionBinder(source, server_id=SERVER_ID, now=clock.time, viewer_id=JDOE.id)


def count_a_view(source: FakeSource, rating_key: str) -> None:
    media = source.catalogue[rating_key]
    source.catalogue[rating_key] = replace(media, view_count=media.view_count + 1)


async def test_a_vanished_play_the_server_counted_stops_as_watched() -> None:
    source, clock = FakeSource(), ManualClock(start=1000.0)
    source.catalogue["12345"] = replace(source.catalogue["12345"], view_count=3)  # seen before
    bound = counting_binder(source, clock)
    await bound.event_for(note("playing", 4440000))  # 50 %
    binding = bound.binding("27")
    assert binding is not None
    assert binding.views_at_start == 3
    count_a_view(source, "12345")
    source.sessions = source.sessions[1:]
    clock.advance(SESSION_GONE_SECONDS)
    (stop,) = await bound.vanished()
    assert (stop.action, stop.progress, stop.watched) == (ScrobbleAction.STOP, 90.0, False)
    assert source.media_calls == ["12345", "12345"]  # at the bind and when it vanished


async def test_another_users_vanished_play_stops_at_its_last_offset_unasked() -> None:
    source, clock = FakeSource(), ManualClock(start=1000.0)
    bound = counting_binder(source, clock)
    await bound.event_for(note("playing", 1440000, session="28", rating_key="40294"))
    binding = bound.binding("28")
    assert binding is not None
    # The server's count is the token account's, not user 2's: nothing to compare with.
    assert binding.views_at_start is None
    count_a_view(source, "40294")  # the owner finished it elsewhere meanwhile
    source.sessions = source.sessions[:1]
    clock.advance(SESSION_GONE_SECONDS)
    (stop,) = await bound.vanished()
    assert (stop.user.id, stop.progress) == ("2", 50.0)
    assert source.media_calls == ["40294"]


class GatedMedia(FakeSource):
    """Holds metadata reads (not session reads) until ``media_gate`` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.media_gate = asyncio.Event()
        self.media_gate.set()

    async def media(self, rating_key: str) -> BoundMedia:
        await self.media_gate.wait()
        return await super().media(rating_key)


async def test_a_frame_during_the_view_check_keeps_the_session() -> None:
    source, clock = GatedMedia(), ManualClock(start=1000.0)
    bound = counting_binder(source, clock)
    await bound.event_for(note("playing", 888000))
    listed = source.sessions
    source.sessions = listed[1:]
    clock.advance(SESSION_GONE_SECONDS)
    source.media_gate.clear()
    sweep = asyncio.create_task(bound.vanished())
    await until(lambda: source.session_calls == 2)
    source.sessions = listed  # the client is back on its session before the read answers
    back = await bound.event_for(note("playing", 1776000))
    assert back is not None
    source.media_gate.set()
    assert await sweep == []
    assert bound.binding("27") is not None
