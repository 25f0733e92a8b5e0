"""One run of a sync pair over two ``SyncSide``s: read what moved, plan, write, fold the outcome.

No Home Assistant imports: the HA pair runner (``pairs.py``) adds storage, locking, events and
repair issues around it, and ``benchmarks/sync.py`` drives it directly against the simulator.

Planning and folding the outcome are CPU work over the whole library: they run through an
``Offload`` (Home Assistant's executor), never on the event loop itself. A run where no side's
marker moved plans nothing at all: the stored result stands.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Final

from ..api.errors import AccountLimitError, AuthError, CrosswatchApiError, InvalidResponseError
from ..api.models import Feature
from .apply import apply_outcome
from .guards import WHOLE_READ_EVERY
from .offload import Offload, run_inline
from .plan import (
    Action,
    ExecutionOutcome,
    FeaturePlan,
    ReadKind,
    RunResult,
    Side,
    SyncMode,
    SyncPlan,
)
from .planner import PlanSettings, SideInput, plan_sync
from .progress import ProgressOutcome, execute_step, fold_step, plan_step, with_progress_record
from .state import PairState, ReadMark, RunRecord, keyed_feature, watermark_key

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

    from .inventory import Inventory
    from .side import SyncSide

_LOGGER = logging.getLogger(__name__)

# How far before the last read's start a read of changes begins: clock skew, late posts.
READ_OVERLAP: Final = 3600.0
# What a run that planned nothing carries over from the last run's counts: titles that cannot
# be written, conflicts and removals not carried stand as they were; nothing was written.
STANDING_COUNTS: Final = ("unmatched", "conflicts", "suppressed_removals")


@dataclass(frozen=True, slots=True, kw_only=True)
class PairMemory:
    """What a pair keeps between runs: the sync state plus which baselines are exact.

    A baseline is exact for a side (``watermark_key``) when it equals what that side held at its
    stored activity marker, so an unmoved marker may stand in for reading the side.
    """

    state: PairState = field(default_factory=PairState)
    exact: frozenset[str] = frozenset()

    def only(self, features: Collection[Feature]) -> PairMemory:
        """The memory of ``features`` alone (``self`` if it holds no other): ``PairState.only``."""
        kept = {str(feature) for feature in features}
        state = self.state.only(features)
        exact = frozenset(key for key in self.exact if keyed_feature(key) in kept)
        if state is self.state and exact == self.exact:
            return self
        return PairMemory(state=state, exact=exact)


def release_reads(sides: Iterable[SyncSide]) -> None:
    """Let the sides go of the run's reads once it is over.

    Kept until the next run, a large library's rows would sit in Home Assistant's heap, and
    every full garbage collection (which holds the event loop) walks each of them.
    """
    for sync in sides:
        sync.release()


async def plan_run(
    memory: PairMemory,
    sides: Mapping[Side, SyncSide],
    features: Sequence[Feature],
    *,
    mode: SyncMode,
    now: float,
    whole: bool = False,
    allow_removals: bool = True,
    offload: Offload = run_inline,
) -> SyncPlan:
    """Read each side where its marker moved (or its baseline is not exact), then plan.

    A side whose exact baseline is recent enough is asked only for what changed since its last
    read (see ``SyncSide.read_changes``); ``whole`` forces whole reads. When every side of every
    feature was kept (no marker moved), nothing is planned: exact baselines hold nothing pending,
    so planning them against themselves could only repeat the last run's result. The plan is
    then ``unchanged`` and empty.
    """
    state = memory.state
    markers = {side: await sync.markers(features) for side, sync in sides.items()}
    items: list[Feature] = [f for f in features if f is not Feature.PROGRESS]
    caps = {side: await sync.capabilities() for side, sync in sides.items()} if items else {}
    inputs: dict[Feature, tuple[SideInput, SideInput]] = {}
    reads: dict[str, ReadKind] = {}
    for feature in items:
        baseline = state.baselines.get(feature)
        read: dict[Side, SideInput] = {}
        for side, sync in sides.items():
            marker = markers[side].get(feature)
            key = watermark_key(side, feature)
            exact = baseline.side(side) if baseline is not None and key in memory.exact else None
            mark = None if whole else state.read_marks.get(key)
            inventory: Inventory | None = None
            if exact is not None and marker is not None and state.watermarks.get(key) == marker:
                inventory, reads[key] = exact, ReadKind.KEPT  # nothing moved: no read
            elif exact is not None and mark is not None and now - mark.full_at < WHOLE_READ_EVERY:
                since = mark.since - READ_OVERLAP
                inventory = await sync.read_changes(feature, exact, since)
                reads[key] = ReadKind.CHANGES
            if inventory is None:
                inventory, reads[key] = await sync.read(feature), ReadKind.WHOLE
            read[side] = SideInput(inventory=inventory, capabilities=caps[side], activity=marker)
        inputs[feature] = (read[Side.SOURCE], read[Side.TARGET])
    progress = None
    if Feature.PROGRESS in features:
        progress = await plan_step(
            state,
            sides,
            markers,
            one_way=mode is not SyncMode.TWO_WAY,
            removals=allow_removals,
            now=now,
            whole=whole,
            offload=offload,
        )
    if (reads or progress is not None) and all(kind is ReadKind.KEPT for kind in reads.values()):
        return SyncPlan(
            features={
                feature: FeaturePlan(
                    feature=feature,
                    mode=mode,
                    source=source.inventory,
                    target=target.inventory,
                    baseline_source=source.inventory,
                    baseline_target=target.inventory,
                )
                for feature, (source, target) in inputs.items()
            },
            created_at=now,
            reads=reads,
            unchanged=True,
            progress=progress,
        )
    settings = PlanSettings(mode=mode, allow_removals=allow_removals)
    plan = await offload(partial(plan_sync, now=now), state, inputs, settings)
    for feature, feature_plan in plan.features.items():
        for side in feature_plan.collapsed:
            raise empty_read_error(sides[side].service, feature, state, side, inputs)
    return replace(plan, reads=reads, progress=progress)


def empty_read_error(
    service: str,
    feature: Feature,
    state: PairState,
    side: Side,
    inputs: Mapping[Feature, tuple[SideInput, SideInput]],
) -> InvalidResponseError:
    """The error of a read that came back empty or collapsed with no activity to explain it."""
    baseline = state.baselines[feature].side(side)  # only a side with a baseline collapses
    read = inputs[feature][0 if side is Side.SOURCE else 1].inventory
    message = (
        f"answered {read.size} {feature} entries where the last run saw {baseline.size}, "
        "with no activity to explain it; taken as a failed read, nothing was written"
    )
    return InvalidResponseError(service, f"{feature} read", message)


@dataclass(frozen=True, slots=True)
class Execution:
    """What ``execute`` did.

    ``limit_hit``: a list limit stopped the adds; ``auth_failed``: the side whose credentials
    were refused (the run stopped there).
    """

    outcome: ExecutionOutcome
    limit_hit: bool = False
    auth_failed: Side | None = None
    progress: ProgressOutcome = field(default_factory=ProgressOutcome)


async def execute(sides: Mapping[Side, SyncSide], plan: SyncPlan) -> Execution:
    """Write every change in batches; a failed batch fails its changes and the rest go on.

    Removals go first (they make room under list limits). After a list-limit refusal no more adds
    are attempted; they stay unattempted and are planned again next run. Refused credentials
    stop the run at once: every further batch would be refused too.
    """
    # Ids, and the changes read batch by batch from the plan's packed ones: a first run's tens
    # of thousands of changes held as objects until the last write would outlive young
    # collections and set off a full one.
    succeeded: list[str] = []
    failed: list[str] = []
    rejected: list[str] = []
    limit_hit = False
    for feature, feature_plan in plan.features.items():
        for side, sync in sides.items():
            for action in (Action.REMOVE, Action.ADD):
                group = feature_plan.changes.where(side, action)
                for start in range(0, len(group), sync.batch_size):
                    batch = list(group[start : start + sync.batch_size])
                    if limit_hit and action is Action.ADD:
                        break
                    try:
                        unknown = await sync.write(feature, action, batch)
                    except AccountLimitError:
                        limit_hit = True
                    except AuthError as err:
                        _LOGGER.warning("A sync write to %s was refused: %s", sync.service, err)
                        failed.extend(c.id for c in batch)
                        outcome = _outcome(succeeded, failed, rejected, stopped=True)
                        return Execution(outcome, limit_hit, auth_failed=side)
                    except CrosswatchApiError as err:
                        # The run is partial or failed: the pair reports it, once per outage.
                        _LOGGER.debug("A sync write to %s failed: %s", sync.service, err)
                        failed.extend(c.id for c in batch)
                    else:
                        # A title the service did not know is rejected (parked after repeats).
                        refused = {c.id for c in unknown}
                        rejected.extend(c.id for c in batch if c.id in refused)
                        succeeded.extend(c.id for c in batch if c.id not in refused)
    outcome = _outcome(succeeded, failed, rejected)
    progress = await execute_step(sides, plan.progress)
    return Execution(outcome, limit_hit, auth_failed=progress.auth_failed, progress=progress)


def _outcome(
    succeeded: list[str], failed: list[str], rejected: list[str], *, stopped: bool = False
) -> ExecutionOutcome:
    return ExecutionOutcome(
        frozenset(succeeded), frozenset(failed), frozenset(rejected), stopped=stopped
    )


async def finish_run(
    memory: PairMemory,
    plan: SyncPlan,
    outcome: ExecutionOutcome,
    sides: Mapping[Side, SyncSide],
    *,
    now: float,
    offload: Offload = run_inline,
    progress: ProgressOutcome | None = None,
) -> PairMemory:
    """Fold the outcome into the state; mark exact baselines; move written sides' markers.

    An ``unchanged`` plan only adds its run record and moves its read marks (kept baselines are
    as current as a read); baselines and markers stay as they are.
    A feature's baselines are exact when nothing of it is pending (held, parked, cut, failed or
    not attempted) and no read collapsed. A side we wrote to has its marker read again, so our own
    writes do not look like changes next time (one request per written side). A side we posted
    plays to has its watchlist read next time: services take watched titles off it (Trakt,
    SIMKL), so its marker read after our writes may already count a change we did not see.
    """
    if plan.unchanged:
        marks = dict(memory.state.read_marks)
        for key in plan.reads:
            marks = _moved_mark(marks, key, plan)
        state = replace(memory.state, read_marks=marks)
        state = state.with_run(_unchanged_record(memory, plan, now))
        exact = set(memory.exact)
        written: dict[Side, list[Feature]] = {}
        played: set[Side] = set()
    else:
        state, exact, written, played = await offload(_fold, memory, plan, outcome, now)
    state = _fold_progress(state, plan, progress or ProgressOutcome(), now, written)
    if plan.unchanged and not written:
        return replace(memory, state=state)
    watermarks = dict(state.watermarks)
    for side, features in written.items():
        try:
            fresh = await sides[side].markers(features)
        except CrosswatchApiError:
            fresh = {}
        for feature in features:
            key = watermark_key(side, feature)
            marker = fresh.get(feature)
            if marker is None:
                exact.discard(key)
                watermarks.pop(key, None)
            else:
                watermarks[key] = marker
    for side in played:
        # Not kept as is next time; a read of changes from this run's start still sees it all.
        watermarks.pop(watermark_key(side, Feature.WATCHLIST), None)
    return PairMemory(state=replace(state, watermarks=watermarks), exact=frozenset(exact))


def _fold_progress(
    state: PairState,
    plan: SyncPlan,
    progress: ProgressOutcome,
    now: float,
    written: dict[Side, list[Feature]],
) -> PairState:
    """The state after the run's progress step; sides it wrote to join ``written``."""
    if plan.progress is None:
        return state
    state, sides = fold_step(state, plan.progress, progress, now)
    for side in sides:
        written.setdefault(side, []).append(Feature.PROGRESS)
    stopped = progress.auth_failed is not None
    return with_progress_record(state, progress.counts(plan.progress), stopped=stopped)


def _unchanged_record(memory: PairMemory, plan: SyncPlan, now: float) -> RunRecord:
    """The record of a run that planned nothing: as the last run for what stands, else zero."""
    last = memory.state.last_run
    counts = {
        feature.value: {
            name: value if name in STANDING_COUNTS else 0
            for name, value in (last.counts.get(feature.value, {}) if last else {}).items()
        }
        for feature in plan.features
    }
    # Titles that cannot be written are still unsynced: such a run stays partial.
    unsynced = any(c.get("unmatched", 0) for c in counts.values())
    result = RunResult.PARTIAL if unsynced else RunResult.OK
    return RunRecord(started_at=plan.created_at, finished_at=now, result=result, counts=counts)


def _fold(
    memory: PairMemory, plan: SyncPlan, outcome: ExecutionOutcome, now: float
) -> tuple[PairState, set[str], dict[Side, list[Feature]], set[Side]]:
    """The CPU part of ``finish_run``: the new state, exact keys, sides written and played to."""
    state = apply_outcome(memory.state, plan, outcome, now=now)
    watermarks = dict(state.watermarks)
    marks = dict(state.read_marks)
    exact = set(memory.exact)
    written: dict[Side, list[Feature]] = {}
    succeeded = outcome.succeeded
    for feature, feature_plan in plan.features.items():
        pending = (
            feature_plan.held
            or feature_plan.parked
            or feature_plan.limit_cut
            or any(c.id not in succeeded for c in feature_plan.changes)
        )
        for side in Side:
            key = watermark_key(side, feature)
            if pending or side in feature_plan.collapsed:
                exact.discard(key)
                watermarks.pop(key, None)
                marks.pop(key, None)
            else:
                exact.add(key)
                marks = _moved_mark(marks, key, plan)
                if any(c.side is side for c in feature_plan.changes):
                    written.setdefault(side, []).append(feature)
    played = _played_to(plan, outcome)
    return replace(state, watermarks=watermarks, read_marks=marks), exact, written, played


def _played_to(plan: SyncPlan, outcome: ExecutionOutcome) -> set[Side]:
    """The sides this run posted plays to."""
    return {
        c.side
        for c in plan.changes
        if c.feature is Feature.HISTORY and c.action is Action.ADD and c.id in outcome.succeeded
    }


def _moved_mark(marks: dict[str, ReadMark], key: str, plan: SyncPlan) -> dict[str, ReadMark]:
    """The read marks after a run that read side-and-feature ``key`` as ``plan.reads`` says.

    A kept baseline is as current as a read: its unmoved marker says nothing changed.
    """
    how = plan.reads.get(key)
    previous = marks.get(key)
    if how is ReadKind.WHOLE:
        marks[key] = ReadMark(since=plan.created_at, full_at=plan.created_at)
    elif how is not None and previous is not None:
        marks[key] = ReadMark(since=plan.created_at, full_at=previous.full_at)
    return marks
