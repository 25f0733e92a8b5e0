"""What the *Result* sensor and diagnostics show of a pair's recent runs (no Home Assistant).

``history`` is the last 20 runs, newest first: when each started, how long it took, how it
ended and, per feature, what it wrote (adds, removals), what failed and what was held. ``left``
explains a ``partial`` (or ``held``) run: how many titles it left, by why; ``unsynced`` names a
few of the titles the pair cannot sync (the repair lists them all).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .sync.state import PairState, RunRecord

# Per feature, what each history row carries.
HISTORY_COUNTS: Final = ("adds", "removals", "failed", "held")
# How many unsynced titles the attributes name.
UNSYNCED_NAMED: Final = 5


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def run_row(run: RunRecord) -> dict[str, Any]:
    """One run as a history row."""
    row: dict[str, Any] = {
        "started": _when(run.started_at),
        "duration": round(run.duration, 1),
        "result": run.result.value,
        "features": {
            feature: {name: counts.get(name, 0) for name in HISTORY_COUNTS}
            for feature, counts in run.counts.items()
        },
    }
    if run.error is not None:
        row["error"] = run.error
    return row


def run_attributes(state: PairState) -> dict[str, Any]:
    """The run-history attributes of a pair's *Result* sensor."""
    last = state.last_run
    titles = list(state.unmatched.values())[:UNSYNCED_NAMED]
    return {
        "left": {} if last is None else last.left(),
        "unsynced": [t.title or t.key for t in titles],
        "history": [run_row(run) for run in reversed(state.runs)],
    }
