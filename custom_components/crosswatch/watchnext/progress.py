"""Continue watching: resume points from each service, and what a progress pair should change.

Where they come from (real examples under tests/fixtures/real/):
- Trakt ``GET /sync/playback``: ``progress`` (percent), ``paused_at``, playback ``id``
  (trakt/sync_playback.json; older rows have no ``id``: sync_playback_movies_without_id.json).
- SIMKL ``GET /sync/playback``: the same fields; an episode is ``season``/``episode`` with the
  TVDB numbering in ``tvdb_season``/``tvdb_number`` (AniDB numbering for anime otherwise:
  simkl/sync_playback.json).
- Plex: ``viewOffset`` (ms) against ``duration`` on a library item, stamped by ``lastViewedAt``.

Rules of the plan: the newest resume point wins; a point that would count as watched on the side
it goes to is never carried (a resume point never marks anything watched); a point that vanished
from one side is removed from the other only when removals are on, and never put back (the
baseline remembers when each key was last shared: a lone point not newer than that was dropped
on the other side; a newer one is a fresh pause and is carried).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from ..api.ids import normalize_ids
from ..api.models import STRONG_ID_TYPES, MediaItem, MediaKind
from ..api.wire import parse_time
from ..providers.plex.client import PlexLibraryItem
from ..providers.simkl.client import simkl_ids
from ..providers.trakt.client import item_from_row

# Trakt and SIMKL count a stop at 80% or more as watched; Plex marks an item watched past 90%.
TRAKT_WATCHED_AT: Final = 80.0
SIMKL_WATCHED_AT: Final = 80.0
PLEX_WATCHED_AT: Final = 90.0
# Progress differences below this (percent) are the same point seen through rounding.
TOLERANCE: Final = 1.0
# Trakt answers 422 below 1% (tests/fixtures/real/trakt/scrobble_pause_422.json and docs).
MIN_PROGRESS: Final = 1.0
# A lone point stamped up to this many seconds after its key was last shared is still that shared
# point: a service's clock and ours differ a little, and our own write is stamped by theirs.
CLOCK_SLACK: Final = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ResumePoint:
    """Where one movie or episode was left: a percentage at a time, with the service's handle.

    ``ref`` is what removes it there: Trakt's and SIMKL's playback id, Plex's ratingKey.
    """

    item: MediaItem
    progress: float
    at: datetime | None
    ref: str | None = None
    duration_ms: int | None = None  # Plex: what a percentage becomes in milliseconds


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _ref(value: object) -> str | None:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def trakt_points(rows: Iterable[object]) -> list[ResumePoint]:
    """Parse Trakt playback rows (movies and episodes)."""
    out: list[ResumePoint] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        item = item_from_row(row)
        progress = _float(row.get("progress"))
        if item is None or progress is None or item.kind not in _PLAYABLE:
            continue
        out.append(
            ResumePoint(
                item=item,
                progress=progress,
                at=parse_time(row.get("paused_at")),
                ref=_ref(row.get("id")),
            )
        )
    return out


_PLAYABLE: Final = (MediaKind.MOVIE, MediaKind.EPISODE)


def _obj(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def simkl_points(rows: Iterable[object]) -> list[ResumePoint]:
    """Parse SIMKL playback rows; episodes take the TVDB numbering when SIMKL gives it."""
    out: list[ResumePoint] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        progress = _float(row.get("progress"))
        if progress is None:
            continue
        at, ref = parse_time(row.get("paused_at")), _ref(row.get("id"))
        if row.get("type") == "movie" or "movie" in row:
            movie = _obj(row, "movie")
            ids = simkl_ids(_obj(movie, "ids"))
            if ids:
                title = movie.get("title")
                item = MediaItem(
                    kind=MediaKind.MOVIE,
                    ids=ids,
                    title=title if isinstance(title, str) else None,
                    year=_int(movie.get("year")),
                )
                out.append(ResumePoint(item=item, progress=progress, at=at, ref=ref))
            continue
        show, episode = _obj(row, "show") or _obj(row, "anime"), _obj(row, "episode")
        season = _int(episode.get("tvdb_season"))
        number = _int(episode.get("tvdb_number"))
        if season is None or number is None:
            season, number = _int(episode.get("season")), _int(episode.get("episode"))
        show_ids = simkl_ids(_obj(show, "ids"))
        if season is None or number is None or not show_ids:
            continue
        title = show.get("title")
        item = MediaItem(
            kind=MediaKind.EPISODE,
            ids={},
            year=_int(show.get("year")),
            show_ids=show_ids,
            show_title=title if isinstance(title, str) else None,
            season=season,
            number=number,
        )
        out.append(ResumePoint(item=item, progress=progress, at=at, ref=ref))
    return out


def plex_points(entries: Iterable[PlexLibraryItem]) -> list[ResumePoint]:
    """Library items with a resume offset (``viewOffset`` over ``duration``)."""
    out: list[ResumePoint] = []
    for entry in entries:
        offset, duration = entry.view_offset_ms, entry.duration_ms
        if not offset or not duration or entry.item.kind not in _PLAYABLE:
            continue
        out.append(
            ResumePoint(
                item=entry.item,
                progress=min(100.0, offset / duration * 100.0),
                at=entry.last_viewed_at,
                ref=entry.rating_key,
                duration_ms=duration,
            )
        )
    return out


def show_keys(item: MediaItem) -> frozenset[str]:
    """An episode's show by each of its strong ids."""
    show_ids = normalize_ids(item.show_ids)
    return frozenset(f"show:{t}:{show_ids[t]}" for t in STRONG_ID_TYPES if show_ids.get(t))


def _newest_per_show(points: Iterable[ResumePoint]) -> dict[str, float]:
    newest: dict[str, float] = {}
    for point in points:
        if point.item.kind is MediaKind.EPISODE and point.at is not None:
            at = point.at.timestamp()
            for key in show_keys(point.item):
                newest[key] = max(at, newest.get(key, at))
    return newest


def match_keys(item: MediaItem) -> frozenset[str]:
    """Every key two services could agree on for one movie or episode.

    Movies by any strong id; episodes by their own ids and by each show id with season/number.
    """
    kind = item.kind.value
    keys = {f"{kind}:{t}:{item.ids[t]}" for t in STRONG_ID_TYPES if item.ids.get(t)}
    if item.kind is MediaKind.EPISODE and item.season is not None and item.number is not None:
        show_ids = normalize_ids(item.show_ids)
        keys |= {
            f"episode:show:{t}:{show_ids[t]}:{item.season}:{item.number}"
            for t in STRONG_ID_TYPES
            if show_ids.get(t)
        }
    return frozenset(keys)


class Action(StrEnum):
    """What a progress change does on its side."""

    SET = "set"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressChange:
    """One write: set ``point``'s progress on ``side`` ("a"/"b"), or remove ``point`` there."""

    side: str
    action: Action
    point: ResumePoint  # SET: the winning point (other side's item); REMOVE: the side's own point
    target: ResumePoint | None = None  # SET over an existing point: the one it replaces


@dataclass(frozen=True, slots=True)
class ProgressPlan:
    """What a run should change, and the next baseline's parts.

    ``baseline``: the keys both sides share afterwards if every change is written (stamped with
    the run's time); ``kept``: keys whose stamps stand as they were (shared unchanged, or a point
    dropped on one side while removals are off).
    """

    changes: list[ProgressChange]
    baseline: frozenset[str]
    skipped_watched: int = 0
    kept: Mapping[str, float] = field(default_factory=dict)


def _index(points: Sequence[ResumePoint]) -> dict[str, ResumePoint]:
    out: dict[str, ResumePoint] = {}
    for point in points:
        for key in match_keys(point.item):
            out.setdefault(key, point)
    return out


def _newer(a: ResumePoint, b: ResumePoint) -> bool:
    return a.at is not None and (b.at is None or a.at > b.at)


class _Planner:
    """One run of ``plan_progress`` (its bookkeeping, split out to keep each step short)."""

    def __init__(
        self,
        known: Mapping[str, float],
        limits: dict[str, float],
        *,
        removals: bool,
        one_way: bool,
    ) -> None:
        self.known, self.removals, self.limits, self.one_way = known, removals, limits, one_way
        # Sides that hold one point per show: the newest point's time by show key.
        self.per_show: dict[str, dict[str, float]] = {}
        self.changes: list[ProgressChange] = []
        self.shared: set[str] = set()
        self.kept: dict[str, float] = {}
        self.skipped = 0

    def carry(self, side: str, point: ResumePoint, target: ResumePoint | None) -> bool:
        """Set ``point`` on ``side`` unless it would count as watched there or is empty."""
        if self.one_way and side == "a":
            return False  # a one-way pair writes only to its target
        if point.progress >= self.limits[side]:
            self.skipped += 1
            return False
        if point.progress < MIN_PROGRESS:
            return False
        newest = self.per_show.get(side)
        if newest is not None and point.item.kind is MediaKind.EPISODE:
            at = float("-inf") if point.at is None else point.at.timestamp()
            if any(newest.get(key, at) > at for key in show_keys(point.item)):
                return False  # the show's newer point stands there (or goes there instead)
        change = ProgressChange(side=side, action=Action.SET, point=point, target=target)
        self.changes.append(change)
        return True

    def both(self, a: ResumePoint, b: ResumePoint) -> None:
        """Both sides have it: the newer one wins when they differ."""
        keys = match_keys(a.item) | match_keys(b.item)
        same = abs(a.progress - b.progress) <= TOLERANCE
        if same and self.unmoved(keys, a, b):
            # Shared as before: the old stamps stand (a quiet run leaves the baseline as it was).
            self.kept.update((k, self.known[k]) for k in keys if k in self.known)
            self.shared |= keys
            return
        if (
            same
            or (_newer(a, b) and self.carry("b", a, b))
            or (_newer(b, a) and self.carry("a", b, a))
        ):
            self.shared |= keys

    def unmoved(self, keys: frozenset[str], *points: ResumePoint) -> bool:
        """Whether ``keys`` were shared and no point is newer than when they last were."""
        stamps = [self.known[k] for k in keys if k in self.known]
        return bool(stamps) and all(
            p.at is None or p.at.timestamp() <= max(stamps) + CLOCK_SLACK for p in points
        )

    def one(self, side: str, point: ResumePoint) -> None:
        """Only ``side`` has it: new there (carry it over) or dropped by the other side."""
        keys = match_keys(point.item)
        if self.unmoved(keys, point):
            if self.removals and not (self.one_way and side == "a"):
                self.changes.append(ProgressChange(side=side, action=Action.REMOVE, point=point))
            else:
                self.kept.update((k, self.known[k]) for k in keys if k in self.known)
            return
        if self.carry("b" if side == "a" else "a", point, None):
            self.shared |= keys


def plan_progress(
    a: Sequence[ResumePoint],
    b: Sequence[ResumePoint],
    baseline: Mapping[str, float] | None = None,
    *,
    removals: bool = False,
    one_way: bool = False,
    watched_at: tuple[float, float] = (TRAKT_WATCHED_AT, TRAKT_WATCHED_AT),
    per_show: tuple[bool, bool] = (False, False),
) -> ProgressPlan:
    """Decide the writes that bring two sides' resume points together.

    ``baseline``: keys of points both sides had after earlier runs, with when (unix seconds) they
    were last shared; a point missing on one side whose keys are in it, and which is no newer
    than that, was removed there. ``one_way``: only side b is written (a is the source).
    ``watched_at``: the percentage from which side a and side b would count an item as watched
    (a point at or past it is not carried). ``per_show``: whether side a and side b hold one
    point per show (SIMKL): only the newest episode point of a show, on either side, goes there.
    """
    limits = {"a": watched_at[0], "b": watched_at[1]}
    planner = _Planner(baseline or {}, limits, removals=removals, one_way=one_way)
    # A point no other service could name (no strong id) can be neither matched nor carried.
    a = [p for p in a if match_keys(p.item)]
    b = [p for p in b if match_keys(p.item)]
    for side, holds_one in zip(("a", "b"), per_show, strict=True):
        if holds_one:
            planner.per_show[side] = _newest_per_show([*a, *b])
    index_b = _index(b)
    matched_b: set[int] = set()
    for point in a:
        other = next((index_b[k] for k in match_keys(point.item) if k in index_b), None)
        if other is None:
            planner.one("a", point)
        else:
            matched_b.add(id(other))
            planner.both(point, other)
    for point in b:
        if id(point) not in matched_b:
            planner.one("b", point)
    return ProgressPlan(planner.changes, frozenset(planner.shared), planner.skipped, planner.kept)


def offset_ms(point: ResumePoint, duration_ms: int) -> int:
    """A percentage as a Plex offset into an item of ``duration_ms``."""
    return int(duration_ms * point.progress / 100.0)
