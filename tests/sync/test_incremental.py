"""Merging a read of changes into a baseline, read marks in the pair state, picking play ids."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind, Play
from custom_components.crosswatch.providers.trakt.side import pick_history_ids, play_windows
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.side import only_additions
from custom_components.crosswatch.sync.state import PairState, ReadMark

from .helpers import T0_TS, at, episode, history, movie, show, watchlist


def _plays(inventory: Inventory) -> dict[str, tuple[float, ...]]:
    return {key: entry.plays for key, entry in inventory.entries.items()}


def test_plays_from_the_window_on_are_replaced_and_older_ones_stay() -> None:
    kept_title, new_title = movie(1), movie(2)
    base = history((kept_title, 0), (kept_title, 500), (movie(3), 600))
    fresh = [
        Play(item=kept_title, watched_at=at(700)),
        Play(item=new_title, watched_at=at(800)),
        Play(item=movie(9), watched_at=at(100)),  # before the window: the base already holds it
    ]
    merged = base.with_plays_since(T0_TS + 400, fresh)
    assert _plays(merged) == {
        "movie:tmdb:1": (T0_TS, T0_TS + 700),  # 500 is gone from the window, 700 is new
        "movie:tmdb:2": (T0_TS + 800,),
        # movie 3's only play fell in the window and is not in the fresh read: gone.
    }
    assert base.with_plays_since(T0_TS + 400, []).size == 1


def test_a_fresh_play_joins_the_title_it_matches_by_any_strong_id() -> None:
    base = history((movie(1, imdb="tt1"), 0))
    named_differently = movie(imdb="tt1", trakt="77")
    merged = base.with_plays_since(T0_TS + 10, [Play(item=named_differently, watched_at=at(20))])
    assert list(merged.entries) == ["movie:tmdb:1"]
    assert merged.entries["movie:tmdb:1"].plays == (T0_TS, T0_TS + 20)
    assert merged.entries["movie:tmdb:1"].item == movie(1, imdb="tt1")


def test_a_title_whose_window_plays_all_went_can_come_back() -> None:
    title = movie(1)
    base = history((title, 50), (title, 60))
    merged = base.with_plays_since(T0_TS + 40, [Play(item=title, watched_at=at(70))])
    assert _plays(merged) == {"movie:tmdb:1": (T0_TS + 70,)}


def test_titles_are_replaced_with_their_episodes() -> None:
    base = history(
        (episode(10, 1, 1), 0),
        (episode(10, 1, 2), 0),
        (episode(11, 1, 1), 0),
        (movie(1), 0),
        (movie(2), 0),
    )
    fresh = history((episode(10, 1, 3), 5), (movie(1), 9))
    merged = base.with_titles_replaced([show(10), movie(1)], fresh)
    assert set(merged.entries) == {
        "episode:show:tmdb:10:s1e3",
        "episode:show:tmdb:11:s1e1",
        "movie:tmdb:1",
        "movie:tmdb:2",
    }
    assert merged.entries["movie:tmdb:1"].plays == (T0_TS + 9,)
    # A movie and a show may share a tmdb number: only the same kind matches.
    assert set(base.with_titles_replaced([show(1)], history()).entries) == set(base.entries)


def test_a_title_off_the_list_leaves_the_watchlist() -> None:
    base = watchlist(movie(1), movie(2), show(3))
    merged = base.with_titles_replaced([movie(1), show(3)], watchlist(show(3)))
    assert set(merged.entries) == {"movie:tmdb:2", "show:tmdb:3"}


def test_a_read_of_changes_stands_only_when_it_adds_and_loses_nothing() -> None:
    title = movie(1)
    base = history((title, 0), (title, 20), (movie(2), 30))
    window = T0_TS + 10
    same = [Play(item=title, watched_at=at(20)), Play(item=movie(2), watched_at=at(30))]
    assert only_additions(base, base.with_plays_since(window, same)) is None  # nothing new
    grown = base.with_plays_since(window, [*same, Play(item=title, watched_at=at(20))])
    assert only_additions(base, grown) is grown  # a second play at the same time is new
    new_title = base.with_plays_since(window, [*same, Play(item=movie(3), watched_at=at(40))])
    assert only_additions(base, new_title) is new_title
    lost_play = [Play(item=title, watched_at=at(50)), Play(item=movie(2), watched_at=at(30))]
    assert only_additions(base, base.with_plays_since(window, lost_play)) is None
    lost_title = [Play(item=title, watched_at=at(20)), Play(item=title, watched_at=at(50))]
    assert only_additions(base, base.with_plays_since(window, lost_title)) is None


def test_read_marks_survive_the_store_and_old_states_have_none() -> None:
    state = PairState(read_marks={"target:history": ReadMark(since=5.0, full_at=2.0)})
    assert PairState.from_dict(state.to_dict()) == state
    old = state.to_dict()
    del old["read_marks"]
    assert PairState.from_dict(old).read_marks == {}
    broken = {**state.to_dict(), "read_marks": {"target:history": {"since": "x", "full_at": 1}}}
    with pytest.raises(ValueError, match="malformed pair state"):
        PairState.from_dict(broken)
    with pytest.raises(ValueError, match="malformed pair state"):
        PairState.from_dict({**state.to_dict(), "read_marks": {"target:history": {"since": 1}}})


def _play(seconds: float, history_id: int | None) -> Play:
    return Play(item=movie(1), watched_at=at(seconds), history_id=history_id)


def test_planned_times_pick_the_nearest_play_once_each() -> None:
    plays = [_play(0, 1), _play(30, 2), _play(1000, 3), _play(5, None)]
    assert pick_history_ids(plays, [T0_TS + 29, T0_TS + 29]) == [2, 1]
    assert pick_history_ids(plays, [T0_TS + 500]) == []  # nothing within the tolerance
    assert pick_history_ids(plays, [T0_TS + 1000, T0_TS + 1000]) == [3]


@given(
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
    st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
    st.integers(min_value=0, max_value=10_000),
)
def test_merging_a_window_equals_reading_everything(
    before: list[int], after: list[int], start: int
) -> None:
    """Whatever the base held in the window, a re-read of it gives what a whole read would."""
    title = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "1"})
    held_before = [t for t in before if t < start]
    base = history(*((title, t) for t in before))
    fresh = [Play(item=title, watched_at=at(t)) for t in after if t >= start]
    whole = history(*((title, t) for t in held_before + [t for t in after if t >= start]))
    merged = base.with_plays_since(T0_TS + start, fresh)
    assert merged == whole
    assert merged.feature is Feature.HISTORY


def test_play_windows_merge_when_they_touch() -> None:
    assert play_windows([]) == []
    assert play_windows([500, 0, 100, 1000]) == [(-60, 160), (440, 560), (940, 1060)]
    assert play_windows([0, 121]) == [(-60, 60), (61, 181)]


def test_plays_added_skip_those_held_and_never_take_any_away() -> None:
    base = history((movie(1, imdb="tt1"), 0), (movie(2), 5))
    added = base.with_plays_added(
        [
            Play(item=movie(imdb="tt1"), watched_at=at(0)),  # held already
            Play(item=movie(imdb="tt1"), watched_at=at(9)),
            Play(item=movie(3), watched_at=at(7)),
        ]
    )
    assert _plays(added) == {
        "movie:tmdb:1": (T0_TS, T0_TS + 9),
        "movie:tmdb:2": (T0_TS + 5,),
        "movie:tmdb:3": (T0_TS + 7,),
    }
