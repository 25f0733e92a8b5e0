from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.sync.apply import apply_outcome, new_baseline, run_result
from custom_components.crosswatch.sync.guards import DAY, FailureRecord
from custom_components.crosswatch.sync.plan import (
    Action,
    ExecutionOutcome,
    RunResult,
    Side,
    SyncMode,
    SyncPlan,
)
from custom_components.crosswatch.sync.planner import PlanSettings, SideInput, plan_sync
from custom_components.crosswatch.sync.state import (
    MAX_RUNS,
    SCHEMA_VERSION,
    Baseline,
    PairState,
    RunRecord,
)

from .helpers import T0_TS, history, movie, ratings, watchlist

if TYPE_CHECKING:
    from custom_components.crosswatch.sync.inventory import Inventory

NOW = 2_000_000.0


def plan_for(
    state: PairState,
    source: Inventory,
    target: Inventory,
    mode: SyncMode = SyncMode.TWO_WAY,
    *,
    activity: str | None = None,
    now: float = NOW,
) -> SyncPlan:
    inputs = {
        source.feature: (
            SideInput(inventory=source, activity=activity),
            SideInput(inventory=target),
        )
    }
    return plan_sync(state, inputs, PlanSettings(mode=mode), now=now)


# --- state -------------------------------------------------------------------------------------


def test_state_round_trips_through_json() -> None:
    state = PairState(
        baselines={
            Feature.WATCHLIST: Baseline(watchlist(movie(1)), watchlist(movie(2))),
            Feature.HISTORY: Baseline(history((movie(1), 0)), history()),
        },
        failures={"watchlist|target|movie:tmdb:1": FailureRecord(3, NOW + 5)},
        runs=(
            RunRecord(
                started_at=1, finished_at=2, result=RunResult.OK, counts={"watchlist": {"adds": 1}}
            ),
        ),
        watermarks={"source:watchlist": "2026-01-01T00:00:00Z"},
        confirmed_plan="0123456789abcdef",
        lingering={"source:history": {"movie:tmdb:1": (5.0, 7.0)}},
    )
    data = json.loads(json.dumps(state.to_dict()))
    assert data["version"] == SCHEMA_VERSION
    assert PairState.from_dict(data) == state
    assert PairState.from_dict(PairState().to_dict()) == PairState()


@pytest.mark.parametrize(
    "data",
    [
        {"version": SCHEMA_VERSION, "baselines": {"watchlist": {"source": {}}}},
        {"version": SCHEMA_VERSION, "baselines": {"nope": {}}},
        {"version": SCHEMA_VERSION, "failures": {"k": {"failures": "x"}}},
        {"version": SCHEMA_VERSION, "runs": [{"started_at": 1}]},
        {
            "version": SCHEMA_VERSION,
            "runs": [{"started_at": 1, "finished_at": 2, "result": "ok", "counts": []}],
        },
        {"version": SCHEMA_VERSION, "watermarks": []},
    ],
)
def test_malformed_state_is_a_clear_error(data: dict) -> None:
    with pytest.raises(ValueError, match="malformed pair state"):
        PairState.from_dict(data)


def test_unknown_schema_version_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported pair state version 99"):
        PairState.from_dict({"version": 99})


def test_only_the_last_twenty_runs_are_kept() -> None:
    assert MAX_RUNS == 20
    state = PairState()
    for n in range(MAX_RUNS + 5):
        state = state.with_run(RunRecord(started_at=n, finished_at=n, result=RunResult.OK))
    assert len(state.runs) == MAX_RUNS
    assert state.runs[0].started_at == 5
    assert state.last_run is not None
    assert state.last_run.started_at == MAX_RUNS + 4
    assert PairState().last_run is None
    data = state.to_dict()
    data["runs"] = data["runs"] * 2
    assert len(PairState.from_dict(data).runs) == MAX_RUNS


def test_parked_lists_only_active_parkings() -> None:
    state = PairState(
        failures={
            "a": FailureRecord(3, NOW + 10),
            "b": FailureRecord(3, NOW),
            "c": FailureRecord(1),
        }
    )
    assert state.parked(NOW) == {"a": NOW + 10}


# --- apply -------------------------------------------------------------------------------------


def test_successful_run_records_baselines_counts_and_watermarks() -> None:
    plan = plan_for(PairState(), watchlist(movie(1)), watchlist(movie(2)), activity="act-1")
    state = apply_outcome(PairState(), plan, ExecutionOutcome.all_succeeded(plan), now=NOW + 1)
    base = state.baselines[Feature.WATCHLIST]
    assert (
        sorted(base.source.entries)
        == sorted(base.target.entries)
        == [
            "movie:tmdb:1",
            "movie:tmdb:2",
        ]
    )
    run = state.runs[-1]
    assert (run.result, run.started_at, run.finished_at) == (RunResult.OK, NOW, NOW + 1)
    assert run.counts["watchlist"]["adds"] == 2
    assert state.watermarks == {"source:watchlist": "act-1"}
    summary = json.loads(json.dumps(plan.summary()))  # the run_sync response must be plain JSON
    assert summary["adds"] == 2
    assert summary["features"]["watchlist"]["by_side"] == {
        "source": {"adds": 1, "removals": 0},
        "target": {"adds": 1, "removals": 0},
    }
    assert summary["features"]["watchlist"]["add_titles"][0]["ids"] == {"tmdb": "2"}


def test_failed_removal_keeps_both_baselines_so_it_is_retried_not_reversed() -> None:
    items = [movie(n) for n in range(1, 40)]
    state = PairState(baselines={Feature.WATCHLIST: Baseline(watchlist(*items), watchlist(*items))})
    source = watchlist(*items[1:])  # title 1 removed on the source
    plan = plan_for(state, source, watchlist(*items))
    [removal] = plan.changes
    assert (removal.action, removal.side) == (Action.REMOVE, Side.TARGET)
    state = apply_outcome(state, plan, ExecutionOutcome.of(failed=[removal]), now=NOW)
    assert state.runs[-1].result is RunResult.FAILED
    again = plan_for(state, source, watchlist(*items))
    assert [c.id for c in again.changes] == [removal.id]  # not "add title 1 back to the source"


def test_third_failure_parks_then_expiry_retries() -> None:
    state = PairState()
    source, target = watchlist(movie(1), movie(2)), watchlist()
    for attempt in range(3):
        plan = plan_for(state, source, target, SyncMode.ADD_ONLY, now=NOW + attempt)
        failing = [c for c in plan.changes if c.key == "movie:tmdb:1"]
        others = [c for c in plan.changes if c.key != "movie:tmdb:1"]
        outcome = ExecutionOutcome.of(others, rejected=failing)
        state = apply_outcome(state, plan, outcome, now=NOW + attempt)
        target = watchlist(movie(2))
    assert state.runs[0].result is RunResult.PARTIAL
    record = state.failures["watchlist|target|movie:tmdb:1"]
    assert record.failures == 3
    assert record.parked_until == NOW + 2 + 30 * DAY
    parked = plan_for(state, source, target, SyncMode.ADD_ONLY, now=NOW + 2 + 30 * DAY - 1)
    assert parked.changes == ()
    assert [c.key for c in parked.features[Feature.WATCHLIST].parked] == ["movie:tmdb:1"]
    assert parked.summary()["features"]["watchlist"]["parked"] == 1
    # Parked and not attempted: the record and baseline stay as they were.
    kept = apply_outcome(state, parked, ExecutionOutcome(), now=NOW + 3)
    assert kept.failures == state.failures
    expired = plan_for(state, source, target, SyncMode.ADD_ONLY, now=NOW + 2 + 30 * DAY)
    assert [c.key for c in expired.changes] == ["movie:tmdb:1"]
    done = apply_outcome(
        state, expired, ExecutionOutcome.all_succeeded(expired), now=NOW + 2 + 30 * DAY
    )
    assert done.failures == {}


def test_expired_parking_is_forgotten_even_without_a_new_attempt() -> None:
    state = PairState(failures={"x": FailureRecord(3, NOW)})
    plan = plan_for(state, watchlist(), watchlist())
    assert apply_outcome(state, plan, ExecutionOutcome(), now=NOW).failures == {}


def test_held_run_and_one_time_confirmation() -> None:
    items = [movie(n) for n in range(1, 41)]
    state = PairState(baselines={Feature.WATCHLIST: Baseline(watchlist(*items), watchlist(*items))})
    source = watchlist(*items[5:])  # 5 of 40 = 12.5%
    held = plan_for(state, source, watchlist(*items), SyncMode.MIRROR)
    assert held.held
    assert held.summary()["held"] is True
    state = apply_outcome(state, held, ExecutionOutcome.all_succeeded(held), now=NOW)
    assert state.runs[-1].result is RunResult.HELD
    assert state.runs[-1].counts["watchlist"]["held"] == 5
    again = plan_for(state, source, watchlist(*items), SyncMode.MIRROR)
    assert again.held  # still held: the held titles kept their baseline
    assert again.held_plan == held.held_plan is not None
    state = state.confirm_removals(again.held_plan)
    confirmed = plan_for(state, source, watchlist(*items), SyncMode.MIRROR)
    assert confirmed.confirmed_removals
    assert confirmed.summary()["removals"] == 5
    state = apply_outcome(state, confirmed, ExecutionOutcome.all_succeeded(confirmed), now=NOW)
    assert state.confirmed_plan is None  # used up


def test_a_confirmation_applies_only_to_the_plan_it_was_given_for() -> None:
    items = [movie(n) for n in range(1, 41)]
    state = PairState(baselines={Feature.WATCHLIST: Baseline(watchlist(*items), watchlist(*items))})
    held = plan_for(state, watchlist(*items[5:]), watchlist(*items), SyncMode.MIRROR)
    assert held.held_plan is not None
    state = state.confirm_removals(held.held_plan)
    # Before the run, one more title went from the source: the plan is not the one confirmed.
    other = plan_for(state, watchlist(*items[6:]), watchlist(*items), SyncMode.MIRROR)
    assert other.held
    assert not other.confirmed_removals
    assert other.held_plan not in (None, held.held_plan)
    assert other.summary()["removals"] == 0
    state = apply_outcome(state, other, ExecutionOutcome.all_succeeded(other), now=NOW)
    assert state.confirmed_plan is None  # stale: the repair asks again


def test_only_a_title_the_service_refused_counts_toward_parking() -> None:
    state = PairState()
    source, target = watchlist(movie(1), movie(2)), watchlist()
    # Three outages in a row (a 503, a timeout, a refused token): the titles are not at fault.
    for attempt in range(3):
        plan = plan_for(state, source, target, SyncMode.ADD_ONLY, now=NOW + attempt)
        state = apply_outcome(
            state, plan, ExecutionOutcome.of(failed=plan.changes), now=NOW + attempt
        )
        assert state.runs[-1].result is RunResult.FAILED
    assert state.failures == {}
    # One title refused twice, then the write lands without an answer and the title is in step.
    for attempt in range(2):
        plan = plan_for(state, source, target, SyncMode.ADD_ONLY, now=NOW + attempt)
        first = [c for c in plan.changes if c.key == "movie:tmdb:1"]
        rest = [c for c in plan.changes if c.key != "movie:tmdb:1"]
        state = apply_outcome(state, plan, ExecutionOutcome.of(rest, rejected=first), now=NOW)
        target = watchlist(movie(2))
    assert state.failures["watchlist|target|movie:tmdb:1"].failures == 2
    in_step = plan_for(state, source, watchlist(movie(1), movie(2)), SyncMode.ADD_ONLY, now=NOW)
    assert in_step.is_empty
    state = apply_outcome(state, in_step, ExecutionOutcome(), now=NOW)
    assert state.failures == {}
    assert state.runs[-1].result is RunResult.OK


def test_run_result_when_nothing_attempted_or_nothing_planned() -> None:
    plan = plan_for(PairState(), watchlist(movie(1), movie(2)), watchlist())
    first, _second = plan.changes
    assert run_result(plan, ExecutionOutcome()) is RunResult.FAILED
    assert run_result(plan, ExecutionOutcome.of([first])) is RunResult.PARTIAL
    empty = plan_for(PairState(), watchlist(), watchlist())
    assert empty.is_empty
    assert run_result(empty, ExecutionOutcome()) is RunResult.OK


def test_history_baseline_tracks_single_plays() -> None:
    m = movie(1)
    filler = [(movie(100 + n), 0.0) for n in range(40)]
    base = Baseline(history((m, 0), (m, 5000), *filler), history((m, 0), (m, 5000), *filler))
    state = PairState(baselines={Feature.HISTORY: base})
    # The source dropped the second play; the target gained a play of another title.
    plan = plan_for(
        state, history((m, 0), *filler), history((m, 0), (m, 5000), (movie(2), 9), *filler)
    )
    feature_plan = plan.features[Feature.HISTORY]
    assert [(c.side, c.action, c.watched_at) for c in plan.changes] == [
        (Side.SOURCE, Action.ADD, T0_TS + 9),
        (Side.TARGET, Action.REMOVE, T0_TS + 5000),
    ]
    result = new_baseline(feature_plan, ExecutionOutcome.all_succeeded(plan))
    assert result.target.entries["movie:tmdb:1"].plays == (T0_TS,)
    assert result.source.entries["movie:tmdb:2"].plays == (T0_TS + 9,)
    # Removing the last play of a title drops it.
    only = Baseline(history((m, 0), *filler), history((m, 0), *filler))
    gone = plan_for(
        PairState(baselines={Feature.HISTORY: only}), history(*filler), history((m, 0), *filler)
    )
    after = new_baseline(gone.features[Feature.HISTORY], ExecutionOutcome.all_succeeded(gone))
    assert "movie:tmdb:1" not in after.target.entries


def test_ratings_baseline_takes_the_written_value() -> None:
    plan = plan_for(PairState(), ratings((movie(1), 9, 100)), ratings((movie(1), 5, 0)))
    result = new_baseline(plan.features[Feature.RATINGS], ExecutionOutcome.all_succeeded(plan))
    assert result.target.entries["movie:tmdb:1"].rating == 9
    assert result.source.entries["movie:tmdb:1"].rating == 9
