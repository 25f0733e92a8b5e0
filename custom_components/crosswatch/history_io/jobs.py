"""A running import as a durable job: what is left to write, how far it got, how it ended.

The job is saved after every batch. Its records (``PendingRecords``, large) are saved once when
the import starts and once per resume; its progress (``ImportJob``, small) after every batch.
After a restart a job still ``running`` resumes: the records from its position on are planned
again against a fresh read of the target (``plan_import``), so the batch that was in flight when
Home Assistant stopped, written or not, is not posted twice. A cancel stops before the next batch;
nothing written is taken back (an import never removes).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..api.errors import CrosswatchApiError
from ..api.ids import canonical_key
from ..api.models import ITEM_FEATURES, Feature, ItemRow, MediaKind, Play, Rating
from ..sync.inventory import from_timestamp, to_timestamp
from ..sync.plan import Action, Change, Side
from .plan import ImportPlan, Record, describe
from .rows import ExportRows, RecordRow, Records

JOB_VERSION = 1
# The stored records' form: 2 keeps each record as an array (its packed item, time, rating).
RECORDS_VERSION = 2
_KINDS = frozenset(kind.value for kind in MediaKind)
_ITEM_FIELDS = 8  # kind, ids, title, year, show ids, show title, season, number
# The job lists this many titles the target did not know; the count says how many there were.
LISTED_UNKNOWN = 50

# Plays before the watchlist: Trakt and SIMKL take a title off the watchlist when a play of it
# arrives, so a watchlist entry written first would be gone, and added again by the next import.
WRITE_ORDER = (Feature.HISTORY, Feature.RATINGS, Feature.WATCHLIST)

type WriteBatch = Callable[[Feature, Sequence[Change]], Awaitable[Sequence[Change]]]


class JobStatus(StrEnum):
    """Where an import job stands."""

    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


class JobDataError(ValueError):
    """A stored job that cannot be read back (another version, or damaged)."""


class PendingRecords:
    """What a job has left to write at its last (re)plan, per feature, in write order.

    The records stay packed (``Records``): a large import holds them until its last batch.
    """

    __slots__ = ("records",)

    def __init__(self, records: Mapping[Feature, Iterable[Record]] | None = None) -> None:
        """Per feature, the records left (kept packed)."""
        self.records: dict[Feature, Records[Record]] = {
            feature: Records(feature, items) for feature, items in (records or {}).items()
        }

    @classmethod
    def of_plan(cls, plan: ImportPlan) -> PendingRecords:
        """The plan's writes, for the features it planned."""
        by_feature: dict[Feature, Records[Any]] = {
            Feature.HISTORY: plan.plays,
            Feature.RATINGS: plan.ratings,
            Feature.WATCHLIST: plan.watchlist,
        }
        return cls({f: by_feature[f] for f in ITEM_FEATURES if f in plan.preview})

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: per feature a list of ``[item, at, rating]`` arrays.

        ``item`` is the packed item (``api.models.pack_item``; ids as ``[type, value, ...]``),
        ``at`` unix seconds or null. Arrays, not objects: the form is built from the packed
        records as plain tuples the garbage collector soon stops tracking, where an object per
        record (and per item and ids) would be promoted towards a full collection meanwhile.
        """
        return {
            "version": RECORDS_VERSION,
            "records": {
                feature.value: [
                    (item, None if at is None else to_timestamp(at), rating)
                    for item, at, rating in records.rows
                ]
                for feature, records in self.records.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Any) -> PendingRecords:
        """Read ``to_dict``'s form back; ``JobDataError`` when it is not that."""
        version = data.get("version") if isinstance(data, Mapping) else None
        if version != RECORDS_VERSION:
            raise JobDataError(f"stored records' version {version!r} is not {RECORDS_VERSION}")
        pending = cls()
        try:
            for name, rows in _mapping(data["records"], "records").items():
                feature = Feature(name)
                records = pending.records[feature] = Records(feature)
                records.rows.extend(_record_from_json(feature, row) for row in _list(rows))
        except (KeyError, TypeError, ValueError) as err:
            raise JobDataError(f"stored records unreadable: {err}") from err
        return pending


def _time(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("times must be numbers")
    return float(value)


def _record_from_json(feature: Feature, data: Any) -> RecordRow:
    """A stored ``[item, at, rating]`` as a packed record, checked."""
    item, at, rating = _array(data, 3, "record")
    moment = _time(at)
    if feature is Feature.HISTORY and moment is None:
        raise TypeError("a play without a time")
    if feature is Feature.RATINGS:
        if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:  # noqa: PLR2004
            raise TypeError("a rating that is not a number from 1 to 10")
    elif rating is not None:
        raise TypeError(f"a rating on a {feature.value} record")
    return (_item_from_json(item), None if moment is None else from_timestamp(moment), rating)


def _item_from_json(data: Any) -> ItemRow:
    fields = _array(data, _ITEM_FIELDS, "item")
    kind, ids, title, year, show_ids, show_title, season, number = fields
    if kind not in _KINDS:
        raise ValueError(f"not a kind of item: {kind!r}")
    return (
        kind,
        _flat_ids(ids),
        _optional(title, str, "title"),
        _optional(year, int, "year"),
        _flat_ids(show_ids),
        _optional(show_title, str, "show title"),
        _optional(season, int, "season"),
        _optional(number, int, "number"),
    )


def _array(value: Any, size: int, name: str) -> list[Any]:
    if not isinstance(value, list) or len(value) != size:
        raise TypeError(f"{name} is not an array of {size}")
    return value


def _flat_ids(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or len(value) % 2 or not all(isinstance(v, str) for v in value):
        raise TypeError("ids are not [type, value, ...] text")
    return tuple(value)


def _optional[T](value: Any, kind: type[T], name: str) -> T | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} is not a {kind.__name__}")
    return value


def change_of(feature: Feature, record: Record) -> Change:
    """The sync write that adds ``record`` to the target (the sides write changes)."""
    common: dict[str, Any] = {
        "feature": feature,
        "side": Side.TARGET,
        "action": Action.ADD,
        "key": canonical_key(record.item),
        "item": record.item,
    }
    if isinstance(record, Play):
        return Change(**common, watched_at=to_timestamp(record.watched_at))
    if isinstance(record, Rating):
        rated_at = None if record.rated_at is None else to_timestamp(record.rated_at)
        return Change(**common, rating=record.rating, rated_at=rated_at)
    listed_at = None if record.listed_at is None else to_timestamp(record.listed_at)
    return Change(**common, listed_at=listed_at)


def _check_version(data: Any) -> None:
    version = data.get("version") if isinstance(data, Mapping) else None
    if version != JOB_VERSION:
        raise JobDataError(f"stored version {version!r} is not {JOB_VERSION}")


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TypeError(f"{name} is not a count")
    return value


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} is not text")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return value


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} is not an object")
    return value


def _counts(data: Any) -> dict[Feature, int]:
    if not isinstance(data, Mapping):
        raise TypeError("counts are not an object")
    return {Feature(name): _count(value, name) for name, value in data.items()}


@dataclass(slots=True, kw_only=True)
class ImportJob:
    """An import's progress and outcome (small: saved after every batch)."""

    job_id: str
    entry_id: str
    source: str  # the file, as the user named it
    started_at: float
    status: JobStatus = JobStatus.RUNNING
    # Per feature: records planned when the import started, and of those the ones dealt with
    # (written, unknown to the target, or found on it when resuming).
    total: dict[Feature, int] = field(default_factory=dict)
    done: dict[Feature, int] = field(default_factory=dict)
    written: dict[Feature, int] = field(default_factory=dict)
    # Per feature: the index in ``PendingRecords`` the next batch starts at.
    position: dict[Feature, int] = field(default_factory=dict)
    found_on_resume: int = 0
    unknown: list[str] = field(default_factory=list)
    unknown_count: int = 0
    resumes: int = 0
    finished_at: float | None = None
    error: str | None = None
    # What the preview said (per feature) and the file's bad rows: kept for the outcome.
    summary: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        *,
        job_id: str,
        entry_id: str,
        source: str,
        started_at: float,
        pending: PendingRecords,
        summary: Mapping[str, Any] | None = None,
    ) -> ImportJob:
        """A new running job over ``pending``."""
        total = {feature: len(records) for feature, records in pending.records.items()}
        return cls(
            job_id=job_id,
            entry_id=entry_id,
            source=source,
            started_at=started_at,
            total=total,
            done=dict.fromkeys(total, 0),
            written=dict.fromkeys(total, 0),
            position=dict.fromkeys(total, 0),
            summary=dict(summary or {}),
        )

    @property
    def finished(self) -> bool:
        """Whether the job has ended (done, cancelled or failed)."""
        return self.status is not JobStatus.RUNNING

    def progress(self) -> dict[str, Any]:
        """Counts for display: dealt with and planned, in all and per feature."""
        return {
            "status": self.status.value,
            "done": sum(self.done.values()),
            "total": sum(self.total.values()),
            "written": {feature.value: count for feature, count in self.written.items()},
            "features": {
                feature.value: {"done": self.done.get(feature, 0), "total": total}
                for feature, total in self.total.items()
            },
        }

    def outcome(self) -> dict[str, Any]:
        """What happened, for the action's response and the notification."""
        return {
            **self.progress(),
            "job_id": self.job_id,
            "source": self.source,
            "found_on_resume": self.found_on_resume,
            "resumes": self.resumes,
            "unknown_to_target": list(self.unknown),
            "unknown_count": self.unknown_count,
            "error": self.error,
            **self.summary,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for the store."""
        return {
            "version": JOB_VERSION,
            "job_id": self.job_id,
            "entry_id": self.entry_id,
            "source": self.source,
            "started_at": self.started_at,
            "status": self.status.value,
            "total": {f.value: n for f, n in self.total.items()},
            "done": {f.value: n for f, n in self.done.items()},
            "written": {f.value: n for f, n in self.written.items()},
            "position": {f.value: n for f, n in self.position.items()},
            "found_on_resume": self.found_on_resume,
            "unknown": list(self.unknown),
            "unknown_count": self.unknown_count,
            "resumes": self.resumes,
            "finished_at": self.finished_at,
            "error": self.error,
            "summary": self.summary,
        }

    @classmethod
    def from_dict(cls, data: Any) -> ImportJob:
        """Read ``to_dict``'s form back; ``JobDataError`` when it is not that."""
        _check_version(data)
        try:
            return cls(
                job_id=_text(data["job_id"], "job_id"),
                entry_id=_text(data["entry_id"], "entry_id"),
                source=_text(data["source"], "source"),
                started_at=float(_time(data["started_at"]) or 0.0),
                status=JobStatus(data["status"]),
                total=_counts(data["total"]),
                done=_counts(data["done"]),
                written=_counts(data["written"]),
                position=_counts(data["position"]),
                found_on_resume=_count(data["found_on_resume"], "found_on_resume"),
                unknown=[_text(title, "unknown") for title in _list(data["unknown"])],
                unknown_count=_count(data["unknown_count"], "unknown_count"),
                resumes=_count(data["resumes"], "resumes"),
                finished_at=_time(data["finished_at"]),
                error=None if data["error"] is None else _text(data["error"], "error"),
                summary=dict(_mapping(data["summary"], "summary")),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise JobDataError(f"stored job unreadable: {err}") from err

    def note_unknown(self, changes: Sequence[Change]) -> None:
        """Count titles the target did not know, listing the first few."""
        self.unknown_count += len(changes)
        room = LISTED_UNKNOWN - len(self.unknown)
        self.unknown.extend(f"{c.feature}: {describe(c.item)}" for c in changes[: max(room, 0)])


def remaining_rows(job: ImportJob, pending: PendingRecords) -> ExportRows:
    """The records the job has not dealt with yet, to plan again against a fresh read."""
    rows = ExportRows()
    parts: dict[Feature, Records[Any]] = {
        Feature.HISTORY: rows.plays,
        Feature.RATINGS: rows.ratings,
        Feature.WATCHLIST: rows.watchlist,
    }
    for feature, records in pending.records.items():
        parts[feature].rows.extend(records.rows[job.position.get(feature, 0) :])
    return rows


def resume(job: ImportJob, pending: PendingRecords, replanned: ImportPlan) -> PendingRecords:
    """Continue ``job`` with ``replanned`` (its remaining rows planned against a fresh read).

    What the fresh read already holds (the batch in flight at the restart, or anything written
    meanwhile) counts as dealt with and is not written again. Returns the new pending records.
    """
    fresh = PendingRecords.of_plan(replanned)
    for feature, records in pending.records.items():
        left = len(records) - job.position.get(feature, 0)
        now = len(fresh.records.get(feature, []))
        found = max(left - now, 0)
        job.found_on_resume += found
        job.done[feature] = job.done.get(feature, 0) + found
        job.position[feature] = 0
    job.resumes += 1
    return fresh


async def run_job(
    job: ImportJob,
    pending: PendingRecords,
    *,
    write: WriteBatch,
    save: Callable[[ImportJob], Awaitable[None]],
    batch_size: int,
    cancelled: Callable[[], bool],
    now: Callable[[], float],
) -> ImportJob:
    """Write ``pending`` from the job's position in batches, saving the job after each one.

    ``write`` posts one batch and returns the changes the target did not know. A cancel is seen
    before the next batch (the one being posted completes). A service error ends the job as
    failed, with what was written kept; running the import again adds only the rest.
    """
    for feature in WRITE_ORDER:
        records = pending.records.get(feature)
        if not records:
            continue
        start = job.position.get(feature, 0)
        while start < len(records):
            if cancelled():
                return await _finish(job, JobStatus.CANCELLED, save, now)
            batch = records[start : start + batch_size]
            try:
                missing = await write(feature, [change_of(feature, r) for r in batch])
            except CrosswatchApiError as err:
                job.error = str(err)
                return await _finish(job, JobStatus.FAILED, save, now)
            start += len(batch)
            job.position[feature] = start
            job.done[feature] = job.done.get(feature, 0) + len(batch)
            job.written[feature] = job.written.get(feature, 0) + len(batch) - len(missing)
            job.note_unknown(missing)
            await save(job)
    return await _finish(job, JobStatus.DONE, save, now)


async def _finish(
    job: ImportJob,
    status: JobStatus,
    save: Callable[[ImportJob], Awaitable[None]],
    now: Callable[[], float],
) -> ImportJob:
    job.status = status
    job.finished_at = now()
    await save(job)
    return job
