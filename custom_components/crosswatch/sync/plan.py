"""What a sync run intends to do, and its readable summary (the ``run_sync`` response)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from typing import TYPE_CHECKING, Any, Final, overload

from ..api.models import (
    Feature,
    ItemRow,
    MediaItem,
    Play,
    Rating,
    WatchlistEntry,
    pack_item,
    unpack_item,
)
from ..watchnext.progress import Action as ProgressAction
from .inventory import Inventory, from_timestamp, item_to_dict

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping

    from ..watchnext.progress import ProgressPlan

# How many titles a summary lists per category; counts are always complete.
SUMMARY_SAMPLE = 20


class SyncMode(StrEnum):
    """How a pair moves data."""

    ADD_ONLY = "add_only"  # one-way, never removes
    MIRROR = "mirror"  # one-way, removes what the source no longer has (baseline items only)
    TWO_WAY = "two_way"


class Side(StrEnum):
    """One account of a pair."""

    SOURCE = "source"
    TARGET = "target"

    @property
    def other(self) -> Side:
        """The opposite side."""
        return Side.TARGET if self is Side.SOURCE else Side.SOURCE


class ReadKind(StrEnum):
    """How a run came by one side's inventory of a feature."""

    KEPT = "kept"  # its marker had not moved: the exact baseline stood in for a read
    CHANGES = "changes"  # only what changed since the last read, merged into the baseline
    WHOLE = "whole"  # read whole


class Action(StrEnum):
    """A write."""

    ADD = "add"  # also sets a rating to a new value
    REMOVE = "remove"


class RunResult(StrEnum):
    """How a run ended; the pair's result entity shows it."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    HELD = "held"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, init=False)
class Change:
    """One write on ``side``.

    ``item`` is named as the side that holds it (for an add, the other side's item with its ids);
    ``key`` is that item's stable key. History changes are one play each (``watched_at``).
    The item is kept packed (``api.models.pack_item``): a first run plans tens of thousands of
    changes that live until written, and an item's objects would count towards a full garbage
    collection; ``item`` builds it when asked for.
    """

    feature: Feature
    side: Side
    action: Action
    key: str
    packed: ItemRow
    watched_at: float | None
    listed_at: float | None
    rating: int | None
    rated_at: float | None

    def __init__(
        self,
        *,
        feature: Feature,
        side: Side,
        action: Action,
        key: str,
        item: MediaItem | ItemRow,
        watched_at: float | None = None,
        listed_at: float | None = None,
        rating: int | None = None,
        rated_at: float | None = None,
    ) -> None:
        """A change of ``item`` (packed here, unless it comes packed)."""
        # One call per field, not a loop: ``Changes`` builds a Change each time it is read.
        set_field = object.__setattr__
        set_field(self, "feature", feature)
        set_field(self, "side", side)
        set_field(self, "action", action)
        set_field(self, "key", key)
        set_field(self, "packed", item if isinstance(item, tuple) else pack_item(item))
        set_field(self, "watched_at", watched_at)
        set_field(self, "listed_at", listed_at)
        set_field(self, "rating", rating)
        set_field(self, "rated_at", rated_at)

    @property
    def item(self) -> MediaItem:
        """The item to write."""
        return unpack_item(self.packed)

    @property
    def row(self) -> ChangeRow:
        """This change as a plain tuple (``Changes`` keeps them so)."""
        return (
            self.feature.value,
            self.side.value,
            self.action.value,
            self.key,
            self.packed,
            self.watched_at,
            self.listed_at,
            self.rating,
            self.rated_at,
        )

    @classmethod
    def from_row(cls, row: ChangeRow) -> Change:
        """The change of a ``row``."""
        feature, side, action, key, item, watched_at, listed_at, rating, rated_at = row
        return cls(
            feature=_FEATURES[feature],
            side=_SIDES[side],
            action=_ACTIONS[action],
            key=key,
            item=item,
            watched_at=watched_at,
            listed_at=listed_at,
            rating=rating,
            rated_at=rated_at,
        )

    @property
    def id(self) -> str:
        """Identifies this change in an execution outcome."""
        base = f"{self.feature}|{self.side}|{self.action}|{self.key}"
        return base if self.watched_at is None else f"{base}@{self.watched_at!r}"

    @property
    def park_key(self) -> str:
        """Identifies the item for failure counting and parking."""
        return f"{self.feature}|{self.side}|{self.key}"

    def to_play(self) -> Play:
        """Return the play to post or remove (history changes only)."""
        if self.watched_at is None:
            raise ValueError("not a history change")
        return Play(item=self.item, watched_at=from_timestamp(self.watched_at))

    def to_rating(self) -> Rating:
        """Return the rating to set or remove (ratings changes only)."""
        if self.rating is None:
            raise ValueError("not a ratings change")
        rated_at = None if self.rated_at is None else from_timestamp(self.rated_at)
        return Rating(item=self.item, rating=self.rating, rated_at=rated_at)

    def to_watchlist_entry(self) -> WatchlistEntry:
        """Return the watchlist entry to add or remove."""
        listed_at = None if self.listed_at is None else from_timestamp(self.listed_at)
        return WatchlistEntry(item=self.item, listed_at=listed_at)


# A row's enums by value: a dict lookup costs a fraction of ``Feature(value)``, and a large plan's
# rows are turned back into changes a dozen times between planning and the new baselines.
_FEATURES: Final = {member.value: member for member in Feature}
_SIDES: Final = {member.value: member for member in Side}
_ACTIONS: Final = {member.value: member for member in Action}

# feature, side, action, key, packed item, watched_at, listed_at, rating, rated_at
type ChangeRow = tuple[
    str, str, str, str, ItemRow, float | None, float | None, int | None, float | None
]


class Changes(Sequence[Change]):
    """Planned changes, kept as plain tuples and built as ``Change`` when read.

    A first run plans tens of thousands of changes that live until the last write: as objects
    they count towards a full garbage collection (which holds Home Assistant's loop); tuples of
    strings and numbers stop being tracked. Read them one by one (a loop, ``islice``), not into
    a list.
    """

    __slots__ = ("_rows",)

    def __init__(self, changes: Iterable[Change] = ()) -> None:
        """Keep ``changes`` (each packed as it comes: pass a generator to hold none at once)."""
        self._rows: tuple[ChangeRow, ...] = tuple(change.row for change in changes)

    def __len__(self) -> int:
        """How many changes."""
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Change: ...
    @overload
    def __getitem__(self, index: slice) -> Changes: ...
    def __getitem__(self, index: int | slice) -> Change | Changes:
        """One change, or a slice of them."""
        if isinstance(index, slice):
            part = Changes()
            part._rows = self._rows[index]
            return part
        return Change.from_row(self._rows[index])

    def __iter__(self) -> Iterator[Change]:
        """Each change, built as it is reached."""
        return map(Change.from_row, self._rows)

    @classmethod
    def of_rows(cls, rows: Iterable[ChangeRow]) -> Changes:
        """Changes already packed (``Change.row``)."""
        changes = cls()
        changes._rows = tuple(rows)
        return changes

    def where(self, side: Side | None = None, action: Action | None = None) -> Changes:
        """The changes on ``side`` and of ``action`` (``None``: any), read from the rows alone."""
        sides = None if side is None else side.value
        actions = None if action is None else action.value
        return Changes.of_rows(
            row for row in self._rows if sides in (None, row[1]) and actions in (None, row[2])
        )

    @classmethod
    def joined(cls, parts: Iterable[Sequence[Change]]) -> Changes:
        """The changes of ``parts``, one after the other."""
        joined = cls()
        joined._rows = tuple(
            row
            for part in parts
            for row in (part._rows if isinstance(part, Changes) else (c.row for c in part))  # noqa: SLF001
        )
        return joined

    def __eq__(self, other: object) -> bool:
        """Equal to a sequence of the same changes."""
        if isinstance(other, Changes):
            return self._rows == other._rows
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """How many (a first run's would flood a log)."""
        return f"Changes({len(self._rows)})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unmatched:
    """A title that cannot be written to ``side``; ``reason``: no_usable_id, unsupported_kind."""

    side: Side
    key: str
    item: MediaItem
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """Both sides disagree: ratings differ (``rating``) or ids contradict (``ids``)."""

    key: str
    item: MediaItem
    reason: str
    source_rating: int | None = None
    target_rating: int | None = None
    winner: Side | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WeakMatch:
    """A title matched by title+year only: not added again, never removed on this evidence."""

    key: str
    item: MediaItem
    other_key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Dropped:
    """A title the target held after the last run and no longer holds: one way leaves it off."""

    key: str
    item: MediaItem


@dataclass(frozen=True, slots=True, kw_only=True)
class FeaturePlan:
    """The plan for one feature of a pair, plus the inputs ``apply`` needs."""

    feature: Feature
    mode: SyncMode
    source: Inventory
    target: Inventory
    baseline_source: Inventory | None
    baseline_target: Inventory | None
    changes: Changes = field(default_factory=Changes)
    held: tuple[Change, ...] = ()
    parked: tuple[Change, ...] = ()
    limit_cut: tuple[Change, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    weak_matches: tuple[WeakMatch, ...] = ()
    target_dropped: tuple[Dropped, ...] = ()
    collapsed: tuple[Side, ...] = ()
    # Removals not carried out: a collapsed snapshot, or the pair does not allow removals.
    suppressed: tuple[Change, ...] = ()
    activity: Mapping[Side, str | None] = field(default_factory=dict)
    # Per side: plays we removed earlier that its read still showed (left out of the plan).
    lingering: Mapping[Side, Mapping[str, tuple[float, ...]]] = field(default_factory=dict)

    @property
    def suppressed_removals(self) -> int:
        """How many removals were seen but not carried out."""
        return len(self.suppressed)

    @property
    def first_run(self) -> bool:
        """Whether there was no baseline, so nothing could be removed."""
        return self.baseline_source is None or self.baseline_target is None

    def count(self, action: Action, side: Side | None = None) -> int:
        """How many planned (executable) changes of ``action`` on ``side`` (or both)."""
        return len(self.changes.where(side, action))

    def summary(self) -> dict[str, Any]:
        """Return a readable, JSON-friendly account of the plan."""
        sides = {
            side.value: {
                "adds": self.count(Action.ADD, side),
                "removals": self.count(Action.REMOVE, side),
            }
            for side in Side
        }
        data: dict[str, Any] = {
            "mode": self.mode.value,
            "adds": self.count(Action.ADD),
            "removals": self.count(Action.REMOVE),
            "unmatched": len(self.unmatched),
            "conflicts": len(self.conflicts),
            "held": len(self.held),
            "limit_reached": bool(self.limit_cut),
            "limit_cut": len(self.limit_cut),
            "parked": len(self.parked),
            "weak_matches": len(self.weak_matches),
            "target_dropped": len(self.target_dropped),
            "first_run": self.first_run,
            "collapsed": [side.value for side in self.collapsed],
            "suppressed_removals": self.suppressed_removals,
            "by_side": sides,
        }
        # Only the samples shown are described: a first run plans tens of thousands of changes.
        adds = (c for c in self.changes if c.action is Action.ADD)
        removals = (c for c in self.changes if c.action is Action.REMOVE)
        samples = {
            "add_titles": [_describe(c.item) for c in islice(adds, SUMMARY_SAMPLE)],
            "removal_titles": [_describe(c.item) for c in islice(removals, SUMMARY_SAMPLE)],
            "held_titles": [_describe(c.item) for c in self.held[:SUMMARY_SAMPLE]],
            "target_dropped_titles": [
                _describe(d.item) for d in self.target_dropped[:SUMMARY_SAMPLE]
            ],
            "unmatched_titles": [
                {**_describe(u.item), "reason": u.reason} for u in self.unmatched[:SUMMARY_SAMPLE]
            ],
            "conflict_titles": [
                {
                    **_describe(c.item),
                    "reason": c.reason,
                    "source_rating": c.source_rating,
                    "target_rating": c.target_rating,
                    "winner": None if c.winner is None else c.winner.value,
                }
                for c in self.conflicts[:SUMMARY_SAMPLE]
            ],
        }
        data.update({name: rows for name, rows in samples.items() if rows})
        return data


def _describe(item: MediaItem) -> dict[str, Any]:
    data = item_to_dict(item)
    return {
        k: data[k]
        for k in ("kind", "title", "year", "show_title", "season", "number", "ids")
        if k in data
    }


# The progress planner's sides ("a", "b") as a pair's.
PROGRESS_SIDES = {"a": Side.SOURCE, "b": Side.TARGET}


@dataclass(frozen=True, slots=True)
class ProgressRead:
    """What a side's last resume-point read left for a read of changes next time.

    ``full_at``: when that side was last read whole (unix s); ``memo``: the side's own JSON form
    (``SyncSide.progress_memo``), opaque to everything else.
    """

    full_at: float
    memo: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ProgressStep:
    """The progress part of a run: each side's marker, and the plan (``None``: none moved).

    ``reads``: per ``watermark_key`` what the sides read leave for next time (``None``: nothing).
    """

    markers: Mapping[Side, str | None]
    plan: ProgressPlan | None = None
    reads: Mapping[str, ProgressRead | None] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The step in the ``run_sync`` response: what it would set and remove, per side."""
        changes = [] if self.plan is None else self.plan.changes
        actions = (("adds", ProgressAction.SET), ("removals", ProgressAction.REMOVE))
        by_side = {
            side.value: {
                name: sum(1 for c in changes if PROGRESS_SIDES[c.side] is side and c.action is act)
                for name, act in actions
            }
            for side in Side
        }
        return {
            "read": self.plan is not None,
            "adds": sum(s["adds"] for s in by_side.values()),
            "removals": sum(s["removals"] for s in by_side.values()),
            "skipped_watched": 0 if self.plan is None else self.plan.skipped_watched,
            "by_side": by_side,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncPlan:
    """All features of one run of a pair."""

    features: Mapping[Feature, FeaturePlan]
    created_at: float
    confirmed_removals: bool = False
    # Names the held removals (``planner.held_plan_id``) when some wait for confirmation.
    held_plan: str | None = None
    # How each side was read, by ``state.watermark_key``.
    reads: Mapping[str, ReadKind] = field(default_factory=dict)
    # No side's marker moved, so nothing was planned: the last run's result stands.
    unchanged: bool = False
    # The progress feature (planned apart from the item features): ``None`` when not synced.
    progress: ProgressStep | None = None

    @property
    def held(self) -> bool:
        """Whether any removals wait for the user's confirmation."""
        return any(plan.held for plan in self.features.values())

    @property
    def changes(self) -> Changes:
        """Every executable change, feature by feature."""
        return Changes.joined(plan.changes for plan in self.features.values())

    @property
    def is_empty(self) -> bool:
        """Whether there is nothing to write."""
        return not any(plan.changes for plan in self.features.values())

    def summary(self) -> dict[str, Any]:
        """Return the ``crosswatch.run_sync`` response data for this pair."""
        features = {feature.value: plan.summary() for feature, plan in self.features.items()}
        if self.progress is not None:
            features[Feature.PROGRESS.value] = self.progress.summary()
        return {
            "held": self.held,
            "adds": sum(f["adds"] for f in features.values()),
            "removals": sum(f["removals"] for f in features.values()),
            "features": features,
        }


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """Which changes (by ``Change.id``) were written and which failed; others were not attempted.

    ``rejected``: failed because the service refused that very title (its ``not_found``); only
    these count toward parking. ``failed``: their batch failed as a whole (an outage, a timeout,
    a refused token, an answer cut short), which says nothing about the titles. ``stopped``: the
    run stopped early because credentials were refused.
    """

    succeeded: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    rejected: frozenset[str] = frozenset()
    stopped: bool = False

    @classmethod
    def of(
        cls,
        succeeded: Iterable[Change] = (),
        failed: Iterable[Change] = (),
        rejected: Iterable[Change] = (),
        *,
        stopped: bool = False,
    ) -> ExecutionOutcome:
        """Build from the changes themselves."""
        return cls(
            frozenset(c.id for c in succeeded),
            frozenset(c.id for c in failed),
            frozenset(c.id for c in rejected),
            stopped=stopped,
        )

    def unsuccessful(self, change: Change) -> bool:
        """Whether ``change`` was attempted and did not go through."""
        return change.id in self.failed or change.id in self.rejected

    @classmethod
    def all_succeeded(cls, plan: SyncPlan) -> ExecutionOutcome:
        """Every change of ``plan`` written."""
        return cls.of(succeeded=plan.changes)
