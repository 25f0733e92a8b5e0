"""Watch statistics from plays: plays and minutes per hour, movies and episodes apart.

Home Assistant keeps long-term statistics as hourly rows with a running ``sum``; the Statistics
Graph card turns them into days, weeks or months in the user's time zone. So the ledger counts
per UTC hour, and ``rows`` gives each series' hourly rows with the running sum.

Incremental: the ledger remembers the newest play it counted (``watermark``) and the plays of
the last ``OVERLAP`` seconds before it, so a read from ``watermark - OVERLAP`` (late posts, clock
skew) counts each play once. A play dated earlier than that window that shows up later (history
imported with old dates) is not seen by such a read: only a backfill counts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from ..api.models import MediaKind

HOUR: Final = 3600
# How far before the watermark a read of new plays starts, and how long plays are remembered.
OVERLAP: Final = 3 * HOUR


class Series(StrEnum):
    """One statistic per account (or Plex user)."""

    MOVIE_PLAYS = "movie_plays"
    EPISODE_PLAYS = "episode_plays"
    MOVIE_MINUTES = "movie_minutes"
    EPISODE_MINUTES = "episode_minutes"

    @property
    def minutes(self) -> bool:
        """Whether the series counts minutes (else plays)."""
        return self in (Series.MOVIE_MINUTES, Series.EPISODE_MINUTES)


_SERIES = tuple(Series)


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedPlay:
    """One play as statistics see it: ``key`` names the title (the same play twice: one play).

    ``minutes``: the title's runtime when the service says it, else ``None`` (counted as a play,
    adding no minutes).
    """

    key: str
    kind: MediaKind
    watched_at: float
    minutes: float | None = None


@dataclass(frozen=True, slots=True)
class StatRow:
    """One hour of one series: its start (unix seconds), its own value and the running sum."""

    start: float
    state: float
    sum: float


def _identity(play: WatchedPlay) -> str:
    return f"{play.key}@{play.watched_at!r}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Ledger:
    """What has been counted: per hour (``start // HOUR``) the value of each series."""

    hours: Mapping[int, tuple[float, ...]] = field(default_factory=dict)
    watermark: float | None = None
    # Plays counted within ``OVERLAP`` before the watermark: identity -> watched_at.
    recent: Mapping[str, float] = field(default_factory=dict)

    def add(self, plays: Iterable[WatchedPlay]) -> tuple[Ledger, int | None]:
        """Count the plays not counted yet; return the ledger and the first hour that changed.

        Only movies and episodes count. A play before ``watermark - OVERLAP`` is taken as
        counted (see the module's note); one in the window counts unless it was seen.
        """
        hours = dict(self.hours)
        recent = dict(self.recent)
        floor = None if self.watermark is None else self.watermark - OVERLAP
        first: int | None = None
        watermark = self.watermark
        for play in plays:
            if play.kind not in (MediaKind.MOVIE, MediaKind.EPISODE):
                continue
            identity = _identity(play)
            if (floor is not None and play.watched_at < floor) or identity in recent:
                continue
            recent[identity] = play.watched_at
            hour = int(play.watched_at // HOUR)
            values = list(hours.get(hour, (0.0,) * len(_SERIES)))
            movie = play.kind is MediaKind.MOVIE
            values[_SERIES.index(Series.MOVIE_PLAYS if movie else Series.EPISODE_PLAYS)] += 1
            if play.minutes is not None and play.minutes > 0:
                series = Series.MOVIE_MINUTES if movie else Series.EPISODE_MINUTES
                values[_SERIES.index(series)] += play.minutes
            hours[hour] = tuple(values)
            first = hour if first is None else min(first, hour)
            watermark = play.watched_at if watermark is None else max(watermark, play.watched_at)
        if watermark is not None:
            recent = {k: t for k, t in recent.items() if t >= watermark - OVERLAP}
        ledger = Ledger(hours=dict(sorted(hours.items())), watermark=watermark, recent=recent)
        return ledger, first

    def read_from(self) -> float | None:
        """Where the next read of new plays starts (``None``: read everything, a backfill)."""
        return None if self.watermark is None else self.watermark - OVERLAP

    def rows(self, series: Series, from_hour: int | None = None) -> list[StatRow]:
        """The hourly rows of ``series`` with their running sum, from ``from_hour`` on.

        Hours without plays have no row: the sum stands until the next one.
        """
        index = _SERIES.index(series)
        total = 0.0
        out: list[StatRow] = []
        for hour, values in self.hours.items():
            total += values[index]
            if values[index] and (from_hour is None or hour >= from_hour):
                out.append(StatRow(start=float(hour * HOUR), state=values[index], sum=total))
        return out

    def total(self, series: Series, start: float, end: float) -> float:
        """The series' value over hours starting in ``[start, end)``: a graph's one period."""
        index = _SERIES.index(series)
        return sum(v[index] for h, v in self.hours.items() if start <= h * HOUR < end)

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form."""
        return {
            "hours": {str(hour): list(values) for hour, values in self.hours.items()},
            "watermark": self.watermark,
            "recent": dict(self.recent),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Ledger:
        """Rebuild from ``to_dict``; raises ``ValueError`` when malformed."""
        try:
            hours = {
                int(hour): tuple(float(v) for v in values)
                for hour, values in data.get("hours", {}).items()
            }
            watermark = data.get("watermark")
            recent = {str(k): float(v) for k, v in data.get("recent", {}).items()}
            mark = None if watermark is None else float(watermark)
        except (AttributeError, TypeError, ValueError) as err:
            raise ValueError(f"malformed watch statistics: {err}") from err
        if any(len(values) != len(_SERIES) for values in hours.values()):
            raise ValueError("malformed watch statistics: an hour needs a value per series")
        return cls(hours=dict(sorted(hours.items())), watermark=mark, recent=recent)
