"""Binder paths the real corpus needs: a webhook's missing progress, odd stops, gone sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.crosswatch.api.errors import NotFoundError, ServiceUnavailableError
from custom_components.crosswatch.providers.plex.binder import (
    ActiveSession,
    BoundMedia,
    PlayNotification,
    SessionBinder,
)

from .helpers import EPISODE, JDOE, MOVIE, SHIELD

if TYPE_CHECKING:
    from collections.abc import Sequence


class Source:
    """A PMS as the binder sees it; ``down`` makes every lookup fail."""

    def __init__(self) -> None:
        self.sessions: list[ActiveSession] = []
        self.media_by_key = {
            "1": BoundMedia(item=MOVIE, duration_ms=1000, view_offset_ms=850),
            "2": BoundMedia(item=EPISODE, duration_ms=1000),
        }
        self.down = False

    async def active_sessions(self) -> Sequence[ActiveSession]:
        if self.down:
            raise ServiceUnavailableError("pms", "GET /status/sessions", "503")
        return self.sessions

    async def media(self, rating_key: str) -> BoundMedia:
        if self.down:
            raise ServiceUnavailableError("pms", "GET /library/metadata/{id}", "503")
        if rating_key not in self.media_by_key:
            raise NotFoundError("pms", "GET /library/metadata/{id}")
        return self.media_by_key[rating_key]


def session(key: str, rating_key: str, offset: int | None = None) -> ActiveSession:
    return ActiveSession(
        session_key=key,
        rating_key=rating_key,
        user=JDOE,
        player=SHIELD,
        duration_ms=1000,
        view_offset_ms=offset,
    )


async def test_live_progress_from_the_session_then_the_resume_point() -> None:
    source = Source()
    binder = SessionBinder(source, server_id="s", now=lambda: 0.0)
    source.sessions = [session("7", "1", offset=100)]
    assert await binder.live_progress("1", SHIELD.id) == 10.0
    assert await binder.live_progress("1", "another-player") == 85.0  # the resume point
    assert await binder.live_progress("2", SHIELD.id) is None  # no offset anywhere: unknown
    source.down = True
    assert await binder.live_progress("1", SHIELD.id) is None


async def test_a_rekeyed_stop_needs_one_playback_of_that_item() -> None:
    source = Source()
    source.sessions = [session("7", "1"), session("8", "1")]
    binder = SessionBinder(source, server_id="s", now=lambda: 0.0)
    for key in ("7", "8"):
        await binder.events_for(
            PlayNotification(session_key=key, rating_key="1", state="playing", view_offset_ms=100)
        )
    stop = PlayNotification(session_key="9", rating_key="1", state="stopped", view_offset_ms=900)
    assert await binder.events_for(stop) == []  # two playbacks of it: which one is unknowable
    other_player = PlayNotification(
        session_key="9",
        rating_key="1",
        state="stopped",
        view_offset_ms=900,
        client_identifier="not-the-shield",
    )
    assert await binder.events_for(other_player) == []
    assert binder.bound_sessions == 2


async def test_vanished_asks_nothing_when_idle_and_waits_out_an_outage() -> None:
    source = Source()
    binder = SessionBinder(source, server_id="s", now=lambda: 1000.0)
    source.down = True
    assert await binder.vanished() == []  # nothing bound: not even a request
    source.down = False
    source.sessions = [session("7", "1")]
    await binder.events_for(
        PlayNotification(session_key="7", rating_key="1", state="playing", view_offset_ms=100)
    )
    source.down = True
    assert await binder.vanished() == []
    assert binder.bound_sessions == 1


async def test_the_item_a_session_left_is_stopped_once_even_if_the_next_cannot_be_named() -> None:
    source = Source()
    source.sessions = [session("7", "1")]
    binder = SessionBinder(source, server_id="s", now=lambda: 0.0)
    await binder.events_for(
        PlayNotification(session_key="7", rating_key="1", state="playing", view_offset_ms=900)
    )
    moved = PlayNotification(session_key="7", rating_key="3", state="playing", view_offset_ms=0)
    (stop,) = await binder.events_for(moved)  # item "3" is unknown to the server
    assert (stop.action.value, stop.rating_key, stop.progress) == ("stop", "1", 90.0)
    assert await binder.events_for(moved) == []  # no second stop of item "1"
