"""One run of a sync pair over two ``SyncSide``s: read what moved, plan, write, fold the outcome.

No Home Assistant imports: the HA pair runner (``pairs.py``) adds storage, locking, events and
repair issues around it, and ``benchmarks/sync.py`` drives it directly against the simulator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .api.errors import AccountLimitError, CrosswatchApiError
from .sync.apply import ExecutionOutcome, apply_outcome
from .sync.plan import Action, Change, Side, SyncMode
from .sync.planner import PlanSettings, SideInput, plan_sync
from .sync.state import PairState, watermark_key

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .api.models import Feature
    from .sync.inventory import Inventory
    from .sync.plan import SyncPlan
    from .sync_sides import SyncSide

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PairMemory:
    """What a pair keeps between runs: the sync state plus which baselines are exact.

    A baseline is exact for a side (``watermark_key``) when it equals what that side held at its
    stored activity marker, so an unmoved marker may stand in for reading the side.
    """

    state: PairState = field(default_factory=PairState)
    exact: frozenset[str] = frozenset()


async def plan_run(
    memory: PairMemory,
    sides: Mapping[Side, SyncSide],
    features: Sequence[Feature],
    *,
    mode: SyncMode,
    now: float,
) -> SyncPlan:
    """Read each side where its marker moved (or its baseline is not exact), then plan."""
    state = memory.state
    markers = {side: await sync.markers(features) for side, sync in sides.items()}
    caps = {side: await sync.capabilities() for side, sync in sides.items()}
    inputs: dict[Feature, tuple[SideInput, SideInput]] = {}
    for feature in features:
        baseline = state.baselines.get(feature)
        read: dict[Side, SideInput] = {}
        for side, sync in sides.items():
            marker = markers[side].get(feature)
            key = watermark_key(side, feature)
            inventory: Inventory
            if (
                baseline is not None
                and marker is not None
                and key in memory.exact
                and state.watermarks.get(key) == marker
            ):
                inventory = baseline.side(side)  # nothing moved: the baseline is the read
            else:
                inventory = await sync.read(feature)
            read[side] = SideInput(inventory=inventory, capabilities=caps[side], activity=marker)
        inputs[feature] = (read[Side.SOURCE], read[Side.TARGET])
    return plan_sync(state, inputs, PlanSettings(mode=mode), now=now)


async def execute(sides: Mapping[Side, SyncSide], plan: SyncPlan) -> tuple[ExecutionOutcome, bool]:
    """Write every change in batches; a failed batch fails its changes and the rest go on.

    Removals go first (they make room under list limits). After a list-limit refusal no more adds
    are attempted; they stay unattempted and are planned again next run.
    """
    succeeded: list[Change] = []
    failed: list[Change] = []
    limit_hit = False
    for feature, feature_plan in plan.features.items():
        for side, sync in sides.items():
            for action in (Action.REMOVE, Action.ADD):
                changes = [c for c in feature_plan.changes if c.side is side and c.action is action]
                for start in range(0, len(changes), sync.batch_size):
                    if limit_hit and action is Action.ADD:
                        break
                    batch = changes[start : start + sync.batch_size]
                    try:
                        unknown = await sync.write(feature, action, batch)
                    except AccountLimitError:
                        limit_hit = True
                    except CrosswatchApiError as err:
                        _LOGGER.warning("A sync write to %s failed: %s", sync.service, err)
                        failed.extend(batch)
                    else:
                        # A title the service did not know fails (and is parked after repeats).
                        rejected = {c.id for c in unknown}
                        failed.extend(c for c in batch if c.id in rejected)
                        succeeded.extend(c for c in batch if c.id not in rejected)
    return ExecutionOutcome.of(succeeded, failed), limit_hit


async def finish_run(
    memory: PairMemory,
    plan: SyncPlan,
    outcome: ExecutionOutcome,
    sides: Mapping[Side, SyncSide],
    *,
    now: float,
) -> PairMemory:
    """Fold the outcome into the state; mark exact baselines; move written sides' markers.

    A feature's baselines are exact when nothing of it is pending (held, parked, cut, failed or
    not attempted) and no read collapsed. A side we wrote to has its marker read again, so our own
    writes do not look like changes next time (one request per written side).
    """
    state = apply_outcome(memory.state, plan, outcome, now=now)
    watermarks = dict(state.watermarks)
    exact = set(memory.exact)
    written: dict[Side, list[Feature]] = {}
    for feature, feature_plan in plan.features.items():
        pending = (
            feature_plan.held
            or feature_plan.parked
            or feature_plan.limit_cut
            or any(c.id not in outcome.succeeded for c in feature_plan.changes)
        )
        for side in Side:
            key = watermark_key(side, feature)
            if pending or side in feature_plan.collapsed:
                exact.discard(key)
                watermarks.pop(key, None)
            else:
                exact.add(key)
                if any(c.side is side for c in feature_plan.changes):
                    written.setdefault(side, []).append(feature)
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
    return PairMemory(state=replace(state, watermarks=watermarks), exact=frozenset(exact))
