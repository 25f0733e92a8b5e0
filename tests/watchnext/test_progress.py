"""Resume points from the recorded playback rows, and the plan of a progress pair."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.client import PlexLibraryItem
from custom_components.crosswatch.watchnext.progress import (
    PLEX_WATCHED_AT,
    TRAKT_WATCHED_AT,
    Action,
    ResumePoint,
    match_keys,
    offset_ms,
    plan_progress,
    plex_points,
    simkl_points,
    trakt_points,
)

from .helpers import body

T0 = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def test_recorded_trakt_playback() -> None:
    movie, episode = trakt_points(body("trakt/sync_playback.json"))
    assert (movie.item.kind, movie.item.ids["imdb"], movie.progress, movie.ref) == (
        MediaKind.MOVIE,
        "tt0372784",
        10.0,
        "13",
    )
    assert movie.at == datetime(2015, 1, 25, 22, 1, 32, tzinfo=UTC)
    assert (episode.item.season, episode.item.number, episode.progress) == (0, 1, 65.5)
    assert "imdb" not in episode.item.ids  # recorded as ""
    assert episode.item.show_ids["tvdb"] == "81189"
    old = trakt_points(body("trakt/sync_playback_movies_without_id.json"))
    assert [(p.item.title, p.progress, p.ref) for p in old] == [
        ("TRON: Legacy", 64.0, None),
        ("100 Bloody Acres", 0.0, None),
    ]
    assert (
        trakt_points([None, {"type": "show", "show": {}, "progress": 5}, {"type": "movie"}]) == []
    )


def test_recorded_simkl_playback() -> None:
    episode, movie = simkl_points(body("simkl/sync_playback.json"))
    assert (episode.item.kind, episode.item.season, episode.item.number) == (
        MediaKind.EPISODE,
        1,
        5,
    )
    assert episode.item.show_ids == {
        "simkl": "12345",
        "simkl_slug": "breaking-bad",
        "tmdb": "1429",
        "imdb": "tt0903747",
    }
    assert (episode.progress, episode.ref) == (45.5, "123")
    assert (movie.item.kind, movie.item.ids["tmdb"], movie.progress) == (
        MediaKind.MOVIE,
        "27205",
        75.0,
    )


def test_simkl_anime_uses_the_tvdb_numbering() -> None:
    row = {
        "id": 9,
        "progress": 20,
        "paused_at": "2024-01-15T10:30:00.000Z",
        "type": "episode",
        "episode": {"season": 1, "episode": 4, "tvdb_season": 2, "tvdb_number": 4},
        "anime": {"title": "X", "ids": {"simkl": 1, "tvdb": "2"}},
    }
    [point] = simkl_points([row, {"progress": 1}, {"progress": 5, "movie": {"ids": {}}}, "x"])
    assert (point.item.season, point.item.number) == (2, 4)
    no_numbers = {**row, "episode": {"title": "?"}}
    assert simkl_points([no_numbers]) == []


def _plex(offset: int | None, kind: MediaKind = MediaKind.MOVIE) -> PlexLibraryItem:
    item = MediaItem(kind=kind, ids={"imdb": "tt1375666"}, title="Inception")
    return PlexLibraryItem(
        rating_key="101",
        item=item,
        duration_ms=8_880_000,
        view_offset_ms=offset,
        last_viewed_at=T0,
    )


def test_plex_points_from_view_offsets() -> None:
    [point] = plex_points([_plex(1_776_000), _plex(None), _plex(0), _plex(5, MediaKind.SHOW)])
    assert (point.progress, point.ref, point.at, point.duration_ms) == (20.0, "101", T0, 8_880_000)
    assert offset_ms(replace(point, progress=50.0), 8_880_000) == 4_440_000


def _movie(progress: float, at: datetime | None, ref: str = "1", **ids: str) -> ResumePoint:
    item = MediaItem(kind=MediaKind.MOVIE, ids=ids or {"imdb": "tt1375666"}, title="Inception")
    return ResumePoint(item=item, progress=progress, at=at, ref=ref)


def _episode(progress: float, at: datetime, **show_ids: str) -> ResumePoint:
    item = MediaItem(
        kind=MediaKind.EPISODE, show_ids=show_ids, show_title="Breaking Bad", season=1, number=5
    )
    return ResumePoint(item=item, progress=progress, at=at)


def test_newest_point_wins_each_way() -> None:
    old, new = _movie(20, T0), _movie(55, T0 + timedelta(hours=1), ref="2")
    plan = plan_progress([old], [new])
    [change] = plan.changes
    assert (change.side, change.action, change.point, change.target) == ("a", Action.SET, new, old)
    assert plan.baseline == match_keys(old.item)
    [change] = plan_progress([new], [old]).changes
    assert (change.side, change.point) == ("b", new)


def test_episodes_match_by_show_ids_and_numbers() -> None:
    trakt = _episode(30, T0, tvdb="81189", imdb="tt0903747")
    simkl = _episode(60, T0 + timedelta(minutes=5), simkl="12345", imdb="tt0903747")
    [change] = plan_progress([trakt], [simkl]).changes
    assert (change.side, change.point) == ("a", simkl)
    other_episode = replace(simkl, item=replace(simkl.item, number=6))
    changes = plan_progress([trakt], [other_episode]).changes
    assert sorted(c.side for c in changes) == ["a", "b"]  # two different episodes, each carried


def test_same_point_and_unknown_times_change_nothing() -> None:
    assert plan_progress([_movie(40.0, T0)], [_movie(40.6, T0 + timedelta(days=1))]).changes == []
    plan = plan_progress([_movie(20, None)], [_movie(60, None)])
    assert plan.changes == []
    assert plan.baseline == frozenset()
    # a timed point beats one without a time
    [change] = plan_progress([_movie(20, None)], [_movie(60, T0)]).changes
    assert change.side == "a"


def test_a_resume_point_never_marks_watched() -> None:
    # 85% is a resume point on Plex (watched from 90%) but "watched" on Trakt (from 80%)
    plex, trakt = _movie(85, T0 + timedelta(hours=1)), _movie(30, T0)
    plan = plan_progress([trakt], [plex], watched_at=(TRAKT_WATCHED_AT, PLEX_WATCHED_AT))
    assert (plan.changes, plan.skipped_watched) == ([], 1)
    # the other way it is carried: Plex keeps 85% as a resume point
    [change] = plan_progress([plex], [], watched_at=(PLEX_WATCHED_AT, PLEX_WATCHED_AT)).changes
    assert change.side == "b"
    # below Trakt's 1% floor nothing is carried (Trakt answers 422)
    assert plan_progress([_movie(0.0, T0)], []).changes == []


def _shared(point: ResumePoint, at: datetime) -> dict[str, float]:
    """The baseline after a run at ``at`` where both sides held ``point``."""
    return dict.fromkeys(plan_progress([point], [point]).baseline, at.timestamp())


def test_removals_are_carried_only_when_on_and_never_undone() -> None:
    point = _movie(40, T0)
    baseline = _shared(point, T0 + timedelta(minutes=1))
    assert baseline
    # side b dropped it since the last run
    plan = plan_progress([point], [], baseline)
    assert plan.changes == []  # off: nothing, not even a re-add ...
    assert plan.kept == baseline  # ... and the next run still knows it was dropped
    assert plan_progress([point], [], plan.kept).changes == []
    [change] = plan_progress([point], [], baseline, removals=True).changes
    assert (change.side, change.action, change.point.ref) == ("a", Action.REMOVE, "1")
    [change] = plan_progress([], [point], baseline, removals=True).changes
    assert (change.side, change.action) == ("b", Action.REMOVE)
    # a new point (not in the baseline) is added, not removed
    other = _movie(40, T0, imdb="tt0137523")
    [change] = plan_progress([other], [], baseline, removals=True).changes
    assert (change.side, change.action) == ("b", Action.SET)


def test_a_fresh_pause_after_a_removal_is_carried() -> None:
    baseline = _shared(_movie(40, T0), T0 + timedelta(minutes=1))
    # b dropped it, then a paused it again later: a new resume point, not a leftover
    again = _movie(55, T0 + timedelta(days=2))
    [change] = plan_progress([again], [], baseline, removals=True).changes
    assert (change.side, change.action, change.point) == ("b", Action.SET, again)


def test_a_quiet_run_keeps_the_stamps() -> None:
    point = _movie(40, T0)
    baseline = _shared(point, T0 + timedelta(minutes=1))
    plan = plan_progress([point], [replace(point, progress=40.5)], baseline)
    assert (plan.changes, plan.kept) == ([], baseline)
    # a later pause at the same place is shared anew (stamped by the run, not kept)
    later = replace(point, at=T0 + timedelta(days=1))
    plan = plan_progress([later], [point], baseline)
    assert (plan.changes, plan.kept, plan.baseline) == ([], {}, match_keys(point.item))


def test_one_way_writes_only_the_target() -> None:
    old, new = _movie(20, T0), _movie(55, T0 + timedelta(hours=1), ref="2")
    assert plan_progress([old], [new], one_way=True).changes == []
    assert plan_progress([], [new], one_way=True).changes == []
    [change] = plan_progress([new], [old], one_way=True).changes
    assert change.side == "b"
    # a one-way mirror removes from the target only
    baseline = _shared(old, T0 + timedelta(minutes=1))
    assert plan_progress([], [old], baseline, removals=True, one_way=True).changes[0].side == "b"
    assert plan_progress([old], [], baseline, removals=True, one_way=True).changes == []


def test_points_without_a_strong_id_are_left_alone() -> None:
    nameless = replace(_movie(40, T0), item=MediaItem(kind=MediaKind.MOVIE, title="Home video"))
    assert plan_progress([nameless], []).changes == []


def test_a_side_with_one_point_per_show_gets_the_newest_episode_only() -> None:
    e3 = _episode(30, T0, tvdb="81189")
    later = _episode(60, T0 + timedelta(hours=2), tvdb="81189")
    e4 = replace(later, item=replace(e3.item, number=6))
    [change] = plan_progress([e3, e4], [], per_show=(False, True)).changes
    assert change.point == e4
    # the show's newer point already there stands; an older episode is not carried over it
    assert plan_progress([e3], [e4], per_show=(False, True)).changes[0].side == "a"
    assert plan_progress([e3], [e4], per_show=(False, True)).changes[0].point == e4
    assert len(plan_progress([e3], [e4], per_show=(False, False)).changes) == 2
