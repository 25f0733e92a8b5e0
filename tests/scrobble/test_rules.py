"""The decision table at its exact thresholds."""

from __future__ import annotations

import pytest

from custom_components.crosswatch.scrobble.events import PlexUser, ScrobbleCall
from custom_components.crosswatch.scrobble.rules import PlaybackState, ScrobbleRules

from .helpers import PAUSE, START, STOP, event


@pytest.mark.parametrize(
    ("progress", "starts"),
    [(0.0, False), (1.99, False), (2.0, True), (50.0, True), (98.99, True), (99.0, False)],
)
def test_start_threshold_and_credits_suppression(progress: float, starts: bool) -> None:
    rules = ScrobbleRules()
    decided = rules.decide(event(START, progress))
    assert (decided is not None) is starts
    if decided is not None:
        assert decided.call is ScrobbleCall.START
        assert decided.progress == progress
        assert not decided.watched


def test_early_frames_wait_for_a_later_start() -> None:
    rules = ScrobbleRules()
    assert rules.decide(event(START, 0.5, at=0)) is None
    assert rules.state_of(event(START, 0.5)) is PlaybackState.IDLE
    started = rules.decide(event(START, 2.5, at=10))
    assert started is not None
    assert started.call is ScrobbleCall.START
    assert rules.decide(event(START, 3.0, at=20)) is None  # already playing


@pytest.mark.parametrize(
    ("progress", "sent"),
    [(0.2, 1.0), (1.0, 1.0), (45.0, 45.0), (79.9, 79.9), (80.0, 79.9), (95.0, 79.9)],
)
def test_pause_is_a_stop_capped_below_80_and_floored_at_1(progress: float, sent: float) -> None:
    rules = ScrobbleRules()
    rules.decide(event(START, 10.0, at=0))
    paused = rules.decide(event(PAUSE, progress, at=100))
    assert paused is not None
    assert paused.call is ScrobbleCall.STOP
    assert paused.progress == sent
    assert not paused.watched


def test_pause_without_a_start_sends_nothing() -> None:
    rules = ScrobbleRules()
    assert rules.decide(event(PAUSE, 40.0)) is None


def test_pause_debounce_is_5_seconds() -> None:
    rules = ScrobbleRules()
    rules.decide(event(START, 10.0, at=0))
    assert rules.decide(event(PAUSE, 11.0, at=10)) is not None
    assert rules.decide(event(START, 11.0, at=12)) is not None
    assert rules.decide(event(PAUSE, 11.1, at=14.99)) is None  # 4.99 s after the last pause
    assert rules.state_of(event(PAUSE, 0)) is PlaybackState.PLAYING
    assert rules.decide(event(PAUSE, 11.2, at=15.0)) is not None  # exactly 5 s: sent


@pytest.mark.parametrize(
    ("progress", "watched", "sent"),
    [(79.99, False, 79.9), (80.0, True, 80.0), (93.5, True, 93.5), (100.0, True, 100.0)],
)
def test_stop_threshold(progress: float, watched: bool, sent: float) -> None:
    rules = ScrobbleRules()
    rules.decide(event(START, 10.0, at=0))
    stopped = rules.decide(event(STOP, progress, at=100))
    assert stopped is not None
    assert stopped.call is ScrobbleCall.STOP
    assert stopped.watched is watched
    assert stopped.progress == sent
    assert rules.state_of(event(STOP, 0)) is PlaybackState.ENDED
    assert rules.decide(event(STOP, progress, at=101)) is None  # the other source's late stop


def test_stop_below_80_after_pause_adds_nothing() -> None:
    rules = ScrobbleRules()
    rules.decide(event(START, 10.0, at=0))
    rules.decide(event(PAUSE, 40.0, at=10))
    assert rules.decide(event(STOP, 40.0, at=20)) is None
    assert rules.decide(event(STOP, 40.0, at=30)) is None  # unknown playback, below 80


def test_stop_at_or_above_80_counts_even_without_a_start() -> None:
    rules = ScrobbleRules()
    assert rules.decide(event(START, 99.5, at=0)) is None  # credits flap
    stopped = rules.decide(event(STOP, 100.0, at=5))
    assert stopped is not None
    assert stopped.watched


def test_full_movie_with_a_pause_yields_each_call_once() -> None:
    rules = ScrobbleRules()
    frames = [
        event(START, 0.0, at=0),
        event(START, 1.0, at=60),
        event(START, 2.0, at=120),
        event(START, 30.0, at=1800),
        event(PAUSE, 40.0, at=2400),
        event(PAUSE, 40.0, at=2410),
        event(START, 40.0, at=2500),
        event(START, 60.0, at=3600),
        event(START, 99.5, at=5900),
        event(STOP, 100.0, at=6000),
    ]
    sent = [d for f in frames if (d := rules.decide(f)) is not None]
    assert [(s.call, s.watched) for s in sent] == [
        (ScrobbleCall.START, False),
        (ScrobbleCall.STOP, False),
        (ScrobbleCall.START, False),
        (ScrobbleCall.STOP, True),
    ]
    assert [s.progress for s in sent] == [2.0, 40.0, 40.0, 100.0]


def test_source_declared_watched_holds_until_the_stop() -> None:
    rules = ScrobbleRules()
    rules.decide(event(START, 10.0, at=0))
    # media.scrobble fires at 90 % while still playing; an odd offset still counts as watched.
    declared = rules.decide(event(STOP, 50.0, at=10, watched=True))
    assert declared is not None
    assert declared.watched
    assert declared.progress == 90.0
    assert rules.state_of(event(START, 0)) is PlaybackState.WATCHED
    assert rules.decide(event(START, 91.0, at=20)) is None
    assert rules.decide(event(PAUSE, 92.0, at=30)) is None
    assert rules.decide(event(STOP, 100.0, at=40, watched=True)) is None
    assert rules.decide(event(STOP, 100.0, at=50)) is None  # the real stop ends it silently
    assert rules.state_of(event(START, 0)) is PlaybackState.ENDED
    assert rules.decide(event(STOP, 100.0, at=55)) is None
    assert rules.decide(event(START, 5.0, at=60)) is not None  # a rewatch starts afresh


def test_playbacks_are_independent_per_user() -> None:
    rules = ScrobbleRules()
    other = PlexUser(id="2", title="kid")
    assert rules.decide(event(START, 10.0)) is not None
    assert rules.decide(event(START, 10.0, user=other)) is not None


def test_idle_playbacks_are_forgotten() -> None:
    rules = ScrobbleRules()
    rules.decide(event(START, 10.0, at=0))
    assert rules.state_of(event(START, 0)) is PlaybackState.PLAYING
    rules.decide(event(START, 10.0, at=7 * 3600, rating_key="999"))
    assert rules.state_of(event(START, 0)) is PlaybackState.IDLE


def test_custom_watched_threshold() -> None:
    rules = ScrobbleRules(watched_threshold=90.0)
    rules.decide(event(START, 10.0, at=0))
    stopped = rules.decide(event(STOP, 85.0, at=10))
    assert stopped is not None
    assert not stopped.watched
