"""Each service as one side of a sync pair: cheap activity markers, inventories, batched writes.

No Home Assistant imports: the pair runner and ``benchmarks/sync.py`` both drive these over the
API clients. A side reads a feature only when its activity marker moved (the runner decides);
``markers`` costs at most one request per feature group (Trakt and SIMKL: one for everything).
History is then read, where the service allows, only from the last read on (``read_changes``:
Trakt ``start_at``, SIMKL ``date_from``, Plex ``viewedAt>=``) and merged into the baseline.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Protocol

from .api.errors import CrosswatchApiError, InvalidResponseError, NotFoundError
from .api.models import Feature, MediaItem, MediaKind, Play, Rating, WriteResult
from .api.wire import parse_time
from .sync.capabilities import PLEX_CAPABILITIES, SIMKL_CAPABILITIES, trakt_capabilities
from .sync.inventory import Inventory, from_timestamp, to_timestamp
from .sync.matching import MatchKey, strong_keys
from .sync.offload import Offload, run_inline
from .sync.plan import Action, Change

if TYPE_CHECKING:
    from .api.plex import PlexHistoryEntry, PlexLibraryItem, PlexServerClient, PlexTvClient
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
# The most new titles a Plex read of changes names one by one before a library sweep is cheaper.
PLEX_NAMING_LIMIT: Final = 50
# Titles known only by a plex:// guid asked of Plex's metadata provider per library read.
PLEX_PROVIDER_LOOKUPS: Final = 100
# How far a Trakt play may sit from a planned removal's time and still be that play (seconds).
PLAY_TOLERANCE: Final = 60.0
# The most one-title or time-window reads a Trakt removal makes before one whole read is cheaper.
TRAKT_LOOKUPS: Final = 20
# Trakt's history path segment for one title's plays, by kind.
TITLE_HISTORY: Final = {MediaKind.MOVIE: "movies", MediaKind.EPISODE: "episodes"}
SIMKL_GROUPS: Final = ("movies", "tv_shows", "anime")
# SIMKL ``/sync/activities``: list moves (which also carry watches) and ratings per group.
SIMKL_MARKERS: Final[dict[Feature, tuple[str, ...]]] = {
    Feature.WATCHLIST: ("all", "removed_from_list"),
    Feature.HISTORY: ("all", "removed_from_list"),
    Feature.RATINGS: ("rated_at",),
}


# Every host a Plex account is read through names its errors apart (``api/plex.py``).
PLEX_ERROR_SERVICES: Final = frozenset({"plex.tv", "plex-discover", "plex-metadata", "pms"})


class SyncSide(Protocol):
    """One account as a sync pair reads and writes it."""

    service: str
    # The ``service`` names its clients' errors carry (Plex: plex.tv, discover and the server).
    error_services: frozenset[str]
    # How many changes one ``write`` call may carry.
    batch_size: int
    # Where inventories are built from what was read (Home Assistant: the executor).
    offload: Offload

    async def capabilities(self) -> Capabilities:
        """What the account accepts (may cost one request the first time)."""

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """Activity stamps per feature; ``None`` where the service has none."""

    async def read(self, feature: Feature) -> Inventory:
        """Read the whole inventory of ``feature``."""

    async def read_changes(
        self, feature: Feature, base: Inventory, since: float
    ) -> Inventory | None:
        """``base`` (what the side held at its last read) updated with what changed since ``since``.

        ``None`` when only a whole read can tell: the feature has no read of changes, or the
        change lies where such a read cannot see it.
        """

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
    error_services: frozenset[str] = frozenset({"trakt"})
    batch_size: int = WRITE_BATCH
    offload: Offload = field(default=run_inline, repr=False)
    _capabilities: Capabilities | None = field(default=None, repr=False)
    # This run's whole history read, with history ids (removals pick from it).
    _plays: list[Play] | None = field(default=None, repr=False)
    _plays_by_key: dict[MatchKey, list[Play]] | None = field(default=None, repr=False)

    async def capabilities(self) -> Capabilities:
        """Trakt's kinds plus the watchlist limit from ``/users/settings`` (read once)."""
        if self._capabilities is None:
            settings = await self.client.settings()
            self._capabilities = trakt_capabilities(settings.watchlist_limit)
        return self._capabilities

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One ``/sync/last_activities`` request for every feature."""
        self._plays = self._plays_by_key = None  # a new run reads afresh
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
            return await self.offload(Inventory.from_watchlist, await self.client.watchlist())
        if feature is Feature.HISTORY:
            self._plays = await self.client.history()
            return await self.offload(Inventory.from_plays, self._plays)
        return await self.offload(Inventory.from_ratings, await self.client.ratings())

    async def read_changes(
        self, feature: Feature, base: Inventory, since: float
    ) -> Inventory | None:
        """History from ``since`` on (by ``watched_at``), in place of the baseline's.

        Trakt's play count must then agree: a play removed before ``since`` or posted with an
        older time, beside the new ones, would not show otherwise (see ``only_additions``).
        """
        if feature is not Feature.HISTORY:
            return None
        plays = await self.client.history(start_at=from_timestamp(since))
        merged = await self.offload(_plays_since, base, since, plays)
        if merged is None or await self.client.history_count() not in (None, merged.size):
            return None
        return merged

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
                result = await self._remove_plays(changes)
        elif add:
            result = await self.client.ratings_add(c.to_rating() for c in changes)
        else:
            result = await self.client.ratings_remove(items)
        return unknown_to_service(changes, result)

    async def _remove_plays(self, changes: Sequence[Change]) -> WriteResult:
        """Remove exactly the planned plays, by their history ids.

        A title goes by item only when every play Trakt holds of it is planned to go. A planned
        play Trakt no longer holds is already gone, which is what the removal wanted.
        """
        titles: dict[str, list[Change]] = {}
        for change in changes:
            titles.setdefault(change.key, []).append(change)
        planned = {
            key: [c.watched_at for c in group if c.watched_at is not None]
            for key, group in titles.items()
        }
        by_id = {key for key, group in titles.items() if _title_history(group[0].item) is not None}
        windows = play_windows(
            t for key, times in planned.items() if key not in by_id for t in times
        )
        nearby: list[Play] = []
        if self._plays is None and len(by_id) + len(windows) > TRAKT_LOOKUPS:
            self._plays = await self.client.history()  # fewer requests than one per title
        elif self._plays is None:
            for start, end in windows:
                nearby += await self.client.history(
                    start_at=from_timestamp(start), end_at=from_timestamp(end)
                )
        whole: list[MediaItem] = []
        ids: list[int] = []
        for key, group in titles.items():
            item = group[0].item
            held, complete = await self._plays_of(item, nearby)
            chosen = pick_history_ids(held, planned[key])
            if complete and held and len(chosen) == len(held):
                whole.append(item)
            else:
                ids.extend(chosen)
        return await self.client.history_remove(whole, ids)

    async def _plays_of(self, item: MediaItem, nearby: Sequence[Play]) -> tuple[list[Play], bool]:
        """Trakt's plays of ``item``, and whether they are all of its plays.

        From this run's whole read when there was one; else the title's own history (by its
        Trakt id); else those of ``nearby`` (the plays around the planned times).
        """
        keys = {key for _, key in strong_keys(item)}
        if self._plays is not None:
            if self._plays_by_key is None:
                self._plays_by_key = {}
                for play in self._plays:
                    for _, key in strong_keys(play.item):
                        self._plays_by_key.setdefault(key, []).append(play)
            found = {id(p): p for key in keys for p in self._plays_by_key.get(key, ())}
            return list(found.values()), True
        title = _title_history(item)
        if title is not None:
            return await self.client.history(kind=title[0], trakt_id=title[1]), True
        return [p for p in nearby if keys & {key for _, key in strong_keys(p.item)}], False


def _title_history(item: MediaItem) -> tuple[str, str] | None:
    """Where Trakt lists one title's plays (kind segment and Trakt id), if the item tells."""
    trakt_id = item.ids.get("trakt")
    kind = TITLE_HISTORY.get(item.kind)
    return None if not trakt_id or not trakt_id.isdigit() or kind is None else (kind, trakt_id)


def play_windows(times: Iterable[float]) -> list[tuple[float, float]]:
    """The time spans to read for plays near ``times`` (``PLAY_TOLERANCE`` either side, merged)."""
    windows: list[tuple[float, float]] = []
    for moment in sorted(times):
        start, end = moment - PLAY_TOLERANCE, moment + PLAY_TOLERANCE
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows


@dataclass(slots=True)
class SimklSide:
    """A SIMKL account: ``/sync/activities`` first, one ``all-items`` read serves two features."""

    client: SimklClient
    service: str = "simkl"
    error_services: frozenset[str] = frozenset({"simkl"})
    batch_size: int = WRITE_BATCH
    offload: Offload = field(default=run_inline, repr=False)
    _library: SimklLibrary | None = field(default=None, repr=False)
    _activities: Mapping[str, Any] | None = field(default=None, repr=False)
    # This run's reads of changes, by their ``date_from`` (watchlist and history share one).
    _changes: dict[float, SimklLibrary] = field(default_factory=dict, repr=False)

    async def capabilities(self) -> Capabilities:
        """SIMKL's fixed capabilities."""
        return SIMKL_CAPABILITIES

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One ``/sync/activities`` request for every feature."""
        self._library = None  # a new run reads afresh
        self._changes = {}
        body = await self.client.activities()
        if not body:
            raise InvalidResponseError("simkl", "GET /sync/activities", "empty answer")
        self._activities = body
        return {
            feature: "|".join(
                _stamp(body, group, key) for group in SIMKL_GROUPS for key in SIMKL_MARKERS[feature]
            )
            for feature in features
        }

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist and history from one ``all-items`` read; ratings from ``/sync/ratings``."""
        if feature is Feature.RATINGS:
            return await self.offload(Inventory.from_ratings, await self.client.ratings())
        if self._library is None:
            self._library = await self.client.all_items()
        return await self.offload(_simkl_inventory, feature, self._library)

    async def read_changes(
        self, feature: Feature, base: Inventory, since: float
    ) -> Inventory | None:
        """Titles changed since ``since`` (``date_from``), one read for watchlist and history.

        SIMKL history is taken as deltas only (its deletes cannot be observed): changed titles'
        plays are added, none are taken away. A title taken off a list does not show up in a
        dated read, so a ``removed_from_list`` stamp from ``since`` on reads the watchlist whole.
        """
        if feature is Feature.RATINGS or self._activities is None:
            return None
        if feature is Feature.WATCHLIST and self._removed_since(since):
            return None
        changed = self._changes.get(since)
        if changed is None:
            changed = await self.client.all_items(date_from=from_timestamp(since))
            self._changes[since] = changed
        if feature is Feature.HISTORY:
            return await self.offload(base.with_plays_added, changed.plays())
        return await self.offload(_titles_replaced, base, feature, changed)

    def _removed_since(self, since: float) -> bool:
        """Whether ``/sync/activities`` shows a title taken off a list from ``since`` on."""
        for group in SIMKL_GROUPS:
            section = (self._activities or {}).get(group)
            stamp = section.get("removed_from_list") if isinstance(section, Mapping) else None
            removed = parse_time(stamp)
            if removed is not None and to_timestamp(removed) >= since:
                return True
        return False

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
    """Lookup keys of an item's strong ids, per kind (tmdb ids repeat across kinds).

    An episode's own ids come first; its show's ids + season/number after them, since Plex's
    numbers may follow another order than the other service's (DVD vs aired, as Firefly).
    """
    keys = [f"{item.kind}:{k}:{v}" for k, v in sorted(item.ids.items())]
    if item.kind is MediaKind.EPISODE and item.season is not None and item.show_ids:
        keys += [
            f"episode:{k}:{v}:{item.season}:{item.number}" for k, v in sorted(item.show_ids.items())
        ]
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
            self._library = await self._resolve_plex_only(found)
        return self._library

    async def _resolve_plex_only(
        self, found: dict[str, PlexLibraryItem]
    ) -> dict[str, PlexLibraryItem]:
        """Give titles known only by a ``plex://`` guid the ids Plex's metadata provider has.

        An unmatched item, or one read without ``Guid[]``, has nothing but its plex id
        (tests/fixtures/real/plex/pms_episodes_new_agent_without_guids.json); what the provider
        does not know stays so, and the planner reports it as unmatched.
        """
        wanted = dict.fromkeys(
            ids["plex"]
            for row in found.values()
            for ids in (row.item.ids, row.item.show_ids)
            if len(ids) == 1 and "plex" in ids
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
        plays = await self.server.history(account_id=self.account_id)
        return await self.offload(_plex_plays, library, plays)

    async def read_changes(
        self, feature: Feature, base: Inventory, since: float
    ) -> Inventory | None:
        """Plays viewed from ``since`` on, named one title at a time (no library sweep).

        More new titles than ``PLEX_NAMING_LIMIT`` are named by a whole read instead.
        """
        if feature is not Feature.HISTORY:
            return None
        rows = await self.server.history(since=from_timestamp(since), account_id=self.account_id)
        keys = {row.rating_key for row in rows}
        if len(keys) > PLEX_NAMING_LIMIT:
            return None
        named: dict[str, MediaItem] = {}
        for key in sorted(keys):
            try:
                named[key] = (await self.server.metadata(key)).item
            except NotFoundError:
                continue  # gone from the library: a whole read leaves its plays out too
        plays = [
            Play(item=named[row.rating_key], watched_at=row.viewed_at)
            for row in rows
            if row.rating_key in named
        ]
        return await self.offload(_plays_since, base, since, plays)

    async def _rating_key(self, item: MediaItem) -> str | None:
        if self._by_ids is None:
            self._by_ids = await self.offload(_rating_keys_by_id, await self.library())
        own = {f"{item.kind}:{k}:{v}" for k, v in item.ids.items()}
        lookup = next(((k, self._by_ids[k]) for k in _id_keys(item) if k in self._by_ids), None)
        if lookup is None or lookup[0] in own:
            return None if lookup is None else lookup[1]
        # Found by show + season/number: not when the episode's own ids name another one.
        found = (await self.library())[lookup[1]].item
        if any(found.ids.get(k) not in (None, v) for k, v in item.ids.items()):
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


def _plays_since(base: Inventory, since: float, plays: Sequence[Play]) -> Inventory | None:
    """``base`` with the plays from ``since`` on replaced by ``plays``, if that only adds."""
    return only_additions(base, base.with_plays_since(since, plays))


def _titles_replaced(base: Inventory, feature: Feature, changed: SimklLibrary) -> Inventory:
    """``base`` with the titles SIMKL reports changed replaced by their fresh entries."""
    titles = [entry.item for entry in changed.entries]
    return base.with_titles_replaced(titles, _simkl_inventory(feature, changed))


def _rating_keys_by_id(library: Mapping[str, PlexLibraryItem]) -> dict[str, str]:
    """The library's rating keys by every id key of their items."""
    return {key: rating_key for rating_key, row in library.items() for key in _id_keys(row.item)}


def _plex_ratings(library: Mapping[str, PlexLibraryItem]) -> Inventory:
    """The ratings the library's items carry."""
    return Inventory.from_ratings(
        Rating(item=row.item, rating=rating, rated_at=row.rated_at)
        for row in library.values()
        if (rating := row.rating) is not None
    )


def _plex_plays(
    library: Mapping[str, PlexLibraryItem], plays: Sequence[PlexHistoryEntry]
) -> Inventory:
    """The owner's plays, named through the library (a play of a title it lacks is left out)."""
    return Inventory.from_plays(
        Play(item=library[p.rating_key].item, watched_at=p.viewed_at)
        for p in plays
        if p.rating_key in library
    )


def _simkl_inventory(feature: Feature, library: SimklLibrary) -> Inventory:
    if feature is Feature.WATCHLIST:
        return Inventory.from_watchlist(library.watchlist())
    return Inventory.from_plays(library.plays())


def only_additions(base: Inventory, fresh: Inventory) -> Inventory | None:
    """``fresh`` when it adds plays to ``base`` and loses none; else ``None``: read whole.

    The side's marker moved, so a read of changes that shows nothing new missed the change: it
    lies before the window (a removal, a play posted with an older time). One that loses plays
    holds a removal or a short answer; a whole read, under the snapshot guards, tells which.
    """
    if any(key not in fresh.entries for key in base.entries):
        return None
    grew = False
    for key, entry in fresh.entries.items():
        before = base.entries.get(key)
        if before is entry:
            continue
        if before is not None and Counter(before.plays) - Counter(entry.plays):
            return None
        grew = grew or before is None or len(entry.plays) > len(before.plays)
    return fresh if grew else None


def pick_history_ids(plays: Sequence[Play], times: Sequence[float]) -> list[int]:
    """The history ids of ``plays`` nearest each planned time (within ``PLAY_TOLERANCE``).

    Each play is picked at most once, so two planned plays at one time take two plays.
    """
    free = sorted(
        (to_timestamp(p.watched_at), history_id)
        for p in plays
        if (history_id := p.history_id) is not None
    )
    chosen: list[int] = []
    for moment in sorted(times):
        best = min(
            (i for i, (t, _) in enumerate(free) if abs(t - moment) <= PLAY_TOLERANCE),
            key=lambda i: abs(free[i][0] - moment),
            default=None,
        )
        if best is not None:
            chosen.append(free.pop(best)[1])
    return chosen


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


def _with_provider_ids(
    row: PlexLibraryItem, resolved: Mapping[str, Mapping[str, str]]
) -> PlexLibraryItem:
    """``row`` with the provider's ids where its own (or its show's) were only a plex id."""
    item = row.item
    ids = resolved.get(item.ids["plex"]) if set(item.ids) == {"plex"} else None
    show = resolved.get(item.show_ids["plex"]) if set(item.show_ids) == {"plex"} else None
    if ids is None and show is None:
        return row
    item = replace(item, ids=ids or item.ids, show_ids=show or item.show_ids)
    return replace(row, item=item)


def _container_marker(body: object, route: str, stamp: str) -> str:
    container = body.get("MediaContainer") if isinstance(body, Mapping) else None
    if not isinstance(container, Mapping):
        raise InvalidResponseError("plex", route, "no MediaContainer")
    rows = container.get("Metadata")
    first = rows[0] if isinstance(rows, list) and rows and isinstance(rows[0], Mapping) else {}
    return f"{container.get('totalSize')}|{first.get('ratingKey')}|{first.get(stamp)}"
