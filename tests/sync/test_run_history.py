"""The run history a pair keeps: per-feature written counts, what was left, why a run failed."""

from __future__ import annotations

import json

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities
from custom_components.crosswatch.run_history import run_attributes
from custom_components.crosswatch.sync.apply import apply_outcome
from custom_components.crosswatch.sync.plan import Action, ExecutionOutcome, RunResult, SyncMode
from custom_components.crosswatch.sync.planner import PlanSettings, SideInput, plan_sync
from custom_components.crosswatch.sync.state import MAX_RUNS, PairState, RunRecord

from .helpers import movie, watchlist

NOW = 2_000_000.0


def test_a_partial_run_names_what_it_left_per_feature() -> None:
    source = watchlist(*(movie(n) for n in range(1, 6)))
    inputs = {
        Feature.WATCHLIST: (
            SideInput(inventory=source),
            SideInput(inventory=watchlist(), capabilities=trakt_capabilities(watchlist_limit=4)),
        )
    }
    plan = plan_sync(PairState(), inputs, PlanSettings(mode=SyncMode.ADD_ONLY), now=NOW)
    first, second, third, _fourth = plan.changes
    outcome = ExecutionOutcome.of(succeeded=[first], failed=[second], rejected=[third])
    state = apply_outcome(PairState(), plan, outcome, now=NOW + 30)
    record = state.last_run
    assert record is not None
    assert record.result is RunResult.PARTIAL
    assert record.duration == 30
    counts = record.counts["watchlist"]
    assert (counts["adds"], counts["removals"], counts["failed"]) == (1, 0, 2)
    assert (counts["not_attempted"], counts["limit_cut"], counts["held"]) == (1, 1, 0)
    assert record.left() == {"failed": 2, "not_attempted": 1, "limit_cut": 1}
    assert record.total("adds") == 1
    assert all(c.action is Action.ADD for c in plan.changes)


def test_a_failed_run_keeps_its_error_and_old_records_load() -> None:
    record = RunRecord(
        started_at=1, finished_at=3, result=RunResult.FAILED, error="trakt GET /sync: refused"
    )
    data = json.loads(json.dumps(record.to_dict()))
    assert RunRecord.from_dict(data) == record
    old = {"started_at": 1, "finished_at": 2, "result": "ok", "counts": {}}
    assert RunRecord.from_dict(old).error is None
    assert "error" not in RunRecord.from_dict(old).to_dict()
    assert RunRecord(started_at=5, finished_at=4, result=RunResult.OK).duration == 0
    assert RunRecord(started_at=5, finished_at=4, result=RunResult.OK).left() == {}


def test_the_result_sensor_shows_the_last_runs_newest_first_and_what_was_left() -> None:
    state = PairState()
    for n in range(MAX_RUNS + 3):
        state = state.with_run(
            RunRecord(
                started_at=NOW + n * 3600,
                finished_at=NOW + n * 3600 + 12.34,
                result=RunResult.PARTIAL if n % 2 else RunResult.FAILED,
                counts={"history": {"adds": n, "unmatched": 1, "failed": 2}},
                error=None if n % 2 else "trakt GET /sync/history: unavailable",
            )
        )
    attributes = run_attributes(state)
    history = attributes["history"]
    assert len(history) == MAX_RUNS
    newest = history[0]
    assert newest["started"] == "1970-01-25T01:33:20+00:00"  # NOW + 22 h
    assert (newest["duration"], newest["result"]) == (12.3, "failed")
    assert newest["features"] == {"history": {"adds": 22, "removals": 0, "failed": 2, "held": 0}}
    assert newest["error"] == "trakt GET /sync/history: unavailable"
    assert "error" not in history[1]
    assert attributes["left"] == {"failed": 2, "unmatched": 1}
    assert attributes["unsynced"] == []
    assert run_attributes(PairState()) == {"left": {}, "unsynced": [], "history": []}
