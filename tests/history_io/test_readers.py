"""Export readers, each against its real sample (tests/fixtures/real/SOURCES.md, "Exports")."""

from __future__ import annotations

import gc
import io
import json
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind, Play
from custom_components.crosswatch.history_io import readers
from custom_components.crosswatch.history_io.plan import plan_import
from custom_components.crosswatch.history_io.readers import (
    letterboxd_rating,
    read_export,
)
from custom_components.crosswatch.history_io.rows import ExportFileError
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.matching import weak_key

REVIEWS_HEADER = b"Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date\n"
REAL = Path(__file__).parent.parent / "fixtures" / "real"


def real(path: str) -> bytes:
    return (REAL / path).read_bytes()


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# -- Letterboxd ------------------------------------------------------------------------------------
def test_letterboxd_diary_rows_are_plays_and_a_rewatch_stays_its_own_play() -> None:
    rows = read_export("diary.csv", real("letterboxd/diary.csv"))
    assert rows.problems == []
    assert [(p.item.title, p.item.year, p.watched_at) for p in rows.plays][:2] == [
        ("Soylent Green", 1973, day("1996-08-24")),
        ("Detective Dee and the Mystery of the Phantom Flame", 2010, day("2012-07-25")),
    ]
    # The quoted title with a comma is one field; the rewatch (Rewatch=Yes) is a play of its own.
    titles = [p.item.title for p in rows.plays]
    assert "I, Frankenstein" in titles
    assert "The Legend of Drunken Master" in titles
    assert all(p.item.kind is MediaKind.MOVIE and not p.item.ids for p in rows.plays)


def test_letterboxd_rewatch_of_the_same_film_is_a_second_play() -> None:
    diary = real("letterboxd/diary.csv").decode()
    rewatch = "2019-08-19,Gremlins,1984,https://boxd.it/N4xxx,,Yes,,2019-08-18\n"
    rows = read_export("diary.csv", (diary + rewatch).encode())
    gremlins = [p.watched_at for p in rows.plays if p.item.title == "Gremlins"]
    assert gremlins == [day("2014-12-27"), day("2019-08-18")]


def test_letterboxd_half_stars_become_1_to_10() -> None:
    rows = read_export("ratings.csv", real("letterboxd/ratings.csv"))
    assert [(r.item.title, r.rating) for r in rows.ratings] == [
        ("The Shining", 10),
        ("Parasite", 10),
        ("Backcountry", 3),  # 1.5 stars
        ("The Matrix", 10),
    ]
    assert rows.ratings[2].rated_at == day("2021-07-06")
    assert [letterboxd_rating(v) for v in ("0.5", "1", "2.5", "4.5", "5")] == [1, 2, 5, 9, 10]


@pytest.mark.parametrize("value", ["0", "5.5", "2.25", "x", ""])
def test_letterboxd_rating_outside_half_stars_is_a_row_problem(value: str) -> None:
    data = f"Date,Name,Year,Letterboxd URI,Rating\n2021-01-01,Film,2000,https://boxd.it/a,{value}\n"
    rows = read_export("ratings.csv", data.encode())
    assert rows.ratings == []
    [problem] = rows.problems
    assert (problem.file, problem.row, problem.column) == ("ratings.csv", 2, "Rating")


def test_letterboxd_watchlist_is_told_from_watched_by_its_name() -> None:
    rows = read_export("watchlist.csv", real("letterboxd/watchlist.csv"))
    assert [(e.item.title, e.item.year) for e in rows.watchlist] == [
        ("Bone", 1972),
        ("Heaven\u2019s Waiting", None),  # the export leaves the year empty
        ("Synecdoche, New York", 2008),
        ("8½", 1963),
    ]
    assert rows.plays == []
    watched = read_export("watched.csv", real("letterboxd/watched.csv"))
    assert [p.item.title for p in watched.plays][:2] == [
        "Never-Ending Man: Hayao Miyazaki",
        "Night Is Short, Walk on Girl",
    ]
    assert watched.watchlist == []


def test_letterboxd_zip_keeps_diary_viewings_and_watched_only_for_films_without_one() -> None:
    data = zipped(
        {
            "diary.csv": real("letterboxd/diary.csv"),
            "watched.csv": real("letterboxd/watched.csv"),
            "ratings.csv": real("letterboxd/ratings.csv"),
            "watchlist.csv": real("letterboxd/watchlist.csv"),
            "profile.csv": b"Date Joined,Username\n2018-12-16,someone\n",
            "reviews.csv": REVIEWS_HEADER,
        }
    )
    rows = read_export("letterboxd.zip", data)
    gremlins = [p.watched_at for p in rows.plays if p.item.title == "Gremlins"]
    assert gremlins == [day("2014-12-27")]  # the diary's viewing, not watched.csv's marking day
    assert sum(p.item.title == "The Shining" for p in rows.plays) == 1  # only in watched.csv
    assert len(rows.plays) == 6 + 3
    assert (rows.count(Feature.RATINGS), rows.count(Feature.WATCHLIST)) == (4, 4)
    assert sorted(rows.files) == [
        "letterboxd.zip/diary.csv",
        "letterboxd.zip/ratings.csv",
        "letterboxd.zip/watched.csv",
        "letterboxd.zip/watchlist.csv",
    ]


# -- IMDb ------------------------------------------------------------------------------------------
def test_imdb_ratings_older_export_with_iso_dates() -> None:
    rows = read_export("ratings.csv", real("imdb/ratings_iso_dates.csv"))
    assert rows.problems == []
    first = rows.ratings[0]
    assert (first.item.ids, first.item.title, first.item.year) == (
        {"imdb": "tt10003008"},
        "The Rental",
        2020,
    )
    assert (first.rating, first.rated_at) == (6, day("2021-01-02"))
    # tvMovie, video and short are films.
    assert {r.item.kind for r in rows.ratings} == {MediaKind.MOVIE}
    assert [r.rating for r in rows.ratings] == [6, 5, 1, 6, 10]


def test_imdb_ratings_newer_export_with_us_dates_and_original_title() -> None:
    rows = read_export("ratings.csv", real("imdb/ratings_us_dates.csv"))
    assert rows.problems == []
    assert [(r.item.ids["imdb"], r.rating, r.rated_at) for r in rows.ratings][:2] == [
        ("tt0112573", 9, day("2026-01-22")),
        ("tt0454945", 1, day("2026-01-19")),
    ]


def test_imdb_list_export_is_a_watchlist_with_series_as_shows() -> None:
    rows = read_export("watchlist.csv", real("imdb/list_export.csv"))
    assert rows.problems == []
    assert rows.ratings == []  # ``Your Rating`` is empty on every row
    assert [(e.item.ids["imdb"], e.item.kind) for e in rows.watchlist] == [
        ("tt2724064", MediaKind.MOVIE),
        ("tt1094249", MediaKind.MOVIE),
        ("tt7220754", MediaKind.MOVIE),
        ("tt0056757", MediaKind.SHOW),
        ("tt0261024", MediaKind.MOVIE),
    ]
    assert rows.watchlist[0].listed_at == day("2022-05-04")


def test_imdb_list_row_with_a_rating_is_also_a_rating() -> None:
    text = real("imdb/list_export.csv").decode().replace("Anthony C. Ferrante,,", "A,7,2022-05-05")
    rows = read_export("watchlist.csv", text.encode())
    [rating] = rows.ratings
    assert (rating.item.ids, rating.rating) == ({"imdb": "tt2724064"}, 7)


def test_imdb_bad_rows_are_listed_by_line_and_column_and_good_rows_kept() -> None:
    header = real("imdb/ratings_iso_dates.csv").decode().splitlines()[0]
    good = real("imdb/ratings_iso_dates.csv").decode().splitlines()[1]
    text = "\n".join(
        [
            header,
            good,
            good.replace("tt10003008", "nm0000001"),
            good.replace(",6,2021-01-02,", ",11,2021-01-02,"),
            good.replace(",movie,", ",tvEpisode,"),
            good.replace("2021-01-02", "yesterday"),
            good + ",extra",
        ]
    )
    rows = read_export("ratings.csv", text.encode())
    assert len(rows.ratings) == 1
    assert [(p.row, p.column) for p in rows.problems] == [
        (3, "Const"),
        (4, "Your Rating"),
        (5, "Title Type"),
        (6, "Date Rated"),
        (7, None),
    ]
    assert str(rows.problems[0]).startswith("ratings.csv, row 3, column Const: ")


# -- Trakt's export --------------------------------------------------------------------------------
def test_trakt_export_history_ratings_and_watchlist_files() -> None:
    history = read_export("history-1.json", real("trakt_export/history-1.json"))
    assert [(p.item.kind, p.item.title, p.watched_at) for p in history.plays] == [
        (MediaKind.MOVIE, "The Dark Knight", datetime(2014, 3, 31, 9, 28, 53, tzinfo=UTC)),
        (MediaKind.EPISODE, "Pawnee Zoo", datetime(2014, 2, 26, 9, 28, 53, tzinfo=UTC)),
        (MediaKind.MOVIE, "TRON: Legacy", datetime(2013, 6, 15, 5, 54, 27, tzinfo=UTC)),
    ]
    episode = history.plays[1].item
    assert (episode.show_ids["tvdb"], episode.season, episode.number) == ("84912", 2, 1)
    ratings = read_export("ratings.json", real("trakt_export/ratings.json"))
    assert [r.rating for r in ratings.ratings] == [10, 10, 8, 10]
    watchlist = read_export("watchlist.json", real("trakt_export/watchlist.json"))
    assert [e.item.kind for e in watchlist.watchlist] == [
        MediaKind.MOVIE,
        MediaKind.SHOW,
        MediaKind.SEASON,
        MediaKind.EPISODE,
    ]


def test_records_read_are_kept_as_plain_tuples_the_collector_lets_go_of() -> None:
    """Read records are held for a whole import: packed, they stop being tracked (not promoted)."""
    data = zipped(
        {
            "history-1.json": real("trakt_export/history-1.json"),
            "ratings.json": real("trakt_export/ratings.json"),
            "watchlist.json": real("trakt_export/watchlist.json"),
        }
    )
    rows = read_export("trakt.zip", data)
    for _ in range(3):  # a pass may untrack only one level of the three nested tuples
        gc.collect()
    held = [*rows.plays.rows, *rows.ratings.rows, *rows.watchlist.rows]
    assert len(held) == 3 + 4 + 4
    assert not any(gc.is_tracked(row) for row in held)
    # The records read back as they were read.
    assert rows.plays[0] == Play(item=rows.plays[0].item, watched_at=rows.plays[0].watched_at)
    assert list(rows.ratings) == list(
        read_export("r.json", real("trakt_export/ratings.json")).ratings
    )


def test_trakt_export_as_a_zip() -> None:
    data = zipped(
        {
            "export/history-1.json": real("trakt_export/history-1.json"),
            "export/ratings.json": real("trakt_export/ratings.json"),
            "export/watchlist.json": real("trakt_export/watchlist.json"),
            "export/user-stats.json": b'{"movies": {"plays": 3}}',
        }
    )
    rows = read_export("trakt.zip", data)
    assert (len(rows.plays), len(rows.ratings), len(rows.watchlist)) == (3, 4, 4)
    assert rows.problems == []


def test_trakt_watched_files_give_one_play_per_title_or_episode() -> None:
    movies = [
        {
            "plays": 2,
            "last_watched_at": "2020-01-02T03:04:05.000Z",
            "movie": {"title": "Heat", "year": 1995, "ids": {"trakt": 1, "imdb": "tt0113277"}},
        }
    ]
    shows = [
        {
            "plays": 2,
            "last_watched_at": "2020-01-03T00:00:00.000Z",
            "show": {"title": "Show", "year": 2001, "ids": {"trakt": 9, "tvdb": 70}},
            "seasons": [
                {
                    "number": 1,
                    "episodes": [
                        {"number": 1, "plays": 1, "last_watched_at": "2020-01-01T00:00:00.000Z"},
                        {"number": 2, "plays": 1, "last_watched_at": "2020-01-03T00:00:00.000Z"},
                    ],
                }
            ],
        }
    ]
    rows = read_export("watched-movies.json", json.dumps(movies).encode())
    assert [(p.item.ids["imdb"], p.watched_at.year) for p in rows.plays] == [("tt0113277", 2020)]
    rows = read_export("watched-shows.json", json.dumps(shows).encode())
    assert [(p.item.show_ids["tvdb"], p.item.season, p.item.number) for p in rows.plays] == [
        ("70", 1, 1),
        ("70", 1, 2),
    ]


def test_trakt_rows_without_ids_or_time_are_problems() -> None:
    body = [
        {"type": "movie", "watched_at": "2020-01-01T00:00:00Z", "movie": {"title": "A", "ids": {}}},
        {"type": "movie", "watched_at": "soon", "movie": {"ids": {"imdb": "tt0113277"}}},
        {"type": "movie", "movie": {"ids": {"imdb": "tt0113277"}}},
        {"type": "person", "person": {}},
        "text",
        {"type": "movie", "rating": 11, "movie": {"ids": {"imdb": "tt0113277"}}},
    ]
    rows = read_export("history.json", json.dumps(body).encode())
    assert [(p.row, p.column) for p in rows.problems] == [
        (1, "ids"),
        (2, "watched_at"),
        (3, None),
        (4, "type"),
        (5, None),
        (6, "rating"),
    ]


# -- SIMKL's backup (the all-items shape; see SOURCES.md, "Exports") -----------------------------
def test_simkl_backup_gives_plays_ratings_and_plan_to_watch_as_watchlist() -> None:
    rows = read_export("SimklBackup.json", real("simkl_backup/SimklBackup.json"))
    assert rows.rows == 7
    movies = [(p.item.title, p.watched_at) for p in rows.plays if p.item.kind is MediaKind.MOVIE]
    assert movies == [
        ("Captain America: The First Avenger", datetime(2014, 8, 9, 7, 25, 55, tzinfo=UTC)),
        ("Maleficent", datetime(2014, 8, 16, 18, 45, 20, tzinfo=UTC)),
    ]
    episodes = [
        (
            p.item.show_title,
            p.item.show_ids.get("tvdb") or p.item.show_ids["mal"],
            p.item.season,
            p.item.number,
            p.watched_at.date().isoformat(),
        )
        for p in rows.plays
        if p.item.kind is MediaKind.EPISODE
    ]
    assert episodes == [
        ("The Walking Dead", "153021", 2, 1, "2011-09-01"),
        ("The Walking Dead", "153021", 2, 2, "2014-09-01"),
        ("Fate/Stay Night: Unlimited Blade Works", "22297", 1, 1, "2015-01-04"),
        ("Fate/Stay Night: Unlimited Blade Works", "22297", 1, 2, "2015-01-05"),
        ("Fate/Stay Night: Unlimited Blade Works", "22297", 1, 3, "2015-01-06"),
    ]
    assert [(r.item.kind, r.item.title, r.rating) for r in rows.ratings] == [
        (MediaKind.SHOW, "Hunter x Hunter", 10),
        (MediaKind.SHOW, "Fate/Stay Night: Unlimited Blade Works", 9),
    ]
    assert rows.ratings[0].rated_at == datetime(2021, 6, 23, 13, 19, 5, tzinfo=UTC)
    assert [(e.item.title, e.item.ids["anidb"], e.listed_at) for e in rows.watchlist] == [
        ("Ajin 2", "12111", datetime(2010, 1, 20, 20, 9, 4, tzinfo=UTC))
    ]
    # Hunter x Hunter is counted as watched (150 episodes) but lists none: told, not guessed.
    assert [str(p) for p in rows.problems] == [
        "SimklBackup.json/anime, row 1, column seasons: 150 watched episodes counted, none listed"
    ]


def test_simkl_backup_zip_is_read_and_its_csv_left_alone() -> None:
    bare = read_export("SimklBackup.json", real("simkl_backup/SimklBackup.json"))
    data = zipped(
        {
            "SimklBackup.json": real("simkl_backup/SimklBackup.json"),
            "SimklBackup.csv": b"SIMKL_ID,Title,Type\n40398,Hunter x Hunter,anime\n",
        }
    )
    rows = read_export("SimklBackup.zip", data)
    assert rows.files == ["SimklBackup.zip/SimklBackup.json"]
    assert (rows.plays, rows.ratings, rows.watchlist) == (bare.plays, bare.ratings, bare.watchlist)
    assert [p.file for p in rows.problems] == ["SimklBackup.zip/SimklBackup.json/anime"]


def test_simkl_backup_bad_rows_are_listed_and_their_good_parts_kept() -> None:
    show = {"title": "The Walking Dead", "year": 2010, "ids": {"simkl": 2090, "tvdb": "153021"}}
    body = {
        "movies": [
            "text",
            {"status": "completed", "last_watched_at": None, "movie": {"title": "No ids"}},
            {
                "status": "completed",
                "last_watched_at": None,
                "user_rating": 7,
                "movie": {"title": "Maleficent", "ids": {"simkl": 195258}},
            },
            {"status": "completed", "last_watched_at": "yesterday", "movie": {"ids": {"simkl": 1}}},
        ],
        "shows": [
            {
                "status": "watching",
                "user_rating": 11,
                "show": show,
                "seasons": [
                    {
                        "number": 2,
                        "episodes": [
                            {"number": 1, "watched_at": "2011-09-01T14:44:00Z"},
                            {"number": 2},
                        ],
                    }
                ],
            }
        ],
    }
    rows = read_export("SimklBackup.json", json.dumps(body).encode())
    assert [(p.file, p.row, p.column) for p in rows.problems] == [
        ("SimklBackup.json/movies", 1, None),
        ("SimklBackup.json/movies", 2, "movie.ids"),
        ("SimklBackup.json/movies", 3, "last_watched_at"),
        ("SimklBackup.json/movies", 4, "last_watched_at"),
        ("SimklBackup.json/shows", 1, "user_rating"),
        ("SimklBackup.json/shows", 1, "seasons"),
    ]
    assert "not a time: 'yesterday'" in rows.problems[3].reason
    assert rows.problems[5].reason == "1 watched episodes without watched_at"
    # Kept: Maleficent's rating, the timed episode; dropped: the 11 and the untimed episode.
    assert [(r.item.title, r.rating) for r in rows.ratings] == [("Maleficent", 7)]
    assert [(p.item.season, p.item.number) for p in rows.plays] == [(2, 1)]


# -- whole files that cannot be read ---------------------------------------------------------------
def test_too_large_a_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_BYTES", 100)
    with pytest.raises(ExportFileError, match=r"ratings\.csv: larger than"):
        read_export("ratings.csv", b"x" * 101)


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_ROWS", 3)
    data = real("letterboxd/diary.csv")
    with pytest.raises(ExportFileError, match="more than 3 rows"):
        read_export("diary.csv", data)
    with pytest.raises(ExportFileError, match="more than 3 rows"):
        read_export("history-1.json", real("trakt_export/ratings.json"))
    with pytest.raises(ExportFileError, match="more than 3 rows"):
        read_export("SimklBackup.json", real("simkl_backup/SimklBackup.json"))


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.csv", b"a,b\n1,2\n", "not a CrossWatch, Letterboxd or IMDb export"),
        ("broken.json", b'[{"type": "movie",', "not valid JSON (line 1"),
        pytest.param("deep.json", b"[" * 100_000, "(nested too deeply)", id="deep"),
        pytest.param("rows.json", b'[{"a":' * 100_000, "(nested too deeply)", id="deep-rows"),
        ("object.json", b'{"hello": 1}', "nor a SIMKL backup (movies/shows/anime lists)"),
        ("SimklBackup.csv", b"SIMKL_ID,Title\n1,x\n", "SIMKL's CSV backup is not read"),
        ("other.json", b'[{"name": "x"}]', "neither CrossWatch's nor Trakt's"),
        ("latin1.csv", "Name,Année\n".encode("latin-1"), "not UTF-8 text"),
        ("fake.zip", b"PK\x03\x04garbage", "not a readable ZIP file"),
        ("empty.zip", zipped({"readme.txt": b"hi"}), "holds no export file"),
    ],
)
def test_unreadable_files_name_the_file_and_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(ExportFileError) as raised:
        read_export(name, data)
    assert raised.value.file == name
    assert reason in raised.value.reason


def test_zip_unpacking_beyond_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = zipped({"diary.csv": real("letterboxd/diary.csv")})
    monkeypatch.setattr(readers, "MAX_BYTES", len(data) + 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("diary.csv", real("letterboxd/diary.csv") * 3)
    big = buffer.getvalue()
    assert len(big) <= len(data)  # small packed, large unpacked
    with pytest.raises(ExportFileError, match="unpacks to more than"):
        read_export("big.zip", big)


# -- hostile files: a lying ZIP, values with no number, fields over the CSV limit ----------------
DIARY_HEADER = "Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n"
HEAT = "2021-01-02,Heat,1995,https://boxd.it/a,,,,2021-01-02\n"


def _set_declared_size(data: bytes, size: int) -> bytes:
    """``data`` (a one-member ZIP) declaring ``size`` unpacked bytes in both its headers."""
    patched = bytearray(data)
    struct.pack_into("<I", patched, 22, size)  # local file header: uncompressed size
    central = patched.rfind(b"PK\x01\x02")
    struct.pack_into("<I", patched, central + 24, size)  # central directory: uncompressed size
    return bytes(patched)


def test_zip_lying_about_its_size_is_refused_without_inflating_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "MAX_BYTES", 1024 * 1024)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("diary.csv", (DIARY_HEADER + HEAT).encode() + bytes(30 * 1024 * 1024))
    bomb = _set_declared_size(buffer.getvalue(), 1000)
    assert len(bomb) < 100 * 1024  # 30 MiB of zeros packed small, declared as 1,000 bytes
    tracemalloc.start()
    try:
        with pytest.raises(ExportFileError) as raised:
            read_export("bomb.zip", bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raised.value.file == "bomb.zip"
    assert "diary.csv cannot be unpacked" in raised.value.reason
    assert peak < 8 * 1024 * 1024  # at most the cap is inflated, never the 30 MiB


def test_a_zip_member_is_read_no_further_than_what_is_left_of_the_cap() -> None:
    # zipfile stops at the size a header declares; the budget holds even where it would not.
    data = zipped({"diary.csv": (DIARY_HEADER + HEAT).encode() + b" " * 4096})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [info] = archive.infolist()
        assert len(readers._unpack(archive, info, "x.zip", 8192)) == info.file_size
        with pytest.raises(ExportFileError, match="unpacks to more than"):
            readers._unpack(archive, info, "x.zip", 4096)


def _damaged(data: bytes) -> bytes:
    patched = bytearray(data)
    patched[60:64] = b"\xff\xff\xff\xff"  # inside the packed data of the first member
    return bytes(patched)


def _encrypted(data: bytes) -> bytes:
    patched = bytearray(data)
    central = patched.rfind(b"PK\x01\x02")
    patched[central + 8] |= 0x1  # the "encrypted" flag zipfile reads from the directory
    return bytes(patched)


@pytest.mark.parametrize("spoil", [_damaged, _encrypted])
def test_a_damaged_or_encrypted_zip_member_names_the_file(spoil: Callable[[bytes], bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("diary.csv", (DIARY_HEADER + HEAT * 50).encode())
    with pytest.raises(ExportFileError) as raised:
        read_export("export.zip", spoil(buffer.getvalue()))
    assert raised.value.file == "export.zip"
    assert raised.value.reason.startswith("diary.csv cannot be unpacked (")


@pytest.mark.parametrize("rating", ["NaN", "inf", "-inf", float("nan"), 1e400, float("-inf")])
def test_a_rating_that_is_no_finite_number_is_a_row_problem(rating: object) -> None:
    good = {"kind": "movie", "ids": {"tmdb": "9"}, "title": "B", "rating": 7}
    bad = {"kind": "movie", "ids": {"tmdb": "1"}, "title": "A", "rating": rating}
    trakt = {"type": "movie", "movie": {"ids": {"tmdb": 1}}, "rating": rating}
    # json writes NaN and Infinity, which Python's json reads back (1e400 reads as Infinity).
    rows = read_export("ratings.json", json.dumps([good, bad, good]).encode())
    assert [(p.row, p.column) for p in rows.problems] == [(2, "rating")]
    assert [r.rating for r in rows.ratings] == [7, 7]
    rows = read_export("ratings.json", json.dumps([trakt]).encode())
    assert [(p.row, p.column) for p in rows.problems] == [(1, "rating")]


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity"])
def test_csv_ratings_that_are_no_finite_number_are_row_problems(value: str) -> None:
    letterboxd = f"Date,Name,Year,Letterboxd URI,Rating\n2021-01-02,Heat,1995,x,{value}\n"
    rows = read_export("ratings.csv", (letterboxd + "2021-01-02,Up,2009,y,4.5\n").encode())
    assert [(p.row, p.column) for p in rows.problems] == [(2, "Rating")]
    assert [r.rating for r in rows.ratings] == [9]
    imdb = "Const,Your Rating,Date Rated\n"
    rows = read_export("ratings.csv", f"{imdb}tt0113277,{value},2021-01-02\n".encode())
    assert [(p.row, p.column) for p in rows.problems] == [(2, "Your Rating")]


def test_a_year_of_digits_int_cannot_read_is_a_row_problem() -> None:
    rows = read_export("diary.csv", (DIARY_HEADER + HEAT.replace("1995", "199\u00b2")).encode())
    assert [(p.row, p.column) for p in rows.problems] == [(2, "Year")]
    rows = read_export("diary.csv", (DIARY_HEADER + HEAT.replace("1995", "1" * 5000)).encode())
    assert [(p.row, p.column) for p in rows.problems] == [(2, "Year")]  # over int's 4300 digits
    text = (
        "kind,ids,title,season,episode,watched_at\nepisode,tvdb:1,S,\u00b2,1,2020-01-01T00:00:00Z\n"
    )
    rows = read_export("history.csv", text.encode())
    assert [(p.row, p.column) for p in rows.problems] == [(2, "season")]


def test_a_csv_field_over_the_parser_limit_is_a_row_problem_and_later_rows_are_read() -> None:
    huge = '2021-01-03,Cats,2019,https://boxd.it/b,,,"' + "x" * 200_000 + '",2021-01-03\n'
    up = HEAT.replace("Heat,1995", "Up,2009")
    late = up.replace("2021-01-02", "soon")
    rows = read_export("diary.csv", (DIARY_HEADER + HEAT + huge + up + late).encode())
    assert [p.item.title for p in rows.plays] == ["Heat", "Up"]
    refused, undated = rows.problems
    assert (refused.file, refused.row, refused.column) == ("diary.csv", 3, None)
    assert refused.reason.startswith("not readable as CSV (field larger than field limit")
    assert (undated.row, undated.column) == (5, "Watched Date")


def test_a_csv_header_over_the_parser_limit_names_the_file() -> None:
    with pytest.raises(ExportFileError) as raised:
        read_export("diary.csv", ('"' + "x" * 200_000 + '",Name\n' + HEAT).encode())
    assert raised.value.file == "diary.csv"
    assert raised.value.reason.startswith("line 1: not readable as CSV (")


def test_odd_json_values_found_by_fuzzing_are_row_problems_not_crashes() -> None:
    crosswatch = [{"kind": "movie", "ids": {"tmdb": "1"}, "title": "A", "watched_at": 1e400}]
    rows = read_export("h.json", json.dumps(crosswatch).encode())
    assert [(p.row, p.column) for p in rows.problems] == [(1, "watched_at")]
    trakt = [{"movie": {"ids": {"tmdb": 5}}, "rating": 8, "rated_at": float("nan")}]
    rows = read_export("r.json", json.dumps(trakt).encode())
    assert [(r.rating, r.rated_at) for r in rows.ratings] == [(8, None)]
    shows = [
        {"show": {"ids": {"tvdb": 1}}, "seasons": 5},
        {"show": "", "seasons": [{"episodes": 1}]},
    ]
    assert read_export("watched-shows.json", json.dumps(shows).encode()).plays == []
    show = {"show": {"ids": {"simkl": 2}}, "seasons": [{"number": 1, "episodes": 1}]}
    backup = {"shows": [{**show, "watched_episodes_count": 3}]}
    [problem] = read_export("SimklBackup.json", json.dumps(backup).encode()).problems
    assert problem.column == "seasons"


# -- what a ZIP holds besides the export's files ---------------------------------------------------
ORPHANED = (
    "letterboxd.zip/letterboxd-u/orphaned/diary.csv: entries of films Letterboxd no longer lists"
)
PROFILE = (
    "letterboxd.zip/letterboxd-u/profile.csv: not a CrossWatch, Letterboxd or IMDb export "
    "(its header has none of their columns)"
)


def test_letterboxd_deleted_orphaned_and_liked_entries_are_not_plays() -> None:
    # A real export's subfolders repeat the root's file names (SOURCES.md, "Exports").
    cats = DIARY_HEADER + "2021-02-02,Cats,2019,https://boxd.it/b,,,,2021-02-02\n"
    liked = "Date,Name,Year,Letterboxd URI\n2021-03-03,Up,2009,https://boxd.it/c\n"
    data = zipped(
        {
            "letterboxd-u/diary.csv": (DIARY_HEADER + HEAT).encode(),
            "letterboxd-u/deleted/diary.csv": cats.encode(),
            "letterboxd-u/orphaned/diary.csv": cats.encode(),
            "letterboxd-u/likes/films.csv": liked.encode(),
            "letterboxd-u/profile.csv": b"Date Joined,Username\n2018-12-16,someone\n",
        }
    )
    rows = read_export("letterboxd.zip", data)
    assert [p.item.title for p in rows.plays] == ["Heat"]
    assert rows.files == ["letterboxd.zip/letterboxd-u/diary.csv"]
    assert rows.skipped == [
        "letterboxd.zip/letterboxd-u/deleted/diary.csv: entries deleted on Letterboxd",
        "letterboxd.zip/letterboxd-u/likes/films.csv: likes, not viewings",
        ORPHANED,
        PROFILE,
    ]


APPLE_DOUBLE = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        \x00\x02\xff\xfe\x80"


def test_macos_resource_forks_and_undecodable_unknown_files_do_not_refuse_the_zip() -> None:
    data = zipped(
        {
            "export/diary.csv": (DIARY_HEADER + HEAT).encode(),
            "__MACOSX/export/._diary.csv": APPLE_DOUBLE,
            "export/._diary.csv": APPLE_DOUBLE,
            "export/notes.csv": "Année\n".encode("latin-1"),
        }
    )
    rows = read_export("letterboxd.zip", data)
    assert [p.item.title for p in rows.plays] == ["Heat"]
    assert rows.skipped == ["letterboxd.zip/export/notes.csv: not UTF-8 text (byte 4)"]


def test_an_undecodable_file_named_as_an_export_still_refuses_the_zip() -> None:
    data = zipped({"export/diary.csv": "Name,Année\n".encode("latin-1")})
    with pytest.raises(ExportFileError) as raised:
        read_export("letterboxd.zip", data)
    assert raised.value.file == "letterboxd.zip/export/diary.csv"
    assert raised.value.reason == "not UTF-8 text (byte 9)"


def test_same_day_letterboxd_rewatches_stay_two_plays_and_a_second_import_adds_none() -> None:
    rewatch = HEAT.replace("https://boxd.it/a,,,", "https://boxd.it/b,,Yes,")
    third = HEAT.replace("https://boxd.it/a,,,", "https://boxd.it/c,,Yes,")
    data = (DIARY_HEADER + HEAT + rewatch + HEAT.replace("Heat,1995", "Up,2009") + third).encode()
    rows = read_export("diary.csv", data)
    midnight = day("2021-01-02")
    assert [(p.item.title, p.watched_at - midnight) for p in rows.plays] == [
        ("Heat", timedelta(0)),
        ("Heat", timedelta(minutes=2)),  # more than the 60 s within which plays are one
        ("Up", timedelta(0)),
        ("Heat", timedelta(minutes=4)),
    ]
    assert read_export("diary.csv", data).plays == rows.plays  # the same times every import
    heat = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "949"}, title="Heat", year=1995)
    up = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "14160"}, title="Up", year=2009)
    guesses = {weak_key(p.item): m for p, m in zip(rows.plays, [heat, heat, up, heat], strict=True)}
    target = {Feature.HISTORY: Inventory.from_plays([])}
    plan = plan_import(rows, target, trakt_capabilities(), guesses=guesses)
    assert len(plan.plays) == 4
    again = {Feature.HISTORY: Inventory.from_plays(list(plan.plays))}
    replan = plan_import(rows, again, trakt_capabilities(), guesses=guesses)
    assert replan.preview[Feature.HISTORY].to_add == 0


def test_a_stray_opening_quote_is_reported_on_its_line_and_the_rows_after_it_are_read() -> None:
    stray = '2021-01-03,"Cats,2019,https://boxd.it/b,,,,2021-01-03\n'
    up = HEAT.replace("Heat,1995", "Up,2009")
    rows = read_export("diary.csv", (DIARY_HEADER + HEAT + "\n" + stray + up * 3).encode())
    assert [p.item.title for p in rows.plays] == ["Heat", "Up", "Up", "Up"]
    [problem] = rows.problems
    assert (problem.row, problem.column) == (4, None)
    assert problem.reason == "a quote opened on this line is not closed (the row ran to line 7)"
    # Rows read again after it keep their own line numbers.
    late = up.replace("2021-01-02\n", "soon\n")
    text = DIARY_HEADER + HEAT + stray + up + late
    problems = read_export("d.csv", text.encode()).problems
    assert [(p.row, p.column) for p in problems] == [(3, None), (5, "Watched Date")]


def test_a_quoted_field_over_several_lines_is_still_one_field() -> None:
    review = '2021-01-03,"Cats",2019,https://boxd.it/b,,,"tag one,\ntag two",2021-01-03\n'
    rows = read_export("diary.csv", (DIARY_HEADER + review + HEAT).encode())
    assert rows.problems == []
    assert [p.item.title for p in rows.plays] == ["Cats", "Heat"]


def test_a_zip_of_more_files_than_any_export_is_refused_before_it_is_opened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {f"lists/{n}.csv": b"" for n in range(11)}
    data = zipped({"diary.csv": (DIARY_HEADER + HEAT).encode(), **files})
    monkeypatch.setattr(readers, "MAX_MEMBERS", 12)
    assert [p.item.title for p in read_export("ok.zip", data).plays] == ["Heat"]
    monkeypatch.setattr(readers, "MAX_MEMBERS", 11)
    with pytest.raises(ExportFileError, match=r"many\.zip: holds more than 11 files"):
        read_export("many.zip", data)
    # Counted from the bytes, so no ZipFile (which builds every entry first) is made.
    monkeypatch.setattr(readers.zipfile, "ZipFile", None)
    with pytest.raises(ExportFileError, match="holds more than 11 files"):
        read_export("many.zip", data)
