"""Decision rules: which playback events become scrobbles (CrossWatch's table, made exact).

- start at >= 2 % (earlier frames wait for a later one); a start at >= 99 % is ignored (credits
  flapping);
- pause -> stop with progress capped at 79.9 and floored at 1 (Trakt: < 80 saves playback,
  < 1 is a 422), at most one per 5 s per playback;
- stop at >= 80 % (or a source that says "watched") -> stop with the real progress = watched;
- a stop below 80 % after a pause was already sent adds nothing.

State is kept per playback (server, item, player, user), the same key for websocket and webhook,
so both sources drive one state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .events import Scrobble, ScrobbleAction, ScrobbleCall, ScrobbleEvent

START_MIN_PROGRESS = 2.0
START_SUPPRESS_AT = 99.0
WATCHED_THRESHOLD = 80.0
PAUSE_PROGRESS_CAP = 79.9
PAUSE_PROGRESS_FLOOR = 1.0
PAUSE_DEBOUNCE_SECONDS = 5.0
# A "watched" source event (media.scrobble) without a usable offset still counts as watched.
WATCHED_FALLBACK_PROGRESS = 90.0
# Forget playbacks nobody reported on for this long (a lost stop must not pin memory).
IDLE_FORGET_SECONDS = 6 * 3600.0
IDLE_SWEEP_SECONDS = 60.0


class PlaybackState(StrEnum):
    """Where a playback is, as far as the sinks were told."""

    IDLE = "idle"
    PLAYING = "playing"
    PAUSED = "paused"
    WATCHED = "watched"
    ENDED = "ended"


@dataclass(slots=True)
class _Playback:
    state: PlaybackState
    last_seen: float
    last_pause_sent: float | None = None


class ScrobbleRules:
    """Per-playback state machine turning ``ScrobbleEvent``s into ``Scrobble``s."""

    def __init__(self, *, watched_threshold: float = WATCHED_THRESHOLD) -> None:
        """Create with the progress that counts as watched."""
        self._watched_threshold = watched_threshold
        self._playbacks: dict[tuple[str, str, str, str], _Playback] = {}
        self._last_sweep = 0.0

    def state_of(self, event: ScrobbleEvent) -> PlaybackState:
        """Return the state of the event's playback (``IDLE`` when unknown)."""
        playback = self._playbacks.get(event.playback_key)
        return PlaybackState.IDLE if playback is None else playback.state

    def decide(self, event: ScrobbleEvent) -> Scrobble | None:
        """Advance the playback's state; return the scrobble to send, if any."""
        self._forget_idle(event.timestamp)
        key = event.playback_key
        playback = self._playbacks.get(key)
        if playback is None:
            playback = _Playback(PlaybackState.IDLE, event.timestamp)
            self._playbacks[key] = playback
        playback.last_seen = event.timestamp
        match event.action:
            case ScrobbleAction.START:
                return self._start(playback, event)
            case ScrobbleAction.PAUSE:
                return self._pause(playback, event)
            case ScrobbleAction.STOP:
                return self._stop(playback, event)

    def _start(self, playback: _Playback, event: ScrobbleEvent) -> Scrobble | None:
        if playback.state in (PlaybackState.PLAYING, PlaybackState.WATCHED):
            return None
        if not START_MIN_PROGRESS <= event.progress < START_SUPPRESS_AT:
            return None
        playback.state = PlaybackState.PLAYING
        return _scrobble(event, ScrobbleCall.START, event.progress, watched=False)

    def _pause(self, playback: _Playback, event: ScrobbleEvent) -> Scrobble | None:
        if playback.state is not PlaybackState.PLAYING:
            return None
        last = playback.last_pause_sent
        if last is not None and event.timestamp - last < PAUSE_DEBOUNCE_SECONDS:
            return None
        playback.state = PlaybackState.PAUSED
        playback.last_pause_sent = event.timestamp
        return _scrobble(event, ScrobbleCall.STOP, _pause_progress(event.progress), watched=False)

    def _stop(self, playback: _Playback, event: ScrobbleEvent) -> Scrobble | None:
        previous = playback.state
        # media.scrobble fires at 90 % while the item still plays: WATCHED keeps later frames
        # from starting it again. ENDED absorbs the other source's late stop.
        playback.state = PlaybackState.WATCHED if event.watched else PlaybackState.ENDED
        if previous in (PlaybackState.WATCHED, PlaybackState.ENDED):
            return None
        if event.watched or event.progress >= self._watched_threshold:
            progress = watched_progress(event.progress, self._watched_threshold)
            return _scrobble(event, ScrobbleCall.STOP, progress, watched=True)
        if previous is PlaybackState.PLAYING:
            progress = _pause_progress(event.progress)
            return _scrobble(event, ScrobbleCall.STOP, progress, watched=False)
        return None

    def _forget_idle(self, now: float) -> None:
        if now - self._last_sweep < IDLE_SWEEP_SECONDS:
            return
        self._last_sweep = now
        stale = [k for k, p in self._playbacks.items() if now - p.last_seen > IDLE_FORGET_SECONDS]
        for key in stale:
            del self._playbacks[key]


def watched_progress(progress: float, threshold: float = WATCHED_THRESHOLD) -> float:
    """The progress a play the source counted as watched is reported at.

    Its own when it reached the threshold, else the fallback (a media.scrobble without a usable
    offset, a session Plex counted after its last frame was seen).
    """
    return progress if progress >= threshold else WATCHED_FALLBACK_PROGRESS


def _pause_progress(progress: float) -> float:
    return min(PAUSE_PROGRESS_CAP, max(PAUSE_PROGRESS_FLOOR, progress))


def _scrobble(
    event: ScrobbleEvent, call: ScrobbleCall, progress: float, *, watched: bool
) -> Scrobble:
    return Scrobble(
        call=call,
        action=event.action,
        progress=round(progress, 2),
        watched=watched,
        item=event.item,
        user=event.user,
        player=event.player,
        server_id=event.server_id,
        rating_key=event.rating_key,
        timestamp=event.timestamp,
    )
