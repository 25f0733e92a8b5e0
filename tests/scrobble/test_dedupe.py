"""Listener + webhook de-duplication of decided scrobbles."""

from __future__ import annotations

from custom_components.crosswatch.scrobble.dedupe import Deduplicator
from custom_components.crosswatch.scrobble.events import EventSource, PlexPlayer

from .helpers import PAUSE, START, STOP, event

WS, HOOK = EventSource.WEBSOCKET, EventSource.WEBHOOK


def test_same_scrobble_from_the_other_source_within_window_is_a_duplicate() -> None:
    dedupe = Deduplicator(window=30.0)
    assert not dedupe.is_duplicate(event(STOP, 100.0, at=100, source=WS))
    assert dedupe.is_duplicate(event(STOP, 100.0, at=101, source=HOOK))
    assert dedupe.is_duplicate(event(STOP, 100.0, at=129.9, source=HOOK))
    assert not dedupe.is_duplicate(event(STOP, 100.0, at=130.0, source=HOOK))
    # Now the webhook's stop is the one remembered: a websocket stop right after is the repeat.
    assert dedupe.is_duplicate(event(STOP, 100.0, at=131.0, source=WS))


def test_repeats_from_one_source_are_real() -> None:
    dedupe = Deduplicator(window=30.0)
    assert not dedupe.is_duplicate(event(PAUSE, 20.0, at=0, source=WS))
    assert not dedupe.is_duplicate(event(START, 20.0, at=2, source=WS))
    assert not dedupe.is_duplicate(event(PAUSE, 21.0, at=8, source=WS))


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
