"""Each service as one side of a sync pair: cheap activity markers, inventories, batched writes.

No Home Assistant imports: the pair runner and ``benchmarks/sync.py`` both drive these over the
API clients. A side reads a feature only when its activity marker moved (the runner decides);
``markers`` costs at most one request per feature group (Trakt and SIMKL: one for everything).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from .api.errors import InvalidResponseError
from .api.models import Feature, MediaItem, MediaKind, Play, Rating, WriteResult
from .sync.capabilities import PLEX_CAPABILITIES, SIMKL_CAPABILITIES, trakt_capabilities
from .sync.inventory import Inventory
from .sync.plan import Action, Change

if TYPE_CHECKING:
    from .api.plex import PlexLibraryItem, PlexServerClient, PlexTvClient
    from .api.simkl import SimklClient, SimklLibrary
    from .api.trakt import TraktClient
    from .sync.planner import Capabilities

# The most items one write request carries (Trakt and SIMKL document 100 per POST).
WRITE_BATCH: Final = 100

# Trakt ``/sync/last_activities`` stamps that move when a feature changes.
TRAKT_MARKERS: Final[dict[Feature, tuple[tuple[str, str], ...]]] = {
    Feature.WATCHLIST: (
        ("watchlist", "updated_at"),
        ("movies", "watchlisted_at"),
        ("shows", "watchlisted_at"),
        ("seasons", "watchlisted_at"),
        ("episodes", "watchlisted_at"),
    ),
    Feature.HISTORY: (("movies", "watched_at"), ("episodes", "watched_at")),
    Feature.RATINGS: (
        ("movies", "rated_at"),
        ("shows", "rated_at"),
        ("seasons", "rated_at"),
        ("episodes", "rated_at"),
    ),
}
SIMKL_GROUPS: Final = ("movies", "tv_shows", "anime")
# SIMKL ``/sync/activities``: list moves (which also carry watches) and ratings per group.
SIMKL_MARKERS: Final[dict[Feature, tuple[str, ...]]] = {
    Feature.WATCHLIST: ("all", "removed_from_list"),
    Feature.HISTORY: ("all", "removed_from_list"),
    Feature.RATINGS: ("rated_at",),
}


class SyncSide(Protocol):
    """One account as a sync pair reads and writes it."""

    service: str
    # How many changes one ``write`` call may carry.
    batch_size: int

    async def capabilities(self) -> Capabilities:
        """What the account accepts (may cost one request the first time)."""

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """Activity stamps per feature; ``None`` where the service has none."""

    async def read(self, feature: Feature) -> Inventory:
        """Read the whole inventory of ``feature``."""

    async def write(
        self, feature: Feature, action: Action, changes: Sequence[Change]
    ) -> Sequence[Change]:
        """Write one batch of same-kind changes; return those the service did not know.

        Raises an ``api.errors`` error when the whole batch failed.
        """


def _stamp(body: Mapping[str, Any], group: str, key: str) -> str:
    section = body.get(group)
    return str(section.get(key)) if isinstance(section, Mapping) else "None"


@dataclass(slots=True)
class TraktSide:
    """A Trakt account: one ``last_activities`` read tells which features moved."""

    client: TraktClient
    service: str = "trakt"
    batch_size: int = WRITE_BATCH
    _capabilities: Capabilities | None = field(default=None, repr=False)

    async def capabilities(self) -> Capabilities:
        """Trakt's kinds plus the watchlist limit from ``/users/settings`` (read once)."""
        if self._capabilities is None:
            settings = await self.client.settings()
            self._capabilities = trakt_capabilities(settings.watchlist_limit)
        return self._capabilities

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One ``/sync/last_activities`` request for every feature."""
        body = await self.client.last_activities()
        if not body:
            raise InvalidResponseError("trakt", "GET /sync/last_activities", "empty answer")
        return {
            feature: "|".join(_stamp(body, group, key) for group, key in TRAKT_MARKERS[feature])
            for feature in features
        }

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist and ratings are one request each; history is paged."""
        if feature is Feature.WATCHLIST:
            return Inventory.from_watchlist(await self.client.watchlist())
        if feature is Feature.HISTORY:
            return Inventory.from_plays(await self.client.history())
        return Inventory.from_ratings(await self.client.ratings())

    async def write(
        self, feature: Feature, action: Action, changes: Sequence[Change]
    ) -> Sequence[Change]:
        """One batched request (the client splits at 100 anyway)."""
        items = [c.item for c in changes]
        add = action is Action.ADD
        if feature is Feature.WATCHLIST:
            write = self.client.watchlist_add if add else self.client.watchlist_remove
            result = await write(items)
        elif feature is Feature.HISTORY:
            if add:
                result = await self.client.history_add(c.to_play() for c in changes)
            else:
                result = await self.client.history_remove(items)
        elif add:
            result = await self.client.ratings_add(c.to_rating() for c in changes)
        else:
            result = await self.client.ratings_remove(items)
        return unknown_to_service(changes, result)


@dataclass(slots=True)
class SimklSide:
    """A SIMKL account: ``/sync/activities`` first, one ``all-items`` read serves two features."""

    client: SimklClient
    service: str = "simkl"
    batch_size: int = WRITE_BATCH
    _library: SimklLibrary | None = field(default=None, repr=False)

    async def capabilities(self) -> Capabilities:
        """SIMKL's fixed capabilities."""
        return SIMKL_CAPABILITIES

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One ``/sync/activities`` request for every feature."""
        self._library = None  # a new run reads afresh
        body = await self.client.activities()
        if not body:
            raise InvalidResponseError("simkl", "GET /sync/activities", "empty answer")
        return {
            feature: "|".join(
                _stamp(body, group, key) for group in SIMKL_GROUPS for key in SIMKL_MARKERS[feature]
            )
            for feature in features
        }

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist and history from one ``all-items`` read; ratings from ``/sync/ratings``."""
        if feature is Feature.RATINGS:
            return Inventory.from_ratings(await self.client.ratings())
        if self._library is None:
            self._library = await self.client.all_items()
        if feature is Feature.WATCHLIST:
            return Inventory.from_watchlist(self._library.watchlist())
        return Inventory.from_plays(self._library.plays())

    async def write(
        self, feature: Feature, action: Action, changes: Sequence[Change]
    ) -> Sequence[Change]:
        """One batched request; SIMKL removes from its lists through history removal."""
        items = [c.item for c in changes]
        add = action is Action.ADD
        if feature is Feature.WATCHLIST and add:
            result = await self.client.add_to_list(items, "plantowatch")
        elif feature is Feature.RATINGS:
            if add:
                result = await self.client.ratings_add(c.to_rating() for c in changes)
            else:
                result = await self.client.ratings_remove(items)
        elif add:
            result = await self.client.history_add(c.to_play() for c in changes)
        else:  # a watchlist or history removal
            result = await self.client.history_remove(items)
        return unknown_to_service(changes, result)


def _id_keys(item: MediaItem) -> list[str]:
    """Lookup keys of an item's strong ids, per kind (tmdb ids repeat across kinds)."""
    if item.kind is MediaKind.EPISODE and item.season is not None and item.show_ids:
        return [
            f"episode:{k}:{v}:{item.season}:{item.number}" for k, v in sorted(item.show_ids.items())
        ]
    return [f"{item.kind}:{k}:{v}" for k, v in sorted(item.ids.items())]


@dataclass(slots=True)
class PlexSide:
    """A Plex account: watchlist on discover, history and ratings on the chosen server.

    Plex has no activity endpoint, so its markers are one-row reads of the newest watchlist entry
    and the newest play (with their totals). Ratings have no cheap marker and are always read.
    """

    tv: PlexTvClient
    server: PlexServerClient
    account_id: int | None
    service: str = "plex"
    batch_size: int = 1
    _library: dict[str, PlexLibraryItem] | None = field(default=None, repr=False)
    _by_ids: dict[str, str] | None = field(default=None, repr=False)

    async def capabilities(self) -> Capabilities:
        """Plex's fixed capabilities."""
        return PLEX_CAPABILITIES

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One one-row request per feature that has a marker."""
        self._library = None
        self._by_ids = None
        out: dict[Feature, str | None] = {}
        for feature in features:
            if feature is Feature.WATCHLIST:
                out[feature] = await self._watchlist_marker()
            elif feature is Feature.HISTORY:
                out[feature] = await self._history_marker()
            else:
                out[feature] = None
        return out

    async def _watchlist_marker(self) -> str | None:
        return await self.tv.watchlist_stamp()  # one row, the metadata host as fallback

    async def _history_marker(self) -> str:
        route = "GET /status/sessions/history/all"
        params: dict[str, str | int] = {
            "sort": "viewedAt:desc",
            "X-Plex-Container-Start": 0,
            "X-Plex-Container-Size": 1,
        }
        if self.account_id is not None:
            params["accountID"] = self.account_id
        body = await self.server.http.get(
            "/status/sessions/history/all", route=route, params=params
        )
        return _container_marker(body, route, "viewedAt")

    async def library(self) -> dict[str, PlexLibraryItem]:
        """Every movie, show and episode of the server by ratingKey (paged sweeps, per run)."""
        if self._library is None:
            found: dict[str, PlexLibraryItem] = {}
            for section in await self.server.sections():
                if section.type == "movie":
                    rows = await self.server.library(section.key)
                elif section.type == "show":
                    rows = await self.server.library(section.key, MediaKind.SHOW)
                    rows += await self.server.episodes_with_show_ids(section.key)
                else:
                    continue
                found.update((row.rating_key, row) for row in rows)
            self._library = found
        return self._library

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist pages; history pages named through the library; ratings from the library."""
        if feature is Feature.WATCHLIST:
            return Inventory.from_watchlist(await self.tv.watchlist())
        library = await self.library()
        if feature is Feature.RATINGS:
            return Inventory.from_ratings(
                Rating(item=row.item, rating=rating, rated_at=row.rated_at)
                for row in library.values()
                if (rating := row.rating) is not None
            )
        plays = await self.server.history(account_id=self.account_id)
        return Inventory.from_plays(
            Play(item=library[p.rating_key].item, watched_at=p.viewed_at)
            for p in plays
            if p.rating_key in library
        )

    async def _rating_key(self, item: MediaItem) -> str | None:
        if self._by_ids is None:
            self._by_ids = {
                key: rating_key
                for rating_key, row in (await self.library()).items()
                for key in _id_keys(row.item)
            }
        return next((self._by_ids[k] for k in _id_keys(item) if k in self._by_ids), None)

    async def write(
        self, feature: Feature, action: Action, changes: Sequence[Change]
    ) -> Sequence[Change]:
        """One change per request (Plex has no batch endpoints); a title Plex lacks raises."""
        for change in changes:
            add = action is Action.ADD
            if feature is Feature.WATCHLIST:
                key = await self.tv.resolve_rating_key(change.item)
                if key is None:
                    raise InvalidResponseError("plex", "watchlist", "title not found on Plex")
                await (self.tv.watchlist_add if add else self.tv.watchlist_remove)(key)
                continue
            key = await self._rating_key(change.item)
            if key is None:
                raise InvalidResponseError("pms", "library", "title not in the Plex library")
            if feature is Feature.HISTORY:
                await (self.server.mark_watched if add else self.server.mark_unwatched)(key)
            else:
                await self.server.rate(key, float(change.rating) if add and change.rating else None)
        return ()


def unknown_to_service(changes: Sequence[Change], result: WriteResult) -> list[Change]:
    """The changes whose item the service listed as ``not_found`` (by any shared id)."""
    if not result.not_found:
        return []
    named = {(k, str(v)) for ids in result.not_found_ids for k, v in ids.items()}
    return [
        c
        for c in changes
        if any((k, v) in named for k, v in {**c.item.show_ids, **c.item.ids}.items())
    ]


def _container_marker(body: object, route: str, stamp: str) -> str:
    container = body.get("MediaContainer") if isinstance(body, Mapping) else None
    if not isinstance(container, Mapping):
        raise InvalidResponseError("plex", route, "no MediaContainer")
    rows = container.get("Metadata")
    first = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], Mapping) else {}
    return f"{container.get('totalSize')}|{first.get('ratingKey')}|{first.get(stamp)}"
