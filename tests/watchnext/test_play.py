"""Play next: the Plex look-up and the media id HA's Plex integration plays."""

from __future__ import annotations

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.client import PlexLibraryItem
from custom_components.crosswatch.watchnext.play import find_on_plex, find_show, plex_media_id


def _entry(rating_key: str, season: int, number: int, **ids: str) -> PlexLibraryItem:
    item = MediaItem(
        kind=MediaKind.EPISODE,
        ids=ids,
        show_ids={"tvdb": "78874"},
        show_title="Firefly",
        season=season,
        number=number,
    )
    return PlexLibraryItem(rating_key=rating_key, item=item)


def test_media_id_is_the_media_browser_form() -> None:
    assert plex_media_id("abc123", "4242") == "plex://abc123/4242?resume=1"
    assert plex_media_id("abc123", "4242", resume=False) == "plex://abc123/4242"


def test_own_ids_win_over_show_and_numbers() -> None:
    # Plex files "The Train Job" (aired S01E01) as S01E02 (DVD order)
    serenity = _entry("1", 1, 1, tvdb="297989")
    train_job = _entry("2", 1, 2, tvdb="297990")
    wanted = MediaItem(
        kind=MediaKind.EPISODE,
        ids={"tvdb": "297990"},
        show_ids={"tvdb": "78874"},
        season=1,
        number=1,
    )
    assert find_on_plex([serenity, train_job], wanted) is train_job
    # without own ids, show + numbers is all there is
    by_numbers = MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "78874"}, season=1, number=2)
    assert find_on_plex([serenity, train_job], by_numbers) is train_job


def test_nothing_found_or_not_an_episode() -> None:
    movie = PlexLibraryItem(
        rating_key="9", item=MediaItem(kind=MediaKind.MOVIE, ids={"tvdb": "297990"})
    )
    missing = MediaItem(kind=MediaKind.EPISODE, show_ids={"tmdb": "1"}, season=3, number=3)
    assert find_on_plex([movie, _entry("1", 1, 1)], missing) is None
    assert find_on_plex([movie], MediaItem(kind=MediaKind.MOVIE, ids={"tvdb": "297990"})) is None


def test_find_show_by_any_shared_id() -> None:
    firefly = PlexLibraryItem(
        rating_key="7",
        item=MediaItem(kind=MediaKind.SHOW, ids={"tvdb": "78874", "plex": "5d9c086c"}),
    )
    episode = _entry("1", 1, 1, tvdb="78874")  # an episode with the same tvdb number
    trakt_show = MediaItem(
        kind=MediaKind.SHOW, ids={"trakt": "1", "slug": "firefly", "tvdb": "78874"}
    )
    assert find_show([episode, firefly], trakt_show) is firefly
    other = MediaItem(kind=MediaKind.SHOW, ids={"tvdb": "1"})
    assert find_show([episode, firefly], other) is None
