from __future__ import annotations

import gc
import json
from datetime import datetime

import pytest

from custom_components.crosswatch.api.models import Feature, Play, Rating, WatchlistEntry
from custom_components.crosswatch.sync.inventory import (
    Entry,
    Inventory,
    from_timestamp,
    to_timestamp,
)

from .helpers import T0, T0_TS, at, episode, history, movie, ratings, watchlist


def test_naive_datetimes_are_utc() -> None:
    assert to_timestamp(datetime(2026, 1, 1)) == T0_TS  # noqa: DTZ001
    assert from_timestamp(T0_TS) == T0


def test_watchlist_keeps_earliest_listing() -> None:
    inv = Inventory.from_watchlist(
        [
            WatchlistEntry(item=movie(1), listed_at=at(100)),
            WatchlistEntry(item=movie(1), listed_at=at(50)),
            WatchlistEntry(item=movie(1), listed_at=None),
            WatchlistEntry(item=movie(2)),
        ]
    )
    assert inv.entries["movie:tmdb:1"].listed_at == T0_TS + 50
    assert inv.entries["movie:tmdb:2"].listed_at is None
    assert len(inv) == inv.size == 2


def test_history_groups_plays_and_counts_them() -> None:
    ep = episode(1, 1, 1)
    inv = history((ep, 300), (ep, 100), (movie(1), 0))
    assert inv.entries["episode:show:tmdb:1:s1e1"].plays == (T0_TS + 100, T0_TS + 300)
    assert (len(inv), inv.size) == (2, 3)
    earlier = inv.with_plays_added([Play(item=movie(1), watched_at=at(-5))])
    assert earlier.entries["movie:tmdb:1"].plays == (T0_TS - 5, T0_TS)


def test_ratings_keep_newest_and_reject_out_of_range() -> None:
    inv = Inventory.from_ratings(
        [
            Rating(item=movie(1), rating=5, rated_at=at(10)),
            Rating(item=movie(1), rating=9, rated_at=at(20)),
            Rating(item=movie(1), rating=2, rated_at=None),
        ]
    )
    assert inv.entries["movie:tmdb:1"].rating == 9
    for bad in (0, 11):
        with pytest.raises(ValueError, match="outside 1-10"):
            Inventory.from_ratings([Rating(item=movie(1), rating=bad)])


def test_round_trip_through_json() -> None:
    item = episode(1, 2, 3, tvdb="9")
    for inv in (
        watchlist(movie(1, imdb="tt1", title="Heat", year=1995)),
        history((item, 0), (item, 5)),
        ratings((movie(2), 7, 3.5), (movie(3), 4, None)),
        Inventory(Feature.WATCHLIST),
    ):
        data = json.loads(json.dumps(inv.to_dict()))
        assert Inventory.from_dict(data) == inv
    added = watchlist().with_entry("k", Entry(item=movie(1)))
    assert list(added.entries) == ["k"]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"feature": "watchlist", "entries": []},
        {"feature": "nope", "entries": {}},
        {"feature": "watchlist", "entries": {"k": "x"}},
        {"feature": "watchlist", "entries": {"k": {"item": {"kind": "alien"}}}},
        {"feature": "watchlist", "entries": {"k": {"item": {"kind": "movie", "ids": {"a": 1}}}}},
        {"feature": "watchlist", "entries": {"k": {"item": {"kind": "movie", "ids": []}}}},
        {"feature": "watchlist", "entries": {"k": {"item": {"kind": "movie", "year": "1995"}}}},
        {"feature": "watchlist", "entries": {"k": {"item": {"kind": "movie", "year": True}}}},
        {"feature": "history", "entries": {"k": {"item": {"kind": "movie"}, "plays": 5}}},
        {"feature": "history", "entries": {"k": {"item": {"kind": "movie"}, "plays": ["x"]}}},
        {"feature": "watchlist", "entries": {"k": {"item": {"kind": "movie"}, "listed_at": True}}},
        {"feature": "watchlist", "entries": {"k": {}}},
    ],
)
def test_malformed_inventory_is_a_clear_error(data: dict) -> None:
    with pytest.raises(ValueError, match="malformed inventory"):
        Inventory.from_dict(data)


def test_play_round_trip_keeps_the_moment() -> None:
    play = Play(item=movie(1), watched_at=at(12.25))
    inv = Inventory.from_plays([play])
    assert inv.entries["movie:tmdb:1"].plays == (T0_TS + 12.25,)


def test_an_inventory_holds_nothing_the_garbage_collector_tracks_per_entry() -> None:
    """A pair keeps its baselines between runs; every full collection walks tracked objects."""
    ep = episode(1, 1, 1)
    read = history((ep, 300), (ep, 100), (movie(1), 0))
    stored = Inventory.from_dict(json.loads(json.dumps(read.to_dict())))
    later = read.with_plays_added([Play(item=ep, watched_at=at(9))])
    inventories = (read, stored, ratings((movie(2), 7, 10)), later)
    for _ in range(4):  # a pass may untrack only one level of the four nested tuples
        gc.collect()
    for inventory in inventories:
        assert inventory.rows
        assert not [row for row in inventory.rows.values() if gc.is_tracked(row)]
    assert stored == read
    assert stored.entries["movie:tmdb:1"] == read.entries["movie:tmdb:1"]
