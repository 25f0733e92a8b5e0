from __future__ import annotations

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.side import PLEX_CAPABILITIES
from custom_components.crosswatch.providers.simkl.side import SIMKL_CAPABILITIES
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities

from .helpers import episode, movie, show


def test_simkl_rates_only_movies_and_shows() -> None:
    assert SIMKL_CAPABILITIES.refusal(Feature.RATINGS, movie(1)) is None
    assert SIMKL_CAPABILITIES.refusal(Feature.RATINGS, show(1)) is None
    assert SIMKL_CAPABILITIES.refusal(Feature.RATINGS, episode(1, 1, 1)) == "unsupported_kind"
    season = MediaItem(kind=MediaKind.SEASON, show_ids={"tmdb": "1"}, season=1)
    assert SIMKL_CAPABILITIES.refusal(Feature.RATINGS, season) == "unsupported_kind"
    assert SIMKL_CAPABILITIES.exact_play_times is False
    # A tracker of changes: a play missing from a read of SIMKL tells nothing.
    assert SIMKL_CAPABILITIES.observes_history_removals is False


def test_trakt_accepts_episodes_by_show_ids_and_carries_the_limit() -> None:
    trakt = trakt_capabilities(watchlist_limit=250)
    assert trakt.limits == {Feature.WATCHLIST: 250}
    assert trakt_capabilities().limits == {}
    assert trakt.refusal(Feature.HISTORY, episode(1, 1, 1)) is None
    assert trakt.refusal(Feature.WATCHLIST, movie(plex="abc")) == "no_usable_id"
    assert trakt.refusal(Feature.HISTORY, show(1)) == "unsupported_kind"
    assert trakt.exact_play_times is True
    assert trakt.observes_history_removals is True


def test_plex_takes_its_own_guid_and_external_ids() -> None:
    assert PLEX_CAPABILITIES.refusal(Feature.WATCHLIST, movie(plex="abc")) is None
    assert PLEX_CAPABILITIES.refusal(Feature.WATCHLIST, movie(trakt="5")) == "no_usable_id"
    assert PLEX_CAPABILITIES.refusal(Feature.WATCHLIST, episode(1, 1, 1)) == "unsupported_kind"
    assert PLEX_CAPABILITIES.observes_history_removals is True
