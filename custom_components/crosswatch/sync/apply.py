"""Fold the outcome of executing a plan into the pair's next state. Pure: no writes happen here.

The new baseline of a side is what the planner read from it plus the writes that succeeded. A title
whose change did not go through (failed, held, parked, cut at a list limit, or never attempted)
keeps its previous baseline on both sides, so the next run reaches the same decision again instead
of, say, reading a held removal as "added on the other side".
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..api.models import Feature
from .guards import FailureRecord, GuardSettings, record_failure
from .inventory import Inventory, Row, row_plays, with_row_plays
from .plan import (
    Action,
    Change,
    ExecutionOutcome,
    FeaturePlan,
    ReadKind,
    RunResult,
    Side,
    SyncPlan,
)
from .state import Baseline, PairState, RunRecord, watermark_key
from .titles import TitleKeys, unmatched_after

if TYPE_CHECKING:
    from .matching import MatchIndex


def apply_outcome(
    state: PairState,
    plan: SyncPlan,
    outcome: ExecutionOutcome,
    *,
    now: float,
    guards: GuardSettings | None = None,
) -> PairState:
    """Return the state after executing ``plan`` with ``outcome``, with a run record added."""
    guards = guards or GuardSettings()
    baselines = dict(state.baselines)
    watermarks = dict(state.watermarks)
    for feature, feature_plan in plan.features.items():
        baselines[feature] = new_baseline(feature_plan, outcome)
        for side, marker in feature_plan.activity.items():
            if marker is not None:
                watermarks[watermark_key(side, feature)] = marker

    failures = _failures_after(state, plan, outcome, now, guards)

    record = RunRecord(
        started_at=plan.created_at,
        finished_at=now,
        result=run_result(plan, outcome),
        counts={feature.value: _counts(p, outcome) for feature, p in plan.features.items()},
    )
    # A confirmation is spent by the run that used it, and stale once a run planned otherwise.
    return replace(
        state,
        baselines=baselines,
        failures=failures,
        watermarks=watermarks,
        confirmed_plan=None,
        lingering=_lingering_after(state, plan, outcome),
        unmatched=unmatched_after(
            state.unmatched, plan, outcome, now=now, keys=TitleKeys(state.overrides)
        ),
    ).with_run(record)


def _lingering_after(
    state: PairState, plan: SyncPlan, outcome: ExecutionOutcome
) -> dict[str, dict[str, tuple[float, ...]]]:
    """The plays we removed that a side may still show, to leave out of its later reads.

    Every play removed now is added (Plex keeps its history when a title is marked unwatched).
    A side read whole keeps only those its read still showed; a side read otherwise keeps all.
    """
    lingering = {side: dict(plays) for side, plays in state.lingering.items()}
    for feature, feature_plan in plan.features.items():
        per_side: dict[Side, dict[str, tuple[float, ...]]] = {}
        for side in Side:
            key = watermark_key(side, feature)
            plays = lingering.pop(key, {})
            if plan.reads.get(key) is ReadKind.WHOLE:
                plays = dict(feature_plan.lingering.get(side, {}))
            per_side[side] = plays
        for change in feature_plan.changes.where(action=Action.REMOVE):
            if change.watched_at is not None and change.id in outcome.succeeded:
                plays = per_side[change.side]
                plays[change.key] = tuple(sorted({*plays.get(change.key, ()), change.watched_at}))
        for side, plays in per_side.items():
            if plays:
                lingering[watermark_key(side, feature)] = plays
    return lingering


def _failures_after(
    state: PairState,
    plan: SyncPlan,
    outcome: ExecutionOutcome,
    now: float,
    guards: GuardSettings,
) -> dict[str, FailureRecord]:
    """Failure counts after a run: only a title the service refused counts toward parking.

    A success clears a title's count, and so does a title no longer planned at all (it is in
    step now: a write whose answer was lost may have landed). Parkings that ran out are
    forgotten unless the title was refused again just now.
    """
    failures = dict(state.failures)
    # One pass over the changes: a large plan builds each change anew when read.
    planned: set[str] = set()
    rejected: set[str] = set()
    succeeded: set[str] = set()
    for change in plan.changes:
        key, change_id = change.park_key, change.id
        planned.add(key)
        if change_id in outcome.rejected:
            rejected.add(key)
        if change_id in outcome.succeeded:
            succeeded.add(key)
    for key in sorted(rejected):
        failures[key] = record_failure(failures.get(key), now, guards)
    for key in succeeded - rejected:
        failures.pop(key, None)
    planned.update(
        c.park_key
        for p in plan.features.values()
        for c in (*p.held, *p.parked, *p.limit_cut, *p.suppressed)
    )
    features = {f"{feature}|" for feature in plan.features}
    return {
        key: record
        for key, record in failures.items()
        if key in rejected
        or (not record.expired(now) and (key in planned or not key.startswith(tuple(features))))
    }


def run_result(plan: SyncPlan, outcome: ExecutionOutcome) -> RunResult:
    """Held beats failure counts: the user has to act. Then failed, partial or ok.

    A run that wrote nothing of what it attempted, or stopped at refused credentials, failed; one
    that leaves any title unsynced (failed, parked, unmatched, cut at a list limit) is partial.
    """
    if plan.held:
        return RunResult.HELD
    changes = plan.changes
    done = sum(1 for c in changes if c.id in outcome.succeeded)
    if outcome.stopped or (changes and done == 0):
        return RunResult.FAILED
    left = any(p.parked or p.unmatched or p.limit_cut for p in plan.features.values())
    return RunResult.OK if done == len(changes) and not left else RunResult.PARTIAL


def _counts(plan: FeaturePlan, outcome: ExecutionOutcome) -> dict[str, int]:
    done = {Action.ADD: 0, Action.REMOVE: 0}
    failed = not_attempted = 0
    for change in plan.changes:  # one pass: each read builds the change anew
        succeeded = change.id in outcome.succeeded
        if succeeded:
            done[change.action] += 1
        if outcome.unsuccessful(change):
            failed += 1
        elif not succeeded:
            # Left for the next run: after refused credentials or a list limit stopped writes.
            not_attempted += 1
    return {
        "adds": done[Action.ADD],
        "removals": done[Action.REMOVE],
        "failed": failed,
        "not_attempted": not_attempted,
        "limit_cut": len(plan.limit_cut),
        "held": len(plan.held),
        "parked": len(plan.parked),
        "unmatched": len(plan.unmatched),
        "conflicts": len(plan.conflicts),
        "suppressed_removals": plan.suppressed_removals,
    }


def new_baseline(plan: FeaturePlan, outcome: ExecutionOutcome) -> Baseline:
    """Both sides as read, plus the writes that succeeded, minus titles still pending."""
    sides = {Side.SOURCE: plan.source, Side.TARGET: plan.target}
    # A suppressed removal is pending too: both sides keep the title in their baselines, so it
    # is neither carried over nor mistaken for a title the other side never had.
    pending: list[Change] = [*plan.held, *plan.parked, *plan.limit_cut, *plan.suppressed]
    if not plan.changes and not pending:
        return Baseline(plan.source, plan.target)  # as read: no copies, no indexes
    entries = {side: dict(inv.rows) for side, inv in sides.items()}
    built: dict[Side, MatchIndex] = {}

    def index(side: Side) -> MatchIndex:
        """A side's read, indexed when first needed (a large side takes a while)."""
        if side not in built:
            built[side] = sides[side].index()
        return built[side]

    for change in plan.changes:
        if change.id in outcome.succeeded:
            _write(entries[change.side], index(change.side).find_strong(change.packed), change)
        else:
            pending.append(change)
    if pending:
        indexes = {side: index(side) for side in Side}
        previous = {Side.SOURCE: plan.baseline_source, Side.TARGET: plan.baseline_target}
        before = {
            side: (inv, inv.index(keep_keys=False))
            for side, inv in previous.items()
            if inv is not None
        }
        for change in pending:
            for side in Side:
                _restore(entries[side], indexes[side], before.get(side), change)
    return Baseline(
        Inventory.from_rows(plan.feature, entries[Side.SOURCE]),
        Inventory.from_rows(plan.feature, entries[Side.TARGET]),
    )


def _write(rows: dict[str, Row], held_key: str | None, change: Change) -> None:
    """Record one succeeded write in a side's (packed) entries."""
    if change.action is Action.REMOVE:
        present = rows.pop(change.key, None)
        if present is not None and change.feature is Feature.HISTORY:
            plays = tuple(t for t in row_plays(present) if t != change.watched_at)
            if plays:  # other plays of the title stay
                rows[change.key] = with_row_plays(present, plays)
        return
    key = held_key if held_key is not None else change.key
    present = rows.get(key)
    if change.feature is Feature.HISTORY and change.watched_at is not None:
        base = present if present is not None else (change.packed, None, (), None, None)
        rows[key] = with_row_plays(base, tuple(sorted((*row_plays(base), change.watched_at))))
    elif change.feature is Feature.RATINGS:
        item = change.packed if present is None else present[0]
        rows[key] = (item, None, (), change.rating, change.rated_at)
    elif present is None:
        rows[key] = (change.packed, change.listed_at, (), None, None)


def _restore(
    entries: dict[str, Row],
    read: MatchIndex,
    previous: tuple[Inventory, MatchIndex] | None,
    change: Change,
) -> None:
    """Put the change's title back to its previous baseline on one side (absent if it had none)."""
    for key in (read.find_strong(change.packed), change.key):
        if key is not None:
            entries.pop(key, None)
    if previous is not None:
        inventory, index = previous
        previous_key = index.find_strong(change.packed)
        if previous_key is not None:
            entries[previous_key] = inventory.rows[previous_key]
