"""TMDb client: details with external ids, find by external id, search, images; cached.

A v4 read token (a JWT, ``eyJ…``) goes in ``Authorization: Bearer``; a v3 key in ``?api_key=``.
Responses are cached per kind so a Home Assistant restart does not refetch posters: the HA
layer persists ``MemoryTmdbCache.to_dict()`` in a ``Store`` and hands ``from_dict`` back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from ...api.http import Json, RateLimiter, RetryPolicy, ServiceHttp, Telemetry
from ...api.ids import digits, normalize_ids
from ...api.models import MediaItem, MediaKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    import aiohttp

    from ...api.clock import Clock

DEFAULT_BASE_URL: Final = "https://api.themoviedb.org/3"
DEFAULT_IMAGE_BASE: Final = "https://image.tmdb.org/t/p/"
HOUR: Final = 3600.0
DAY: Final = 24 * HOUR
CACHE_TTL: Final[Mapping[str, float]] = {
    "search": HOUR,
    "find": DAY,
    "details": DAY,
    "season": DAY,
    "configuration": 7 * DAY,
    "person": 7 * DAY,
}
# Source names TMDb's /find accepts for our id types.
FIND_SOURCES: Final[Mapping[str, str]] = {"imdb": "imdb_id", "tvdb": "tvdb_id"}


def is_bearer_token(credential: str) -> bool:
    """Tell a v4 read token (a JWT) from a 32-hex v3 key."""
    return credential.startswith("eyJ") or "." in credential


class TmdbCache(Protocol):
    """Where the client keeps responses; entries expire after their kind's lifetime."""

    def get(self, key: str, now: float) -> Json:
        """Return the cached value, or ``None`` when missing or expired."""

    def set(self, key: str, value: Json, *, now: float, ttl: float) -> None:
        """Store ``value`` until ``now + ttl``."""

    def live(self, now: float) -> int:
        """How many entries are fresh at ``now``."""

    def clear(self) -> int:
        """Forget every entry; return how many there were."""


@dataclass
class MemoryTmdbCache:
    """An in-memory ``TmdbCache`` that serialises to plain JSON for a ``Store``.

    Each answer is kept as its JSON text and parsed again on a hit: thousands of parsed bodies
    (tens of dicts and lists each) would sit in Home Assistant's heap, and every full garbage
    collection walks them with the event loop held; a string is not walked.
    """

    max_entries: int = 5000
    entries: dict[str, tuple[float, str]] = field(default_factory=dict)

    def get(self, key: str, now: float) -> Json:
        """Return the cached value, or ``None`` when missing or expired."""
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry[0] <= now:
            del self.entries[key]
            return None
        return json.loads(entry[1])

    def set(self, key: str, value: Json, *, now: float, ttl: float) -> None:
        """Store ``value`` until ``now + ttl``; drop expired, then soonest-expiring, when full."""
        self.entries[key] = (now + ttl, json.dumps(value, separators=(",", ":")))
        if len(self.entries) > self.max_entries:
            self.purge(now)
        while len(self.entries) > self.max_entries:
            soonest = min(self.entries, key=lambda k: self.entries[k][0])
            del self.entries[soonest]

    def live(self, now: float) -> int:
        """How many answers are cached and not yet expired."""
        return sum(1 for expires, _ in self.entries.values() if expires > now)

    def clear(self) -> int:
        """Forget every entry; return how many there were."""
        count = len(self.entries)
        self.entries.clear()
        return count

    def purge(self, now: float) -> None:
        """Forget expired entries."""
        for key in [k for k, (expires, _) in self.entries.items() if expires <= now]:
            del self.entries[key]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready snapshot."""
        entries = {k: [exp, json.loads(text)] for k, (exp, text) in self.entries.items()}
        return {"version": 1, "entries": entries}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, max_entries: int = 5000) -> MemoryTmdbCache:
        """Rebuild from ``to_dict`` output; unreadable data gives an empty cache."""
        cache = cls(max_entries=max_entries)
        if not isinstance(data, dict) or data.get("version") != 1:
            return cache
        entries = data.get("entries")
        for key, entry in (entries if isinstance(entries, dict) else {}).items():
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int | float):  # noqa: PLR2004
                cache.entries[str(key)] = (float(entry[0]), json.dumps(entry[1]))
        return cache


@dataclass(frozen=True, slots=True, kw_only=True)
class TmdbTitle:
    """A movie, show or episode as TMDb describes it, with artwork paths."""

    item: MediaItem
    poster_path: str | None = None
    backdrop_path: str | None = None
    overview: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FindResult:
    """What ``/find`` matched, by kind."""

    movies: list[TmdbTitle] = field(default_factory=list)
    shows: list[TmdbTitle] = field(default_factory=list)
    episodes: list[TmdbTitle] = field(default_factory=list)


def _year(date: object) -> int | None:
    return digits(date[:4]) if isinstance(date, str) and len(date) >= 4 else None  # noqa: PLR2004


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _title(row: Mapping[str, Any], kind: MediaKind) -> TmdbTitle:
    external = row.get("external_ids")
    external = external if isinstance(external, dict) else {}
    ids = normalize_ids(
        {
            "tmdb": row.get("id"),
            "imdb": row.get("imdb_id") or external.get("imdb_id"),
            "tvdb": external.get("tvdb_id"),
        }
    )
    if kind is MediaKind.MOVIE:
        item = MediaItem(
            kind=kind, ids=ids, title=_text(row.get("title")), year=_year(row.get("release_date"))
        )
    elif kind is MediaKind.SHOW:
        item = MediaItem(
            kind=kind, ids=ids, title=_text(row.get("name")), year=_year(row.get("first_air_date"))
        )
    else:
        item = MediaItem(
            kind=kind,
            ids=ids,
            title=_text(row.get("name")),
            show_ids=normalize_ids({"tmdb": row.get("show_id")}),
            season=row.get("season_number") if isinstance(row.get("season_number"), int) else None,
            number=row.get("episode_number")
            if isinstance(row.get("episode_number"), int)
            else None,
        )
    return TmdbTitle(
        item=item,
        poster_path=_text(row.get("poster_path") or row.get("still_path")),
        backdrop_path=_text(row.get("backdrop_path")),
        overview=_text(row.get("overview")),
    )


def _rows(body: Json, key: str) -> list[dict[str, Any]]:
    rows = body.get(key) if isinstance(body, dict) else None
    return [r for r in rows if isinstance(r, dict) and r.get("id") is not None] if rows else []


class TmdbClient:
    """Read-only TMDb access with a response cache and ~40 requests per second pacing."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        credential: str,
        clock: Clock,
        cache: TmdbCache | None = None,
        telemetry: Telemetry | None = None,
        policy: RetryPolicy | None = None,
        language: str = "en-US",
        image_base_url: str | None = None,
    ) -> None:
        """Detect the credential kind and set up pacing and the cache.

        ``image_base_url`` replaces the image host ``/configuration`` names (an offline mirror).
        """
        self.bearer = is_bearer_token(credential)
        self._credential = credential
        self.clock = clock
        self.cache: TmdbCache = cache if cache is not None else MemoryTmdbCache()
        self.language = language
        self._image_base: str | None = image_base_url
        self._image_base_fixed = image_base_url is not None

        async def auth_headers() -> dict[str, str]:
            return {"Authorization": f"Bearer {credential}"} if self.bearer else {}

        self.http = ServiceHttp(
            session,
            service="tmdb",
            base_url=base_url,
            clock=clock,
            telemetry=telemetry,
            read_limiter=RateLimiter(40, 1.0, clock),
            policy=policy,
            auth_headers=auth_headers,
            params={} if self.bearer else {"api_key": credential},
            secrets=lambda: (self._credential,),
        )

    async def _cached(
        self,
        kind: str,
        path: str,
        route: str,
        params: Mapping[str, str] | None = None,
        *,
        fresh: bool = False,
    ) -> Json:
        """Answer from the cache unless ``fresh``; a fetched body refreshes the cache."""
        query = "&".join(f"{k}={v}" for k, v in sorted((params or {}).items()))
        key = f"{path}?{query}"
        now = self.clock.time()
        hit = None if fresh else self.cache.get(key, now)
        if hit is not None:
            return hit
        body = await self.http.get(path, route=route, params=params)
        if body is not None:
            self.cache.set(key, body, now=now, ttl=CACHE_TTL[kind])
        return body

    async def validate(self) -> None:
        """Raise ``AuthError`` when the credential is refused; always asks TMDb, never the cache."""
        await self.configuration(fresh=True)

    async def configuration(self, *, fresh: bool = False) -> dict[str, Any]:
        """Return ``/configuration`` (cached a week) and remember the image base URL."""
        body = await self._cached(
            "configuration", "/configuration", "GET /configuration", fresh=fresh
        )
        body = body if isinstance(body, dict) else {}
        images = body.get("images")
        base = images.get("secure_base_url") if isinstance(images, dict) else None
        if not self._image_base_fixed:
            self._image_base = base if isinstance(base, str) and base else DEFAULT_IMAGE_BASE
        return body

    def clear_cache(self) -> int:
        """Forget every cached answer (the ``clear_cache`` action); return how many."""
        return self.cache.clear()

    def cached_answers(self) -> int:
        """How many answers (posters, look-ups, configuration) are cached and fresh."""
        return self.cache.live(self.clock.time())

    def image_url(self, path: str | None, size: str = "w500") -> str | None:
        """Build a poster/backdrop URL from a ``file_path`` (``/abc.jpg``)."""
        if not path:
            return None
        base = (self._image_base or DEFAULT_IMAGE_BASE).rstrip("/")
        return f"{base}/{size}/{path.lstrip('/')}"

    async def movie(self, tmdb_id: int | str) -> TmdbTitle:
        """Return a movie's details with external ids; ``NotFoundError`` if unknown."""
        body = await self._cached(
            "details",
            f"/movie/{tmdb_id}",
            "GET /movie/{id}",
            {"append_to_response": "external_ids", "language": self.language},
        )
        return _title(body if isinstance(body, dict) else {}, MediaKind.MOVIE)

    async def show(self, tmdb_id: int | str) -> TmdbTitle:
        """Return a TV show's details with external ids; ``NotFoundError`` if unknown."""
        body = await self._cached(
            "details",
            f"/tv/{tmdb_id}",
            "GET /tv/{id}",
            {"append_to_response": "external_ids", "language": self.language},
        )
        return _title(body if isinstance(body, dict) else {}, MediaKind.SHOW)

    async def details(self, kind: MediaKind, tmdb_id: int | str) -> TmdbTitle:
        """Return a movie's or show's details (tmdb ids are only unique per kind)."""
        if kind is MediaKind.MOVIE:
            return await self.movie(tmdb_id)
        if kind is MediaKind.SHOW:
            return await self.show(tmdb_id)
        msg = f"TMDb details are looked up for movies and shows, not {kind}"
        raise ValueError(msg)

    async def find(self, id_type: str, value: str) -> FindResult:
        """Find titles by an ``imdb`` or ``tvdb`` id."""
        source = FIND_SOURCES.get(id_type)
        if source is None:
            msg = f"TMDb cannot find by {id_type!r}; use one of {sorted(FIND_SOURCES)}"
            raise ValueError(msg)
        body = await self._cached(
            "find", f"/find/{value}", "GET /find/{id}", {"external_source": source}
        )
        return FindResult(
            movies=[_title(r, MediaKind.MOVIE) for r in _rows(body, "movie_results")],
            shows=[_title(r, MediaKind.SHOW) for r in _rows(body, "tv_results")],
            episodes=[_title(r, MediaKind.EPISODE) for r in _rows(body, "tv_episode_results")],
        )

    async def search_movie(self, query: str, year: int | None = None) -> list[TmdbTitle]:
        """Search movies by title (and release year)."""
        params = {"query": query, "language": self.language}
        if year is not None:
            params["year"] = str(year)
        body = await self._cached("search", "/search/movie", "GET /search/movie", params)
        return [_title(r, MediaKind.MOVIE) for r in _rows(body, "results")]

    async def search_title(
        self, kind: MediaKind, title: str, year: int | None = None
    ) -> list[MediaItem]:
        """Movies (or, for any other kind, shows) found for ``title``: a ``TitleSearch``."""
        search = self.search_movie if kind is MediaKind.MOVIE else self.search_show
        return [found.item for found in await search(title, year)]

    async def search_show(self, query: str, year: int | None = None) -> list[TmdbTitle]:
        """Search TV shows by name (and first-air year)."""
        params = {"query": query, "language": self.language}
        if year is not None:
            params["first_air_date_year"] = str(year)
        body = await self._cached("search", "/search/tv", "GET /search/tv", params)
        return [_title(r, MediaKind.SHOW) for r in _rows(body, "results")]
