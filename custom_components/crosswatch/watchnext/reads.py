"""The requests behind what to watch next, over the services' own ``ServiceHttp``.

They answer raw rows; ``calendar``, ``upnext`` and ``progress`` parse them. (They belong with each
service's client; they live here until the providers move has landed.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

from custom_components.crosswatch.api.wire import iso_s

from .calendar import MAX_DAYS

if TYPE_CHECKING:
    from custom_components.crosswatch.api.http import ServiceHttp

NOT_FOUND: Final = 404


def _rows(body: object) -> list[Any]:
    return body if isinstance(body, list) else []


class TraktWatchReads:
    """Trakt's calendars, watched progress and playback (``/sync/playback``)."""

    def __init__(self, http: ServiceHttp) -> None:
        """Use the account's Trakt connection (its token, pacing and telemetry)."""
        self.http = http

    async def calendar_shows(self, start: date, days: int) -> list[Any]:
        """Episodes of the user's shows airing from ``start`` (``extended=full``: runtime)."""
        days = max(1, min(days, MAX_DAYS))
        body = await self.http.get(
            f"/calendars/my/shows/{start.isoformat()}/{days}",
            route="GET /calendars/my/shows/{date}/{days}",
            params={"extended": "full"},
        )
        return _rows(body)

    async def calendar_movies(self, start: date, days: int) -> list[Any]:
        """Movies on the user's lists released from ``start``."""
        days = max(1, min(days, MAX_DAYS))
        body = await self.http.get(
            f"/calendars/my/movies/{start.isoformat()}/{days}",
            route="GET /calendars/my/movies/{date}/{days}",
            params={"extended": "full"},
        )
        return _rows(body)

    async def watched_shows(self) -> list[Any]:
        """Every watched show with its ``last_watched_at``, without the seasons (small)."""
        body = await self.http.get(
            "/sync/watched/shows",
            route="GET /sync/watched/{type}",
            params={"extended": "noseasons"},
        )
        return _rows(body)

    async def show_progress(self, trakt_id: str) -> Any:
        """One show's watched progress (``next_episode``)."""
        return await self.http.get(
            f"/shows/{trakt_id}/progress/watched", route="GET /shows/{id}/progress/watched"
        )

    async def playback(self) -> list[Any]:
        """Every paused resume point (the endpoint's paging is optional: one request)."""
        return _rows(await self.http.get("/sync/playback", route="GET /sync/playback"))

    async def remove_playback(self, playback_id: str) -> bool:
        """Remove one resume point; ``False`` when Trakt no longer has it (404)."""
        response = await self.http.request(
            "DELETE",
            f"/sync/playback/{playback_id}",
            route="DELETE /sync/playback/{id}",
            allow=(NOT_FOUND,),
        )
        return response.status != NOT_FOUND


class SimklWatchReads:
    """SIMKL's watching list (``next_to_watch``) and playback sessions."""

    def __init__(self, http: ServiceHttp) -> None:
        """Use the account's SIMKL connection."""
        self.http = http

    async def watching(self, since: datetime | None = None) -> Mapping[str, Any]:
        """Shows and anime: all being watched, or every row changed since ``since``.

        A ``date_from`` read names rows of any status, so one that left "watching" is seen too.
        """
        if since is None:
            bodies = [
                await self.http.get(
                    f"/sync/all-items/{kind}/watching", route="GET /sync/all-items/{type}/{status}"
                )
                for kind in ("shows", "anime")
            ]
            merged: dict[str, Any] = {}
            for body in bodies:
                if isinstance(body, Mapping):
                    merged |= {k: v for k, v in body.items() if isinstance(v, list)}
            return merged
        body = await self.http.get(
            "/sync/all-items",
            route="GET /sync/all-items",
            params={"date_from": iso_s(since)},
        )
        return body if isinstance(body, Mapping) else {}

    async def playback(self) -> list[Any]:
        """Every paused session (already-watched ones hidden, as SIMKL does by default)."""
        return _rows(await self.http.get("/sync/playback", route="GET /sync/playback"))

    async def remove_playback(self, playback_id: str) -> bool:
        """Remove one session; ``False`` when SIMKL no longer has it (404)."""
        response = await self.http.request(
            "DELETE",
            f"/sync/playback/{playback_id}",
            route="DELETE /sync/playback/{id}",
            allow=(NOT_FOUND,),
        )
        return response.status != NOT_FOUND
