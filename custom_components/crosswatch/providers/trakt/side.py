"""Trakt as one side of a sync pair: one ``/sync/last_activities`` read tells what moved.

History is read from the last read on (``start_at``); a removal picks the exact plays by their
history ids. No Home Assistant imports (``benchmarks/sync.py`` drives it too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from ...api.errors import InvalidResponseError
from ...api.models import Feature, MediaItem, MediaKind, Play, WriteResult
from ...sync.capabilities import ALL_KINDS, MOVIE_EPISODE
from ...sync.inventory import Inventory, from_timestamp, to_timestamp
from ...sync.matching import MatchKey, strong_keys
from ...sync.offload import Offload, run_inline
from ...sync.plan import Action, Change
from ...sync.planner import PLAY_TOLERANCE
from ...sync.side import (
    WRITE_BATCH,
    WholeProgressReads,
    _plays_since,
    marker_part,
    pause_at,
    remove_paused,
    unknown_to_service,
)
from ...watchnext.progress import TRAKT_WATCHED_AT, ResumePoint, trakt_points
from .client import unpack_play

if TYPE_CHECKING:
    from ...sync.planner import Capabilities
    from .client import PlayRow, TraktClient


from ...sync.planner import Capabilities


def trakt_capabilities(watchlist_limit: int | None = None) -> Capabilities:
    """Describe Trakt: every kind on lists, plays keep ``watched_at``.

    ``watchlist_limit`` comes from ``/users/settings`` (``limits.watchlist.item_count``).
    """
    return Capabilities(
        id_types=frozenset({"trakt", "imdb", "tmdb", "tvdb"}),
        kinds={
            Feature.WATCHLIST: ALL_KINDS,
            Feature.HISTORY: MOVIE_EPISODE,
            Feature.RATINGS: ALL_KINDS,
        },
        limits={} if watchlist_limit is None else {Feature.WATCHLIST: watchlist_limit},
    )


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
    # A pause (or a removed one, undocumented: see the note on DELETE) moves these.
    Feature.PROGRESS: (("movies", "paused_at"), ("episodes", "paused_at")),
}


# The most one-title or time-window reads a Trakt removal makes before one whole read is cheaper.
TRAKT_LOOKUPS: Final = 20


# Trakt's history path segment for one title's plays, by kind.
TITLE_HISTORY: Final = {MediaKind.MOVIE: "movies", MediaKind.EPISODE: "episodes"}


@dataclass(slots=True)
class TraktSide(WholeProgressReads):
    """A Trakt account: one ``last_activities`` read tells which features moved."""

    client: TraktClient
    service: str = "trakt"
    error_services: frozenset[str] = frozenset({"trakt"})
    batch_size: int = WRITE_BATCH
    offload: Offload = field(default=run_inline, repr=False)
    progress_watched_at: float = TRAKT_WATCHED_AT
    progress_per_show: bool = False
    _capabilities: Capabilities | None = field(default=None, repr=False)
    # This run's whole history read, with history ids (removals pick from it), packed: plain
    # tuples the garbage collector lets go of (a large history as objects was promoted towards
    # full collections); a play is unpacked only for a title being removed.
    _plays: list[PlayRow] | None = field(default=None, repr=False)
    _plays_by_key: dict[MatchKey, tuple[PlayRow, ...]] | None = field(default=None, repr=False)

    async def capabilities(self) -> Capabilities:
        """Trakt's kinds plus the watchlist limit from ``/users/settings`` (read once)."""
        if self._capabilities is None:
            settings = await self.client.settings()
            self._capabilities = trakt_capabilities(settings.watchlist_limit)
        return self._capabilities

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One ``/sync/last_activities`` request for every feature."""
        self.release()  # a new run reads afresh
        body = await self.client.last_activities()
        if not body:
            raise InvalidResponseError("trakt", "GET /sync/last_activities", "empty answer")
        # Every section a marker reads is in Trakt's answer: one missing means the answer is cut
        # short, and an unmoving "None" would hide every change from then on.
        for group, _key in (pair for feature in features for pair in TRAKT_MARKERS[feature]):
            if not isinstance(body.get(group), Mapping):
                raise InvalidResponseError("trakt", "GET /sync/last_activities", f"no {group}")
        return {
            feature: "|".join(
                marker_part(body, group, key) for group, key in TRAKT_MARKERS[feature]
            )
            for feature in features
        }

    def release(self) -> None:
        """Let go of this run's whole history read (its plays are only for this run's removals)."""
        self._plays = self._plays_by_key = None

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist and ratings are one request each; history is paged."""
        if feature is Feature.WATCHLIST:
            return await self.offload(Inventory.from_watchlist, await self.client.watchlist())
        if feature is Feature.HISTORY:
            self._plays = await self.client.history_rows()
            return await self.offload(Inventory.from_plays, map(unpack_play, self._plays))
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

    async def progress_points(self) -> list[ResumePoint]:
        """``GET /sync/playback``: one request (its paging is optional)."""
        return await self.offload(trakt_points, await self.client.playback())

    async def set_progress(self, point: ResumePoint, target: ResumePoint | None) -> bool:
        """A pause scrobble (it replaces ``target``, the one point the title has here)."""
        return await pause_at(self.client, point)

    async def remove_progress(self, point: ResumePoint) -> bool:
        """``DELETE /sync/playback/{id}``."""
        return await remove_paused(self.client, point)

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
            self._plays = await self.client.history_rows()  # fewer requests than one per title
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
        keys = set(strong_keys(item))
        if self._plays is not None:
            if self._plays_by_key is None:
                self._plays_by_key = await self.offload(_plays_by_key, self._plays)
            found = {id(row): row for key in keys for row in self._plays_by_key.get(key, ())}
            return [unpack_play(row) for row in found.values()], True
        title = _title_history(item)
        if title is not None:
            return await self.client.history(kind=title[0], trakt_id=title[1]), True
        return [p for p in nearby if keys & set(strong_keys(p.item))], False


def _plays_by_key(plays: Iterable[PlayRow]) -> dict[MatchKey, tuple[PlayRow, ...]]:
    """Packed plays by each strong key of their items."""
    by_key: dict[MatchKey, tuple[PlayRow, ...]] = {}
    for row in plays:
        for key in strong_keys(unpack_play(row).item):
            by_key[key] = (*by_key.get(key, ()), row)
    return by_key


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
