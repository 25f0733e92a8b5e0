"""Listener + webhook de-duplication."""

from __future__ import annotations

from custom_components.crosswatch.scrobble.dedupe import Deduplicator
from custom_components.crosswatch.scrobble.events import EventSource, PlexPlayer

from .helpers import PAUSE, START, STOP, event

WS, HOOK = EventSource.WEBSOCKET, EventSource.WEBHOOK


def test_same_event_from_the_other_source_within_window_is_a_duplicate() -> None:
    dedupe = Deduplicator(window=30.0)
    assert not dedupe.is_duplicate(event(PAUSE, 40.0, at=100, source=WS))
    assert dedupe.is_duplicate(event(PAUSE, 40.1, at=101, source=HOOK))
    assert dedupe.is_duplicate(event(PAUSE, 40.1, at=129.9, source=HOOK))
    assert not dedupe.is_duplicate(event(PAUSE, 40.1, at=130.0, source=HOOK))


def test_repeats_from_the_same_source_pass_after_one_second() -> None:
    dedupe = Deduplicator(window=30.0, same_source_window=1.0)
    assert not dedupe.is_duplicate(event(START, 5.0, at=0, source=WS))
    assert dedupe.is_duplicate(event(START, 5.0, at=0.5, source=WS))
    assert not dedupe.is_duplicate(event(START, 6.0, at=1.0, source=WS))


def test_key_includes_action_player_user_item_and_server() -> None:
    dedupe = Deduplicator()
    assert not dedupe.is_duplicate(event(STOP, 90.0, at=0, source=WS))
    assert not dedupe.is_duplicate(event(PAUSE, 90.0, at=0, source=HOOK))
    assert not dedupe.is_duplicate(
        event(STOP, 90.0, at=0, source=HOOK, player=PlexPlayer(id="web"))
    )
    assert not dedupe.is_duplicate(event(STOP, 90.0, at=0, source=HOOK, rating_key="2"))
    assert not dedupe.is_duplicate(event(STOP, 90.0, at=0, source=HOOK, server_id="other"))
    assert dedupe.is_duplicate(event(STOP, 90.0, at=0.2, source=HOOK))


def test_old_keys_are_forgotten() -> None:
    dedupe = Deduplicator(window=30.0)
    dedupe.is_duplicate(event(START, 5.0, at=0))
    dedupe.is_duplicate(event(START, 5.0, at=0, rating_key="2"))
    assert len(dedupe) == 2
    dedupe.is_duplicate(event(START, 5.0, at=31, rating_key="3"))
    assert len(dedupe) == 1
