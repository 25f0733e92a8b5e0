"""What reading an export gives: the records per feature and the rows that could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..api.models import Feature, Play, Rating, WatchlistEntry

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


@dataclass(slots=True)
class ExportRows:
    """Everything read from one or more export files."""

    plays: list[Play] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    watchlist: list[WatchlistEntry] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # Letterboxd's watched.csv: the day a film was marked watched, not a viewing; used only for
    # films no other file of the same import has a play of (see ``read_export``).
    marked_watched: list[Play] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # the files read, in order
    rows: int = 0  # data rows seen, read or not

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
        self.rows += other.rows
