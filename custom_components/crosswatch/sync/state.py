"""A pair's memory between runs: baselines, failures, runs, watermarks, unsynced titles, fixes.

The HA runner stores ``to_stored()`` in a ``Store`` only after a run's writes are done, so a
restart in the middle of a run plans the same remaining work again instead of losing or repeating
it. ``to_dict()`` is the plain form (stored up to version 1, and still read to migrate).

The stored form packs each baseline into compressed chunks of entries: a large library's 40,000
entries take about 1 MB instead of 15-30 MB of JSON, and no single encoding or decoding step
holds the interpreter long (the work runs in the executor, beside the event loop).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..api.json_rows import json_list_items
from ..api.models import Feature
from .guards import FailureRecord
from .inventory import Inventory, Row, row_from_dict, row_to_dict
from .plan import ProgressRead, RunResult, Side
from .titles import Override, UnmatchedTitle

SCHEMA_VERSION = 1
STORED_VERSION = 2
# The run history a pair keeps (the result sensor's attributes and diagnostics show it).
MAX_RUNS = 20
# Per-feature counts of what a run left unsynced: a partial run names these.
LEFT_COUNTS = ("failed", "not_attempted", "parked", "unmatched", "limit_cut", "held")
# Entries per compressed chunk: small enough that one chunk's JSON work stays a few ms.
CHUNK_ENTRIES = 2000
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Baseline:
    """What each side held for one feature after the last run."""

    source: Inventory
    target: Inventory

    def side(self, side: Side) -> Inventory:
        """Return the baseline of ``side``."""
        return self.source if side is Side.SOURCE else self.target


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One finished run."""

    started_at: float
    finished_at: float
    result: RunResult
    counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    # Why a failed run failed (an ``api.errors`` message: never a credential).
    error: str | None = None

    @property
    def duration(self) -> float:
        """How long the run took, in seconds."""
        return max(0.0, self.finished_at - self.started_at)

    def total(self, name: str) -> int:
        """The run's count ``name`` summed over its features."""
        return sum(counts.get(name, 0) for counts in self.counts.values())

    def left(self) -> dict[str, int]:
        """What the run left unsynced, by ``LEFT_COUNTS`` name (only those above zero)."""
        totals = {name: self.total(name) for name in LEFT_COUNTS}
        return {name: total for name, total in totals.items() if total}

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form."""
        data: dict[str, Any] = {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "result": self.result.value,
            "counts": {feature: dict(counts) for feature, counts in self.counts.items()},
        }
        if self.error is not None:
            data["error"] = self.error
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        """Rebuild from ``to_dict``."""
        counts = data.get("counts", {})
        if not isinstance(counts, Mapping):
            raise TypeError("counts is not an object")
        error = data.get("error")
        return cls(
            started_at=float(data["started_at"]),
            finished_at=float(data["finished_at"]),
            result=RunResult(data["result"]),
            counts={str(f): {str(k): int(v) for k, v in c.items()} for f, c in counts.items()},
            error=error if isinstance(error, str) else None,
        )


@dataclass(frozen=True, slots=True)
class ReadMark:
    """How far a side's baseline of a feature is known to be current.

    ``since``: when the read behind the baseline started, so the next read may ask only for what
    changed from then on; ``full_at``: when the side was last read whole.
    """

    since: float
    full_at: float

    def to_dict(self) -> dict[str, float]:
        """Return a plain-JSON form."""
        return {"since": self.since, "full_at": self.full_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReadMark:
        """Rebuild from ``to_dict``."""
        since, full_at = data["since"], data["full_at"]
        for value in (since, full_at):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError("read marks are numbers")
        return cls(float(since), float(full_at))


def watermark_key(side: Side, feature: Feature) -> str:
    """Return the key under which a side's activity marker for a feature is kept."""
    return f"{side}:{feature}"


def keyed_feature(key: str) -> str:
    """The feature a ``watermark_key`` (``side:feature``) is kept for."""
    return key.partition(":")[2]


@dataclass(frozen=True, slots=True, kw_only=True)
class PairState:
    """Everything a pair remembers. Immutable: updates return a new state."""

    baselines: Mapping[Feature, Baseline] = field(default_factory=dict)
    failures: Mapping[str, FailureRecord] = field(default_factory=dict)
    runs: tuple[RunRecord, ...] = ()
    watermarks: Mapping[str, str] = field(default_factory=dict)
    # The held plan (``SyncPlan.held_plan``) the user confirmed: used once, by exactly that plan.
    confirmed_plan: str | None = None
    # Per ``watermark_key``: how current that side's baseline is, for incremental reads.
    read_marks: Mapping[str, ReadMark] = field(default_factory=dict)
    # Per ``watermark_key``: plays (by title key) we removed that the side still shows.
    lingering: Mapping[str, Mapping[str, tuple[float, ...]]] = field(default_factory=dict)
    # Titles the pair could not sync, by ``titles.title_key`` (the repair lists them).
    unmatched: Mapping[str, UnmatchedTitle] = field(default_factory=dict)
    # The user's fixes by ``titles.title_key``: ids the planner gives the title, or ignore it.
    overrides: Mapping[str, Override] = field(default_factory=dict)
    # The progress feature's baseline: resume-point keys both sides shared, with when (unix s).
    progress: Mapping[str, float] = field(default_factory=dict)
    # Per ``watermark_key``: a side's resume points as last read, for a read of changes (Plex).
    progress_reads: Mapping[str, ProgressRead] = field(default_factory=dict)

    def parked(self, now: float) -> dict[str, float]:
        """Parked items (park key → until when) at ``now``, for display."""
        return {
            key: record.parked_until
            for key, record in sorted(self.failures.items())
            if record.parked_until is not None and record.parked(now)
        }

    @property
    def last_run(self) -> RunRecord | None:
        """The most recent run, if any."""
        return self.runs[-1] if self.runs else None

    def confirm_removals(self, held_plan: str) -> PairState:
        """Let the next run apply the removals the guard held in ``held_plan`` (once)."""
        return replace(self, confirmed_plan=held_plan)

    def with_override(self, key: str, override: Override | None) -> PairState:
        """Set (or with ``None`` drop) the user's fix of title ``key``.

        An ignored title leaves the unsynced list at once; a fixed one when a run syncs it.
        """
        overrides = {k: v for k, v in self.overrides.items() if k != key}
        unmatched = dict(self.unmatched)
        if override is not None:
            overrides[key] = override
            if override.ignore:
                unmatched.pop(key, None)
        return replace(self, overrides=dict(sorted(overrides.items())), unmatched=unmatched)

    def only(self, features: Collection[Feature]) -> PairState:
        """The state of ``features`` alone (``self`` when it holds no other).

        A feature taken off the pair leaves nothing behind, so adding it again later starts it
        from a first run: a baseline kept from back then would read what changed meanwhile as
        titles already synced, or as removals.
        """
        kept = {str(feature) for feature in features}

        def per_side[V](values: Mapping[str, V]) -> dict[str, V]:
            return {key: value for key, value in values.items() if keyed_feature(key) in kept}

        unmatched: dict[str, UnmatchedTitle] = {}
        for key, title in self.unmatched.items():
            if left := tuple(f for f in title.features if f in kept):
                unmatched[key] = title if left == title.features else replace(title, features=left)
        trimmed = replace(
            self,
            baselines={f: base for f, base in self.baselines.items() if f in kept},
            # Keyed by ``Change.park_key`` (``feature|side|title``).
            failures={k: v for k, v in self.failures.items() if k.partition("|")[0] in kept},
            watermarks=per_side(self.watermarks),
            read_marks=per_side(self.read_marks),
            lingering=per_side(self.lingering),
            unmatched=unmatched,
            progress=self.progress if Feature.PROGRESS in kept else {},
            progress_reads=per_side(self.progress_reads),
        )
        return self if trimmed == self else trimmed

    def with_run(self, run: RunRecord) -> PairState:
        """Append ``run``, keeping the last ``MAX_RUNS``."""
        return replace(self, runs=(*self.runs, run)[-MAX_RUNS:])

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form with a schema version."""
        return {
            **self._small_parts(),
            "version": SCHEMA_VERSION,
            "baselines": {
                feature.value: {
                    "source": baseline.source.to_dict(),
                    "target": baseline.target.to_dict(),
                }
                for feature, baseline in self.baselines.items()
            },
        }

    def to_stored(
        self, pack: Callable[[Inventory, str], dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Return the stored form: ``to_dict`` with each baseline packed (``pack_inventory``).

        ``pack`` may be a ``PackedInventories.pack`` that reuses what an earlier save packed.
        """
        pack = pack or (lambda inventory, _slot: pack_inventory(inventory))
        return {
            **self._small_parts(),
            "version": STORED_VERSION,
            "baselines": {
                feature.value: {
                    "source": pack(baseline.source, f"{feature.value}:source"),
                    "target": pack(baseline.target, f"{feature.value}:target"),
                }
                for feature, baseline in self.baselines.items()
            },
        }

    def _small_parts(self) -> dict[str, Any]:
        # Only a progress pair stores the key: other pairs' files stay as they were.
        progress: dict[str, Any] = {"progress": dict(self.progress)} if self.progress else {}
        if self.progress_reads:
            progress["progress_reads"] = {
                key: {"full_at": read.full_at, "memo": dict(read.memo)}
                for key, read in self.progress_reads.items()
            }
        return {
            **progress,
            "failures": {key: record.to_dict() for key, record in self.failures.items()},
            "runs": [run.to_dict() for run in self.runs],
            "watermarks": dict(self.watermarks),
            "confirmed_plan": self.confirmed_plan,
            "read_marks": {key: mark.to_dict() for key, mark in self.read_marks.items()},
            "lingering": {
                side: {key: list(times) for key, times in plays.items()}
                for side, plays in self.lingering.items()
            },
            "unmatched": {key: title.to_dict() for key, title in self.unmatched.items()},
            "overrides": {key: override.to_dict() for key, override in self.overrides.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PairState:
        """Rebuild from ``to_dict``; raises ``ValueError`` for another schema or a malformed one."""
        return cls._rebuild(data, SCHEMA_VERSION, lambda plain, _slot: Inventory.from_dict(plain))

    @classmethod
    def from_stored(
        cls,
        data: Mapping[str, Any],
        unpack: Callable[[Mapping[str, Any], str], Inventory] | None = None,
    ) -> PairState:
        """Rebuild from ``to_stored``; raises ``ValueError`` for another form or a malformed one."""
        return cls._rebuild(
            data, STORED_VERSION, unpack or (lambda packed, _slot: unpack_inventory(packed))
        )

    @classmethod
    def _rebuild(
        cls,
        data: Mapping[str, Any],
        expected: int,
        inventory: Callable[[Mapping[str, Any], str], Inventory],
    ) -> PairState:
        version = data.get("version")
        if version != expected:
            raise ValueError(f"unsupported pair state version {version!r}")
        try:
            baselines = {
                Feature(name): Baseline(
                    inventory(sides["source"], f"{name}:source"),
                    inventory(sides["target"], f"{name}:target"),
                )
                for name, sides in data.get("baselines", {}).items()
            }
            failures = {
                str(key): FailureRecord.from_dict(record)
                for key, record in data.get("failures", {}).items()
            }
            runs = tuple(RunRecord.from_dict(run) for run in data.get("runs", []))
            watermarks = {str(k): str(v) for k, v in data.get("watermarks", {}).items()}
            read_marks = {
                str(k): ReadMark.from_dict(v) for k, v in data.get("read_marks", {}).items()
            }
            lingering = {
                str(side): {str(key): _times(times) for key, times in plays.items()}
                for side, plays in data.get("lingering", {}).items()
            }
            unmatched = {
                str(k): UnmatchedTitle.from_dict(v) for k, v in data.get("unmatched", {}).items()
            }
            overrides = {
                str(k): Override.from_dict(v) for k, v in data.get("overrides", {}).items()
            }
            confirmed = data.get("confirmed_plan")
            progress = {str(k): _number(v) for k, v in data.get("progress", {}).items()}
            progress_reads = {
                str(k): ProgressRead(_number(v["full_at"]), dict(v["memo"]))
                for k, v in data.get("progress_reads", {}).items()
            }
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"malformed pair state: {err}") from err
        return cls(
            baselines=baselines,
            failures=failures,
            runs=runs[-MAX_RUNS:],
            watermarks=watermarks,
            confirmed_plan=confirmed if isinstance(confirmed, str) else None,
            read_marks=read_marks,
            lingering=lingering,
            unmatched=unmatched,
            overrides=overrides,
            progress=progress,
            progress_reads=progress_reads,
        )


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("progress stamps are numbers")
    return float(value)


def pack_inventory(
    inventory: Inventory, previous: tuple[Inventory, Sequence[str]] | None = None
) -> dict[str, Any]:
    """An inventory as its feature plus chunks of ``[key, entry]`` rows, each zlib'd and base64'd.

    The rows are ``row_to_dict``'s: ids, titles and times stay (a side whose marker did not
    move is planned from its baseline, and removals are matched on its ids); repetition is what
    compression takes out. ``previous`` is an earlier inventory of the same side with its
    chunks: a chunk whose keys and entries (the very same objects) did not change is reused.
    """
    keys = list(inventory.rows)
    old_keys = list(previous[0].rows) if previous else []
    chunks: list[str] = []
    for number, start in enumerate(range(0, len(keys), CHUNK_ENTRIES)):
        part = keys[start : start + CHUNK_ENTRIES]
        if previous and _same_part(part, old_keys, start, inventory, previous[0]):
            chunks.append(previous[1][number])
            continue
        # Row by row: one row's dicts are gone before the next is built. A chunk's 10,000 at
        # once would live through young collections and count towards a full one.
        rows = ",".join(_ENCODER.encode([key, row_to_dict(inventory.rows[key])]) for key in part)
        raw = f"[{rows}]".encode()
        chunks.append(base64.b64encode(zlib.compress(raw)).decode("ascii"))
    return {"feature": inventory.feature.value, "chunks": chunks}


def _same_part(
    part: list[str], old_keys: list[str], start: int, new: Inventory, old: Inventory
) -> bool:
    if old_keys[start : start + CHUNK_ENTRIES] != part:
        return False
    return all(new.rows[key] is old.rows[key] for key in part)


def unpack_inventory(data: Mapping[str, Any]) -> Inventory:
    """Rebuild ``pack_inventory``'s form; raises ``ValueError`` on a malformed one."""
    return _unpack(data)[0]


def _unpack(data: Mapping[str, Any]) -> tuple[Inventory, bool]:
    """``unpack_inventory``, and whether its chunks are cut as ``pack_inventory`` cuts them.

    That is ``CHUNK_ENTRIES`` rows in each chunk but the last, and no key twice.
    """
    chunks = data.get("chunks")
    if not isinstance(chunks, list):
        raise ValueError("malformed inventory: chunks is not a list")  # noqa: TRY004
    entries: dict[str, Row] = {}
    sizes: list[int] = []
    try:
        feature = Feature(data["feature"])
        for chunk in chunks:
            text = zlib.decompress(base64.b64decode(chunk, validate=True)).decode()
            size = 0
            # Row by row: a chunk's 10,000 dicts alive at once would count towards a full
            # garbage collection at every start of Home Assistant.
            for key, entry in json_list_items(text):
                entries[str(key)] = row_from_dict(entry)
                size += 1
            sizes.append(size)
    except (KeyError, TypeError, ValueError, zlib.error) as err:
        raise ValueError(f"malformed inventory: {err}") from err
    aligned = all(size == CHUNK_ENTRIES for size in sizes[:-1]) and len(entries) == sum(sizes)
    aligned = aligned and all(isinstance(c, str) for c in chunks)
    return Inventory.from_rows(feature, entries), aligned


class PackedInventories:
    """Each baseline's last packed form, so a save packs only the chunks that changed.

    Baselines are immutable: a run keeps a side it did not read (or read unchanged) as the very
    same object, and a side it merged or wrote to shares its untouched entries. Packing builds
    a dict per entry: on a large library ~200,000 short-lived objects per save, enough to set
    off a full garbage collection (which walks every object of Home Assistant while holding
    the event loop, hundreds of ms); a reused chunk costs a comparison.
    """

    def __init__(self) -> None:
        """An empty cache."""
        # Per baseline slot (feature:side): the inventory and its chunks.
        self._known: dict[str, tuple[Inventory, list[str]]] = {}

    def pack(self, inventory: Inventory, slot: str) -> dict[str, Any]:
        """``pack_inventory(inventory)``, reusing the chunks of the slot's previous inventory."""
        previous = self._known.get(slot)
        if previous is not None and previous[0] is inventory:
            return {"feature": inventory.feature.value, "chunks": previous[1]}
        packed = pack_inventory(inventory, previous)
        self._known = {**self._known, slot: (inventory, packed["chunks"])}
        return packed

    def unpack(self, data: Mapping[str, Any], slot: str) -> Inventory:
        """``unpack_inventory(data)``, remembering its chunks when they are cut as today."""
        inventory, aligned = _unpack(data)
        if aligned:
            self._known = {**self._known, slot: (inventory, list(data["chunks"]))}
        return inventory


def _times(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or any(
        isinstance(t, bool) or not isinstance(t, int | float) for t in value
    ):
        raise TypeError("lingering plays are lists of numbers")
    return tuple(float(t) for t in value)
