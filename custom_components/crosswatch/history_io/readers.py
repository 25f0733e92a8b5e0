"""Readers of watch-history exports: CrossWatch's own, Trakt's, SIMKL's, Letterboxd's and IMDb's.

``read_export(name, data)`` takes one uploaded file (a ZIP, a JSON or a CSV file) and tells the
format from its content, not its name: a CSV by its header, a JSON file by the shape of its rows.
Good rows are read; each bad one is listed with its file, row and column; a file that cannot be
read at all (too large, too many rows, not an export) raises ``ExportFileError``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import lzma
import math
import re
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..api.ids import digits, normalize_ids
from ..api.json_rows import json_with_list
from ..api.models import Feature, MediaItem, MediaKind, Play, Rating, WatchlistEntry
from ..api.wire import as_list, parse_time
from ..providers.simkl.client import SECTIONS as SIMKL_SECTIONS
from ..providers.simkl.client import SimklEntry, SimklLibrary, library_entry
from ..providers.trakt.client import item_from_row
from ..sync.planner import PLAY_TOLERANCE
from .rows import MAX_BYTES, MAX_ROWS, ExportFileError, ExportRows, Records, RowProblem
from .schema import item_from_record

type Record = Mapping[str, Any]


class _RowError(ValueError):
    """One row's problem: the column it is in and why."""

    def __init__(self, column: str | None, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def read_export(name: str, data: bytes) -> ExportRows:
    """Read one uploaded file: a ZIP of exports, or one JSON or CSV export."""
    if len(data) > MAX_BYTES:
        raise ExportFileError(name, f"larger than {_megabytes(MAX_BYTES)}")
    if data[:4] == b"PK\x03\x04":
        return _read_zip(name, data)
    return _letterboxd_watched_after_diary(_read_file(name, data))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


# More files than any export holds: zipfile makes an object of each before we look at one.
MAX_MEMBERS = 10_000


def _read_zip(name: str, data: bytes) -> ExportRows:
    # Each entry of the central directory starts so (zipfile checks): at least as many entries.
    if data.count(b"PK\x01\x02") > MAX_MEMBERS:
        raise ExportFileError(name, f"holds more than {MAX_MEMBERS} files")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise ExportFileError(name, "not a readable ZIP file") from err
    out = ExportRows()
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir() and info.filename.lower().endswith((".json", ".csv"))
        ]
        if sum(info.file_size for info in members) > MAX_BYTES:
            raise ExportFileError(name, f"unpacks to more than {_megabytes(MAX_BYTES)}")
        unpacked = 0
        for info in sorted(members, key=lambda info: info.filename):
            unpacked += _read_member(archive, info, name, MAX_BYTES - unpacked, out)
            if out.rows > MAX_ROWS:
                raise ExportFileError(name, f"more than {MAX_ROWS} rows")
    if not out.files:
        raise ExportFileError(name, "holds no export file this integration reads")
    return _letterboxd_watched_after_diary(out)


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int, out: ExportRows
) -> int:
    """Add one member's rows to ``out`` (or list it as skipped); the bytes it unpacked."""
    label = f"{name}/{info.filename}"
    folders = {folder.casefold() for folder in info.filename.split("/")[:-1]}
    if "__macosx" in folders or info.filename.rsplit("/", 1)[-1].startswith("._"):
        return 0  # macOS's resource forks, added by its Finder's "Compress"
    if unread := folders & _UNREAD_FOLDERS.keys():
        out.skipped.append(f"{label}: {_UNREAD_FOLDERS[min(unread)]}")
        return 0
    member = _unpack(archive, info, name, budget)
    try:
        out.extend(_read_file(label, member))
    except _NotTextError as err:
        if _known_name(info.filename):
            raise
        out.skipped.append(str(err))  # not named as an export we read, nor text at all
    except _NotAnExportError as err:
        out.skipped.append(str(err))  # files we do not read (Letterboxd's profile.csv)
    return len(member)


# What unpacking a damaged, encrypted or unsupported ZIP member raises.
_UNPACK_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int) -> bytes:
    """One member's bytes, at most ``budget`` of them.

    The sizes a ZIP declares may lie: read whole (``archive.read``), a small ZIP that declares
    1,000 bytes but holds a gigabyte of zeros is inflated in one piece before its checksum fails.
    Reading at most ``budget + 1`` bytes inflates no more than that.
    """
    try:
        with archive.open(info) as member:
            data = member.read(budget + 1)
    except _UNPACK_ERRORS as err:
        raise ExportFileError(name, f"{info.filename} cannot be unpacked ({err})") from err
    if len(data) > budget:
        raise ExportFileError(name, f"unpacks to more than {_megabytes(MAX_BYTES)}")
    return data


class _NotAnExportError(ExportFileError):
    """A file in a ZIP that is not one of the exports we read (skipped there, an error alone)."""


class _NotTextError(ExportFileError):
    """A file that is not UTF-8 text (skipped in a ZIP unless named as an export we read)."""


# Folders of a Letterboxd export whose files repeat the export's names but are no viewings:
# ``deleted/`` holds what the member deleted, ``orphaned/`` entries of films Letterboxd no longer
# has, ``likes/`` the films liked (tests/fixtures/real/SOURCES.md, "Exports").
_UNREAD_FOLDERS = {
    "deleted": "entries deleted on Letterboxd",
    "likes": "likes, not viewings",
    "orphaned": "entries of films Letterboxd no longer lists",
}
# The names of the files we read (a file so named must be readable, even in a ZIP).
_KNOWN_NAMES = re.compile(r"(history|watched|ratings|watchlist|diary|simklbackup)\b", re.IGNORECASE)


def _known_name(path: str) -> bool:
    return _KNOWN_NAMES.match(path.rsplit("/", 1)[-1]) is not None


def _read_file(name: str, data: bytes) -> ExportRows:
    text = _decode(name, data)
    stripped = text.lstrip()
    rows = _read_json(name, stripped) if stripped[:1] in ("[", "{") else _read_csv(name, text)
    rows.files.append(name)
    return rows


def _decode(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise _NotTextError(name, f"not UTF-8 text (byte {err.start + 1})") from err


# -- JSON: CrossWatch's schema, Trakt's export, SIMKL's backup ----------------------------------
def _read_json(name: str, text: str) -> ExportRows:
    # Each row is decoded when reached, converted and let go of before the next: one
    # ``json.loads`` of a 7.6 MiB Trakt history export holds the interpreter (and with it Home
    # Assistant's loop, even from the executor) for ~120 ms, and a whole file's decoded rows
    # (five dicts per Trakt play) held at once would be promoted towards a full collection.
    try:
        body = json_with_list(text, "rows")
        # Trakt's files are lists of rows; CrossWatch's JSON is {"format": ..., "rows": [...]}.
        rows = body.get("rows") if isinstance(body, Mapping) else body
        if isinstance(rows, Iterator):
            return _read_json_rows(name, rows)
    except json.JSONDecodeError as err:
        raise _not_json(name, err) from err
    except RecursionError as err:  # brackets nested thousands deep: no export is
        raise ExportFileError(name, "not valid JSON (nested too deeply)") from err
    if any(isinstance(body.get(section), list) for section in SIMKL_SECTIONS):
        return _read_simkl_backup(name, body)
    raise _NotAnExportError(
        name,
        "not a list of rows (CrossWatch, Trakt) nor a SIMKL backup (movies/shows/anime lists)",
    )


def _not_json(name: str, err: json.JSONDecodeError) -> ExportFileError:
    return ExportFileError(name, f"not valid JSON (line {err.lineno}, column {err.colno})")


def _read_json_rows(name: str, rows: Iterator[Any]) -> ExportRows:
    """Rows of CrossWatch's schema or Trakt's export, each converted as it is decoded."""
    out = ExportRows()
    reader: Callable[[Record, ExportRows], None] | None = None
    for number, row in enumerate(rows, start=1):
        out.rows = number
        if number > MAX_ROWS:
            raise ExportFileError(name, f"more than {MAX_ROWS} rows")
        if not isinstance(row, Mapping):
            out.problems.append(
                RowProblem(file=name, row=number, column=None, reason="not an object")
            )
            continue
        # The first object tells the format.
        if reader is None and "kind" in row:
            reader = _crosswatch_listed if _watchlist_file(name) else _crosswatch_record
        elif reader is None and any(k in row for k in ("movie", "show", "episode", "season")):
            reader = _trakt_record
        elif reader is None:
            raise _NotAnExportError(name, "rows are neither CrossWatch's nor Trakt's")
        try:
            reader(row, out)
        except _RowError as err:
            out.problems.append(
                RowProblem(file=name, row=number, column=err.column, reason=err.reason)
            )
    return out


def _trakt_record(row: Record, out: ExportRows) -> None:
    """One row of Trakt's export: the rows its API answers (history, ratings, watchlist)."""
    if "seasons" in row and "show" in row:  # watched-shows: one play per episode's last watch
        _trakt_watched_show(row, out)
        return
    item = item_from_row(row)
    if item is None:
        raise _RowError("type", "names no movie, show, season or episode")
    if not item.ids and not item.show_ids:
        raise _RowError("ids", "has no ids")
    read = False
    if "watched_at" in row or "last_watched_at" in row:
        key = "watched_at" if "watched_at" in row else "last_watched_at"
        watched_at = parse_time(row.get(key))
        if watched_at is None:
            raise _RowError(key, f"not a time: {row.get(key)!r}")
        out.plays.append(Play(item=item, watched_at=watched_at))
        read = True
    if "rating" in row:
        out.ratings.append(
            Rating(
                item=item,
                rating=_rating_1_10(row.get("rating"), "rating"),
                rated_at=parse_time(row.get("rated_at")),
            )
        )
        read = True
    if "listed_at" in row:
        out.watchlist.append(WatchlistEntry(item=item, listed_at=parse_time(row.get("listed_at"))))
        read = True
    if not read:
        raise _RowError(None, "has no watched_at, rating or listed_at")


def _trakt_watched_show(row: Record, out: ExportRows) -> None:
    show = row.get("show")
    show = show if isinstance(show, Mapping) else {}
    for season in as_list(row.get("seasons")):
        if not isinstance(season, Mapping):
            continue
        for episode in as_list(season.get("episodes")):
            if not isinstance(episode, Mapping):
                continue
            watched_at = parse_time(episode.get("last_watched_at"))
            if watched_at is None:
                raise _RowError("last_watched_at", "an episode without a time")
            item = item_from_row(
                {
                    "type": "episode",
                    "show": show,
                    "episode": {"season": season.get("number"), "number": episode.get("number")},
                }
            )
            if item is not None:
                out.plays.append(Play(item=item, watched_at=watched_at))


def _read_simkl_backup(name: str, body: Record) -> ExportRows:
    """SIMKL's ``SimklBackup.json``: the rows of its ``/sync/all-items`` answer, per section.

    Rows are read by our SIMKL client's row parser (the rows sync reads). A row's problems are
    listed as ``file/section, row N`` (its place in that section's list); its good parts stay.
    """
    sections = [(s, body[s]) for s in SIMKL_SECTIONS if isinstance(body.get(s), list)]
    out = ExportRows(rows=sum(len(rows) for _, rows in sections))
    if out.rows > MAX_ROWS:
        raise ExportFileError(name, f"more than {MAX_ROWS} rows")
    entries: list[SimklEntry] = []
    for section, rows in sections:
        for number, row in enumerate(rows, start=1):
            entry, errors = _simkl_row(section, row)
            if entry is not None:
                entries.append(entry)
            out.problems += [
                RowProblem(file=f"{name}/{section}", row=number, column=e.column, reason=e.reason)
                for e in errors
            ]
    library = SimklLibrary(entries)
    out.plays.extend(library.plays())
    out.ratings.extend(library.ratings())
    out.watchlist.extend(library.watchlist())
    return out


def _simkl_row(section: str, row: object) -> tuple[SimklEntry | None, list[_RowError]]:
    """One backup row as an entry (what of it can be imported) and what of it cannot."""
    if not isinstance(row, Mapping):
        return None, [_RowError(None, "not an object")]
    entry = library_entry(section, row)
    if entry is None:
        return None, [_RowError(f"{SIMKL_SECTIONS[section]}.ids", "names no title with ids")]
    errors: list[_RowError] = []
    if row.get("user_rating") is not None:
        try:
            entry = replace(entry, rating=_rating_1_10(row["user_rating"], "user_rating"))
        except _RowError as err:
            errors.append(err)
            entry = replace(entry, rating=None)
    if entry.item.kind is MediaKind.MOVIE:
        watched = row.get("last_watched_at")
        if watched is not None and entry.last_watched_at is None:
            errors.append(_RowError("last_watched_at", f"not a time: {watched!r}"))
        elif entry.status == "completed" and entry.last_watched_at is None:
            errors.append(_RowError("last_watched_at", "a watched film without a time"))
        return entry, errors
    untimed = sum(1 for *_, watched_at in entry.watched_episodes if watched_at is None)
    counted = row.get("watched_episodes_count")
    if untimed:
        errors.append(_RowError("seasons", f"{untimed} watched episodes without watched_at"))
    elif not entry.watched_episodes and isinstance(counted, int) and counted > 0:
        # SIMKL's backup may list no episodes for a show it counts as watched: nothing to post.
        errors.append(_RowError("seasons", f"{counted} watched episodes counted, none listed"))
    return entry, errors


def _watchlist_file(name: str) -> bool:
    return "watchlist" in name.rsplit("/", 1)[-1].casefold()


def _crosswatch_listed(row: Record, out: ExportRows) -> None:
    """A row of a CrossWatch ``watchlist`` file: a watchlist entry, ``listed_at`` or not."""
    _crosswatch_record(row, out, listed=True)


def _crosswatch_record(row: Record, out: ExportRows, *, listed: bool = False) -> None:
    item = _schema_item(row)
    read = False
    if _present(row.get("watched_at")):
        out.plays.append(Play(item=item, watched_at=_time(row, "watched_at")))
        read = True
    if _present(row.get("rating")):
        rated_at = _time(row, "rated_at") if _present(row.get("rated_at")) else None
        out.ratings.append(
            Rating(item=item, rating=_rating_1_10(row.get("rating"), "rating"), rated_at=rated_at)
        )
        read = True
    if _present(row.get("listed_at")):
        out.watchlist.append(WatchlistEntry(item=item, listed_at=_time(row, "listed_at")))
        read = True
    elif listed and not read:
        # Not every service tells when a title was listed (the export leaves it empty).
        out.watchlist.append(WatchlistEntry(item=item))
        read = True
    if not read:
        raise _RowError(None, "has no watched_at, rating or listed_at")


def _schema_item(row: Record) -> MediaItem:
    try:
        return item_from_record(row)
    except ValueError as err:
        column, _, reason = str(err).partition(": ")
        raise _RowError(column, reason) from err


def _present(value: object) -> bool:
    return value is not None and value != ""


def _time(row: Record, column: str) -> datetime:
    value = row.get(column)
    moment = parse_time(value)
    if moment is None:
        raise _RowError(column, f"not a time: {value!r}")
    return moment


def _rating_1_10(value: object, column: str) -> int:
    """A rating already on the 1-10 scale (Trakt, SIMKL, IMDb, CrossWatch)."""
    number: float
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _RowError(column, f"not a number: {value!r}") from None
    else:
        raise _RowError(column, f"not a number: {value!r}")
    # NaN and infinities (``"nan"``, JSON's ``NaN`` and ``1e400``) have no ``int``.
    if not math.isfinite(number) or number != int(number) or not 1 <= number <= 10:  # noqa: PLR2004
        raise _RowError(column, f"not a whole number from 1 to 10: {value!r}")
    return int(number)


# -- CSV: CrossWatch's schema, Letterboxd, IMDb --------------------------------------------------
@dataclass(frozen=True, slots=True)
class _CsvFormat:
    """A CSV export we read: the columns that identify it and how a row becomes records."""

    name: str
    required: frozenset[str]
    read: Callable[[Mapping[str, str], ExportRows], None]


def _read_csv(name: str, text: str) -> ExportRows:
    lines = _Lines(io.StringIO(text, newline=""))
    reader = csv.DictReader(lines)
    try:
        header = set(reader.fieldnames or ())
    except csv.Error as err:
        raise ExportFileError(
            name, f"line {reader.reader.line_num}: not readable as CSV ({err})"
        ) from err
    fmt = _csv_format(name, header)
    out = ExportRows()
    for line, row in _numbered(reader, lines):
        out.rows += 1
        if out.rows > MAX_ROWS:
            raise ExportFileError(name, f"more than {MAX_ROWS} rows")
        if isinstance(row, _RowError):
            out.problems.append(RowProblem(file=name, row=line, column=None, reason=row.reason))
            continue
        if None in row:  # more fields than the header names
            out.problems.append(
                RowProblem(file=name, row=line, column=None, reason="more fields than the header")
            )
            continue
        try:
            fmt.read(row, out)
        except _RowError as err:
            out.problems.append(
                RowProblem(file=name, row=line, column=err.column, reason=err.reason)
            )
    if fmt is _LETTERBOXD_DIARY:
        _same_day_viewings_apart(out.plays)
    return out


def _csv_format(name: str, header: set[str]) -> _CsvFormat:
    """The export a CSV file's header (and, where headers are shared, its name) tells."""
    fmt = next((f for f in _CSV_FORMATS if f.required <= header), None)
    if "Review" in header and "Letterboxd URI" in header:
        fmt = None  # reviews.csv repeats diary entries that have a review: the diary has them
    elif fmt is _LETTERBOXD_WATCHED and _watchlist_file(name):
        fmt = _LETTERBOXD_WATCHLIST  # watched.csv and watchlist.csv share one header
    elif fmt is _CROSSWATCH and _watchlist_file(name):
        fmt = _CROSSWATCH_WATCHLIST
    if fmt is None and "simkl" in name.rsplit("/", 1)[-1].casefold():
        # No two public readers agree on its columns, so it is not read (see the README).
        raise _NotAnExportError(
            name, "SIMKL's CSV backup is not read: upload SimklBackup.json or the backup's ZIP"
        )
    if fmt is None:
        raise _NotAnExportError(
            name,
            "not a CrossWatch, Letterboxd or IMDb export (its header has none of their columns)",
        )
    return fmt


class _Lines:
    """The lines of a CSV text as its parser takes them, those of the current row kept."""

    def __init__(self, lines: Iterator[str]) -> None:
        self.lines = lines
        self.taken: list[str] = []

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.taken.append(line)
        return line


def _numbered(
    reader: csv.DictReader[str], lines: _Lines
) -> Iterator[tuple[int, dict[str, str] | _RowError]]:
    """Rows with the line they start on (a quoted field may span lines).

    A row the parser refuses (a field over ``csv``'s 128 KiB limit) is given as its error: the
    parser has dropped the rest of that line and goes on with the next. A quote that opens a
    field and is never closed takes the lines after it into that field: a row that spans lines
    and has not the header's number of fields is given as that error, and the lines after its
    first are read again as rows.
    """
    offset = 0  # lines before the current parser's first (it starts again after a stray quote)
    line = reader.line_num + 1
    while True:
        lines.taken.clear()
        try:
            row: dict[str, str] | _RowError = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            row = _RowError(None, f"not readable as CSV ({err})")
        # The parser's count: DictReader's is not updated when the parser refuses a row.
        end = offset + reader.reader.line_num
        if isinstance(row, dict) and end > line and (None in row or None in row.values()):
            # Skip the blank lines DictReader passed over before the row.
            blank = next(i for i, text in enumerate(lines.taken) if text.strip("\r\n"))
            line += blank
            reason = f"a quote opened on this line is not closed (the row ran to line {end})"
            yield line, _RowError(None, reason)
            lines = _Lines(itertools.chain(lines.taken[blank + 1 :], lines.lines))
            reader = csv.DictReader(lines, fieldnames=reader.fieldnames)
            offset = line
            line += 1
            continue
        yield line, row
        line = end + 1


def _crosswatch_csv(row: Mapping[str, str], out: ExportRows) -> None:
    _crosswatch_record(row, out)


# Letterboxd: films only, no ids (matched later by title + year), half-stars 0.5-5.
def _letterboxd_item(row: Mapping[str, str]) -> MediaItem:
    title = (row.get("Name") or "").strip()
    if not title:
        raise _RowError("Name", "empty")
    return MediaItem(kind=MediaKind.MOVIE, title=title, year=_year(row.get("Year"), "Year"))


def _year(value: str | None, column: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    year = digits(text)
    if year is None:
        raise _RowError(column, f"not a year: {text!r}")
    return year


def _date(value: str | None, column: str) -> datetime:
    """A calendar day (``2019-01-02``, or IMDb's newer ``1/22/2026``) as midnight UTC."""
    text = (value or "").strip()
    for pattern in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _RowError(column, f"not a date: {text!r}")


def letterboxd_rating(value: str, column: str = "Rating") -> int:
    """Letterboxd's half-stars (0.5-5) on the 1-10 scale: twice the stars."""
    try:
        stars = float(value)
    except ValueError:
        raise _RowError(column, f"not a number: {value!r}") from None
    doubled = stars * 2
    if not math.isfinite(doubled) or doubled != int(doubled) or not 1 <= doubled <= 10:  # noqa: PLR2004
        raise _RowError(column, f"not a half-star rating from 0.5 to 5: {value!r}")
    return int(doubled)


def _letterboxd_diary(row: Mapping[str, str], out: ExportRows) -> None:
    # One diary row is one viewing; a rewatch is its own row, so it stays a separate play.
    item = _letterboxd_item(row)
    out.plays.append(Play(item=item, watched_at=_date(row.get("Watched Date"), "Watched Date")))


# Apart by more than the tolerance within which two plays of a title are one play.
_SAME_DAY_STEP = timedelta(seconds=2 * PLAY_TOLERANCE)


def _same_day_viewings_apart(plays: Records[Play]) -> None:
    """Keep a film's viewings on one day apart: the diary gives the day only (midnight UTC).

    The n-th diary entry of a film on a day is ``n - 1`` steps after midnight, in the diary's
    order, so importing the same diary again gives the same times (and adds nothing).
    """
    seen: Counter[tuple[object, ...]] = Counter()
    for index, (item, moment, rating) in enumerate(plays.rows):
        key = (item[0], item[2], item[3], moment)  # kind, title, year of the packed item
        if seen[key] and moment is not None:
            plays.rows[index] = (item, moment + seen[key] * _SAME_DAY_STEP, rating)
        seen[key] += 1


def _letterboxd_watched(row: Mapping[str, str], out: ExportRows) -> None:
    # ``Date`` is the day the film was marked watched (not a viewing date, which only the diary
    # knows): one play then, dropped for films the diary of the same import already has.
    item = _letterboxd_item(row)
    out.marked_watched.append(Play(item=item, watched_at=_date(row.get("Date"), "Date")))


def _letterboxd_ratings(row: Mapping[str, str], out: ExportRows) -> None:
    item = _letterboxd_item(row)
    rating = letterboxd_rating((row.get("Rating") or "").strip())
    out.ratings.append(Rating(item=item, rating=rating, rated_at=_date(row.get("Date"), "Date")))


def _letterboxd_watchlist(row: Mapping[str, str], out: ExportRows) -> None:
    item = _letterboxd_item(row)
    out.watchlist.append(WatchlistEntry(item=item, listed_at=_date(row.get("Date"), "Date")))


def _letterboxd_watched_after_diary(rows: ExportRows) -> ExportRows:
    """Keep watched.csv's plays only for films no other file of the import has a play of."""
    if rows.marked_watched:
        # kind, title, year of each packed item
        known = {(item[0], item[2], item[3]) for item, *_ in rows.plays.rows}
        rows.plays.rows.extend(
            row
            for row in rows.marked_watched.rows
            if (row[0][0], row[0][2], row[0][3]) not in known
        )
        rows.marked_watched = Records(Feature.HISTORY)
    return rows


_IMDB_TITLE = re.compile(r"tt\d+")


# IMDb: ratings (``Your Rating`` 1-10, ``Date Rated``) and lists/watchlist (``Created``).
_IMDB_MOVIE_TYPES = frozenset(
    {
        "movie",
        "tvmovie",
        "tv movie",
        "video",
        "short",
        "tvspecial",
        "tv special",
        "tvshort",
        "tv short",
    }
)
_IMDB_SHOW_TYPES = frozenset({"tvseries", "tv series", "tvminiseries", "tv mini series"})


def _imdb_item(row: Mapping[str, str]) -> MediaItem:
    const = (row.get("Const") or "").strip()
    ids = normalize_ids({"imdb": const})
    if _IMDB_TITLE.fullmatch(const) is None:
        raise _RowError("Const", f"not an IMDb id: {const!r}")
    title_type = (row.get("Title Type") or "").strip().casefold()
    if title_type in _IMDB_SHOW_TYPES:
        kind = MediaKind.SHOW
    elif title_type in _IMDB_MOVIE_TYPES or not title_type:
        kind = MediaKind.MOVIE
    else:
        raise _RowError("Title Type", f"not a film or series: {row.get('Title Type')!r}")
    title = (row.get("Title") or "").strip() or None
    return MediaItem(kind=kind, ids=ids, title=title, year=_year(row.get("Year"), "Year"))


def _imdb_ratings(row: Mapping[str, str], out: ExportRows, item: MediaItem | None = None) -> None:
    item = item or _imdb_item(row)
    rated_at = (
        _date(row.get("Date Rated"), "Date Rated")
        if (row.get("Date Rated") or "").strip()
        else None
    )
    out.ratings.append(
        Rating(
            item=item, rating=_rating_1_10(row.get("Your Rating"), "Your Rating"), rated_at=rated_at
        )
    )


def _imdb_list(row: Mapping[str, str], out: ExportRows) -> None:
    item = _imdb_item(row)
    out.watchlist.append(WatchlistEntry(item=item, listed_at=_date(row.get("Created"), "Created")))
    if (row.get("Your Rating") or "").strip():
        _imdb_ratings(row, out, item)


_LETTERBOXD_DIARY = _CsvFormat(
    "letterboxd_diary", frozenset({"Name", "Year", "Watched Date", "Rewatch"}), _letterboxd_diary
)
_LETTERBOXD_WATCHED = _CsvFormat(
    "letterboxd_watched", frozenset({"Date", "Name", "Year", "Letterboxd URI"}), _letterboxd_watched
)
_LETTERBOXD_WATCHLIST = _CsvFormat(
    "letterboxd_watchlist",
    frozenset({"Date", "Name", "Year", "Letterboxd URI"}),
    _letterboxd_watchlist,
)
_CROSSWATCH = _CsvFormat("crosswatch", frozenset({"kind", "ids", "title"}), _crosswatch_csv)
_CROSSWATCH_WATCHLIST = replace(_CROSSWATCH, name="crosswatch_watchlist", read=_crosswatch_listed)
_CSV_FORMATS = (
    _CROSSWATCH,
    _LETTERBOXD_DIARY,
    _CsvFormat(
        "letterboxd_ratings",
        frozenset({"Date", "Name", "Year", "Letterboxd URI", "Rating"}),
        _letterboxd_ratings,
    ),
    # A list (the watchlist too) has ``Position``; it may also carry ``Your Rating``.
    _CsvFormat("imdb_list", frozenset({"Position", "Const", "Created"}), _imdb_list),
    _CsvFormat("imdb_ratings", frozenset({"Const", "Your Rating", "Date Rated"}), _imdb_ratings),
    _LETTERBOXD_WATCHED,
)
