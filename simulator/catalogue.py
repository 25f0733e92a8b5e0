"""One deterministic catalogue shared by every simulated service.

The same title carries the same imdb/tmdb/tvdb/trakt/simkl ids everywhere. Every seed starts with
hand-written odd cases (below), followed by generated titles:

* ``Breaking Point`` (movie) and ``Breaking Bad`` (show) share tmdb id 1396;
* ``Odd Anthology``: Plex only knows the show by its ``plex://`` guid, its episodes carry
  episode-level ids only;
* ``Untitled Home Video``: a movie only Plex knows (``plex://`` guid, no external ids);
* unicode titles (``Amélie``, ``千と千尋の神隠し``), a movie without a year (``Year Unknown``);
* specials (season 0) on ``Breaking Bad``; legacy ``com.plexapp.agents.*`` guids on some items;
* an anime (``Hunter x Hunter``, with a MAL id) that SIMKL files under ``anime``;
* after the generated titles, out of the seeded lists: an anime film (``Violet Evergarden the
  Movie``), ``Firefly``, whose Plex (DVD) episode order differs from the aired order, and an
  anime (``Ajin 2``) only SIMKL knows, by its MyAnimeList/AniDB ids.

Seasons are objects too (``Season``): Trakt rates and lists them, Plex gives them ratingKeys.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .clock import EPOCH_START

Kind = Literal["movie", "show", "season", "episode"]
DAY = 86400.0

SEEDS: dict[str, dict[str, int]] = {
    "tiny": {
        "movies": 5,
        "shows": 2,
        "seasons": 2,
        "episodes": 3,
        "episode_plays": 8,
        "movie_plays": 4,
        "watchlist": 6,
    },
    "small": {
        "movies": 200,
        "shows": 20,
        "seasons": 3,
        "episodes": 10,
        "episode_plays": 500,
        "movie_plays": 100,
        "watchlist": 50,
    },
    "large": {
        "movies": 2000,
        "shows": 200,
        "seasons": 5,
        "episodes": 20,
        "episode_plays": 20000,
        "movie_plays": 1000,
        "watchlist": 1000,
    },
}


class _Titled:
    """What movies, shows and episodes share: a discover/plex:// guid and a runtime."""

    __slots__ = ()
    kind: Kind
    plex_hex: str
    runtime: int  # minutes

    @property
    def plex_guid(self) -> str:
        return f"plex://{self.kind}/{self.plex_hex}"

    @property
    def duration_ms(self) -> int:
        return self.runtime * 60_000


@dataclass(slots=True, eq=False)
class Movie(_Titled):
    title: str
    year: int | None
    trakt: int | None
    simkl: int | None
    imdb: str | None
    tmdb: int | None
    tvdb: int | None = None
    runtime: int = 110
    released: str | None = None
    plex_hex: str = ""
    legacy: str | None = None  # "imdb" / "themoviedb": PMS shows a legacy agent guid
    plex_guids: bool = True  # False: PMS lists no Guid[] for it
    slug: str = ""
    anime: bool = False  # an anime film: SIMKL lists it under "anime" with anime_type "movie"
    in_seed: bool = True  # False: no seeded plays, ratings or watchlist entries
    kind: Kind = "movie"


@dataclass(slots=True, eq=False)
class Season:
    show: Show
    number: int
    trakt: int | None = None
    tvdb: int | None = None
    tmdb: int | None = None
    kind: Kind = "season"

    @property
    def episodes(self) -> list[Episode]:
        return self.show.seasons.get(self.number, [])


@dataclass(slots=True, eq=False)
class Episode(_Titled):
    show: Show
    season: int
    number: int
    title: str
    trakt: int
    imdb: str | None
    tmdb: int | None
    tvdb: int | None
    first_aired: float
    plex_hex: str = ""
    runtime: int = 45
    # Where Plex files it when its order differs (DVD vs aired, as Firefly); ``number`` is the
    # aired order Trakt and SIMKL use.
    plex_number: int | None = None
    kind: Kind = "episode"

    @property
    def plex_index(self) -> int:
        return self.number if self.plex_number is None else self.plex_number

    @property
    def year(self) -> int | None:
        return self.show.year


@dataclass(slots=True, eq=False)
class Show(_Titled):
    title: str
    year: int | None
    trakt: int | None
    simkl: int | None
    imdb: str | None
    tmdb: int | None
    tvdb: int | None
    first_aired: str | None = None
    mal: int | None = None
    anidb: int | None = None
    anime: bool = False
    status: str = "ended"
    legacy: str | None = None  # "thetvdb": PMS uses com.plexapp.agents.thetvdb guids
    plex_guids: bool = True
    plex_hex: str = ""
    slug: str = ""
    runtime: int = 45
    in_seed: bool = True  # False: no seeded plays, ratings or watchlist entries
    seasons: dict[int, list[Episode]] = field(default_factory=dict)  # episodes by season number
    season_items: dict[int, Season] = field(default_factory=dict)  # the seasons themselves
    kind: Kind = "show"

    @property
    def episodes(self) -> list[Episode]:
        return [ep for number in sorted(self.seasons) for ep in self.seasons[number]]


Item = Movie | Show | Episode
Media = Movie | Show | Season | Episode  # everything that has ids somewhere
KIND_OF: dict[type, Kind] = {
    Movie: "movie",
    Show: "show",
    Season: "season",
    Episode: "episode",
}


def slugify(title: str, year: int | None = None) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "title"
    return f"{base}-{year}" if year else base


def _hex(prefix: str, n: int) -> str:
    # Discover ratingKeys / plex:// guids are 24 hex characters.
    return f"{prefix}{n:018x}"


_ADJ = [
    "Silent",
    "Hidden",
    "Broken",
    "Golden",
    "Crimson",
    "Distant",
    "Electric",
    "Frozen",
    "Hollow",
    "Iron",
    "Last",
    "Lost",
    "Midnight",
    "Northern",
    "Pale",
    "Quiet",
    "Restless",
    "Scarlet",
    "Secret",
    "Shattered",
    "Silver",
    "Sleeping",
    "Stolen",
    "Sunken",
    "Twisted",
    "Velvet",
    "Wandering",
    "Wild",
    "Winter",
    "Burning",
    "Falling",
    "Forgotten",
    "Glass",
    "Hungry",
    "Lonely",
    "Mirror",
    "Neon",
    "Paper",
    "Rising",
    "Savage",
]
_NOUN = [
    "Harbor",
    "Signal",
    "Kingdom",
    "Orchard",
    "River",
    "Empire",
    "Garden",
    "Machine",
    "Station",
    "Frontier",
    "Lantern",
    "Horizon",
    "Archive",
    "Bridge",
    "Canyon",
    "Circuit",
    "Compass",
    "Covenant",
    "Desert",
    "Echo",
    "Engine",
    "Fortress",
    "Gallery",
    "Island",
    "Jungle",
    "Labyrinth",
    "Meadow",
    "Monument",
    "Mountain",
    "Ocean",
    "Palace",
    "Prairie",
    "Prophecy",
    "Refuge",
    "Saint",
    "Shadow",
    "Summit",
    "Temple",
    "Thunder",
    "Tower",
    "Valley",
    "Voyage",
    "Warden",
    "Whisper",
    "Wolf",
    "Zenith",
    "Anthem",
    "Beacon",
    "Cipher",
    "Dune",
]


def _title(i: int) -> str:
    combos = len(_ADJ) * len(_NOUN)
    base = f"The {_ADJ[i % len(_ADJ)]} {_NOUN[(i // len(_ADJ)) % len(_NOUN)]}"
    return base if i < combos else f"{base} {i // combos + 1}"


IdValue = str | int | None
Ids = Mapping[str, object]  # ids as clients send them: ints or strings, any keys


class Catalogue:
    """All titles plus id indexes. ``movies``/``shows`` keep a stable order."""

    def __init__(self) -> None:
        self.movies: list[Movie] = []
        self.shows: list[Show] = []
        self.seasons: list[Season] = []
        self.episodes: list[Episode] = []
        self.index: dict[tuple[Kind, str, str], Media] = {}
        self.by_plex_hex: dict[str, Item] = {}

    # -- building -------------------------------------------------------------------------
    def add_movie(self, movie: Movie) -> Movie:
        n = len(self.movies)
        movie.slug = slugify(movie.title, movie.year)
        movie.released = movie.released or (
            f"{movie.year}-0{1 + n % 9}-1{n % 10}" if movie.year else None
        )
        self.movies.append(movie)
        self._add_title(movie, _hex("5d7768", n + 1))
        return movie

    def add_show(self, show: Show, seasons: dict[int, int], first_aired: float) -> Show:
        show.slug = slugify(show.title)
        self.shows.append(show)
        self._add_title(show, _hex("5d9c08", len(self.shows)), mal=show.mal, anidb=show.anidb)
        aired = first_aired
        for season, count in seasons.items():
            s = len(self.seasons) + 1
            record = Season(show, season, 3_000_000 + s, 6_000_000 + s, 7_000_000 + s)
            show.season_items[season] = record
            self.seasons.append(record)
            self._index(record, trakt=record.trakt, tvdb=record.tvdb, tmdb=record.tmdb)
            eps = show.seasons.setdefault(season, [])
            for number in range(1, count + 1):
                k = len(self.episodes) + 1
                ep = Episode(
                    show=show,
                    season=season,
                    number=number,
                    title=f"Chapter {number}" if season else f"Special {number}",
                    trakt=1_000_000 + k,
                    imdb=None if k % 4 == 0 else f"tt{3_000_000 + k}",
                    tmdb=5_000_000 + k,
                    tvdb=4_000_000 + k,
                    first_aired=aired,
                    plex_hex=_hex("5e0e91", k),
                    runtime=show.runtime,
                )
                aired += 7 * DAY
                eps.append(ep)
                self.episodes.append(ep)
                self._index(ep, trakt=ep.trakt, imdb=ep.imdb, tmdb=ep.tmdb, tvdb=ep.tvdb)
                self.by_plex_hex[ep.plex_hex] = ep
        return show

    def _add_title(self, title: Movie | Show, plex_hex: str, **extra_ids: IdValue) -> None:
        """Index a movie or show by its ids and its discover key (``plex_hex`` unless set)."""
        title.plex_hex = title.plex_hex or plex_hex
        self._index(
            title,
            trakt=title.trakt,
            simkl=title.simkl,
            imdb=title.imdb,
            tmdb=title.tmdb,
            tvdb=title.tvdb,
            slug=title.slug,
            **extra_ids,
        )
        self.by_plex_hex[title.plex_hex] = title

    def _index(self, item: Media, **ids: IdValue) -> None:
        for key, value in ids.items():
            if value is not None:
                self.index[(item.kind, key, str(value))] = item

    # -- lookups --------------------------------------------------------------------------
    def find(self, kind: Kind, ids: Ids, order: tuple[str, ...] = ()) -> Media | None:
        """First item of ``kind`` matching any of ``ids`` (in ``order``, then the rest)."""
        keys = list(order) + [k for k in ids if k not in order]
        for key in keys:
            value = ids.get(key)
            if value is None or value == "":
                continue
            item = self.index.get((kind, key, str(value)))
            if item is not None:
                return item
        return None

    def find_as[M: Media](self, cls: type[M], ids: Ids, order: tuple[str, ...] = ()) -> M | None:
        """``find`` for one class, typed as that class."""
        item = self.find(KIND_OF[cls], ids, order)
        return item if isinstance(item, cls) else None

    def episode(self, show: Show, season: int, number: int) -> Episode | None:
        for ep in show.seasons.get(season, ()):
            if ep.number == number:
                return ep
        return None


def _fixtures(cat: Catalogue) -> None:
    start = EPOCH_START
    add = cat.add_movie
    add(Movie("Inception", 2010, 16662, 472214, "tt1375666", 27205, 166, 148, "2010-07-15"))
    add(
        Movie(
            "Fight Club", 1999, 432, 53536, "tt0137523", 550, None, 139, "1999-10-15", legacy="imdb"
        )
    )
    add(
        Movie(
            "Amélie",
            2001,
            154,
            53992,
            "tt0211915",
            194,
            None,
            122,
            "2001-04-25",
            legacy="themoviedb",
        )
    )
    add(Movie("千と千尋の神隠し", 2001, 251, 54153, "tt0245429", 129, None, 125, "2001-07-20"))
    add(
        Movie("Untitled Home Video", None, None, None, None, None, None, 12, None, plex_guids=False)
    )
    add(Movie("Year Unknown", None, 9_000_001, 9_500_001, "tt9000001", 9_000_001, None, 95))
    add(
        Movie(
            "Breaking Point", 1993, 9_000_002, 9_500_002, "tt0106466", 1396, None, 100, "1993-05-01"
        )
    )
    cat.add_show(
        Show("Breaking Bad", 2008, 1388, 11121, "tt0903747", 1396, 81189, "2008-01-20"),
        {0: 1, 1: 3, 2: 3},
        start - 3000 * DAY,
    )
    cat.add_show(
        Show(
            "Parks and Recreation",
            2009,
            8592,
            11985,
            "tt1266020",
            8592,
            84912,
            "2009-04-09",
            legacy="thetvdb",
            runtime=22,
        ),
        {1: 3},
        start - 2500 * DAY,
    )
    # Still airing: weekly episodes from two weeks ago, so the calendar has upcoming ones.
    cat.add_show(
        Show(
            "Odd Anthology",
            2026,
            9_100_001,
            9_600_001,
            None,
            9_100_001,
            9_100_001,
            "2026-10-18",
            status="returning series",
            plex_guids=False,
        ),
        {1: 6},
        start - 14 * DAY,
    )
    cat.add_show(
        Show(
            "Hunter x Hunter",
            2011,
            46298,
            40398,
            "tt2098220",
            46298,
            252322,
            "2011-10-02",
            mal=11061,
            anime=True,
            runtime=24,
        ),
        {1: 3},
        start - 5000 * DAY,
    )


def build_catalogue(counts: dict[str, int]) -> Catalogue:
    cat = Catalogue()
    _fixtures(cat)
    for i in range(counts["movies"]):
        year = 1950 + (i * 7) % 75
        cat.add_movie(
            Movie(
                _title(i),
                year,
                100_000 + i,
                500_000 + i,
                f"tt{1_000_000 + i:07d}",
                200_000 + i,
                None,
                80 + i % 70,
                legacy="imdb" if i % 10 == 3 else None,
            )
        )
    seasons = dict.fromkeys(range(1, counts["seasons"] + 1), counts["episodes"])
    for j in range(counts["shows"]):
        year = 1990 + j % 35
        airing = j % 5 == 0
        total = counts["seasons"] * counts["episodes"]
        first = EPOCH_START - (total - 3) * 7 * DAY if airing else EPOCH_START - (4000 + j) * DAY
        title = _title(j + 7).replace("The ", "", 1)
        cat.add_show(
            Show(
                title,
                year,
                10_000 + j,
                800_000 + j,
                f"tt{2_000_000 + j:07d}",
                60_000 + j,
                70_000 + j,
                f"{year}-09-0{1 + j % 9}",
                status="returning series" if airing else "ended",
                legacy="thetvdb" if j % 7 == 3 else None,
            ),
            seasons,
            first,
        )
    _late_fixtures(cat)
    return cat


# Firefly in DVD order (as Plex's default agent files it) against the aired order Trakt uses:
# Plex's S1E1 "Serenity" aired last (PlexTraktSync PR #993 / issue #1111, trakt-api #351).
FIREFLY_AIRED = ("The Train Job", "Bushwhacked", "Serenity")
FIREFLY_DVD = ("Serenity", "The Train Job", "Bushwhacked")


def _late_fixtures(cat: Catalogue) -> None:
    """Odd cases added after the generated titles, so earlier ids and keys stay as they were.

    They are left out of the seeded plays, ratings and watchlists; tests use them directly.
    """
    cat.add_movie(
        Movie(
            "Violet Evergarden the Movie",
            2020,
            9_000_101,
            799363,
            "tt8652818",
            533514,
            None,
            140,
            "2020-09-18",
            anime=True,
            in_seed=False,
        )
    )
    firefly = cat.add_show(
        Show(
            "Firefly",
            2002,
            2083,
            9_600_101,
            "tt0303461",
            1437,
            78874,
            "2002-09-20",
            in_seed=False,
        ),
        {1: len(FIREFLY_AIRED)},
        EPOCH_START - 8000 * DAY,
    )
    for episode in firefly.seasons[1]:
        episode.title = FIREFLY_AIRED[episode.number - 1]
        episode.plex_number = FIREFLY_DVD.index(episode.title) + 1
    # An anime SIMKL knows only by its own and the anime databases' ids (the "Ajin 2" row of
    # SIMKL's all-items example, tests/fixtures/real/simkl/all_items.json): no service but SIMKL
    # can be told about it.
    cat.add_show(
        Show(
            "Ajin 2",
            2016,
            None,
            581835,
            None,
            None,
            None,
            "2016-10-08",
            mal=33253,
            anidb=12111,
            anime=True,
            runtime=24,
            plex_guids=False,
            in_seed=False,
        ),
        {1: 2},
        EPOCH_START - 3600 * DAY,
    )


def resolve_counts(seed: str | dict[str, int]) -> dict[str, int]:
    """``tiny``/``small``/``large`` or explicit counts (missing keys default to ``tiny``)."""
    if isinstance(seed, str):
        if seed in SEEDS:
            return dict(SEEDS[seed])
        # "movies=10,shows=2": explicit counts on the command line
        parsed = dict(part.split("=", 1) for part in seed.split(",") if "=" in part)
        if not parsed:
            msg = f"unknown seed {seed!r}"
            raise ValueError(msg)
        seed = {k.strip(): int(v) for k, v in parsed.items()}
    unknown = set(seed) - set(SEEDS["tiny"])
    if unknown:
        msg = f"unknown seed counts {sorted(unknown)}"
        raise ValueError(msg)
    return {**SEEDS["tiny"], **{k: int(v) for k, v in seed.items()}}
