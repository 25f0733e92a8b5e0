"""TMDb client against the simulator."""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

import pytest

from custom_components.crosswatch.api.errors import (
    AuthError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.api.http import RetryPolicy
from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.providers.tmdb.client import (
    CACHE_TTL,
    MemoryTmdbCache,
    TmdbClient,
    is_bearer_token,
)
from simulator.testing import TMDB_V3_KEY, TMDB_V4_TOKEN, Simulator

if TYPE_CHECKING:
    import aiohttp


def client(
    sim: Simulator,
    session: aiohttp.ClientSession,
    credential: str = TMDB_V4_TOKEN,
    **kwargs: object,
) -> TmdbClient:
    return TmdbClient(
        session,
        base_url=sim.url("tmdb"),
        credential=credential,
        clock=sim.clock,
        policy=RetryPolicy(attempts=2, timeout=0.5),
        **kwargs,
    )  # type: ignore[arg-type]


def test_credential_detection() -> None:
    assert is_bearer_token(TMDB_V4_TOKEN)
    assert is_bearer_token("abc.def")
    assert not is_bearer_token(TMDB_V3_KEY)


@pytest.mark.parametrize("credential", [TMDB_V3_KEY, TMDB_V4_TOKEN])
async def test_both_credentials_are_sent_their_way(sim, session, credential) -> None:
    tmdb = client(sim, session, credential)
    await tmdb.validate()
    seen = (await sim.requests("tmdb"))[-1]
    if credential == TMDB_V3_KEY:
        assert seen["query"]["api_key"] == TMDB_V3_KEY
        assert "Authorization" not in seen["headers"]
    else:
        assert "api_key" not in seen["query"]
        assert seen["headers"]["Authorization"] == f"Bearer {TMDB_V4_TOKEN}"
    assert seen["headers"]["User-Agent"]


async def test_movie_and_show_details_with_external_ids(sim, session) -> None:
    tmdb = client(sim, session)
    movie = await tmdb.movie(27205)
    assert movie.item.kind is MediaKind.MOVIE
    assert movie.item.ids == {"tmdb": "27205", "imdb": "tt1375666"}
    assert (movie.item.title, movie.item.year) == ("Inception", 2010)
    assert movie.poster_path
    show = await tmdb.details(MediaKind.SHOW, 1396)
    assert show.item.ids == {"tmdb": "1396", "imdb": "tt0903747", "tvdb": "81189"}
    assert (show.item.title, show.item.year) == ("Breaking Bad", 2008)
    same_id_movie = await tmdb.details(MediaKind.MOVIE, 1396)
    assert same_id_movie.item.title == "Breaking Point"
    with pytest.raises(ValueError, match="movies and shows"):
        await tmdb.details(MediaKind.EPISODE, 1)
    with pytest.raises(NotFoundError):
        await tmdb.movie(999_999_999)


async def test_find_by_external_ids(sim, session) -> None:
    tmdb = client(sim, session)
    found = await tmdb.find("imdb", "tt1375666")
    assert [t.item.ids["tmdb"] for t in found.movies] == ["27205"]
    shows = await tmdb.find("tvdb", "81189")
    assert [t.item.title for t in shows.shows] == ["Breaking Bad"]
    episode = sim.item("Breaking Bad", 1, 2)
    eps = await tmdb.find("tvdb", str(episode.tvdb))
    assert len(eps.episodes) == 1
    ep = eps.episodes[0].item
    assert (ep.kind, ep.show_ids, ep.season, ep.number) == (
        MediaKind.EPISODE,
        {"tmdb": "1396"},
        1,
        2,
    )
    assert (await tmdb.find("imdb", "tt0000000")).movies == []
    with pytest.raises(ValueError, match="cannot find by 'trakt'"):
        await tmdb.find("trakt", "1")


async def test_search(sim, session) -> None:
    tmdb = client(sim, session)
    movies = await tmdb.search_movie("inception", 2010)
    assert [m.item.ids["tmdb"] for m in movies] == ["27205"]
    assert await tmdb.search_movie("inception", 1999) == []
    shows = await tmdb.search_show("Breaking", 2008)
    assert [s.item.title for s in shows] == ["Breaking Bad"]
    assert len(await tmdb.search_show("breaking")) == 1


async def test_configuration_and_image_urls(sim, session) -> None:
    tmdb = client(sim, session)
    assert tmdb.image_url("/a.jpg") == "https://image.tmdb.org/t/p/w500/a.jpg"
    assert tmdb.image_url(None) is None
    config = await tmdb.configuration()
    assert "w500" in config["images"]["poster_sizes"]
    assert tmdb.image_url("/p.jpg", "original") == "https://image.tmdb.org/t/p/original/p.jpg"


async def test_image_host_override_wins_over_configuration(sim, session) -> None:
    mirror = f"{sim.url('tmdb-image')}/t/p"
    tmdb = client(sim, session, image_base_url=mirror)
    await tmdb.configuration()  # names image.tmdb.org, which the override replaces
    url = tmdb.image_url("/a.jpg", "w342")
    assert url == f"{mirror}/w342/a.jpg"


async def test_cache_avoids_refetch_and_expires_per_kind(sim, session) -> None:
    cache = MemoryTmdbCache()
    tmdb = client(sim, session, cache=cache)
    await tmdb.configuration()
    await tmdb.movie(27205)
    await tmdb.search_movie("inception")
    await sim.clear_requests()
    await tmdb.configuration()
    await tmdb.movie(27205)
    await tmdb.search_movie("inception")
    assert await sim.requests("tmdb") == []
    sim.clock.advance(CACHE_TTL["search"] + 1)
    await tmdb.search_movie("inception")
    await tmdb.movie(27205)
    assert [r["route"] for r in await sim.requests("tmdb")] == ["GET /search/movie"]
    sim.clock.advance(CACHE_TTL["details"])
    await tmdb.movie(27205)
    await tmdb.configuration()
    assert [r["route"] for r in await sim.requests("tmdb")][1:] == ["GET /movie/{id}"]


async def test_cached_answers_leave_nothing_for_the_garbage_collector_to_walk(sim, session) -> None:
    cache = MemoryTmdbCache()
    tmdb = client(sim, session, cache=cache)
    fight_club = await tmdb.movie(550)
    found = await tmdb.search_movie("inception")
    gc.collect()
    assert len(cache.entries) == 2
    assert not [entry for entry in cache.entries.values() if gc.is_tracked(entry)]
    await sim.clear_requests()
    assert await tmdb.movie(550) == fight_club
    assert await tmdb.search_movie("inception") == found
    assert await sim.requests("tmdb") == []


async def test_cache_survives_a_restart_through_dict(sim, session) -> None:
    first = client(sim, session)
    await first.movie(550)
    assert isinstance(first.cache, MemoryTmdbCache)
    stored = first.cache.to_dict()
    await sim.clear_requests()
    second = client(sim, session, cache=MemoryTmdbCache.from_dict(stored))
    assert (await second.movie(550)).item.title == "Fight Club"
    assert await sim.requests("tmdb") == []


def test_cache_from_bad_data_and_eviction() -> None:
    assert MemoryTmdbCache.from_dict(None).entries == {}
    assert MemoryTmdbCache.from_dict({"version": 2}).entries == {}
    odd = MemoryTmdbCache.from_dict({"version": 1, "entries": {"a": [5, {"x": 1}], "b": "bad"}})
    assert odd.get("a", now=0) == {"x": 1}
    assert set(odd.entries) == {"a"}
    assert MemoryTmdbCache.from_dict({"version": 1, "entries": []}).entries == {}
    cache = MemoryTmdbCache(max_entries=2)
    cache.set("old", 1, now=0, ttl=10)
    cache.set("long", 2, now=0, ttl=100)
    cache.set("new", 3, now=5, ttl=50)
    assert set(cache.entries) == {"long", "new"}
    cache.set("later", 4, now=20, ttl=50)  # "new" still valid, evicts the soonest to expire
    assert set(cache.entries) == {"long", "later"}
    assert cache.live(now=60) == 2
    assert cache.live(now=70) == 1  # "later" expired at 70, not yet purged
    assert len(cache.entries) == 2
    assert cache.get("long", now=100) is None
    assert "long" not in cache.entries
    assert cache.get("missing", now=0) is None


async def test_bad_key_is_auth_error_without_the_key(sim, session, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    bad = "ffffffffffffffffffffffffffffffff"
    tmdb = client(sim, session, bad)
    with pytest.raises(AuthError) as info:
        await tmdb.validate()
    assert bad not in str(info.value)
    assert bad not in caplog.text


async def test_validate_always_asks_tmdb_never_the_cache(sim, session) -> None:
    tmdb = client(sim, session)
    await tmdb.validate()
    await tmdb.configuration()  # answered from the cache the check filled
    assert len(await sim.requests("tmdb", "GET /configuration")) == 1
    # The key is revoked later: a check must see it even with /configuration cached.
    await sim.fault("tmdb", "GET /configuration", status=401)
    with pytest.raises(AuthError):
        await tmdb.validate()
    assert len(await sim.requests("tmdb", "GET /configuration")) == 2
    await tmdb.configuration()  # other callers still use the cache
    assert len(await sim.requests("tmdb", "GET /configuration")) == 2


async def test_rate_limit_429_is_honoured(sim, session) -> None:
    await sim.fault("tmdb", "GET /movie/*", status=429, count=2, headers={"Retry-After": "2"})
    tmdb = client(sim, session)
    start = sim.clock.time()
    assert (await tmdb.movie(27205)).item.title == "Inception"
    assert sim.clock.time() - start == pytest.approx(4)
    assert tmdb.http.telemetry.route("tmdb", "GET /movie/{id}").rate_limited == 2
    await sim.fault("tmdb", "GET /movie/*", status=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimitedError):
        await tmdb.movie(550)


async def test_pacing_keeps_under_the_simulated_limit(sim, session) -> None:
    tmdb = client(sim, session)
    start = sim.clock.time()
    for n in range(100):
        tmdb.cache = MemoryTmdbCache()  # force real requests
        await tmdb.configuration()
        assert n >= 0
    statuses = {r["status"] for r in await sim.requests("tmdb")}
    assert statuses == {200}
    assert sim.clock.time() - start >= 1.5  # 100 requests at 40/s need over 1.5 s


@pytest.mark.parametrize(
    ("kind", "error"),
    [("html", InvalidResponseError), ("truncated", InvalidResponseError)],
)
async def test_bad_bodies(sim, session, kind, error) -> None:
    await sim.fault("tmdb", "GET /movie/*", kind=kind, count=1)
    tmdb = client(sim, session)
    with pytest.raises(error, match=r"GET /movie/\{id\}"):
        await tmdb.movie(27205)


async def test_5xx_then_unavailable(sim, session) -> None:
    await sim.fault("tmdb", "GET /tv/*", status=503)
    tmdb = client(sim, session)
    with pytest.raises(ServiceUnavailableError):
        await tmdb.show(1396)
