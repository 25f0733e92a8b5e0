"""SIMKL as one side of a sync pair: ``/sync/activities`` first, then ``date_from`` reads.

SIMKL keeps one last watch per title and never reports history removals. No Home Assistant
imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ...api.errors import InvalidResponseError
from ...api.models import Feature
from ...api.wire import parse_time
from ...sync.capabilities import MOVIE_EPISODE, MOVIE_SHOW
from ...sync.inventory import Inventory, from_timestamp, to_timestamp
from ...sync.offload import Offload, run_inline
from ...sync.plan import Action, Change
from ...sync.side import (
    WRITE_BATCH,
    WholeProgressReads,
    marker_part,
    pause_at,
    remove_paused,
    unknown_to_service,
)
from ...watchnext.progress import SIMKL_WATCHED_AT, ResumePoint, simkl_points
from .client import plays_of, unpack_entry, watchlist_of

if TYPE_CHECKING:
    from ...sync.planner import Capabilities
    from .client import EntryRow, SimklClient, SimklEntry, SimklLibrary


from ...sync.planner import Capabilities

# SIMKL keeps one last watch per title, not every play, and rates only movies and shows. It
# reports what changed, never what was removed from history, so a play it no longer shows stays.
SIMKL_CAPABILITIES = Capabilities(
    # SIMKL also resolves anime by MyAnimeList and AniDB ids (its docs' supported ID keys).
    id_types=frozenset({"simkl", "imdb", "tmdb", "tvdb", "mal", "anidb"}),
    kinds={
        Feature.WATCHLIST: MOVIE_SHOW,
        Feature.HISTORY: MOVIE_EPISODE,
        Feature.RATINGS: MOVIE_SHOW,
    },
    exact_play_times=False,
    observes_history_removals=False,
)


SIMKL_GROUPS: Final = ("movies", "tv_shows", "anime")


# SIMKL ``/sync/activities``: list moves (which also carry watches) and ratings per group.
SIMKL_MARKERS: Final[dict[Feature, tuple[str, ...]]] = {
    Feature.WATCHLIST: ("all", "removed_from_list"),
    Feature.HISTORY: ("all", "removed_from_list"),
    Feature.RATINGS: ("rated_at",),
    Feature.PROGRESS: ("playback",),  # simkl/activities.json: per group, moved by a pause
}


@dataclass(slots=True)
class SimklSide(WholeProgressReads):
    """A SIMKL account: ``/sync/activities`` first, one ``all-items`` read serves two features."""

    client: SimklClient
    service: str = "simkl"
    error_services: frozenset[str] = frozenset({"simkl"})
    batch_size: int = WRITE_BATCH
    offload: Offload = field(default=run_inline, repr=False)
    progress_watched_at: float = SIMKL_WATCHED_AT
    # "Simkl stores only one active scrobble session per show/movie/anime" (apiary.apib).
    progress_per_show: bool = True
    # This run's whole ``all-items`` read (watchlist and history share it), packed: plain tuples
    # the garbage collector lets go of, where entries as objects were promoted towards full
    # collections; each entry is unpacked only while an inventory is built.
    _library: list[EntryRow] | None = field(default=None, repr=False)
    _activities: Mapping[str, Any] | None = field(default=None, repr=False)
    # This run's reads of changes, by their ``date_from`` (watchlist and history share one).
    _changes: dict[float, SimklLibrary] = field(default_factory=dict, repr=False)

    async def capabilities(self) -> Capabilities:
        """SIMKL's fixed capabilities."""
        return SIMKL_CAPABILITIES

    async def markers(self, features: Sequence[Feature]) -> dict[Feature, str | None]:
        """One ``/sync/activities`` request for every feature."""
        self.release()  # a new run reads afresh
        body = await self.client.activities()
        if not body:
            raise InvalidResponseError("simkl", "GET /sync/activities", "empty answer")
        self._activities = body
        return {
            feature: "|".join(
                marker_part(body, group, key)
                for group in SIMKL_GROUPS
                for key in SIMKL_MARKERS[feature]
            )
            for feature in features
        }

    def release(self) -> None:
        """Let go of this run's reads (the ``all-items`` answers, the activities)."""
        self._library = self._activities = None
        self._changes = {}

    async def read(self, feature: Feature) -> Inventory:
        """Watchlist and history from one ``all-items`` read; ratings from ``/sync/ratings``."""
        if feature is Feature.RATINGS:
            return await self.offload(Inventory.from_ratings, await self.client.ratings())
        if self._library is None:
            self._library = await self.client.all_item_rows()
        return await self.offload(_simkl_inventory, feature, map(unpack_entry, self._library))

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

    async def progress_points(self) -> list[ResumePoint]:
        """``GET /sync/playback``: one request."""
        return await self.offload(simkl_points, await self.client.playback())

    async def set_progress(self, point: ResumePoint, target: ResumePoint | None) -> bool:
        """A pause scrobble (it replaces ``target``, the one point the title has here)."""
        return await pause_at(self.client, point)

    async def remove_progress(self, point: ResumePoint) -> bool:
        """``DELETE /sync/playback/{id}``."""
        return await remove_paused(self.client, point)


def _titles_replaced(base: Inventory, feature: Feature, changed: SimklLibrary) -> Inventory:
    """``base`` with the titles SIMKL reports changed replaced by their fresh entries."""
    titles = [entry.item for entry in changed.entries]
    return base.with_titles_replaced(titles, _simkl_inventory(feature, changed.entries))


def _simkl_inventory(feature: Feature, entries: Iterable[SimklEntry]) -> Inventory:
    if feature is Feature.WATCHLIST:
        return Inventory.from_watchlist(watchlist_of(entries))
    return Inventory.from_plays(plays_of(entries))
