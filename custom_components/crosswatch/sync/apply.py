"""Fold the outcome of executing a plan into the pair's next state. Pure: no writes happen here.

The new baseline of a side is what the planner read from it plus the writes that succeeded. A title
whose change did not go through (failed, held, parked, cut at a list limit, or never attempted)
keeps its previous baseline on both sides, so the next run reaches the same decision again instead
of, say, reading a held removal as "added on the other side".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from custom_components.crosswatch.api.models import Feature

from .guards import GuardSettings, record_failure
from .inventory import Entry, Inventory, merge_play
from .plan import Action, Change, FeaturePlan, RunResult, Side, SyncPlan
from .state import Baseline, PairState, RunRecord, watermark_key

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .matching import MatchIndex


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """Which changes (by ``Change.id``) were written and which failed; others were not attempted."""

    succeeded: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()

    @classmethod
    def of(
        cls, succeeded: Iterable[Change] = (), failed: Iterable[Change] = ()
    ) -> ExecutionOutcome:
        """Build from the changes themselves."""
        return cls(frozenset(c.id for c in succeeded), frozenset(c.id for c in failed))

    @classmethod
    def all_succeeded(cls, plan: SyncPlan) -> ExecutionOutcome:
        """Every change of ``plan`` written."""
        return cls.of(succeeded=plan.changes)


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

    failures = dict(state.failures)
    failed_keys = {c.park_key for c in plan.changes if c.id in outcome.failed}
    for key in sorted(failed_keys):
        failures[key] = record_failure(failures.get(key), now, guards)
    for change in plan.changes:
        if change.id in outcome.succeeded and change.park_key not in failed_keys:
            failures.pop(change.park_key, None)
    # Parkings that ran out are forgotten unless they failed again just now.
    failures = {
        key: record
        for key, record in failures.items()
        if not record.expired(now) or key in failed_keys
    }

    record = RunRecord(
        started_at=plan.created_at,
        finished_at=now,
        result=run_result(plan, outcome),
        counts={feature.value: _counts(p, outcome) for feature, p in plan.features.items()},
    )
    confirmed = state.removals_confirmed and not plan.confirmed_removals
    return replace(
        state,
        baselines=baselines,
        failures=failures,
        watermarks=watermarks,
        removals_confirmed=confirmed,
    ).with_run(record)


def run_result(plan: SyncPlan, outcome: ExecutionOutcome) -> RunResult:
    """Held beats failure counts: the user has to act. Then failed, partial or ok."""
    if plan.held:
        return RunResult.HELD
    ids = [c.id for c in plan.changes]
    done = sum(1 for i in ids if i in outcome.succeeded)
    if done == len(ids):
        return RunResult.OK
    return RunResult.FAILED if done == 0 else RunResult.PARTIAL


def _counts(plan: FeaturePlan, outcome: ExecutionOutcome) -> dict[str, int]:
    done = [c for c in plan.changes if c.id in outcome.succeeded]
    return {
        "adds": sum(1 for c in done if c.action is Action.ADD),
        "removals": sum(1 for c in done if c.action is Action.REMOVE),
        "failed": sum(1 for c in plan.changes if c.id in outcome.failed),
        "held": len(plan.held),
        "unmatched": len(plan.unmatched),
        "conflicts": len(plan.conflicts),
    }


def new_baseline(plan: FeaturePlan, outcome: ExecutionOutcome) -> Baseline:
    """Both sides as read, plus the writes that succeeded, minus titles still pending."""
    sides = {Side.SOURCE: plan.source, Side.TARGET: plan.target}
    entries = {side: dict(inv.entries) for side, inv in sides.items()}
    indexes = {side: inv.index() for side, inv in sides.items()}
    # A suppressed removal is pending too: both sides keep the title in their baselines, so it
    # is neither carried over nor mistaken for a title the other side never had.
    pending: list[Change] = [*plan.held, *plan.parked, *plan.limit_cut, *plan.suppressed]
    for change in plan.changes:
        if change.id in outcome.succeeded:
            _write(entries[change.side], indexes[change.side].find_strong(change.item), change)
        else:
            pending.append(change)
    if pending:
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
        Inventory(plan.feature, entries[Side.SOURCE]),
        Inventory(plan.feature, entries[Side.TARGET]),
    )


def _write(entries: dict[str, Entry], held_key: str | None, change: Change) -> None:
    """Record one succeeded write in a side's entries."""
    if change.action is Action.REMOVE:
        present = entries.pop(change.key, None)
        if present is not None and change.feature is Feature.HISTORY:
            plays = tuple(t for t in present.plays if t != change.watched_at)
            if plays:  # other plays of the title stay
                entries[change.key] = replace(present, plays=plays)
        return
    key = held_key if held_key is not None else change.key
    present = entries.get(key)
    if change.feature is Feature.HISTORY and change.watched_at is not None:
        base = present if present is not None else Entry(item=change.item)
        entries[key] = merge_play(base, change.watched_at)
    elif change.feature is Feature.RATINGS:
        item = change.item if present is None else present.item
        entries[key] = Entry(item=item, rating=change.rating, rated_at=change.rated_at)
    elif present is None:
        entries[key] = Entry(item=change.item, listed_at=change.listed_at)


def _restore(
    entries: dict[str, Entry],
    read: MatchIndex,
    previous: tuple[Inventory, MatchIndex] | None,
    change: Change,
) -> None:
    """Put the change's title back to its previous baseline on one side (absent if it had none)."""
    for key in (read.find_strong(change.item), change.key):
        if key is not None:
            entries.pop(key, None)
    if previous is not None:
        inventory, index = previous
        previous_key = index.find_strong(change.item)
        if previous_key is not None:
            entries[previous_key] = inventory.entries[previous_key]
