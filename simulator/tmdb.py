"""TMDb v3 (``/tmdb`` = ``https://api.themoviedb.org/3``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import credentials as cred
from .catalogue import Catalogue, Episode, Movie, Season, Show
from .clock import iso_s
from .core import Abort, abort_json, bearer, int_param, reply, state_of

PREFIX = "/tmdb"
LIMIT_PER_SECOND = 40
PAGE_SIZE = 20

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence


def _error(status: int, code: int, message: str) -> Abort:
    return abort_json({"success": False, "status_code": code, "status_message": message}, status)


NOT_FOUND = (404, 34, "The resource you requested could not be found.")


class TmdbState:
    def __init__(self, cat: Catalogue) -> None:
        self.cat = cat
        self.revoked: set[str] = set()
        self.windows: dict[str, tuple[float, int]] = {}


def check(request: web.Request) -> None:
    """``api_key`` or Bearer read token, then ~40 requests per second per key."""
    state = state_of(request)
    key = request.query.get("api_key") or bearer(request) or ""
    if key not in (cred.TMDB_V3_KEY, cred.TMDB_V4_TOKEN) or key in state.tmdb.revoked:
        raise _error(401, 7, "Invalid API key: You must be granted a valid key.")
    if not state.rate_limits:
        return
    now = state.now()
    start, count = state.tmdb.windows.get(key, (now, 0))
    if now >= start + 1:
        start, count = now, 0
    if count >= LIMIT_PER_SECOND:
        retry = str(max(1, math.ceil(start + 1 - now)))
        raise abort_json(
            {
                "success": False,
                "status_code": 25,
                "status_message": "Your request count (#) is over the allowed limit of (40).",
            },
            429,
            {"Retry-After": retry},
        )
    state.tmdb.windows[key] = (start, count + 1)


def _poster(kind: str, n: int | None) -> str:
    return f"/sim{kind}{n}p.jpg"


def _movie_ids(m: Movie) -> dict[str, Any]:
    return {
        "imdb_id": m.imdb,
        "wikidata_id": None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def _show_ids(s: Show) -> dict[str, Any]:
    return {
        "imdb_id": s.imdb,
        "freebase_mid": None,
        "freebase_id": None,
        "tvdb_id": s.tvdb,
        "tvrage_id": None,
        "wikidata_id": None,
        "facebook_id": None,
        "instagram_id": None,
        "twitter_id": None,
    }


def movie_brief(m: Movie) -> dict[str, Any]:
    return {
        "adult": False,
        "id": m.tmdb,
        "title": m.title,
        "original_title": m.title,
        "release_date": m.released or "",
        "poster_path": _poster("m", m.tmdb),
        "backdrop_path": _poster("mb", m.tmdb),
        "overview": f"About {m.title}.",
        "media_type": "movie",
        "original_language": "en",
        "genre_ids": [18],
        "popularity": 10.0,
        "vote_average": 7.1,
        "vote_count": 1000,
        "video": False,
    }


def show_brief(s: Show) -> dict[str, Any]:
    return {
        "adult": False,
        "id": s.tmdb,
        "name": s.title,
        "original_name": s.title,
        "first_air_date": s.first_aired or "",
        "poster_path": _poster("t", s.tmdb),
        "backdrop_path": _poster("tb", s.tmdb),
        "overview": f"About {s.title}.",
        "media_type": "tv",
        "origin_country": ["US"],
        "original_language": "en",
        "genre_ids": [18],
        "popularity": 10.0,
        "vote_average": 8.0,
        "vote_count": 500,
    }


def season_brief(season: Season) -> dict[str, Any]:
    episodes = season.episodes
    return {
        "id": season.tmdb,
        "name": f"Season {season.number}" if season.number else "Specials",
        "overview": "",
        "media_type": "tv_season",
        "air_date": iso_s(episodes[0].first_aired)[:10] if episodes else None,
        "episode_count": len(episodes),
        "poster_path": None,
        "season_number": season.number,
        "show_id": season.show.tmdb,
        "vote_average": 0.0,
    }


def episode_brief(e: Episode) -> dict[str, Any]:
    return {
        "id": e.tmdb,
        "name": e.title,
        "overview": "",
        "media_type": "tv_episode",
        "air_date": iso_s(e.first_aired)[:10],
        "episode_number": e.number,
        "season_number": e.season,
        "show_id": e.show.tmdb,
        "still_path": None,
        "vote_average": 7.5,
        "vote_count": 10,
    }


def _append(request: web.Request) -> set[str]:
    return set(request.query.get("append_to_response", "").split(","))


async def configuration(request: web.Request) -> web.Response:
    check(request)
    return reply(
        {
            "images": {
                "base_url": "http://image.tmdb.org/t/p/",
                "secure_base_url": "https://image.tmdb.org/t/p/",
                "backdrop_sizes": ["w300", "w780", "w1280", "original"],
                "logo_sizes": ["w45", "w92", "w154", "w185", "w300", "w500", "original"],
                "poster_sizes": ["w92", "w154", "w185", "w342", "w500", "w780", "original"],
                "profile_sizes": ["w45", "w185", "h632", "original"],
                "still_sizes": ["w92", "w185", "w300", "original"],
            },
            "change_keys": [
                "adult",
                "air_date",
                "also_known_as",
                "alternative_titles",
                "biography",
            ],
        }
    )


def _lookup[T: (Movie, Show)](request: web.Request, cls: type[T]) -> T:
    """The movie or show ``{id}`` names (a tmdb id is only unique within its type)."""
    check(request)
    raw = request.match_info["id"]
    item = state_of(request).catalogue.find_as(cls, {"tmdb": raw}) if raw.isdigit() else None
    if item is None:
        raise _error(*NOT_FOUND)
    return item


async def movie(request: web.Request) -> web.Response:
    m = _lookup(request, Movie)
    out = movie_brief(m)
    del out["media_type"], out["genre_ids"]
    out |= {
        "imdb_id": m.imdb,
        "runtime": m.runtime,
        "status": "Released",
        "genres": [{"id": 18, "name": "Drama"}],
        "tagline": "",
    }
    if "external_ids" in _append(request):
        out["external_ids"] = _movie_ids(m)
    return reply(out)


async def tv(request: web.Request) -> web.Response:
    s = _lookup(request, Show)
    out = show_brief(s)
    del out["media_type"], out["genre_ids"]
    out |= {
        "number_of_seasons": len([n for n in s.seasons if n > 0]),
        "number_of_episodes": len([e for e in s.episodes if e.season > 0]),
        "status": "Returning Series" if s.status != "ended" else "Ended",
        "genres": [{"id": 18, "name": "Drama"}],
        "seasons": [
            {
                "season_number": n,
                "episode_count": len(eps),
                "name": f"Season {n}" if n else "Specials",
            }
            for n, eps in sorted(s.seasons.items())
        ],
    }
    if "external_ids" in _append(request):
        out["external_ids"] = _show_ids(s)
    return reply(out)


async def movie_external_ids(request: web.Request) -> web.Response:
    m = _lookup(request, Movie)
    return reply({"id": m.tmdb, **_movie_ids(m)})


async def tv_external_ids(request: web.Request) -> web.Response:
    s = _lookup(request, Show)
    return reply({"id": s.tmdb, **_show_ids(s)})


async def find(request: web.Request) -> web.Response:
    check(request)
    source = request.query.get("external_source", "")
    key = {"imdb_id": "imdb", "tvdb_id": "tvdb"}.get(source)
    known = ("facebook_id", "instagram_id", "tvrage_id", "twitter_id", "wikidata_id", "tiktok_id")
    if key is None and source not in known:
        raise _error(400, 5, "Invalid parameters: Your request parameters are incorrect.")
    cat = state_of(request).catalogue
    value = request.match_info["id"]
    out: dict[str, list[Any]] = {
        "movie_results": [],
        "person_results": [],
        "tv_results": [],
        "tv_episode_results": [],
        "tv_season_results": [],
    }
    if key is not None:
        m = cat.find_as(Movie, {key: value}) if key == "imdb" else None  # tvdb: never movies
        if m is not None and m.tmdb is not None:
            out["movie_results"].append(movie_brief(m))
        s = cat.find_as(Show, {key: value})
        if s is not None and s.tmdb is not None:
            out["tv_results"].append(show_brief(s))
        season = cat.find_as(Season, {key: value})
        if season is not None and season.show.tmdb is not None:
            out["tv_season_results"].append(season_brief(season))
        e = cat.find_as(Episode, {key: value})
        if e is not None:
            out["tv_episode_results"].append(episode_brief(e))
    return reply(out)


def _page(request: web.Request, rows: Sequence[dict[str, Any]]) -> web.Response:
    page = int_param(request, "page", 1, low=1)
    start = (page - 1) * PAGE_SIZE
    return reply(
        {
            "page": page,
            "results": list(rows[start : start + PAGE_SIZE]),
            "total_pages": math.ceil(len(rows) / PAGE_SIZE),
            "total_results": len(rows),
        }
    )


def _search[T: (Movie, Show)](
    request: web.Request,
    titles: Sequence[T],
    brief: Callable[[T], dict[str, Any]],
    year_params: tuple[str, str],
) -> web.Response:
    """Titles containing ``query`` (any case), of the year in the first given year parameter."""
    check(request)
    query = request.query.get("query", "").casefold().strip()
    year = request.query.get(year_params[0]) or request.query.get(year_params[1])
    rows = [
        brief(t)
        for t in titles
        if query
        and t.tmdb is not None
        and query in t.title.casefold()
        and (not year or str(t.year) == year)
    ]
    for row in rows:
        del row["media_type"]  # search results of one type do not say it
    return _page(request, rows)


async def search_movie(request: web.Request) -> web.Response:
    movies = state_of(request).catalogue.movies
    return _search(request, movies, movie_brief, ("year", "primary_release_year"))


async def search_tv(request: web.Request) -> web.Response:
    shows = state_of(request).catalogue.shows
    return _search(request, shows, show_brief, ("first_air_date_year", "year"))


async def not_found(request: web.Request) -> web.Response:
    check(request)
    raise _error(*NOT_FOUND)


def setup(app: web.Application) -> None:
    r, p = app.router, PREFIX
    r.add_get(f"{p}/configuration", configuration)
    r.add_get(f"{p}/movie/{{id}}", movie)
    r.add_get(f"{p}/movie/{{id}}/external_ids", movie_external_ids)
    r.add_get(f"{p}/tv/{{id}}", tv)
    r.add_get(f"{p}/tv/{{id}}/external_ids", tv_external_ids)
    r.add_get(f"{p}/find/{{id}}", find)
    r.add_get(f"{p}/search/movie", search_movie)
    r.add_get(f"{p}/search/tv", search_tv)
    r.add_route("*", f"{p}/{{tail:.*}}", not_found)
