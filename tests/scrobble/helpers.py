"""Builders shared by the scrobble tests."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from custom_components.crosswatch.api.errors import NotFoundError, ServiceUnavailableError
from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.providers.plex.binder import (
    ActiveSession,
    BoundMedia,
)
from custom_components.crosswatch.scrobble.events import EventSource, PlexUser, ScrobbleAction

if TYPE_CHECKING:
    from collections.abc import Sequence

from typing import TYPE_CHECKING

from custom_components.crosswatch.api.models import MediaItem
from custom_components.crosswatch.scrobble.events import (
    PlexPlayer,
    Scrobble,
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


class FakeSource:
    """Answers like the PMS would; counts lookups and can fail or block on demand."""

    def __init__(self) -> None:
        self.sessions = [
            ActiveSession(
                session_key="27", rating_key="12345", user=JDOE, player=SHIELD, duration_ms=8880000
            ),
            ActiveSession(
                session_key="28", rating_key="40294", user=PlexUser(id="2"), player=SHIELD
            ),
        ]
        self.catalogue = {
            "12345": BoundMedia(item=MOVIE, duration_ms=8880000),
            "40294": BoundMedia(item=EPISODE, duration_ms=2880000),
            "777": BoundMedia(item=MOVIE, duration_ms=None),
        }
        self.session_calls = 0
        self.media_calls: list[str] = []
        self.fail_sessions = False
        self.gate: asyncio.Event | None = None

    async def active_sessions(self) -> Sequence[ActiveSession]:
        self.session_calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_sessions:
            raise ServiceUnavailableError("plex", "GET /status/sessions", "503")
        return self.sessions

    async def media(self, rating_key: str) -> BoundMedia:
        self.media_calls.append(rating_key)
        if self.gate is not None:
            await self.gate.wait()
        if rating_key not in self.catalogue:
            raise NotFoundError("plex", "GET /library/metadata/{key}")
        return self.catalogue[rating_key]


EPISODE_SCROBBLE: dict[str, Any] = {
    "event": "media.scrobble",
    "user": True,
    "owner": True,
    "Account": {
        "id": 1,
        "thumb": "https://plex.tv/users/1022b120ffbaa/avatar?c=1",
        "title": "jdoe",
    },
    "Server": {"title": "Office", "uuid": "54664a3d8acc39983675640ec9ce00b70af9cc36"},
    "Player": {
        "local": True,
        "publicAddress": "200.200.200.200",
        "title": "Plex Web (Chrome)",
        "uuid": "r6yfkdnfggbh2bdnvkffwbms",
    },
    "Metadata": {
        "librarySectionType": "show",
        "ratingKey": "40294",
        "key": "/library/metadata/40294",
        "parentRatingKey": "40291",
        "grandparentRatingKey": "40275",
        "guid": "plex://episode/615580a9fa828e7f1a0caabd",
        "parentGuid": "plex://season/615580a9fa828e7f1a0caab8",
        "grandparentGuid": "plex://show/60e81fd8d8000e002d7d2976",
        "librarySectionID": 2,
        "type": "episode",
        "title": "Ozymandias",
        "grandparentTitle": "Breaking Bad",
        "parentTitle": "Season 5",
        "index": 14,
        "parentIndex": 5,
        "year": 2013,
        "duration": 2880000,
        "viewOffset": 2790000,
        "userRating": 8,
        "Guid": [{"id": "imdb://tt2301451"}, {"id": "tmdb://62161"}, {"id": "tvdb://4639411"}],
    },
}


MOVIE_PLAY: dict[str, Any] = {
    "event": "media.play",
    "Account": {"id": 1, "title": "jdoe"},
    "Server": {"title": "Office", "uuid": "54664a3d8acc39983675640ec9ce00b70af9cc36"},
    "Player": {"title": "SHIELD", "uuid": "980878c6a5f14965-com-plexapp-android"},
    "Metadata": {
        "librarySectionType": "movie",
        "ratingKey": "12345",
        "guid": "plex://movie/5d776825880197001ec967c6",
        "type": "movie",
        "title": "Inception",
        "year": 2010,
        "duration": 8880000,
        "viewOffset": 1776000,
        "Guid": [{"id": "imdb://tt1375666"}, {"id": "tmdb://27205"}, {"id": "tvdb://166"}],
    },
}
