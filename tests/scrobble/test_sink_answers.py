"""What a scrobble answer naming another episode looks like, when the answer has no ids."""

from __future__ import annotations

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.scrobble.sinks import answered_other


def _episode(show: str, season: int | None = None, number: int | None = None) -> MediaItem:
    return MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": show}, season=season, number=number)


PILOT = _episode("81189", 1, 1)


def test_an_answer_without_ids_is_judged_by_show_and_numbers() -> None:
    assert answered_other(PILOT, _episode("81189", 1, 1)) is None
    assert answered_other(PILOT, _episode("1", 1, 1)) == "another show {'tvdb': '1'}"
    assert answered_other(PILOT, _episode("81189", 1, 2)) == "S1E2 for S1E1"
    # Numbers the answer does not state are no evidence either way.
    assert answered_other(PILOT, _episode("81189")) is None
    # A movie answered without ids: nothing to compare.
    movie = MediaItem(kind=MediaKind.MOVIE, title="Inception")
    assert answered_other(movie, MediaItem(kind=MediaKind.MOVIE)) is None
