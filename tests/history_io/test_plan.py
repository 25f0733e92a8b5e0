"""Planning an import: the preview, and that an import never removes and never repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from custom_components.crosswatch.api.models import (
    Feature,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
)
from custom_components.crosswatch.history_io.plan import (
    ImportPlan,
    Outcome,
    lookups_needed,
    pick_guess,
    plan_import,
)
from custom_components.crosswatch.history_io.readers import read_export
from custom_components.crosswatch.history_io.rows import ExportRows
from custom_components.crosswatch.providers.simkl.side import SIMKL_CAPABILITIES
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.matching import weak_key

REAL = Path(__file__).parent.parent / "fixtures" / "real"
T = datetime(2024, 1, 1, 20, 0, tzinfo=UTC)
MATRIX = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0133093"}, title="The Matrix", year=1999)
HEAT = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "949"}, title="Heat", year=1995)
EPISODE = MediaItem(
    kind=MediaKind.EPISODE,
    show_ids={"tvdb": "81189"},
    show_title="Breaking Bad",
    season=1,
    number=2,
)
TRAKT = trakt_capabilities()


def empty() -> dict[Feature, Inventory]:
    return {
        Feature.HISTORY: Inventory.from_plays([]),
        Feature.RATINGS: Inventory.from_ratings([]),
        Feature.WATCHLIST: Inventory.from_watchlist([]),
    }


def after(target: dict[Feature, Inventory], plan: ImportPlan) -> dict[Feature, Inventory]:
    """The target once the plan's records are written to it."""
    history = target[Feature.HISTORY].with_plays_added(plan.plays)
    ratings = Inventory.from_ratings(
        [
            Rating(item=e.item, rating=e.rating or 1)
            for e in target[Feature.RATINGS].entries.values()
        ]
        + list(plan.ratings)
    )
    watchlist = Inventory.from_watchlist(
        [WatchlistEntry(item=e.item) for e in target[Feature.WATCHLIST].entries.values()]
        + list(plan.watchlist)
    )
    return {Feature.HISTORY: history, Feature.RATINGS: ratings, Feature.WATCHLIST: watchlist}


def test_plays_already_there_within_60_s_are_not_posted_and_rewatches_are() -> None:
    target = empty()
    target[Feature.HISTORY] = Inventory.from_plays([Play(item=MATRIX, watched_at=T)])
    rows = ExportRows(
        plays=[
            Play(item=MATRIX, watched_at=T + timedelta(seconds=59)),  # the same play
            Play(item=MATRIX, watched_at=T + timedelta(days=30)),  # a rewatch
            Play(item=MATRIX, watched_at=T + timedelta(days=30, seconds=20)),  # same, in the file
            Play(item=EPISODE, watched_at=T),
        ]
    )
    plan = plan_import(rows, {Feature.HISTORY: target[Feature.HISTORY]}, TRAKT)
    assert [(p.item.kind, p.watched_at) for p in plan.plays] == [
        (MediaKind.MOVIE, T + timedelta(days=30)),
        (MediaKind.EPISODE, T),
    ]
    preview = plan.preview[Feature.HISTORY]
    assert (preview.read, preview.matched, preview.already_on_target, preview.to_add) == (
        4,
        4,
        2,
        2,
    )
    assert preview.samples[Outcome.ADD] == ["The Matrix (1999)", "Breaking Bad S01E02"]


def test_a_play_61_s_away_is_another_play() -> None:
    target = {Feature.HISTORY: Inventory.from_plays([Play(item=MATRIX, watched_at=T)])}
    rows = ExportRows(plays=[Play(item=MATRIX, watched_at=T + timedelta(seconds=61))])
    assert len(plan_import(rows, target, TRAKT).plays) == 1


def test_a_target_without_play_times_gets_one_play_per_title_it_lacks() -> None:
    target = {Feature.HISTORY: Inventory.from_plays([Play(item=HEAT, watched_at=T)])}
    rows = ExportRows(
        plays=[
            Play(item=HEAT, watched_at=T + timedelta(days=9)),
            Play(item=MATRIX, watched_at=T),
            Play(item=MATRIX, watched_at=T + timedelta(days=9)),
        ]
    )
    plan = plan_import(rows, target, SIMKL_CAPABILITIES)
    assert [(p.item.title, p.watched_at) for p in plan.plays] == [("The Matrix", T)]


def test_ratings_and_watchlist_only_add_never_change() -> None:
    target = empty()
    target[Feature.RATINGS] = Inventory.from_ratings([Rating(item=MATRIX, rating=6)])
    target[Feature.WATCHLIST] = Inventory.from_watchlist([WatchlistEntry(item=HEAT)])
    rows = ExportRows(
        ratings=[
            Rating(item=MATRIX, rating=9, rated_at=T),  # rated otherwise there: kept as it is
            Rating(item=HEAT, rating=7, rated_at=T),
            Rating(item=HEAT, rating=8, rated_at=T + timedelta(days=1)),  # the newer rating wins
        ],
        watchlist=[
            WatchlistEntry(item=HEAT),
            WatchlistEntry(item=MATRIX),
            WatchlistEntry(item=MATRIX),
        ],
    )
    plan = plan_import(rows, target, TRAKT)
    assert [(r.item.title, r.rating) for r in plan.ratings] == [("Heat", 8)]
    assert [e.item.title for e in plan.watchlist] == ["The Matrix"]
    assert plan.plays == []
    assert plan.preview[Feature.WATCHLIST].already_on_target == 2


def test_rows_without_ids_match_the_target_by_title_and_year_or_a_guess_else_unmatched() -> None:
    rows = read_export("diary.csv", (REAL / "letterboxd" / "diary.csv").read_bytes())
    gremlins = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "927"}, title="Gremlins", year=1984)
    brick = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "9270"}, title="Soylent Green", year=1973)
    target = {
        Feature.HISTORY: Inventory.from_plays(
            [Play(item=gremlins, watched_at=datetime(2014, 12, 27, tzinfo=UTC))]
        )
    }
    key = weak_key(MediaItem(kind=MediaKind.MOVIE, title="Soylent Green", year=1973))
    assert key is not None
    plan = plan_import(rows, target, TRAKT, guesses={key: brick})
    preview = plan.preview[Feature.HISTORY]
    assert (preview.read, preview.matched, preview.guessed) == (6, 2, 2)
    assert (preview.already_on_target, preview.to_add, preview.unmatched) == (1, 1, 4)
    assert preview.unmatched_reasons == {"no_ids": 4}
    assert [(p.item.ids, p.watched_at.year) for p in plan.plays] == [({"tmdb": "9270"}, 1996)]
    assert "I, Frankenstein (2014)" in preview.samples[Outcome.UNMATCHED]


def test_a_row_whose_ids_name_no_title_there_matched_by_title_and_year_is_a_guess() -> None:
    """Its ids (IMDb) and the target's title (TMDb only) differ: the title and year decided."""
    theirs = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "949"}, title="Heat", year=1995)
    mine = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0113277"}, title="Heat", year=1995)
    target = {
        Feature.HISTORY: Inventory.from_plays([Play(item=theirs, watched_at=T)]),
        Feature.RATINGS: Inventory.from_ratings([Rating(item=theirs, rating=3)]),
    }
    rows = ExportRows(plays=[Play(item=mine, watched_at=T)], ratings=[Rating(item=mine, rating=9)])
    plan = plan_import(rows, target, SIMKL_CAPABILITIES)
    for feature in (Feature.HISTORY, Feature.RATINGS):
        preview = plan.preview[feature]
        assert (preview.matched, preview.guessed, preview.already_on_target) == (1, 1, 1)
    assert (plan.plays, plan.ratings) == ([], [])  # the rating there is kept, as ever


def test_kinds_the_target_cannot_hold_are_unmatched_with_the_reason() -> None:
    season = MediaItem(
        kind=MediaKind.SEASON, show_ids={"tmdb": "1396"}, show_title="Breaking Bad", season=2
    )
    rows = ExportRows(ratings=[Rating(item=season, rating=8), Rating(item=MATRIX, rating=8)])
    plan = plan_import(rows, {Feature.RATINGS: Inventory.from_ratings([])}, SIMKL_CAPABILITIES)
    assert [r.item.title for r in plan.ratings] == ["The Matrix"]
    assert plan.preview[Feature.RATINGS].unmatched_reasons == {"unsupported_kind": 1}
    assert plan.preview[Feature.RATINGS].as_dict()["samples"] == {
        "unmatched": ["Breaking Bad season 2"],
        "to_add": ["The Matrix (1999)"],
    }


def test_importing_the_same_file_twice_adds_nothing_the_second_time() -> None:
    files = [
        "trakt_export/history-1.json",
        "trakt_export/ratings.json",
        "trakt_export/watchlist.json",
    ]
    rows = ExportRows()
    for name in files:
        rows.extend(read_export(name, (REAL / name).read_bytes()))
    target = empty()
    first = plan_import(rows, target, TRAKT)
    assert (len(first.plays), len(first.ratings), len(first.watchlist)) == (3, 4, 4)
    second = plan_import(rows, after(target, first), TRAKT)
    assert second.writes == 0
    assert second.preview[Feature.HISTORY].already_on_target == 3


def test_only_the_chosen_features_are_planned() -> None:
    rows = ExportRows(
        plays=[Play(item=MATRIX, watched_at=T)], ratings=[Rating(item=MATRIX, rating=9)]
    )
    plan = plan_import(rows, {Feature.RATINGS: Inventory.from_ratings([])}, TRAKT)
    assert set(plan.preview) == {Feature.RATINGS}
    assert plan.plays == []


def test_lookups_are_the_id_less_movies_and_shows_of_the_chosen_features_once_each() -> None:
    rows = read_export("diary.csv", (REAL / "letterboxd" / "diary.csv").read_bytes())
    rows.plays.append(rows.plays[0])  # the same film twice is looked up once
    rows.plays.append(Play(item=MATRIX, watched_at=T))  # has ids: not looked up
    wanted = lookups_needed(rows, [Feature.HISTORY])
    assert [(i.title, i.year) for i in wanted][:2] == [
        ("Soylent Green", 1973),
        ("Detective Dee and the Mystery of the Phantom Flame", 2010),
    ]
    assert len(wanted) == 6
    assert lookups_needed(rows, [Feature.RATINGS]) == []


def test_a_guess_is_made_only_when_one_candidate_fits() -> None:
    wanted = MediaItem(kind=MediaKind.MOVIE, title="Gremlins", year=1984)
    right = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "927"}, title="gremlins ", year=1984)
    sequel = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "928"}, title="Gremlins 2", year=1990)
    remake = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "9"}, title="Gremlins", year=2030)
    show = MediaItem(kind=MediaKind.SHOW, ids={"tmdb": "5"}, title="Gremlins", year=1984)
    assert pick_guess(wanted, [sequel, right, remake, show]) == right
    assert pick_guess(wanted, [sequel, remake]) is None
    twin = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "99"}, title="Gremlins", year=1984)
    assert pick_guess(wanted, [right, twin]) is None
