"""Safety rules that keep a sync from deleting or repeating by accident.

Thresholds are compared in integers (percent of counts) so "exactly 10%" is never a rounding
question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

DAY = 86_400.0
# A side read in parts is still read whole this often: parts cannot show everything (a play
# posted later with an old time, a removal hidden behind a newer play, a cleared resume point).
WHOLE_READ_EVERY = DAY


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardSettings:
    """The guard thresholds; defaults follow CrossWatch's hard-won values."""

    collapse_min_previous: int = 20
    collapse_max_percent: int = 10
    # A list that held anything and reads empty, with no activity to explain it, failed.
    empty_is_failure: bool = True
    max_removal_percent: int = 10
    failures_to_park: int = 3
    park_seconds: float = 30 * DAY


def snapshot_collapsed(
    previous: int, current: int, *, activity_moved: bool, settings: GuardSettings
) -> bool:
    """Whether a read shrank so much, with no activity to explain it, that the provider failed.

    With the provider's activity marker unchanged, fires when a snapshot that held anything now
    reads empty, or held at least ``collapse_min_previous`` items and now holds at most
    ``collapse_max_percent`` of them.
    """
    if activity_moved:
        return False
    if settings.empty_is_failure and previous > 0 and current == 0:
        return True
    return (
        previous >= settings.collapse_min_previous
        and current * 100 <= previous * settings.collapse_max_percent
    )


def removals_exceed_limit(removals: int, baseline: int, settings: GuardSettings) -> bool:
    """Whether ``removals`` is more than ``max_removal_percent`` of the ``baseline`` count."""
    return removals * 100 > baseline * settings.max_removal_percent


def activity_moved(previous: str | None, current: str | None) -> bool:
    """Whether a provider's activity marker moved; unknown markers count as not moved."""
    return previous is not None and current is not None and previous != current


def split_at_capacity[T](
    adds: Sequence[T], limit: int | None, held: int
) -> tuple[Sequence[T], Sequence[T]]:
    """Split ``adds`` into what fits under a list ``limit`` given ``held`` items, and the rest."""
    room = len(adds) if limit is None else max(limit - held, 0)
    return adds[:room], adds[room:]


@dataclass(frozen=True, slots=True)
class FailureRecord:
    """How often writing an item failed, and until when it is parked."""

    failures: int
    parked_until: float | None = None

    def parked(self, now: float) -> bool:
        """Whether the item is parked at ``now``."""
        return self.parked_until is not None and now < self.parked_until

    def expired(self, now: float) -> bool:
        """Whether the item was parked and the parking has run out."""
        return self.parked_until is not None and now >= self.parked_until

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form."""
        return {"failures": self.failures, "parked_until": self.parked_until}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FailureRecord:
        """Rebuild from ``to_dict``."""
        failures = data["failures"]
        parked_until = data.get("parked_until")
        if isinstance(failures, bool) or not isinstance(failures, int) or failures < 0:
            raise ValueError("failures must be a non-negative integer")
        if parked_until is not None and (
            isinstance(parked_until, bool) or not isinstance(parked_until, int | float)
        ):
            raise ValueError("parked_until must be a number")
        return cls(failures, None if parked_until is None else float(parked_until))


def record_failure(
    record: FailureRecord | None, now: float, settings: GuardSettings
) -> FailureRecord:
    """Count one more failure; the ``failures_to_park``-th parks the item for ``park_seconds``.

    After a parking expires the count starts again from one.
    """
    failures = 1 if record is None or record.expired(now) else record.failures + 1
    if failures >= settings.failures_to_park:
        return FailureRecord(failures, now + settings.park_seconds)
    return FailureRecord(failures)
