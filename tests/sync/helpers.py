"""Small builders for sync tests."""

from __future__ import annotations

from datetime import UTC, datetime

from custom_components.crosswatch.api.models import (
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
)
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.plan import Side
from custom_components.crosswatch.sync.titles import UnmatchedTitle

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T0_TS = T0.timestamp()


def movie(
    tmdb: int | None = None,
    *,
    imdb: str | None = None,
    title: str | None = None,
    year: int | None = None,
    **ids: str,
) -> MediaItem:
    all_ids = dict(ids)
    if tmdb is not None:
        all_ids["tmdb"] = str(tmdb)
    if imdb is not None:
        all_ids["imdb"] = imdb
    return MediaItem(kind=MediaKind.MOVIE, ids=all_ids, title=title, year=year)


def show(tmdb: int, **ids: str) -> MediaItem:
    return MediaItem(kind=MediaKind.SHOW, ids={"tmdb": str(tmdb), **ids})


def episode(show_tmdb: int, season: int, number: int, **ids: str) -> MediaItem:
    return MediaItem(
        kind=MediaKind.EPISODE,
        ids=ids,
        show_ids={"tmdb": str(show_tmdb)},
        season=season,
        number=number,
    )


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0_TS + seconds, UTC)


def watchlist(*items: MediaItem) -> Inventory:
    return Inventory.from_watchlist(WatchlistEntry(item=i, listed_at=T0) for i in items)


def history(*plays: tuple[MediaItem, float]) -> Inventory:
    return Inventory.from_plays(Play(item=i, watched_at=at(s)) for i, s in plays)


def ratings(*rated: tuple[MediaItem, int, float | None]) -> Inventory:
    return Inventory.from_ratings(
        Rating(item=i, rating=r, rated_at=None if s is None else at(s)) for i, r, s in rated
    )


def unmatched_title(key: str, *features: str, seen: float = 0.0) -> UnmatchedTitle:
    """A film without ids the target could not be told about, last seen at ``seen``."""
    return UnmatchedTitle(
        key=key,
        side=Side.TARGET,
        kind=MediaKind.MOVIE,
        title=None,
        year=None,
        ids={},
        reason="no_usable_id",
        features=features,
        entries=1,
        first_seen=seen,
        last_seen=seen,
    )
