"""A ``SessionSource`` over the PMS HTTP API, for tests until ``api/plex.py`` lands.

It speaks to the simulator's PMS over real sockets with the documented requests:
``/status/sessions`` and ``/library/metadata/{ratingKey}`` (the grandparent for show ids).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from custom_components.crosswatch.api.errors import NotFoundError, ServiceUnavailableError
from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.scrobble.binder import (
    ActiveSession,
    BoundMedia,
    active_session_from_metadata,
)
from custom_components.crosswatch.scrobble.normalize import media_item_from_metadata

if TYPE_CHECKING:
    import aiohttp


class HttpPmsSource:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Accept": "application/json", "X-Plex-Token": token}
        self.requests = 0

    async def _get(self, path: str) -> dict[str, Any]:
        self.requests += 1
        async with self._session.get(self._base + path, headers=self._headers) as resp:
            if resp.status == 404:
                raise NotFoundError("plex", path)
            if resp.status >= 400:
                raise ServiceUnavailableError("plex", path, str(resp.status))
            body: dict[str, Any] = await resp.json()
            return body

    async def active_sessions(self) -> list[ActiveSession]:
        body = await self._get("/status/sessions")
        rows = body["MediaContainer"].get("Metadata", [])
        return [s for row in rows if (s := active_session_from_metadata(row)) is not None]

    async def _metadata(self, rating_key: str) -> dict[str, Any]:
        body = await self._get(f"/library/metadata/{rating_key}?includeGuids=1")
        row: dict[str, Any] = body["MediaContainer"]["Metadata"][0]
        return row

    async def media(self, rating_key: str) -> BoundMedia:
        row = await self._metadata(rating_key)
        item = media_item_from_metadata(row)
        assert item is not None
        if item.kind is MediaKind.EPISODE:
            show = media_item_from_metadata(await self._metadata(str(row["grandparentRatingKey"])))
            assert show is not None
            item = MediaItem(
                kind=item.kind,
                ids=item.ids,
                title=item.title,
                year=item.year,
                show_ids={**item.show_ids, **show.ids},
                show_title=show.title,
                season=item.season,
                number=item.number,
            )
        return BoundMedia(item=item, duration_ms=row.get("duration"))
