"""Which plays, watchlist entries and ratings each service starts with (deterministic).

Plex holds the full history; Trakt and SIMKL hold overlapping subsets, so a first sync has work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .catalogue import DAY, Catalogue, Episode, Movie, Show
from .clock import EPOCH_START


@dataclass
class SeedPlan:
    plex_plays: list[tuple[Movie | Episode, float]] = field(default_factory=list)
    friend_plays: list[tuple[Movie | Episode, float]] = field(default_factory=list)
    trakt_plays: list[tuple[Movie | Episode, float]] = field(default_factory=list)
    simkl_plays: list[tuple[Movie | Episode, float]] = field(default_factory=list)
    plex_watchlist: list[tuple[Movie | Show, float]] = field(default_factory=list)
    trakt_watchlist: list[tuple[Movie | Show, float]] = field(default_factory=list)
    simkl_watchlist: list[tuple[Movie | Show, float]] = field(default_factory=list)
    plex_ratings: list[tuple[Movie | Show | Episode, int, float]] = field(default_factory=list)
    trakt_ratings: list[tuple[Movie | Show | Episode, int, float]] = field(default_factory=list)
    simkl_ratings: list[tuple[Movie | Show, int, float]] = field(default_factory=list)


def make_plan(cat: Catalogue, counts: dict[str, int]) -> SeedPlan:
    plan = SeedPlan()
    now = EPOCH_START
    aired = [
        ep
        for ep in cat.episodes
        if ep.first_aired < now - DAY and ep.season > 0 and ep.show.in_seed
    ]
    # Newest first, ~40 minutes apart; cycles through episodes when plays > episodes.
    plays: list[tuple[Movie | Episode, float]] = [
        (aired[i % len(aired)], now - 3600 - i * 2400)
        for i in range(counts["episode_plays"] if aired else 0)
    ]
    movies = [m for m in cat.movies if m.in_seed]
    shows = [s for s in cat.shows if s.in_seed]
    plays.extend(
        (movies[i % len(movies)], now - 5400 - i * 7200) for i in range(counts["movie_plays"])
    )
    plays.sort(key=lambda p: -p[1])
    plan.plex_plays = plays
    plan.friend_plays = plays[1::7][:50]
    plan.trakt_plays = [p for i, p in enumerate(plays) if i % 2 == 0 and p[0].trakt is not None]
    plan.simkl_plays = [p for i, p in enumerate(plays) if i % 3 == 0 and p[0].trakt is not None]

    # Watchlist candidates: unwatched titles from the end of the catalogue, movies and shows mixed.
    watched = {id(p[0]) for p in plays}
    movie_pool = [m for m in reversed(movies) if id(m) not in watched and m.plex_guids]
    show_pool = list(reversed(shows))
    pool: list[Movie | Show] = []
    while (movie_pool or show_pool) and len(pool) < counts["watchlist"]:
        if movie_pool:
            pool.append(movie_pool.pop(0))
        # Every third entry is a show; once the movies run out, only shows are left to take.
        if show_pool and len(pool) < counts["watchlist"] and (len(pool) % 3 == 2 or not movie_pool):
            pool.append(show_pool.pop(0))
    entries = [(item, now - 1800 - i * 3 * 3600) for i, item in enumerate(pool)]
    plan.plex_watchlist = entries
    plan.trakt_watchlist = [e for i, e in enumerate(entries) if i % 2 == 0]
    plan.simkl_watchlist = [e for i, e in enumerate(entries) if i % 3 != 1]

    for i, movie in enumerate(movies):
        if i % 5 == 0 and movie.trakt is not None:
            rating = 1 + (i * 3) % 10
            plan.plex_ratings.append((movie, rating, now - 7200 - i * 600))
            if i % 10 == 0:
                plan.trakt_ratings.append((movie, rating, now - 7200 - i * 600))
            if i % 15 == 0:
                plan.simkl_ratings.append((movie, rating, now - 7200 - i * 600))
    for i, show in enumerate(shows[:: max(1, len(shows) // 5)]):
        plan.plex_ratings.append((show, 8 + i % 3, now - 9000 - i * 600))
        plan.trakt_ratings.append((show, 8 + i % 3, now - 9000 - i * 600))
    return plan
