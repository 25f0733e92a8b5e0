"""The durable delivery queue: persistence round trip, retry with backoff, bound."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from custom_components.crosswatch.scrobble.events import Scrobble, ScrobbleAction, ScrobbleCall
from custom_components.crosswatch.scrobble.queue import (
    DropReason,
    QueuedScrobble,
    ScrobbleQueue,
    retry_delay,
)
from custom_components.crosswatch.scrobble.sinks import (
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from simulator.clock import ManualClock

from .helpers import EPISODE, JDOE, MOVIE, SERVER_ID, SHIELD, RecordingSink

if TYPE_CHECKING:
    from custom_components.crosswatch.api.models import MediaItem


def scrobble(*, watched: bool = True, progress: float = 95.0, item: MediaItem = MOVIE) -> Scrobble:
    return Scrobble(
        call=ScrobbleCall.STOP if watched else ScrobbleCall.START,
        action=ScrobbleAction.STOP if watched else ScrobbleAction.START,
        progress=progress,
        watched=watched,
        item=item,
        user=JDOE,
        player=SHIELD,
        server_id=SERVER_ID,
        rating_key="12345",
        timestamp=1000.0,
    )


def test_retry_delay_doubles_and_caps() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [30.0, 60.0, 120.0, 240.0]
    assert retry_delay(50) == 3600.0


def test_round_trip_through_json_keeps_everything() -> None:
    clock = ManualClock(start=1000.0)
    queue = ScrobbleQueue(clock=clock)
    queue.add("trakt-a", scrobble(), error="trakt /scrobble/stop: 503")
    queue.add("simkl-b", scrobble(item=EPISODE, watched=False, progress=12.5))
    stored = json.loads(json.dumps(queue.to_dicts()))
    restored = ScrobbleQueue(clock=clock)
    assert restored.load(stored) == 2
    assert restored.items == queue.items
    assert restored.items[1].scrobble.item == EPISODE
    assert restored.items[0].next_attempt_at == 1030.0
    assert restored.items[0].last_error == "trakt /scrobble/stop: 503"


def test_corrupt_stored_entries_are_skipped() -> None:
    queue = ScrobbleQueue(clock=ManualClock())
    good = QueuedScrobble(
        sink_id="t", scrobble=scrobble(), queued_at=0, next_attempt_at=0
    ).to_dict()
    bad_kind = json.loads(json.dumps(good))
    bad_kind["scrobble"]["item"]["kind"] = "album"
    bad_year = json.loads(json.dumps(good))
    bad_year["scrobble"]["item"]["year"] = ["x"]
    assert queue.load([good, {"sink_id": "t"}, "junk", bad_kind, bad_year]) == 1
    assert queue.load({"not": "a list"}) == 0
    assert len(queue) == 0


def test_an_entry_stored_before_items_shared_the_sync_form_still_loads() -> None:
    """The queue wrote every item field, unset ones as null; the shared reader takes that."""
    queue = ScrobbleQueue(clock=ManualClock())
    stored = QueuedScrobble(
        sink_id="t", scrobble=scrobble(item=EPISODE), queued_at=0, next_attempt_at=0
    ).to_dict()
    item = stored["scrobble"]["item"]
    stored["scrobble"]["item"] = {
        "kind": item["kind"],
        "ids": item["ids"],
        "title": item.get("title"),
        "year": item.get("year"),
        "show_ids": item.get("show_ids", {}),
        "show_title": item.get("show_title"),
        "season": item.get("season"),
        "number": item.get("number"),
    }
    assert None in stored["scrobble"]["item"].values()
    assert queue.load([json.loads(json.dumps(stored))]) == 1
    assert queue.items[0].scrobble.item == EPISODE


async def test_drain_delivers_due_items_and_backs_off_failures() -> None:
    clock = ManualClock(start=0.0)
    changes: list[int] = []
    queue = ScrobbleQueue(clock=clock, on_change=lambda: changes.append(len(queue)))
    sink = RecordingSink("trakt", [RetryableDeliveryError("503"), None])
    queue.add("trakt", scrobble())
    assert queue.next_due() == 30.0
    result = await queue.drain({"trakt": sink})
    assert sink.attempts == []  # not due yet
    assert not result.delivered
    clock.advance(30)
    result = await queue.drain({"trakt": sink})
    assert len(sink.attempts) == 1
    assert [e.attempts for e in result.retrying] == [2]
    assert queue.next_due() == 90.0  # 30 s + 60 s backoff
    clock.advance(59)
    await queue.drain({"trakt": sink})
    assert len(sink.attempts) == 1
    clock.advance(1)
    result = await queue.drain({"trakt": sink})
    assert len(result.delivered) == 1
    assert len(queue) == 0
    assert queue.next_due() is None
    assert changes == [1, 1, 0]


async def test_a_failing_sink_keeps_its_order_others_proceed() -> None:
    clock = ManualClock(start=0.0)
    queue = ScrobbleQueue(clock=clock)
    trakt = RecordingSink("trakt", [RetryableDeliveryError("down")])
    simkl = RecordingSink("simkl")
    queue.add("trakt", scrobble(progress=90.0))
    queue.add("trakt", scrobble(progress=91.0))
    queue.add("simkl", scrobble(progress=92.0))
    clock.advance(30)
    result = await queue.drain({"trakt": trakt, "simkl": simkl})
    assert [s.progress for s in trakt.attempts] == [90.0]  # the second waits behind the first
    assert [e.scrobble.progress for e in result.delivered] == [92.0]
    assert [e.scrobble.progress for e in queue.items] == [90.0, 91.0]


async def test_rejected_stale_and_orphaned_entries_are_dropped_and_reported() -> None:
    clock = ManualClock(start=0.0)
    dropped: list[tuple[float, DropReason]] = []
    queue = ScrobbleQueue(
        clock=clock, on_dropped=lambda e, r: dropped.append((e.scrobble.progress, r))
    )
    queue.add("trakt", scrobble(progress=90.0))
    queue.add("trakt", scrobble(watched=False, progress=10.0))
    queue.add("gone", scrobble(progress=95.0))
    clock.advance(3601)
    sink = RecordingSink("trakt", [PermanentDeliveryError("not found")])
    result = await queue.drain({"trakt": sink})
    assert dropped == [
        (90.0, DropReason.REJECTED),
        (10.0, DropReason.STALE),
        (95.0, DropReason.UNKNOWN_SINK),
    ]
    assert len(result.dropped) == 3
    assert len(queue) == 0


def test_bound_drops_oldest_unwatched_first_and_reports() -> None:
    clock = ManualClock(start=0.0)
    dropped: list[tuple[float, DropReason]] = []
    queue = ScrobbleQueue(
        clock=clock, max_items=3, on_dropped=lambda e, r: dropped.append((e.scrobble.progress, r))
    )
    queue.add("t", scrobble(progress=90.0))
    queue.add("t", scrobble(watched=False, progress=10.0))
    queue.add("t", scrobble(progress=91.0))
    queue.add("t", scrobble(progress=92.0))
    assert dropped == [(10.0, DropReason.OVERFLOW)]
    queue.add("t", scrobble(progress=93.0))
    assert dropped[-1] == (90.0, DropReason.OVERFLOW)
    assert [e.scrobble.progress for e in queue.items] == [91.0, 92.0, 93.0]


def test_loading_more_than_the_bound_keeps_the_newest() -> None:
    clock = ManualClock(start=0.0)
    big = ScrobbleQueue(clock=clock, max_items=10)
    for n in range(10):
        big.add("t", scrobble(progress=80.0 + n))
    small = ScrobbleQueue(clock=clock, max_items=4)
    assert small.load(big.to_dicts()) == 4
    assert [e.scrobble.progress for e in small.items] == [86.0, 87.0, 88.0, 89.0]
