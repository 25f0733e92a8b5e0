from __future__ import annotations

import pytest

from custom_components.crosswatch.sync.guards import (
    DAY,
    FailureRecord,
    GuardSettings,
    activity_moved,
    record_failure,
    removals_exceed_limit,
    snapshot_collapsed,
    split_at_capacity,
)

GUARDS = GuardSettings()


@pytest.mark.parametrize(
    ("previous", "current", "moved", "expected"),
    [
        (20, 2, False, True),  # exactly 10% of 20
        (20, 0, False, True),
        (20, 3, False, False),  # 15%
        (19, 0, False, True),  # empty: a failed read for any size
        (1, 0, False, True),
        (1, 0, True, False),
        (0, 0, False, False),
        (19, 1, False, False),  # below the minimum previous size
        (20, 2, True, False),  # the provider's activity moved: a real clear-out
        (1000, 100, False, True),
        (1000, 101, False, False),
    ],
)
def test_snapshot_collapse_thresholds(
    previous: int, current: int, moved: bool, expected: bool
) -> None:
    assert snapshot_collapsed(previous, current, activity_moved=moved, settings=GUARDS) is expected


def test_activity_moved_needs_both_markers() -> None:
    assert activity_moved("a", "b")
    assert not activity_moved("a", "a")
    assert not activity_moved(None, "b")
    assert not activity_moved("a", None)


@pytest.mark.parametrize(
    ("removals", "baseline", "expected"),
    [(10, 100, False), (11, 100, True), (1000, 10_000, False), (1001, 10_000, True), (1, 0, True)],
)
def test_mass_removal_threshold(removals: int, baseline: int, expected: bool) -> None:
    assert removals_exceed_limit(removals, baseline, GUARDS) is expected


def test_split_at_capacity() -> None:
    assert split_at_capacity([1, 2, 3], None, 100) == ([1, 2, 3], [])
    assert split_at_capacity([1, 2, 3], 10, 8) == ([1, 2], [3])
    assert split_at_capacity([1, 2, 3], 10, 12) == ([], [1, 2, 3])


def test_third_failure_parks_for_thirty_days() -> None:
    now = 1_000_000.0
    first = record_failure(None, now, GUARDS)
    second = record_failure(first, now + 1, GUARDS)
    assert (first.failures, first.parked_until, second.failures, second.parked_until) == (
        1,
        None,
        2,
        None,
    )
    assert not second.parked(now + 1)
    third = record_failure(second, now + 2, GUARDS)
    assert third.failures == 3
    assert third.parked_until == now + 2 + 30 * DAY
    assert third.parked(now + 2 + 30 * DAY - 0.001)
    assert not third.parked(now + 2 + 30 * DAY)
    assert third.expired(now + 2 + 30 * DAY)
    # After the parking runs out the count starts over.
    again = record_failure(third, now + 2 + 30 * DAY, GUARDS)
    assert (again.failures, again.parked_until) == (1, None)


def test_failure_record_round_trip_and_validation() -> None:
    record = FailureRecord(3, 12.5)
    assert FailureRecord.from_dict(record.to_dict()) == record
    assert FailureRecord.from_dict({"failures": 1}) == FailureRecord(1)
    for bad in (
        {"failures": -1},
        {"failures": True},
        {"failures": 1, "parked_until": "x"},
        {"failures": 1, "parked_until": False},
    ):
        with pytest.raises(ValueError, match="must be"):
            FailureRecord.from_dict(bad)
