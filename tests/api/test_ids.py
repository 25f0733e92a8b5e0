"""GUID parsing, id normalisation and canonical keys."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.crosswatch.api.ids import canonical_key, normalize_ids
from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.ids import (
    PlexGuid,
    ids_from_plex_guids,
    parse_plex_guid,
    parse_plex_guid_full,
)

HEX = "5d776825880197001ec967c6"


@pytest.mark.parametrize(
    ("guid", "expected"),
    [
        ("imdb://tt1375666", ("imdb", "tt1375666")),
        ("tmdb://27205", ("tmdb", "27205")),
        ("tvdb://166", ("tvdb", "166")),
        ("com.plexapp.agents.imdb://tt0137523?lang=en", ("imdb", "tt0137523")),
        ("com.plexapp.agents.themoviedb://550?lang=en", ("tmdb", "550")),
        ("com.plexapp.agents.thetvdb://81189?lang=en", ("tvdb", "81189")),
        ("com.plexapp.agents.thetvdb://84912/1/3?lang=en", ("tvdb", "84912")),
        # A legacy season names its show (tests/fixtures/real/plex/pms_seasons_legacy_thetvdb.json).
        ("com.plexapp.agents.thetvdb://84912/1?lang=en", ("tvdb", "84912")),
        ("com.plexapp.agents.hama://anidb-123", ("anidb", "123")),
        ("com.plexapp.agents.hama://tvdb2-81797/1/1", ("tvdb", "81797")),
        ("com.plexapp.agents.hama://imdb-tt6455986", ("imdb", "tt6455986")),
        ("com.plexapp.agents.xbmcnfo://tt0080339?lang=en", ("imdb", "tt0080339")),
        ("com.plexapp.agents.xbmcnfo://550?lang=en", ("tmdb", "550")),
        (f"plex://movie/{HEX}", ("plex", HEX)),
        (f"plex://episode/{HEX.upper()}", ("plex", HEX)),
        ("  tmdb://27205  ", ("tmdb", "27205")),
    ],
)
def test_known_forms(guid: str, expected: tuple[str, str]) -> None:
    assert parse_plex_guid(guid) == expected


@pytest.mark.parametrize(
    "guid",
    [
        "",
        "tt1375666",
        "imdb://1375666",
        "tmdb://tt1",
        "tmdb://",
        "tvdb://12/3",
        "local://123",
        "com.plexapp.agents.none://abc",
        "com.plexapp.agents.hama://mal-123",
        "com.plexapp.agents.hama://anidb-x",
        "plex://movie/notahexid",
        "plex://person/5d776825880197001ec967c6",
        "com.plexapp.agents.thetvdb://84912/1/2/3?lang=en",
        "com.plexapp.agents.thetvdb://84912/x/3",
    ],
)
def test_unusable_forms_are_none(guid: str) -> None:
    assert parse_plex_guid(guid) is None


def test_legacy_thetvdb_episode_gives_show_and_numbers() -> None:
    assert parse_plex_guid_full("com.plexapp.agents.thetvdb://84912/2/7?lang=en") == PlexGuid(
        "tvdb", "84912", season=2, episode=7
    )
    assert parse_plex_guid_full(f"plex://show/{HEX}") == PlexGuid("plex", HEX, plex_kind="show")


def test_ids_from_guid_array_and_top_level() -> None:
    ids = ids_from_plex_guids(
        f"plex://movie/{HEX}",
        [{"id": "imdb://tt1375666"}, {"id": "tmdb://27205"}, {"id": "tvdb://166"}, {"x": 1}],
    )
    assert ids == {"imdb": "tt1375666", "tmdb": "27205", "tvdb": "166", "plex": HEX}
    # The Guid[] array wins over a legacy top-level guid; the legacy episode form is skipped.
    assert ids_from_plex_guids("com.plexapp.agents.imdb://tt1?lang=en", ["imdb://tt2"]) == {
        "imdb": "tt2"
    }
    assert ids_from_plex_guids("com.plexapp.agents.thetvdb://1/2/3") == {}
    assert ids_from_plex_guids(None, None) == {}


def test_normalize_ids() -> None:
    raw = {"trakt": 4, "imdb": "tt1", "tmdb": "27205", "tvdb": None, "slug": "", "x": True}
    assert normalize_ids(raw | {"nested": {"a": 1}, "pad": " 7 "}) == {
        "trakt": "4",
        "imdb": "tt1",
        "tmdb": "27205",
        "pad": "7",
    }
    assert normalize_ids(None) == {}


def test_canonical_key_priority_and_scope() -> None:
    movie = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt1", "tmdb": "1396", "trakt": "9"})
    show = MediaItem(kind=MediaKind.SHOW, ids={"tmdb": "1396"})
    assert canonical_key(movie) == "movie:tmdb:1396"
    assert canonical_key(show) == "show:tmdb:1396"
    assert canonical_key(MediaItem(kind=MediaKind.MOVIE, ids={"plex": HEX})) == f"movie:plex:{HEX}"
    assert canonical_key(MediaItem(kind=MediaKind.MOVIE, ids={"simkl": "5", "trakt": "6"})) == (
        "movie:trakt:6"
    )


def test_canonical_key_for_episodes_and_weak_items() -> None:
    episode = MediaItem(
        kind=MediaKind.EPISODE, show_ids={"tvdb": "81189", "imdb": "tt0903747"}, season=1, number=2
    )
    assert canonical_key(episode) == "episode:show:imdb:tt0903747:s1e2"
    season = MediaItem(kind=MediaKind.SEASON, show_ids={"tmdb": "1"}, season=3)
    assert canonical_key(season) == "season:show:tmdb:1:s3"
    own = MediaItem(kind=MediaKind.EPISODE, ids={"tmdb": "62161"}, show_ids={"tmdb": "1396"})
    assert canonical_key(own) == "episode:tmdb:62161"
    weak = MediaItem(kind=MediaKind.MOVIE, title=" Home Video ", year=None)
    assert canonical_key(weak) == "movie:~home video|"


@given(st.from_regex(r"tt\d{1,10}", fullmatch=True), st.sampled_from(["", "?lang=en", "/"]))
def test_imdb_round_trip(imdb: str, tail: str) -> None:
    assert parse_plex_guid(f"imdb://{imdb}{tail}") == ("imdb", imdb)
    assert parse_plex_guid(f"com.plexapp.agents.imdb://{imdb}{tail}") == ("imdb", imdb)


@given(
    st.integers(min_value=0, max_value=10**12 - 1),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=9999),
)
def test_numeric_round_trip(value: int, season: int, episode: int) -> None:
    assert parse_plex_guid(f"tmdb://{value}") == ("tmdb", str(value))
    assert parse_plex_guid(f"com.plexapp.agents.themoviedb://{value}?lang=de") == (
        "tmdb",
        str(value),
    )
    full = parse_plex_guid_full(f"com.plexapp.agents.thetvdb://{value}/{season}/{episode}")
    assert full == PlexGuid("tvdb", str(value), season=season, episode=episode)


@given(st.text(max_size=60))
def test_arbitrary_text_never_raises(text: str) -> None:
    parsed = parse_plex_guid_full(text)
    if parsed is not None:
        assert parsed.id_type in {"imdb", "tmdb", "tvdb", "plex"}
        assert parsed.value
        assert parsed.value == parsed.value.strip()


@given(
    st.dictionaries(
        st.sampled_from(["imdb", "tmdb", "tvdb", "trakt", "simkl", "plex", "slug"]),
        st.one_of(st.none(), st.integers(min_value=0), st.text(max_size=8)),
    ),
    st.sampled_from(list(MediaKind)),
)
def test_canonical_key_is_kind_scoped_and_deterministic(
    raw: dict[str, object], kind: MediaKind
) -> None:
    ids = normalize_ids(raw)
    assert all(isinstance(v, str) and v for v in ids.values())
    key = canonical_key(MediaItem(kind=kind, ids=ids))
    assert key.startswith(f"{kind}:")
    assert key == canonical_key(MediaItem(kind=kind, ids=dict(reversed(list(ids.items())))))
