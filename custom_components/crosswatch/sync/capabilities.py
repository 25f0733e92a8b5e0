"""What each service can be written with, as the planner needs to know it.

Facts from the services' documented wire formats: which ids their write endpoints accept, which
kinds each list holds, and whether a posted play keeps its time and stays a separate play.
"""

from __future__ import annotations

from custom_components.crosswatch.api.models import Feature, MediaKind

from .planner import Capabilities

_MOVIE_SHOW = frozenset({MediaKind.MOVIE, MediaKind.SHOW})
_MOVIE_EPISODE = frozenset({MediaKind.MOVIE, MediaKind.EPISODE})
_ALL = frozenset(MediaKind)


def trakt_capabilities(watchlist_limit: int | None = None) -> Capabilities:
    """Describe Trakt: every kind on lists, plays keep ``watched_at``.

    ``watchlist_limit`` comes from ``/users/settings`` (``limits.watchlist.item_count``).
    """
    return Capabilities(
        id_types=frozenset({"trakt", "imdb", "tmdb", "tvdb"}),
        kinds={Feature.WATCHLIST: _ALL, Feature.HISTORY: _MOVIE_EPISODE, Feature.RATINGS: _ALL},
        limits={} if watchlist_limit is None else {Feature.WATCHLIST: watchlist_limit},
    )


# SIMKL keeps one last watch per title, not every play, and rates only movies and shows. It
# reports what changed, never what was removed from history, so a play it no longer shows stays.
SIMKL_CAPABILITIES = Capabilities(
    # SIMKL also resolves anime by MyAnimeList and AniDB ids (its docs' supported ID keys).
    id_types=frozenset({"simkl", "imdb", "tmdb", "tvdb", "mal", "anidb"}),
    kinds={
        Feature.WATCHLIST: _MOVIE_SHOW,
        Feature.HISTORY: _MOVIE_EPISODE,
        Feature.RATINGS: _MOVIE_SHOW,
    },
    exact_play_times=False,
    observes_history_removals=False,
)

# Plex: the Discover watchlist holds movies and shows (resolved by plex/tmdb/imdb/tvdb guid);
# marking watched stamps "now", so history is compared per title. Its activity markers are one row
# of the list itself: an empty answer moves them as well, so they cannot vouch for one.
PLEX_CAPABILITIES = Capabilities(
    id_types=frozenset({"plex", "tmdb", "imdb", "tvdb"}),
    kinds={
        Feature.WATCHLIST: _MOVIE_SHOW,
        Feature.HISTORY: _MOVIE_EPISODE,
        Feature.RATINGS: _ALL,
    },
    exact_play_times=False,
    marker_vouches_for_empty=False,
)
