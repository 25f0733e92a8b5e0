"""What reading an export gives: the records per feature and the rows that could not be read."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast, overload

from ..api.models import (
    Feature,
    ItemRow,
    Play,
    Rating,
    WatchlistEntry,
    pack_item,
    unpack_item,
)

# A file larger than this, or with more rows, is refused whole (a Raspberry Pi reads it in memory).
MAX_BYTES = 25 * 1024 * 1024
MAX_ROWS = 50_000


@dataclass(frozen=True, slots=True, kw_only=True)
class RowProblem:
    """A row that was not read: where it is (file, row, column) and why."""

    file: str
    row: int  # 1-based: a CSV's line number (the header is line 1), a JSON list's position
    column: str | None
    reason: str

    def __str__(self) -> str:
        """``file, row N, column C: reason`` for the user."""
        where = f"{self.file}, row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class ExportFileError(ValueError):
    """A file that cannot be read at all (too large, wrong format, not the kind it claims)."""

    def __init__(self, file: str, reason: str) -> None:
        """Name the file and the reason."""
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


type Record = Play | Rating | WatchlistEntry
# A record packed as a plain tuple: its packed item (``api.models.pack_item``), its time (played,
# rated or listed; a ``datetime`` is not tracked by the garbage collector) and its rating. An
# import holds every record of a file from the read to the last batch written: as objects, a
# large export's 24,000 records were ~100,000 tracked objects (record, item, two id dicts),
# promoted towards a full collection that holds Home Assistant's event loop (a plain tuple is
# no longer tracked after a young collection or two, so it never counts).
type RecordRow = tuple[ItemRow, datetime | None, int | None]


def pack_record(record: Record) -> RecordRow:
    """``record`` as a plain tuple (a play's Trakt history id is not kept: imports have none)."""
    if isinstance(record, Play):
        return (pack_item(record.item), record.watched_at, None)
    if isinstance(record, Rating):
        return (pack_item(record.item), record.rated_at, record.rating)
    return (pack_item(record.item), record.listed_at, None)


def unpack_record(feature: Feature, row: RecordRow) -> Record:
    """The record of ``feature`` a ``pack_record`` row stands for."""
    item, moment, rating = row
    if feature is Feature.HISTORY:
        if moment is None:
            raise ValueError("a play without its time")
        return Play(item=unpack_item(item), watched_at=moment)
    if feature is Feature.RATINGS:
        if rating is None:
            raise ValueError("a rating without its value")
        return Rating(item=unpack_item(item), rating=rating, rated_at=moment)
    return WatchlistEntry(item=unpack_item(item), listed_at=moment)


class Records[T: Record](Sequence[T]):
    """One feature's records, kept packed (``pack_record``); each is built when it is read.

    A slice is ``Records`` again (sharing no list with this one). It equals any sequence of
    equal records.
    """

    __slots__ = ("feature", "rows")

    def __init__(self, feature: Feature, records: Iterable[T] = ()) -> None:
        """``records`` of ``feature``, packed."""
        self.feature = feature
        self.rows: list[RecordRow] = (
            list(records.rows) if isinstance(records, Records) else list(map(pack_record, records))
        )

    @classmethod
    def of_rows(cls, feature: Feature, rows: Iterable[RecordRow]) -> Records[T]:
        """Records of packed ``rows``."""
        records = cls(feature)
        records.rows.extend(rows)
        return records

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Records[T]: ...
    def __getitem__(self, index: int | slice) -> T | Records[T]:
        """The record at ``index``, or the records of a slice."""
        if isinstance(index, slice):
            return Records.of_rows(self.feature, self.rows[index])
        return cast("T", unpack_record(self.feature, self.rows[index]))

    def __iter__(self) -> Iterator[T]:
        """Each record, built as it is reached."""
        feature = self.feature
        for row in self.rows:
            yield cast("T", unpack_record(feature, row))

    def __len__(self) -> int:
        """How many records."""
        return len(self.rows)

    def __eq__(self, other: object) -> bool:
        """Equal records in the same order (any sequence of records)."""
        if isinstance(other, Records):
            return self.feature is other.feature and self.rows == other.rows
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Feature and size."""
        return f"Records({self.feature.value}, {len(self.rows)})"

    def append(self, record: T) -> None:
        """Add ``record`` at the end."""
        self.rows.append(pack_record(record))

    def extend(self, records: Iterable[T]) -> None:
        """Add ``records`` at the end."""
        if isinstance(records, Records):
            self.rows.extend(records.rows)
        else:
            self.rows.extend(map(pack_record, records))


class ExportRows:
    """Everything read from one or more export files (records kept packed: ``Records``)."""

    __slots__ = (
        "files",
        "marked_watched",
        "plays",
        "problems",
        "ratings",
        "rows",
        "skipped",
        "watchlist",
    )

    def __init__(
        self,
        *,
        plays: Iterable[Play] = (),
        ratings: Iterable[Rating] = (),
        watchlist: Iterable[WatchlistEntry] = (),
        problems: Iterable[RowProblem] = (),
        marked_watched: Iterable[Play] = (),
        files: Iterable[str] = (),
        skipped: Iterable[str] = (),
        rows: int = 0,
    ) -> None:
        """Rows read so far (none by default)."""
        self.plays: Records[Play] = Records(Feature.HISTORY, plays)
        self.ratings: Records[Rating] = Records(Feature.RATINGS, ratings)
        self.watchlist: Records[WatchlistEntry] = Records(Feature.WATCHLIST, watchlist)
        self.problems: list[RowProblem] = list(problems)
        # Letterboxd's watched.csv: the day a film was marked watched, not a viewing; used only
        # for films no other file of the same import has a play of (see ``read_export``).
        self.marked_watched: Records[Play] = Records(Feature.HISTORY, marked_watched)
        self.files: list[str] = list(files)  # the files read, in order
        # Files of a ZIP left unread, each as ``file: why`` (deleted entries, not an export).
        self.skipped: list[str] = list(skipped)
        self.rows = rows  # data rows seen, read or not

    def count(self, feature: Feature) -> int:
        """How many records were read for ``feature``."""
        if feature is Feature.HISTORY:
            return len(self.plays)
        return len(self.ratings) if feature is Feature.RATINGS else len(self.watchlist)

    def extend(self, other: ExportRows) -> None:
        """Add ``other``'s records to these."""
        self.plays.extend(other.plays)
        self.ratings.extend(other.ratings)
        self.watchlist.extend(other.watchlist)
        self.problems.extend(other.problems)
        self.marked_watched.extend(other.marked_watched)
        self.files.extend(other.files)
        self.skipped.extend(other.skipped)
        self.rows += other.rows
