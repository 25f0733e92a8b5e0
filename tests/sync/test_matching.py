from __future__ import annotations

import gc

from custom_components.crosswatch.api.models import MediaItem, MediaKind, pack_item
from custom_components.crosswatch.sync.matching import (
    MatchIndex,
    MatchQuality,
    ids_conflict,
    weak_key,
)

from .helpers import episode, movie, show


def index(*items: MediaItem) -> MatchIndex:
    return index_of({f"k{n}": item for n, item in enumerate(items)})


def index_of(items: dict[str, MediaItem]) -> MatchIndex:
    return MatchIndex({key: pack_item(item) for key, item in items.items()})


def test_any_strong_id_agreeing_matches() -> None:
    idx = index(movie(1, imdb="tt1"))
    match = idx.find(movie(imdb="tt1", trakt="9"))
    assert match is not None
    assert match.key == "k0"
    assert match.quality is MatchQuality.STRONG
    assert len(idx) == 1


def test_tmdb_ids_are_unique_only_per_kind() -> None:
    idx = index(movie(42))
    assert idx.find(show(42)) is None
    assert index(show(42)).find(show(42)) is not None


def test_no_shared_id_is_no_match() -> None:
    assert index(movie(1)).find(movie(imdb="tt1")) is None
    assert index(movie(1)).find(movie(2)) is None


def test_slug_and_local_keys_are_not_strong() -> None:
    idx = index(movie(slug="heat-1995", plex_rating_key="5"))
    assert idx.find(movie(slug="heat-1995", plex_rating_key="5")) is None


def test_episode_matches_by_own_id_or_by_show_season_number() -> None:
    idx = index(episode(100, 1, 2, tvdb="555"))
    assert idx.find(episode(100, 1, 2)) is not None  # show ids + numbers
    own = idx.find(MediaItem(kind=MediaKind.EPISODE, ids={"tvdb": "555"}))
    assert own is not None
    assert own.quality is MatchQuality.STRONG
    assert idx.find(episode(100, 1, 3)) is None
    assert idx.find(episode(100, 2, 2)) is None
    assert idx.find(episode(101, 1, 2)) is None


def test_an_episode_known_by_its_ids_does_not_match_another_by_its_numbers() -> None:
    # Firefly: Plex's S1E1 (DVD order) is Trakt's S1E3; Trakt's S1E1 is another episode.
    serenity_on_plex = episode(1437, 1, 1, tvdb="297989")
    train_job_on_trakt = episode(1437, 1, 1, tvdb="297986", trakt="73000")
    assert index(train_job_on_trakt).find(serenity_on_plex) is None
    serenity_on_trakt = episode(1437, 1, 3, tvdb="297989", trakt="73002")
    match = index(train_job_on_trakt, serenity_on_trakt).find(serenity_on_plex)
    assert match is not None
    assert match.key == "k1"
    # Without ids of its own (or on the other side) the numbers still match.
    assert index(episode(1437, 1, 1)).find(serenity_on_plex) is not None
    assert index(train_job_on_trakt).find(episode(1437, 1, 1)) is not None


def test_season_matches_by_show_and_season() -> None:
    season = MediaItem(kind=MediaKind.SEASON, show_ids={"tvdb": "7"}, season=3)
    assert index(season).find(MediaItem(kind=MediaKind.SEASON, show_ids={"tvdb": "7"}, season=3))
    assert not index(season).find(
        MediaItem(kind=MediaKind.SEASON, show_ids={"tvdb": "7"}, season=4)
    )


def test_conflicting_ids_match_but_are_flagged() -> None:
    idx = index(movie(1, imdb="tt1"))
    match = idx.find(movie(2, imdb="tt1"))
    assert match is not None
    assert match.quality is MatchQuality.CONFLICTING
    assert idx.find_strong(movie(2, imdb="tt1")) == "k0"


def test_conflict_prefers_the_candidate_without_contradiction() -> None:
    # "a" shares imdb but contradicts on tmdb; "b" shares tmdb and contradicts nothing.
    idx = index_of({"a": movie(7, imdb="tt1"), "b": movie(8)})
    match = idx.find(movie(8, imdb="tt1"))
    assert match is not None
    assert (match.key, match.quality) == ("b", MatchQuality.STRONG)


def test_shared_key_resolves_by_id_priority_then_key_order() -> None:
    # Both share imdb; the query's tmdb (higher priority) agrees only with "z".
    idx = index_of({"a": movie(imdb="tt1"), "z": movie(5, imdb="tt1")})
    found = idx.find(movie(5, imdb="tt1"))
    assert found is not None
    assert found.key == "z"
    # Equal evidence: the smaller key wins regardless of insertion order.
    for items in (
        {"b": movie(imdb="tt2"), "a": movie(imdb="tt2")},
        {"a": movie(imdb="tt2"), "b": movie(imdb="tt2")},
    ):
        found = index_of(items).find(movie(imdb="tt2"))
        assert found is not None
        assert found.key == "a"


def test_many_entries_sharing_a_key_resolve_by_key_order() -> None:
    items = {k: movie(imdb="tt3", trakt=k) for k in ("c", "a", "b")}
    found = index_of(items).find(movie(imdb="tt3"))
    assert found is not None
    assert (found.key, found.quality) == ("a", MatchQuality.STRONG)


def test_title_year_is_a_weak_last_resort() -> None:
    idx = index(movie(plex="abc", title="Heat", year=1995))
    match = idx.find(movie(trakt="3", title="  heat ", year=1995))
    assert match is not None
    assert match.quality is MatchQuality.WEAK
    assert idx.find_strong(movie(trakt="3", title="heat", year=1995)) is None
    assert idx.find(movie(trakt="3", title="Heat", year=1996)) is None


def test_weak_match_refused_when_a_shared_id_type_differs() -> None:
    # Same title and year but a different tmdb id: a remake, not the same film.
    idx = index(movie(1, title="Heat", year=1995))
    assert idx.find(movie(2, title="Heat", year=1995)) is None


def test_weak_match_skips_a_remake_sharing_title_and_year() -> None:
    idx = index_of(
        {
            "a": movie(1, title="Heat", year=1995),
            "b": movie(plex="p", title="Heat", year=1995),
        }
    )
    found = idx.find(movie(2, title="Heat", year=1995))
    assert found is not None
    assert (found.key, found.quality) == ("b", MatchQuality.WEAK)


def test_no_title_means_no_weak_key() -> None:
    assert weak_key(movie(1)) is None
    assert weak_key(MediaItem(kind=MediaKind.MOVIE, title="   ")) is None
    assert index(movie(1)).find(movie(imdb="tt9")) is None
    ep = MediaItem(kind=MediaKind.EPISODE, show_title="Lost", season=1, number=1)
    assert weak_key(ep) == ("episode", "~", "lost|", 1, 1)


def test_ids_conflict_checks_show_ids_for_episodes() -> None:
    assert ids_conflict(episode(1, 1, 1, tvdb="5"), episode(2, 1, 1, tvdb="5"))
    assert not ids_conflict(episode(1, 1, 1, tvdb="5"), episode(1, 1, 1))
    assert not ids_conflict(movie(1), movie(imdb="tt1"))


def test_kept_strong_keys_leave_the_garbage_collectors_watch() -> None:
    # One kept per indexed entry: tracked containers would count towards the full collections
    # that walk all of Home Assistant's objects (a large library's run set them off).
    # Young objects are examined twice (generations 0 and 1) before they reach the oldest one.
    idx = index(episode(100, 1, 2, tvdb="555"), movie(1, imdb="tt1"))
    gc.collect()
    gc.collect()
    for key in ("k0", "k1"):
        keys = idx.keys_of(key)
        assert keys
        assert not gc.is_tracked(keys)


def test_a_dropped_index_lets_go_of_its_tables_entry_by_entry() -> None:
    """Its tables are emptied by Python code, not freed in one C call that holds the loop."""
    items = {
        f"k{n}": MediaItem(kind=MediaKind.MOVIE, ids={"imdb": f"tt{n}"}, title=f"M{n}", year=2000)
        for n in range(50)
    }
    index = index_of(items)
    assert index.find(items["k7"]) is not None
    index.find(MediaItem(kind=MediaKind.MOVIE, title="nothing", year=1))  # builds the weak table
    tables = (index._keys, index._strong, index._weak)
    assert all(tables)
    del index
    assert not any(tables)
