"""The progress feature of a pair's run: resume points, read where a marker moved, then written.

Resume points are not items the item planner compares (a title on a list, its plays, a rating):
each holds a percentage and a time, the newest wins, and writing one is a pause scrobble or a
Plex timeline report. So they take this small path beside the item planner, inside the same run:
the same marker read, the same error handling of writes, their own baseline (``PairState.progress``:
the keys both sides shared, with when) and the planner of ``watchnext/progress.py``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from ..api.errors import AuthError, CrosswatchApiError
from ..api.models import Feature
from ..watchnext.progress import Action, ProgressChange, match_keys, plan_progress
from .guards import WHOLE_READ_EVERY
from .offload import Offload, run_inline
from .plan import PROGRESS_SIDES, ProgressRead, ProgressStep, RunResult, Side
from .state import PairState, watermark_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ..watchnext.progress import ResumePoint
    from .side import SyncSide

_LOGGER = logging.getLogger(__name__)

_SIDES = PROGRESS_SIDES


@dataclass(frozen=True, slots=True)
class ProgressOutcome:
    """Which progress changes (by ``change_id``) were written, failed, or found no title."""

    succeeded: frozenset[str] = frozenset()
    failed: frozenset[str] = frozenset()
    refused: frozenset[str] = frozenset()
    auth_failed: Side | None = None

    def counts(self, step: ProgressStep) -> dict[str, int]:
        """The run record's counts of the progress feature."""
        plan = step.plan
        changes = [] if plan is None else plan.changes
        done = [c for c in changes if change_id(c) in self.succeeded]
        return {
            "adds": sum(1 for c in done if c.action is Action.SET),
            "removals": sum(1 for c in done if c.action is Action.REMOVE),
            "failed": len(self.failed),
            "not_attempted": sum(
                1
                for c in changes
                if change_id(c) not in self.succeeded | self.failed | self.refused
            ),
            # Titles the side does not hold (a set) or points it cannot remove (Plex).
            "not_found": len(self.refused),
            "skipped_watched": 0 if plan is None else plan.skipped_watched,
        }


def change_id(change: ProgressChange) -> str:
    """Identifies a progress change in an outcome."""
    keys = sorted(match_keys(change.point.item))
    return f"{Feature.PROGRESS}|{_SIDES[change.side]}|{change.action}|{keys[0] if keys else ''}"


async def plan_step(
    state: PairState,
    sides: Mapping[Side, SyncSide],
    markers: Mapping[Side, Mapping[Feature, str | None]],
    *,
    one_way: bool,
    removals: bool,
    now: float,
    whole: bool = False,
    offload: Offload = run_inline,
) -> ProgressStep:
    """Read both sides' resume points unless neither marker moved since the stored ones.

    A side without a marker is read every run. A side that keeps its last read (Plex) is asked
    only what changed since, and read whole once a ``WHOLE_READ_EVERY`` or when ``whole``.
    """
    stamps = {side: markers[side].get(Feature.PROGRESS) for side in sides}
    if all(
        stamp is not None and state.watermarks.get(watermark_key(side, Feature.PROGRESS)) == stamp
        for side, stamp in stamps.items()
    ):
        return ProgressStep(stamps)
    reads: dict[str, ProgressRead | None] = {}
    source = await _read_points(state, sides, Side.SOURCE, stamps, reads, now=now, whole=whole)
    target = await _read_points(state, sides, Side.TARGET, stamps, reads, now=now, whole=whole)
    source_side, target_side = sides[Side.SOURCE], sides[Side.TARGET]
    plan = await offload(
        partial(
            plan_progress,
            removals=removals,
            one_way=one_way,
            watched_at=(source_side.progress_watched_at, target_side.progress_watched_at),
            per_show=(source_side.progress_per_show, target_side.progress_per_show),
        ),
        source,
        target,
        state.progress,
    )
    return ProgressStep(stamps, plan, reads)


async def _read_points(
    state: PairState,
    sides: Mapping[Side, SyncSide],
    side: Side,
    stamps: Mapping[Side, str | None],
    reads: dict[str, ProgressRead | None],
    *,
    now: float,
    whole: bool,
) -> list[ResumePoint]:
    """One side's resume points: what changed since its kept read where it can, else whole."""
    sync, key = sides[side], watermark_key(side, Feature.PROGRESS)
    kept = None if whole else state.progress_reads.get(key)
    points = None
    if kept is not None and now - kept.full_at < WHOLE_READ_EVERY:
        moved = stamps[side] is None or state.watermarks.get(key) != stamps[side]
        points = await sync.progress_changes(kept.memo, moved=moved)
    full_at = now if points is None or kept is None else kept.full_at
    if points is None:
        points = await sync.progress_points()
    memo = sync.progress_memo()
    reads[key] = None if memo is None else ProgressRead(full_at, memo)
    return points


async def execute_step(
    sides: Mapping[Side, SyncSide], step: ProgressStep | None
) -> ProgressOutcome:
    """Write the step's changes one by one (removals first); refused credentials stop it."""
    if step is None or step.plan is None:
        return ProgressOutcome()
    succeeded: set[str] = set()
    failed: set[str] = set()
    refused: set[str] = set()
    ordered = sorted(step.plan.changes, key=lambda c: c.action is not Action.REMOVE)
    for change in ordered:
        side = _SIDES[change.side]
        sync = sides[side]
        try:
            if change.action is Action.REMOVE:
                done = await sync.remove_progress(change.point)
            else:
                done = await sync.set_progress(change.point, change.target)
        except AuthError as err:
            _LOGGER.warning("A resume point write to %s was refused: %s", sync.service, err)
            failed.add(change_id(change))
            return ProgressOutcome(
                frozenset(succeeded), frozenset(failed), frozenset(refused), auth_failed=side
            )
        except CrosswatchApiError as err:
            _LOGGER.debug("A resume point write to %s failed: %s", sync.service, err)
            failed.add(change_id(change))
        else:
            (succeeded if done else refused).add(change_id(change))
    return ProgressOutcome(frozenset(succeeded), frozenset(failed), frozenset(refused))


def fold_step(
    state: PairState, step: ProgressStep, outcome: ProgressOutcome, now: float
) -> tuple[PairState, list[Side]]:
    """The state after the step, and the sides written to (their markers are read again).

    The baseline is the keys shared after the run (stamped ``now``), less those of sets that did
    not go through; a key whose removal did not go through keeps its old stamp, so the point is
    not carried back. A change that failed (not one refused) drops the markers: next run reads.
    """
    plan = step.plan
    if plan is None:
        return state, []
    baseline = dict(plan.kept)
    unset: set[str] = set()
    for change in plan.changes:
        if change_id(change) in outcome.succeeded:
            continue
        keys = match_keys(change.point.item)
        if change.action is Action.SET:
            unset |= keys | (match_keys(change.target.item) if change.target else frozenset())
        else:
            baseline.update((k, state.progress[k]) for k in keys if k in state.progress)
    baseline.update((key, now) for key in plan.baseline - unset - plan.kept.keys())
    watermarks = dict(state.watermarks)
    kept = {**state.progress_reads, **step.reads}
    progress_reads = {key: read for key, read in kept.items() if read is not None}
    pending = bool(outcome.failed) or any(
        change_id(c) not in outcome.succeeded | outcome.refused for c in plan.changes
    )
    for side, marker in step.markers.items():
        key = watermark_key(side, Feature.PROGRESS)
        if pending or marker is None:
            watermarks.pop(key, None)
        else:
            watermarks[key] = marker
    written = sorted(
        {_SIDES[c.side] for c in plan.changes if change_id(c) in outcome.succeeded},
        key=list(Side).index,
    )
    if pending:
        written = []  # no marker kept: nothing to read again
    return replace(
        state, progress=baseline, watermarks=watermarks, progress_reads=progress_reads
    ), written


def with_progress_record(
    state: PairState, counts: dict[str, int], *, stopped: bool = False
) -> PairState:
    """The last run record with the progress counts; a failed write makes an ok run partial."""
    last = state.last_run
    if last is None:
        return state
    result = last.result
    if stopped:
        result = RunResult.FAILED
    elif result is RunResult.OK and (counts["failed"] or counts["not_attempted"]):
        result = RunResult.PARTIAL
    record = replace(last, counts={**last.counts, Feature.PROGRESS.value: counts}, result=result)
    return replace(state, runs=(*state.runs[:-1], record))
