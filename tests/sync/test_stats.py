"""Watch statistics: plays and minutes per hour from a history, then incrementally."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.sync.stats import (
    HOUR,
    OVERLAP,
    Ledger,
    Series,
    StatRow,
    WatchedPlay,
)

DAY = 24 * HOUR


def ts(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC).timestamp()


def movie(key: str, when: float, minutes: float | None = 120) -> WatchedPlay:
    return WatchedPlay(
        key=f"movie:tmdb:{key}", kind=MediaKind.MOVIE, watched_at=when, minutes=minutes
    )


def episode(key: str, when: float, minutes: float | None = 45) -> WatchedPlay:
    return WatchedPlay(
        key=f"episode:tvdb:{key}", kind=MediaKind.EPISODE, watched_at=when, minutes=minutes
    )


HISTORY = [
    movie("603", ts(1, 20, 10)),
    episode("1", ts(1, 21, 0)),
    episode("2", ts(1, 21, 50)),  # same hour as the first episode
    movie("604", ts(2, 19, 0), minutes=None),  # runtime unknown: a play, no minutes
    episode("3", ts(3, 22, 0)),
    WatchedPlay(key="show:tmdb:1", kind=MediaKind.SHOW, watched_at=ts(3, 22, 0)),  # not a play
]


def day_total(ledger: Ledger, series: Series, day: int) -> float:
    return ledger.total(series, ts(day, 0), ts(day, 0) + DAY)


def test_a_backfill_counts_plays_and_minutes_per_day_movies_and_episodes_apart() -> None:
    ledger, first = Ledger().add(HISTORY)
    assert first == int(ts(1, 20) // HOUR)
    assert [day_total(ledger, Series.MOVIE_PLAYS, d) for d in (1, 2, 3)] == [1, 1, 0]
    assert [day_total(ledger, Series.EPISODE_PLAYS, d) for d in (1, 2, 3)] == [2, 0, 1]
    assert [day_total(ledger, Series.MOVIE_MINUTES, d) for d in (1, 2, 3)] == [120, 0, 0]
    assert [day_total(ledger, Series.EPISODE_MINUTES, d) for d in (1, 2, 3)] == [90, 0, 45]
    assert ledger.rows(Series.EPISODE_PLAYS) == [
        StatRow(start=ts(1, 21), state=2, sum=2),
        StatRow(start=ts(3, 22), state=1, sum=3),
    ]
    assert ledger.watermark == ts(3, 22)
    assert ledger.read_from() == ts(3, 22) - OVERLAP
    assert Ledger().read_from() is None


def test_one_new_play_adds_to_its_hour_without_repeating_the_past() -> None:
    ledger, _ = Ledger().add(HISTORY)
    # The next read starts before the watermark: it returns the last play again, plus a new one.
    read = [episode("3", ts(3, 22, 0)), movie("605", ts(4, 1, 30))]
    later, first = ledger.add(read)
    assert first == int(ts(4, 1) // HOUR)
    assert later.rows(Series.MOVIE_PLAYS, first) == [StatRow(start=ts(4, 1), state=1, sum=3)]
    assert later.rows(Series.EPISODE_PLAYS, first) == []
    assert day_total(later, Series.EPISODE_PLAYS, 3) == 1  # not counted twice
    # Nothing new: nothing changed.
    same, none = later.add(read)
    assert none is None
    assert same == later


def test_a_late_post_inside_the_window_moves_the_sums_after_it() -> None:
    ledger, _ = Ledger().add(HISTORY)
    late, first = ledger.add([episode("4", ts(3, 20, 0))])  # within OVERLAP before the watermark
    assert first == int(ts(3, 20) // HOUR)
    assert late.rows(Series.EPISODE_PLAYS, first) == [
        StatRow(start=ts(3, 20), state=1, sum=3),
        StatRow(start=ts(3, 22), state=1, sum=4),
    ]
    # Older than the window: taken as counted (a read from the watermark cannot see it anyway).
    old, none = late.add([episode("5", ts(1, 2, 0))])
    assert none is None
    assert old.hours == late.hours


def test_the_ledger_round_trips_and_refuses_malformed_data() -> None:
    ledger, _ = Ledger().add(HISTORY)
    assert Ledger.from_dict(json.loads(json.dumps(ledger.to_dict()))) == ledger
    assert Ledger.from_dict({}) == Ledger()
    bads: list[dict[str, Any]] = [
        {"hours": {"x": [1, 2, 3, 4]}},
        {"hours": {"1": [1]}},
        {"recent": []},
    ]
    for bad in bads:
        with pytest.raises(ValueError, match="malformed watch statistics"):
            Ledger.from_dict(bad)
    assert Series.MOVIE_MINUTES.minutes
    assert not Series.EPISODE_PLAYS.minutes
