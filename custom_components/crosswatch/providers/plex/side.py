"""Plex as one side of a sync pair: watchlist on Discover, history and ratings on the server.

Plex has no activity endpoint: its markers are one-row reads; history changes are read with
``viewedAt>=``. No Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ...api.errors import CrosswatchApiError, InvalidResponseError, NotFoundError
from ...api.models import (
    Feature,
    FlatIds,
    ItemRow,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    flat_ids,
    id_pairs,
    pack_item,
    unpack_item,
)
from ...sync.capabilities import ALL_KINDS, MOVIE_EPISODE, MOVIE_SHOW
from ...sync.inventory import Inventory, from_timestamp, item_from_dict, item_to_dict
from ...sync.offload import Offload, run_inline
from ...sync.plan import Action, Change
from ...sync.side import _plays_since
from ...watchnext.progress import PLEX_WATCHED_AT, ResumePoint, offset_ms, plex_points
from .client import (
    ROW_DURATION,
    ROW_ITEM,
    ROW_KEY,
    ROW_LAST_VIEWED,
    ROW_OFFSET,
    ROW_RATED_AT,
    ROW_USER_RATING,
    pack_library_item,
    rating_from_plex,
    unpack_library_item,
    with_item_row,
)

if TYPE_CHECKING:
    from ...sync.planner import Capabilities
    from .client import (
        LibraryRow,
        PlayRow,
        PlexSection,
        PlexServerClient,
        PlexTvClient,
    )


from ...sync.planner import Capabilities

# Plex: the Discover watchlist holds movies and shows (resolved by plex/tmdb/imdb/tvdb guid);
# marking watched stamps "now", so history is compared per title. Its activity markers are one row
# of the list itself: an empty answer moves them as well, so they cannot vouch for one.
PLEX_CAPABILITIES = Capabilities(
    id_types=frozenset({"plex", "tmdb", "imdb", "tvdb"}),
    kinds={
        Feature.WATCHLIST: MOVIE_SHOW,
        Feature.HISTORY: MOVIE_EPISODE,
        Feature.RATINGS: ALL_KINDS,
    },
    exact_play_times=False,
    marker_vouches_for_empty=False,
)


# The most new titles a Plex read of changes names one by one before a library sweep is cheaper.
PLEX_NAMING_LIMIT: Final = 50


# Titles known only by a plex:// guid asked of Plex's metadata provider per library read.
PLEX_PROVIDER_LOOKUPS: Final = 100


# The Plex type of what holds resume points, by section type (movies; a show section's episodes).
PROGRESS_TYPES: Final = {"movie": 1, "show": 4}


# Every host a Plex account is read through names its errors apart (``api/plex.py``).
PLEX_ERROR_SERVICES: Final = frozenset({"plex.tv", "plex-discover", "plex-metadata", "pms"})


def _id_keys(item: ItemRow) -> list[str]:
    """Lookup keys of a packed item's strong ids, per kind (tmdb ids repeat across kinds).

    An episode's own ids come first; its show's ids + season/number after them, since Plex's
    numbers may follow another order than the other service's (DVD vs aired, as Firefly).
    """
    kind, ids, _, _, show_ids, _, season, number = item
    keys = [f"{kind}:{k}:{v}" for k, v in sorted(id_pairs(ids))]
    if kind == MediaKind.EPISODE.value and season is not None and show_ids:
        keys += [f"episode:{k}:{v}:{season}:{number}" for k, v in sorted(id_pairs(show_ids))]
    return keys


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
    error_services: frozenset[str] = PLEX_ERROR_SERVICES
    batch_size: int = 1
    offload: Offload = field(default=run_inline, repr=False)
    progress_watched_at: float = PLEX_WATCHED_AT
    progress_per_show: bool = False
    # This run's library sweep by ratingKey, packed (plain tuples the garbage collector lets go
    # of): a large library's entries as objects were promoted towards full collections.
    _library: dict[str, LibraryRow] | None = field(default=None, repr=False)
    _by_ids: dict[str, str] | None = field(default=None, repr=False)
    _sections: list[PlexSection] | None = field(default=None, repr=False)
    _progress_memo: dict[str, Any] | None = field(default=None, repr=False)

    async def capabilities(self) -> Capabilities:
        """Plex's fixed capabilities."""
        return PLEX_CAPABILITIES

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One one-row request per feature that has a marker."""
        self.release()  # a new run reads afresh
        out: dict[Feature, str | None] = {}
        for feature in features:
            if feature is Feature.WATCHLIST:
                out[feature] = await self._watchlist_marker()
            elif feature is Feature.HISTORY:
                out[feature] = await self._history_marker()
            elif feature is Feature.PROGRESS:
                out[feature] = await self._progress_marker()
            else:
                out[feature] = None
        return out

    def release(self) -> None:
        """Let go of this run's reads: the library sweep, its id index, sections, progress memo.

        Nothing after the run needs them (the memo is in the pair's state); kept, a large
        library's rows would lengthen every garbage collection of Home Assistant until then.
        """
        self._library = self._by_ids = self._sections = self._progress_memo = None

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

    async def _progress_marker(self) -> str:
        """The last viewed movie or episode of each section, one row each.

        ``lastViewedAt`` is an item's last consumption time, so a pause (or a play) anywhere moves
        the top row. Marking a title unwatched clears its resume point without moving it; that
        shows at the next read.
        """
        parts: list[str] = []
        route = "GET /library/sections/{key}/all"
        for section in await self.sections():
            kind = PROGRESS_TYPES.get(section.type)
            if kind is None:
                continue
            params: dict[str, str | int] = {
                "type": kind,
                "sort": "lastViewedAt:desc",
                "X-Plex-Container-Start": 0,
                "X-Plex-Container-Size": 1,
            }
            path = f"/library/sections/{section.key}/all"
            body = await self.server.http.get(path, route=route, params=params)
            top = _container_marker(body, route, "lastViewedAt")
            parts.append(f"{section.key}:{top}|{_first(body).get('viewOffset')}")
        return ";".join(parts)

    async def sections(self) -> list[PlexSection]:
        """The server's library sections, asked once per run."""
        if self._sections is None:
            self._sections = await self.server.sections()
        return self._sections

    async def library(self) -> dict[str, LibraryRow]:
        """Every movie, show and episode of the server by ratingKey (paged sweeps, per run).

        Packed (``client.LibraryRow``; ``unpack_library_item`` gives the entry).
        """
        if self._library is None:
            found: dict[str, LibraryRow] = {}
            for section in await self.sections():
                if section.type == "movie":
                    rows = await self.server.library_rows(section.key)
                elif section.type == "show":
                    rows = await self.server.library_rows(section.key, MediaKind.SHOW)
                    rows += await self.server.episodes_with_show_ids(section.key)
                else:
                    continue
                found.update((row[ROW_KEY], row) for row in rows)
            self._library = await self._resolve_plex_only(found)
        return self._library

    async def _resolve_plex_only(self, found: dict[str, LibraryRow]) -> dict[str, LibraryRow]:
        """Give titles known only by a ``plex://`` guid the ids Plex's metadata provider has.

        An unmatched item, or one read without ``Guid[]``, has nothing but its plex id
        (tests/fixtures/real/plex/pms_episodes_new_agent_without_guids.json); what the provider
        does not know stays so, and the planner reports it as unmatched.
        """
        wanted = dict.fromkeys(
            ids[1]
            for row in found.values()
            for ids in (row[ROW_ITEM][1], row[ROW_ITEM][4])  # its ids, its show ids
            if _plex_only(ids)
        )
        if not wanted:
            return found
        resolved: dict[str, Mapping[str, str]] = {}
        for plex_id in list(wanted)[:PLEX_PROVIDER_LOOKUPS]:
            try:
                item = await self.tv.provider_item(plex_id)
            except CrosswatchApiError:
                break  # the provider is down: the titles stay unresolved this run
            if item is not None and set(item.ids) - {"plex"}:
                resolved[plex_id] = item.ids
        if not resolved:
            return found
        return {key: _with_provider_ids(row, resolved) for key, row in found.items()}

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist pages; history pages named through the library; ratings from the library."""
        if feature is Feature.WATCHLIST:
            return await self.offload(Inventory.from_watchlist, await self.tv.watchlist())
        library = await self.library()
        if feature is Feature.RATINGS:
            return await self.offload(_plex_ratings, library)
        plays = await self.server.plays(account_id=self.account_id)
        return await self.offload(_plex_plays, library, plays)

    async def read_changes(
        self, feature: Feature, base: Inventory, since: float
    ) -> Inventory | None:
        """Plays viewed from ``since`` on, named one title at a time (no library sweep).

        More new titles than ``PLEX_NAMING_LIMIT`` are named by a whole read instead.
        """
        if feature is not Feature.HISTORY:
            return None
        rows = await self.server.plays(since=from_timestamp(since), account_id=self.account_id)
        keys = {key for key, _ in rows}
        if len(keys) > PLEX_NAMING_LIMIT:
            return None
        named: dict[str, MediaItem] = {}
        for key in sorted(keys):
            try:
                named[key] = (await self.server.metadata(key)).item
            except NotFoundError:
                continue  # gone from the library: a whole read leaves its plays out too
        plays = [Play(item=named[key], watched_at=at) for key, at in rows if key in named]
        return await self.offload(_plays_since, base, since, plays)

    async def _rating_key(self, item: MediaItem) -> str | None:
        if self._by_ids is None:
            self._by_ids = await self.offload(_rating_keys_by_id, await self.library())
        own = {f"{item.kind}:{k}:{v}" for k, v in item.ids.items()}
        lookup = next(
            ((k, self._by_ids[k]) for k in _id_keys(pack_item(item)) if k in self._by_ids), None
        )
        if lookup is None or lookup[0] in own:
            return None if lookup is None else lookup[1]
        # Found by show + season/number: not when the episode's own ids name another one.
        found = dict(id_pairs((await self.library())[lookup[1]][ROW_ITEM][1]))
        if any(found.get(k) not in (None, v) for k, v in item.ids.items()):
            return None
        return lookup[1]

    async def write(
        self, feature: Feature, action: Action, changes: Sequence[Change]
    ) -> Sequence[Change]:
        """One change per request (Plex has no batch endpoints); returns the titles Plex lacks."""
        unknown: list[Change] = []
        for change in changes:
            add = action is Action.ADD
            if feature is Feature.WATCHLIST:
                key = await self.tv.resolve_rating_key(change.item)
                if key is None:  # discover does not know the title
                    unknown.append(change)
                    continue
                await (self.tv.watchlist_add if add else self.tv.watchlist_remove)(key)
                continue
            key = await self._rating_key(change.item)
            if key is None:  # not in the server's library
                unknown.append(change)
            elif feature is Feature.HISTORY:
                await (self.server.mark_watched if add else self.server.mark_unwatched)(key)
            else:
                await self.server.rate(key, float(change.rating) if add and change.rating else None)
        return unknown

    async def progress_points(self) -> list[ResumePoint]:
        """The library's items with a ``viewOffset``.

        Plex lists resume points completely nowhere else, so this is the library sweep (shared
        with history and ratings in the same run). It leaves the points and the newest
        ``lastViewedAt`` seen for a read of changes next time (``progress_changes``).
        """
        points, self._progress_memo = await self.offload(_whole_progress_read, await self.library())
        return points

    async def progress_changes(
        self, memo: Mapping[str, Any], *, moved: bool
    ) -> list[ResumePoint] | None:
        """The kept points, redone for every movie or episode viewed since the kept read.

        A pause, a stop or a play moves an item's ``lastViewedAt``, so each section is paged by
        it down to the kept read's newest (usually one page each). A point cleared without a
        view (marking unwatched) moves nothing this read sees: when the marker moved and no item
        was viewed since, the read is whole; otherwise the next whole read notices it.
        """
        kept = read_progress_memo(memo)
        if kept is None:
            return None
        since, points = kept
        viewed: dict[str, LibraryRow] = {}
        for section in await self.sections():
            kind = PROGRESS_TYPES.get(section.type)
            if kind is not None:
                rows = await self.server.viewed_since(section.key, kind, since)
                viewed.update((row.rating_key, pack_library_item(row)) for row in rows)
        stamps = [
            int(row[ROW_LAST_VIEWED].timestamp()) for row in viewed.values() if row[ROW_LAST_VIEWED]
        ]
        if moved and not any(stamp > since for stamp in stamps):
            return None  # the marker saw a change these rows do not show
        viewed = await self._resolve_plex_only(viewed)
        fresh = await self.offload(_points, viewed.values())
        merged = [p for p in points if p.ref not in viewed] + fresh
        self._progress_memo = await self.offload(progress_memo, max([since, *stamps]), merged)
        return merged

    def progress_memo(self) -> dict[str, Any] | None:
        """The points and newest ``lastViewedAt`` of the last progress read."""
        return self._progress_memo

    async def set_progress(self, point: ResumePoint, target: ResumePoint | None) -> bool:
        """A stopped ``/:/timeline`` report at the point's offset; ``False``: not in the library.

        Over Plex's own point its ratingKey and duration are known; otherwise the title is looked
        up in the library (the sweep).
        """
        key, duration = (target.ref, target.duration_ms) if target is not None else (None, None)
        if not key or not duration:
            key = await self._rating_key(point.item)
            entry = None if key is None else (await self.library()).get(key)
            if key is None or entry is None or not entry[ROW_DURATION]:
                return False
            duration = entry[ROW_DURATION]
        await self.server.timeline(key, offset_ms(point, duration), duration)
        return True

    async def remove_progress(self, point: ResumePoint) -> bool:
        """Leave it: Plex documents no way to clear a resume point but marking unwatched.

        That would lose the play, so resume points stay on Plex until played.
        """
        return False


# The form of Plex's kept progress read; another one is read whole.
PROGRESS_MEMO_VERSION: Final = 1


def progress_memo(since: int, points: Sequence[ResumePoint]) -> dict[str, Any]:
    """The JSON form of a progress read: its newest ``lastViewedAt`` and the points."""
    return {
        "v": PROGRESS_MEMO_VERSION,
        "since": since,
        "points": [
            {
                "ref": point.ref,
                "item": item_to_dict(point.item),
                "progress": point.progress,
                "at": None if point.at is None else point.at.timestamp(),
                "duration_ms": point.duration_ms,
            }
            for point in points
        ],
    }


def _whole_progress_read(
    library: Mapping[str, LibraryRow],
) -> tuple[list[ResumePoint], dict[str, Any]]:
    """The library's resume points and the memo of that read (newest ``lastViewedAt`` in it)."""
    points = _points(library.values())
    stamps = (row[ROW_LAST_VIEWED].timestamp() for row in library.values() if row[ROW_LAST_VIEWED])
    return points, progress_memo(int(max(stamps, default=0)), points)


def _points(rows: Iterable[LibraryRow]) -> list[ResumePoint]:
    """``plex_points`` of packed entries (only those with an offset are unpacked)."""
    return plex_points(unpack_library_item(row) for row in rows if row[ROW_OFFSET])


def read_progress_memo(memo: Mapping[str, Any]) -> tuple[int, list[ResumePoint]] | None:
    """``progress_memo``'s content back; ``None`` for another form or a malformed one."""
    try:
        if memo.get("v") != PROGRESS_MEMO_VERSION or not isinstance(memo["since"], int):
            return None
        points = [
            ResumePoint(
                item=item_from_dict(row["item"]),
                progress=float(row["progress"]),
                at=None if row["at"] is None else from_timestamp(float(row["at"])),
                ref=str(row["ref"]),
                duration_ms=int(row["duration_ms"]),
            )
            for row in memo["points"]
        ]
    except KeyError, TypeError, ValueError, AttributeError:
        return None
    return memo["since"], points


def _rating_keys_by_id(library: Mapping[str, LibraryRow]) -> dict[str, str]:
    """The library's rating keys by every id key of their items."""
    return {
        key: rating_key for rating_key, row in library.items() for key in _id_keys(row[ROW_ITEM])
    }


def _plex_ratings(library: Mapping[str, LibraryRow]) -> Inventory:
    """The ratings the library's items carry (only rated items are unpacked)."""
    return Inventory.from_ratings(
        Rating(item=unpack_item(row[ROW_ITEM]), rating=rating, rated_at=row[ROW_RATED_AT])
        for row in library.values()
        if (rating := rating_from_plex(row[ROW_USER_RATING])) is not None
    )


def _plex_plays(library: Mapping[str, LibraryRow], plays: Sequence[PlayRow]) -> Inventory:
    """The owner's plays, named through the library (a play of a title it lacks is left out).

    Each play's item is unpacked as it is filed and dies young (no objects per play are held).
    """
    return Inventory.from_plays(
        Play(item=unpack_item(library[key][ROW_ITEM]), watched_at=at)
        for key, at in plays
        if key in library
    )


def _plex_only(ids: FlatIds) -> bool:
    """Whether flat ids are a plex id alone."""
    return len(ids) == 2 and ids[0] == "plex"  # noqa: PLR2004 - one (type, value) pair


def _with_provider_ids(row: LibraryRow, resolved: Mapping[str, Mapping[str, str]]) -> LibraryRow:
    """``row`` with the provider's ids where its own (or its show's) were only a plex id."""
    kind, ids, title, year, show_ids, show_title, season, number = row[ROW_ITEM]
    own = resolved.get(ids[1]) if _plex_only(ids) else None
    show = resolved.get(show_ids[1]) if _plex_only(show_ids) else None
    if own is None and show is None:
        return row
    item = (
        kind,
        ids if own is None else flat_ids(own),
        title,
        year,
        show_ids if show is None else flat_ids(show),
        show_title,
        season,
        number,
    )
    return with_item_row(row, item)


def _container_marker(body: object, route: str, stamp: str) -> str:
    container = body.get("MediaContainer") if isinstance(body, Mapping) else None
    if not isinstance(container, Mapping):
        raise InvalidResponseError("plex", route, "no MediaContainer")
    first = _first(body)
    return f"{container.get('totalSize')}|{first.get('ratingKey')}|{first.get(stamp)}"


def _first(body: object) -> Mapping[str, object]:
    """The first ``Metadata`` row of an answer (empty when there is none)."""
    container = body.get("MediaContainer") if isinstance(body, Mapping) else None
    rows = container.get("Metadata") if isinstance(container, Mapping) else None
    return rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], Mapping) else {}
