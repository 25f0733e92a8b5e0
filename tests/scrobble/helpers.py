"""Builders shared by the scrobble tests."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.scrobble.events import (
    EventSource,
    PlexPlayer,
    PlexUser,
    Scrobble,
    ScrobbleAction,
    ScrobbleEvent,
)

if TYPE_CHECKING:
    from collections.abc import Callable

SERVER_ID = "54664a3d8acc39983675640ec9ce00b70af9cc36"
MOVIE = MediaItem(
    kind=MediaKind.MOVIE, ids={"imdb": "tt1375666", "tmdb": "27205"}, title="Inception", year=2010
)
EPISODE = MediaItem(
    kind=MediaKind.EPISODE,
    ids={"imdb": "tt2301451", "tmdb": "62161", "tvdb": "4639411"},
    title="Ozymandias",
    show_ids={"imdb": "tt0903747", "tmdb": "1396", "tvdb": "81189"},
    show_title="Breaking Bad",
    season=5,
    number=14,
)
JDOE = PlexUser(id="1", title="jdoe")
SHIELD = PlexPlayer(id="980878c6a5f14965-com-plexapp-android", title="SHIELD Android TV")


def event(
    action: ScrobbleAction,
    progress: float,
    *,
    at: float = 1000.0,
    source: EventSource = EventSource.WEBSOCKET,
    watched: bool = False,
    item: MediaItem = MOVIE,
    rating_key: str = "12345",
    user: PlexUser = JDOE,
    player: PlexPlayer = SHIELD,
    server_id: str = SERVER_ID,
) -> ScrobbleEvent:
    return ScrobbleEvent(
        action=action,
        item=item,
        progress=progress,
        user=user,
        player=player,
        server_id=server_id,
        rating_key=rating_key,
        source=source,
        timestamp=at,
        session_key="27" if source is EventSource.WEBSOCKET else None,
        watched=watched,
    )


START, PAUSE, STOP = ScrobbleAction.START, ScrobbleAction.PAUSE, ScrobbleAction.STOP


class RecordingSink:
    """A sink whose outcome the test scripts; it records every delivery attempt."""

    def __init__(self, sink_id: str, outcomes: list[Exception | None] | None = None) -> None:
        self.sink_id = sink_id
        self.outcomes = outcomes or []
        self.attempts: list[Scrobble] = []

    async def deliver(self, scrobble: Scrobble) -> None:
        self.attempts.append(scrobble)
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome


async def until(predicate: Callable[[], bool]) -> None:
    """Wait (up to 5 s) for state other tasks own to reach ``predicate``."""
    async with asyncio.timeout(5):
        while not predicate():  # noqa: ASYNC110 - polling state owned by other tasks
            await asyncio.sleep(0.005)
