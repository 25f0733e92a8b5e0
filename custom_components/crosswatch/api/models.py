"""Normalized media items shared by every client, the sync planner and the scrobbler.

Ids are kept as strings keyed by id type (``imdb``, ``tmdb``, ``tvdb``, ``trakt``, ``simkl``,
``slug``, ``plex`` for a ``plex://`` guid, ``plex_rating_key`` for a server-local key). Clients
convert to each service's wire types (Trakt wants integers, SIMKL sends strings) at the edge.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

type Ids = Mapping[str, str]

# Ids that identify a title across services; title+year is never one of them.
STRONG_ID_TYPES = ("imdb", "tmdb", "tvdb", "trakt", "simkl", "plex")


class MediaKind(StrEnum):
    """What an item is; tmdb ids are only unique within a kind."""

    MOVIE = "movie"
    SHOW = "show"
    SEASON = "season"
    EPISODE = "episode"


class Feature(StrEnum):
    """What a sync pair can carry."""

    WATCHLIST = "watchlist"
    HISTORY = "history"
    RATINGS = "ratings"
    PROGRESS = "progress"  # resume points: planned apart from items (sync/progress.py)


# The features whose inventories are items (the item planner's); progress is not one.
ITEM_FEATURES = (Feature.WATCHLIST, Feature.HISTORY, Feature.RATINGS)


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaItem:
    """A movie, show, season or episode as every service can describe it.

    Episodes and seasons carry their show's ids in ``show_ids`` plus ``season`` (and ``number``
    for episodes); their own ``ids`` are episode-level and may be empty.
    """

    kind: MediaKind
    ids: Ids = field(default_factory=dict)
    title: str | None = None
    year: int | None = None
    show_ids: Ids = field(default_factory=dict)
    show_title: str | None = None
    season: int | None = None
    number: int | None = None

    def episode(
        self,
        season: int | None,
        number: int | None,
        *,
        ids: Ids | None = None,
        title: str | None = None,
    ) -> MediaItem:
        """Episode ``season``x``number`` of this show (its own ``ids`` and ``title`` if known)."""
        return MediaItem(
            kind=MediaKind.EPISODE,
            ids={} if ids is None else ids,
            title=title,
            year=self.year,
            show_ids=self.ids,
            show_title=self.title,
            season=season,
            number=number,
        )


# A MediaItem packed as a plain tuple (``pack_item``): what inventories keep per title. The
# garbage collector stops tracking a tuple of strings and numbers, so a large library held this
# way costs nothing when a full collection walks Home Assistant's heap (see sync/inventory.py).
# Ids are flat (type, value, type, value, ...): each level of nesting is one more young
# collection before the collector stops tracking the tuple around it, and a row still tracked
# when it is promoted counts towards the next full collection.
type FlatIds = tuple[str, ...]
# kind, ids, title, year, show ids, show title, season, number
type ItemRow = tuple[
    str, FlatIds, str | None, int | None, FlatIds, str | None, int | None, int | None
]
_KINDS = {kind.value: kind for kind in MediaKind}


def flat_ids(ids: Ids) -> FlatIds:
    """``ids`` as (type, value, type, value, ...)."""
    return tuple([part for pair in ids.items() for part in pair])


def id_pairs(ids: FlatIds) -> Iterator[tuple[str, str]]:
    """The (type, value) pairs of flat ids."""
    return zip(ids[::2], ids[1::2], strict=True)


def pack_item(item: MediaItem) -> ItemRow:
    """``item`` as a plain tuple (``unpack_item`` gives an equal item back)."""
    return (
        item.kind.value,
        flat_ids(item.ids),
        item.title,
        item.year,
        flat_ids(item.show_ids),
        item.show_title,
        item.season,
        item.number,
    )


def unpack_item(row: ItemRow) -> MediaItem:
    """The ``MediaItem`` of a ``pack_item`` row."""
    kind, ids, title, year, show_ids, show_title, season, number = row
    return MediaItem(
        kind=_KINDS[kind],
        ids=dict(id_pairs(ids)),
        title=title,
        year=year,
        show_ids=dict(id_pairs(show_ids)),
        show_title=show_title,
        season=season,
        number=number,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchlistEntry:
    """An item on a watchlist."""

    item: MediaItem
    listed_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Play:
    """One play of an item; history is a list of plays, never de-duplicated by the services."""

    item: MediaItem
    watched_at: datetime
    # Trakt's id of this one play (``/sync/history`` rows), so it can be removed alone.
    history_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rating:
    """A user's rating on the 1-10 integer scale (Plex floats are mapped at the edge)."""

    item: MediaItem
    rating: int
    rated_at: datetime | None = None


@dataclass(slots=True, kw_only=True)
class WriteResult:
    """What a batched write did, summed over its batches (Trakt/SIMKL/Plex alike)."""

    added: int = 0
    existing: int = 0
    updated: int = 0
    deleted: int = 0
    not_found: int = 0
    not_found_ids: list[dict[str, object]] = field(default_factory=list)
    batches: int = 0

    def merge(self, other: WriteResult) -> WriteResult:
        """Add ``other``'s counts to this one and return it."""
        self.added += other.added
        self.existing += other.existing
        self.updated += other.updated
        self.deleted += other.deleted
        self.not_found += other.not_found
        self.not_found_ids.extend(other.not_found_ids)
        self.batches += other.batches
        return self


@dataclass(frozen=True, slots=True, kw_only=True)
class ScrobbleResult:
    """A scrobble's outcome; ``already_scrobbled`` for a 409 (a success, not an error)."""

    action: str
    progress: float | None = None
    history_id: int | None = None
    item: MediaItem | None = None
    already_scrobbled: bool = False
    watched_at: datetime | None = None
    expires_at: datetime | None = None
