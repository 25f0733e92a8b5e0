"""CrossWatch's own schema: what the writer writes, the reader reads back unchanged."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from custom_components.crosswatch.api.models import (
    Feature,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
)
from custom_components.crosswatch.history_io.plan import plan_import
from custom_components.crosswatch.history_io.readers import read_export
from custom_components.crosswatch.history_io.schema import ids_from_text, ids_to_text
from custom_components.crosswatch.history_io.writer import export_counts, write_export_zip
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities
from custom_components.crosswatch.sync.inventory import Inventory

T = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
MOVIE = MediaItem(
    kind=MediaKind.MOVIE, ids={"imdb": "tt0133093", "tmdb": "603"}, title="The Matrix", year=1999
)
SHOW = MediaItem(kind=MediaKind.SHOW, ids={"tvdb": "81189"}, title="Breaking Bad", year=2008)
EPISODE = MediaItem(
    kind=MediaKind.EPISODE,
    ids={"tvdb": "349232"},
    year=2008,
    show_ids={"tvdb": "81189", "imdb": "tt0903747"},
    show_title="Breaking Bad",
    season=1,
    number=1,
)
SEASON = MediaItem(
    kind=MediaKind.SEASON, show_ids={"tmdb": "1396"}, show_title="Breaking Bad", season=2
)


def inventories(
    plays: list[Play], ratings: list[Rating], watchlist: list[WatchlistEntry]
) -> dict[Feature, Inventory]:
    """An account holding these records (what an export reads)."""
    return {
        Feature.HISTORY: Inventory.from_plays(plays),
        Feature.RATINGS: Inventory.from_ratings(ratings),
        Feature.WATCHLIST: Inventory.from_watchlist(watchlist),
    }


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_written_zip_reads_back_as_the_same_records(fmt: str) -> None:
    plays = [
        Play(item=EPISODE, watched_at=T),
        Play(item=MOVIE, watched_at=T),
        Play(item=MOVIE, watched_at=T.replace(year=2025)),
    ]
    ratings = [Rating(item=MOVIE, rating=9, rated_at=T), Rating(item=SEASON, rating=7)]
    # Not every service tells when a title was listed: the export leaves ``listed_at`` empty.
    watchlist = [WatchlistEntry(item=SHOW, listed_at=T), WatchlistEntry(item=MOVIE)]
    data = write_export_zip(inventories(plays, ratings, watchlist), fmt)  # type: ignore[arg-type]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"{n}.{fmt}" for n in ("history", "ratings", "watchlist")
        )
    rows = read_export("backup.zip", data)
    assert rows.problems == []
    assert export_counts(inventories(plays, ratings, watchlist)) == {
        "history": 3,
        "ratings": 2,
        "watchlist": 2,
    }
    assert sorted(rows.plays, key=lambda p: (p.watched_at, p.item.kind)) == sorted(
        plays, key=lambda p: (p.watched_at, p.item.kind)
    )
    assert rows.ratings == ratings
    assert rows.watchlist == watchlist
    # Read back into the same account, nothing is new.
    plan = plan_import(rows, inventories(plays, ratings, watchlist), trakt_capabilities())
    assert {f.value: p.to_add for f, p in plan.preview.items()} == {
        "history": 0,
        "ratings": 0,
        "watchlist": 0,
    }


@pytest.mark.parametrize("name", ["history.csv", "mine.csv"])
def test_a_row_with_nothing_to_import_outside_a_watchlist_file_is_a_problem(name: str) -> None:
    text = (
        "kind,ids,title,year,season,episode,watched_at,rating,listed_at\nmovie,tmdb:603,M,,,,,,\n"
    )
    rows = read_export(name, text.encode())
    assert [(p.row, p.reason) for p in rows.problems] == [
        (2, "has no watched_at, rating or listed_at")
    ]
    listed = read_export("my-watchlist.csv", text.encode())
    assert [(e.item.ids, e.listed_at) for e in listed.watchlist] == [({"tmdb": "603"}, None)]


def test_json_file_carries_its_format_name_and_version() -> None:
    data = write_export_zip(inventories([Play(item=MOVIE, watched_at=T)], [], []))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = json.loads(archive.read("history.json"))
    assert (body["format"], body["version"]) == ("crosswatch-history", 1)
    assert body["rows"] == [
        {
            "kind": "movie",
            "ids": {"imdb": "tt0133093", "tmdb": "603"},
            "title": "The Matrix",
            "year": 1999,
            "watched_at": "2024-05-06T07:08:09Z",
        }
    ]


def test_ids_text_round_trip_and_errors() -> None:
    assert ids_to_text({"tmdb": "603", "imdb": "tt0133093"}) == "imdb:tt0133093;tmdb:603"
    assert ids_from_text("imdb:tt0133093; TMDB:603;", "ids") == {"imdb": "tt0133093", "tmdb": "603"}
    with pytest.raises(ValueError, match="ids: not type:value"):
        ids_from_text("tt0133093", "ids")


def test_handwritten_csv_bad_rows_are_named_and_good_ones_read() -> None:
    lines = [
        "kind,ids,title,year,season,episode,watched_at,rating,listed_at",
        "movie,imdb:tt0133093,The Matrix,1999,,,2024-01-01T20:00:00Z,,",
        "film,imdb:tt0133093,The Matrix,1999,,,2024-01-01T20:00:00Z,,",
        "movie,,,,,,2024-01-01T20:00:00Z,,",
        "episode,tvdb:81189,Breaking Bad,2008,,3,2024-01-01T20:00:00Z,,",
        "episode,tvdb:81189,Breaking Bad,2008,1,,2024-01-01T20:00:00Z,,",
        "season,,Breaking Bad,2008,1,,,8,",
        "movie,imdb:tt0133093,The Matrix,nineteen,,,2024-01-01T20:00:00Z,,",
        "movie,imdb:tt0133093,The Matrix,1999,,,,,",
        "movie,imdb:tt0133093,The Matrix,1999,,,,7.5,",
        "movie,imdb tt0133093,The Matrix,1999,,,,,2024-01-01",
        "show,,Dark,2017,,,,,2024-01-01T00:00:00Z",
    ]
    rows = read_export("mine.csv", "\n".join(lines).encode())
    assert [(p.row, p.column) for p in rows.problems] == [
        (3, "kind"),
        (4, "ids"),
        (5, "season"),
        (6, "episode"),
        (7, "ids"),
        (8, "year"),
        (9, None),
        (10, "rating"),
        (11, "ids"),
    ]
    assert [p.item.title for p in rows.plays] == ["The Matrix"]
    # A title without ids is read (it is matched by title + year later).
    assert [(e.item.title, e.item.ids) for e in rows.watchlist] == [("Dark", {})]
