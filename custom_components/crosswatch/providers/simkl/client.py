"""SIMKL: PIN login, activities-first incremental reads, list/history/rating writes, scrobble.

Every request carries ``client_id``, ``app-name`` and ``app-version`` and a User-Agent. SIMKL
suspends apps that poll the full library, so ``all_items`` is meant to be called with the
``date_from`` watermark after ``activities()`` showed a change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from ...api.errors import InvalidResponseError
from ...api.http import Json, RateLimiter, RetryPolicy, ServiceHttp, Telemetry
from ...api.ids import normalize_ids
from ...api.json_rows import RowConvert
from ...api.models import (
    ItemRow,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    ScrobbleResult,
    WatchlistEntry,
    WriteResult,
    pack_item,
    unpack_item,
)
from ...api.wire import (
    as_list,
    iso_s,
    parse_time,
    post_scrobble,
    rating_entries,
    wire_ids,
    write_in_batches,
)

if TYPE_CHECKING:
    from datetime import datetime

    import aiohttp

    from ...api.clock import Clock

DEFAULT_BASE_URL: Final = "https://api.simkl.com"
SIMKL_ID_TYPES: Final = ("simkl", "imdb", "tmdb", "tvdb", "mal", "anidb")
LIST_STATUSES: Final = frozenset({"plantowatch", "watching", "completed", "hold", "dropped"})
SECTIONS: Final = {"movies": "movie", "shows": "show", "anime": "show"}
NOT_FOUND: Final = 404
ANIME_FILM: Final = "movie"  # ``anime_type`` of an anime film (the others are episodic)
# An episode's own ids SIMKL takes beside its number ("Episode-Level External IDs").
EPISODE_ID_TYPES: Final = ("tvdb", "anidb")
# ``/sync/ratings/{type}`` (a POST, as SIMKL's docs give it) is read per type.
RATING_TYPES: Final = ("movies", "shows", "anime")


class PinStatus(StrEnum):
    """What a PIN poll answered."""

    APPROVED = "approved"
    PENDING = "pending"
    SLOW_DOWN = "slow_down"
    GONE = "gone"  # unknown, consumed or expired: SIMKL answers with a fresh init body


@dataclass(frozen=True, slots=True)
class SimklPin:
    """The code the user enters at ``verification_url``."""

    user_code: str
    verification_url: str
    expires_in: int
    interval: int


@dataclass(frozen=True, slots=True)
class PinPoll:
    """One poll's outcome; ``access_token`` only when approved."""

    status: PinStatus
    access_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SimklEntry:
    """One title in the user's lists with its status, rating and watched episodes."""

    item: MediaItem
    section: str  # movies / shows / anime
    status: str | None = None
    added_at: datetime | None = None
    last_watched_at: datetime | None = None
    rating: int | None = None
    rated_at: datetime | None = None
    watched_episodes: tuple[tuple[int, int, datetime | None], ...] = ()
    # Minutes: a movie's length, a show's usual episode length (``runtime`` of its object).
    runtime: int | None = None

    def timed_plays(self) -> list[tuple[Play, int | None]]:
        """The watched movie or each watched episode with a known time, with the runtime."""
        item = self.item
        if item.kind is MediaKind.MOVIE:
            if self.last_watched_at is None:
                return []
            return [(Play(item=item, watched_at=self.last_watched_at), self.runtime)]
        out: list[tuple[Play, int | None]] = []
        for season, number, watched_at in self.watched_episodes:
            if watched_at is None:
                continue
            episode = item.episode(season, number)
            out.append((Play(item=episode, watched_at=watched_at), self.runtime))
        return out


@dataclass(frozen=True, slots=True)
class SimklLibrary:
    """An ``all-items`` answer, with the views sync needs."""

    entries: list[SimklEntry]

    def watchlist(self) -> list[WatchlistEntry]:
        """Return titles planned to watch."""
        return list(watchlist_of(self.entries))

    def plays(self) -> list[Play]:
        """Return one play per watched movie and per watched episode with a known time."""
        return list(plays_of(self.entries))

    def timed_plays(self) -> list[tuple[Play, int | None]]:
        """``plays``, each with its title's runtime in minutes (``None``: not known)."""
        return [timed for entry in self.entries for timed in entry.timed_plays()]

    def ratings(self) -> list[Rating]:
        """Return rated titles."""
        return [
            Rating(item=e.item, rating=e.rating, rated_at=e.rated_at)
            for e in self.entries
            if e.rating is not None
        ]


def watchlist_of(entries: Iterable[SimklEntry]) -> Iterator[WatchlistEntry]:
    """The titles of ``entries`` planned to watch."""
    return (
        WatchlistEntry(item=e.item, listed_at=e.added_at)
        for e in entries
        if e.status == "plantowatch"
    )


def plays_of(entries: Iterable[SimklEntry]) -> Iterator[Play]:
    """One play per watched movie and per watched episode of ``entries`` with a known time."""
    return (play for entry in entries for play, _ in entry.timed_plays())


# An all-items entry packed as a plain tuple (``pack_entry``): what a sync side keeps of a whole
# read for its run. The garbage collector stops tracking it, where a ``SimklEntry`` is four
# tracked objects (with its ``MediaItem`` and two id dicts), promoted towards full collections
# when a large library is held through a run.
# item, section, status, added_at, last_watched_at, rating, rated_at, watched_episodes, runtime
type EntryRow = tuple[
    ItemRow,
    str,
    str | None,
    datetime | None,
    datetime | None,
    int | None,
    datetime | None,
    tuple[tuple[int, int, datetime | None], ...],
    int | None,
]


def pack_entry(entry: SimklEntry) -> EntryRow:
    """``entry`` as a plain tuple (``unpack_entry`` gives an equal one back)."""
    return (
        pack_item(entry.item),
        entry.section,
        entry.status,
        entry.added_at,
        entry.last_watched_at,
        entry.rating,
        entry.rated_at,
        entry.watched_episodes,
        entry.runtime,
    )


def unpack_entry(row: EntryRow) -> SimklEntry:
    """The ``SimklEntry`` of a ``pack_entry`` row."""
    item, section, status, added_at, last_watched_at, rating, rated_at, episodes, runtime = row
    return SimklEntry(
        item=unpack_item(item),
        section=section,
        status=status,
        added_at=added_at,
        last_watched_at=last_watched_at,
        rating=rating,
        rated_at=rated_at,
        watched_episodes=episodes,
        runtime=runtime,
    )


def _obj(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def simkl_ids(raw: Mapping[str, Any] | None) -> dict[str, str]:
    """SIMKL's ``ids`` as ours; its ``slug`` is SIMKL's own, kept apart from Trakt's ``slug``."""
    ids = normalize_ids(raw)
    slug = ids.pop("slug", None)
    if slug is not None:
        ids["simkl_slug"] = slug
    return ids


def _media(section: str, row: Mapping[str, Any]) -> MediaItem | None:
    kind = SECTIONS.get(section)
    if kind is None:
        return None
    body = _obj(row, kind) or _obj(row, "anime") or _obj(row, "show") or _obj(row, "movie")
    ids = simkl_ids(_obj(body, "ids"))
    if not ids:
        return None
    # An anime film is a film: all-items puts ``anime_type`` on the row, scrobble answers inside
    # the ``anime`` object (tests/fixtures/real/simkl/all_items_anime_movie_ova.json,
    # scrobble_start_anime_movie_201.json).
    if ANIME_FILM in (row.get("anime_type"), body.get("anime_type")):
        kind = "movie"
    title = body.get("title")
    return MediaItem(
        kind=MediaKind(kind),
        ids=ids,
        title=title if isinstance(title, str) else None,
        year=_int(body.get("year")),
    )


def _episodes(row: Mapping[str, Any]) -> tuple[tuple[int, int, datetime | None], ...]:
    out = []
    for season in as_list(row.get("seasons")):
        if not isinstance(season, Mapping) or _int(season.get("number")) is None:
            continue
        for episode in as_list(season.get("episodes")):
            number = _int(episode.get("number")) if isinstance(episode, Mapping) else None
            if number is not None:
                out.append((season["number"], number, parse_time(episode.get("watched_at"))))
    return tuple(out)


def _runtime(row: Mapping[str, Any]) -> int | None:
    """The row's title's ``runtime`` (minutes; ``null`` or 0: not known)."""
    for key in ("movie", "show", "anime"):
        minutes = _int(_obj(row, key).get("runtime"))
        if minutes is not None:
            return minutes if minutes > 0 else None
    return None


def library_entry(section: str, row: object) -> SimklEntry | None:
    """One ``all-items`` row of ``section`` (movies/shows/anime); ``None`` without usable ids.

    SIMKL's backup file has the same rows (history_io/readers.py reads it through this).
    """
    item = _media(section, row) if isinstance(row, Mapping) else None
    if item is None or not isinstance(row, Mapping):
        return None
    return SimklEntry(
        item=item,
        section=section,
        status=row.get("status") if isinstance(row.get("status"), str) else None,
        added_at=parse_time(row.get("added_to_watchlist_at")),
        last_watched_at=parse_time(row.get("last_watched_at")),
        rating=_int(row.get("user_rating")),
        rated_at=parse_time(row.get("user_rated_at")),
        watched_episodes=_episodes(row),
        runtime=_runtime(row),
    )


def _entry_row(section: str, row: object) -> EntryRow | None:
    """``library_entry``, packed."""
    entry = library_entry(section, row)
    return None if entry is None else pack_entry(entry)


def _rating(section: str, row: object) -> Rating | None:
    """The rating of one ``ratings`` row (all-items' row shape); ``None``: not rated."""
    entry = library_entry(section, row)
    if entry is None or entry.rating is None:
        return None
    return Rating(item=entry.item, rating=entry.rating, rated_at=entry.rated_at)


def _show_row(section: str, row: object) -> object:
    """A show or anime row as sent; ``None`` for a film's."""
    return row if section in ("shows", "anime") else None


def _sections_joined[R](body: object) -> list[R]:
    """The converted rows of every section of an answer decoded with ``rows`` (``null``: none)."""
    data = body if isinstance(body, dict) else {}
    return [row for rows in data.values() if isinstance(rows, list) for row in rows]


def _payload(entries: Iterable[tuple[MediaItem, Mapping[str, Any]]]) -> dict[str, list[Any]]:
    """Movies and shows at the top; episodes nested under their show's seasons."""
    body: dict[str, list[Any]] = {"movies": [], "shows": []}
    shows: dict[tuple[tuple[str, str | int], ...], dict[str, Any]] = {}
    for item, extra in entries:
        if item.kind is MediaKind.EPISODE:
            show_ids = wire_ids(item.show_ids, SIMKL_ID_TYPES)
            own = wire_ids(item.ids, EPISODE_ID_TYPES)
            if not show_ids or item.season is None or item.number is None:
                if own:  # an episode known only by its own ids
                    body.setdefault("episodes", []).append({"ids": own, **extra})
                continue
            key = tuple(sorted(show_ids.items()))
            show = shows.get(key)
            if show is None:
                show = shows[key] = {"ids": show_ids, "seasons": []}
                body["shows"].append(show)
            season = next((s for s in show["seasons"] if s["number"] == item.season), None)
            if season is None:
                season = {"number": item.season, "episodes": []}
                show["seasons"].append(season)
            # The episode's own ids "take priority over season/episode number for matching"
            # (SIMKL's docs): the number alone may follow another order.
            season["episodes"].append(
                {"number": item.number, **({"ids": own} if own else {}), **extra}
            )
            continue
        group = "movies" if item.kind is MediaKind.MOVIE else "shows"
        body[group].append({"ids": wire_ids(item.ids, SIMKL_ID_TYPES), **extra})
    return {group: rows for group, rows in body.items() if rows}


class SimklClient:
    """A SIMKL account (or, without a token, just the PIN flow)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client_id: str,
        app_name: str = "crosswatch-ha",
        app_version: str = "0.1",
        token: str | None = None,
        clock: Clock,
        telemetry: Telemetry | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Bind the app identity the API requires on every call."""
        self.token = token

        async def auth_headers() -> dict[str, str]:
            return {"Authorization": f"Bearer {self.token}"} if self.token else {}

        self.http = ServiceHttp(
            session,
            service="simkl",
            base_url=base_url,
            clock=clock,
            telemetry=telemetry,
            write_limiter=RateLimiter(1, 1.0, clock),
            policy=policy,
            auth_headers=auth_headers,
            params={"client_id": client_id, "app-name": app_name, "app-version": app_version},
            secrets=lambda: (self.token, client_id),
            user_agent=f"{app_name}/{app_version}",
        )

    # -- PIN ---------------------------------------------------------------------------------
    async def pin_start(self) -> SimklPin:
        """Ask for a user code."""
        route = "GET /oauth/pin"
        body = await self.http.get("/oauth/pin", route=route)
        data = body if isinstance(body, Mapping) else {}
        code = data.get("user_code")
        if not isinstance(code, str):
            raise InvalidResponseError("simkl", route, "PIN body without user_code")
        return SimklPin(
            user_code=code,
            verification_url=str(data.get("verification_url", "https://simkl.com/pin")),
            expires_in=_int(data.get("expires_in")) or 900,
            interval=_int(data.get("interval")) or 5,
        )

    async def pin_poll(self, user_code: str) -> PinPoll:
        """Poll once; on approval the token is also kept on this client."""
        body = await self.http.get(f"/oauth/pin/{user_code}", route="GET /oauth/pin/{code}")
        data = body if isinstance(body, Mapping) else {}
        token = data.get("access_token")
        if data.get("result") == "OK" and isinstance(token, str) and token:
            self.token = token
            return PinPoll(PinStatus.APPROVED, token)
        if "device_code" in data:
            return PinPoll(PinStatus.GONE)
        message = str(data.get("message", "")).lower()
        return PinPoll(PinStatus.SLOW_DOWN if "slow" in message else PinStatus.PENDING)

    # -- reads -------------------------------------------------------------------------------
    async def settings(self) -> dict[str, Any]:
        """Return ``/users/settings`` (a POST on SIMKL)."""
        body = await self.http.post("/users/settings", route="POST /users/settings")
        return dict(body) if isinstance(body, Mapping) else {}

    async def activities(self, *, max_age: float = 0.0) -> dict[str, Any]:
        """Return ``/sync/activities``: read this first, then only what moved.

        ``max_age``: an answer read at most this many seconds ago is reused (the account's poll
        and what-to-watch-next share one read).
        """
        return await self.http.get_recent(
            "/sync/activities", route="GET /sync/activities", max_age=max_age
        )

    async def watching(self, since: datetime | None = None) -> dict[str, Any]:
        """Shows and anime being watched (rows as sent), or every row changed since ``since``.

        A ``date_from`` read names rows of any status, so one that left "watching" is seen too;
        its films are left out as they are decoded (after a large import it names everything).
        """
        if since is not None:
            body = await self.http.get(
                "/sync/all-items",
                route="GET /sync/all-items",
                params={"date_from": iso_s(since)},
                rows=_show_row,
            )
            return dict(body) if isinstance(body, Mapping) else {}
        merged: dict[str, Any] = {}
        for kind in ("shows", "anime"):
            body = await self.http.get(
                f"/sync/all-items/{kind}/watching", route="GET /sync/all-items"
            )
            if isinstance(body, Mapping):
                merged |= {k: v for k, v in body.items() if isinstance(v, list)}
        return merged

    async def episodes(self, simkl_id: str, *, anime: bool = False) -> list[Any]:
        """Every episode of one show or anime, aired or not (rows as sent; no token needed)."""
        kind = "anime" if anime else "tv"
        body = await self.http.get(
            f"/{kind}/episodes/{simkl_id}", route=f"GET /{kind}/episodes/{{id}}"
        )
        return body if isinstance(body, list) else []

    async def release_statuses(self, kind: str, lists: str) -> list[Any]:
        """``/ratings/{kind}``: each title on the user's ``lists`` with its ``release_status``."""
        body = await self.http.get(
            f"/ratings/{kind}",
            route="GET /ratings/{type}",
            params={"user_watchlist": lists, "fields": "release_status"},
        )
        return body if isinstance(body, list) else []

    async def movie_summary(self, simkl_id: str) -> dict[str, Any]:
        """One film's full summary (``released``, ``overview``...); ``{}`` for an odd answer."""
        body = await self.http.get(
            f"/movies/{simkl_id}", route="GET /movies/{id}", params={"extended": "full"}
        )
        return dict(body) if isinstance(body, Mapping) else {}

    async def playback(self) -> list[Any]:
        """Every paused session as sent (already-watched ones hidden, SIMKL's default)."""
        body = await self.http.get("/sync/playback", route="GET /sync/playback")
        return body if isinstance(body, list) else []

    async def remove_playback(self, playback_id: str) -> bool:
        """Remove one session; ``False`` when SIMKL no longer has it (404)."""
        response = await self.http.request(
            "DELETE",
            f"/sync/playback/{playback_id}",
            route="DELETE /sync/playback/{id}",
            allow=(NOT_FOUND,),
        )
        return response.status != NOT_FOUND

    async def all_items(
        self,
        *,
        date_from: datetime | None = None,
        extended: str | None = "full",
        section: str | None = None,
        status: str | None = None,
    ) -> SimklLibrary:
        """Return list entries changed since ``date_from`` (all of them when ``None``).

        ``extended="full"`` brings each show's watched episodes with their times; ``None`` asks
        for the rows alone (status, dates, rating, the title), a fraction of the size. Each row is
        parsed as it is decoded (``http``'s ``rows``): a large answer is never held whole.
        """
        body = await self._all_items(date_from, extended, section, status, rows=library_entry)
        return SimklLibrary(_sections_joined(body))

    async def all_item_rows(self) -> list[EntryRow]:
        """Every list entry (``all_items``), each packed as it is decoded (``unpack_entry``).

        Packed at once: a sync side holds them through its run, where ``SimklEntry`` objects
        would be promoted towards a full garbage collection.
        """
        body = await self._all_items(None, "full", None, None, rows=_entry_row)
        return _sections_joined(body)

    async def _all_items(
        self,
        date_from: datetime | None,
        extended: str | None,
        section: str | None,
        status: str | None,
        rows: RowConvert,
    ) -> Json:
        path = "/sync/all-items"
        if section:
            path += f"/{section}" + (f"/{status}" if status else "")
        params: dict[str, str] = {}
        if extended is not None:
            params["extended"] = extended
            if extended.startswith("full"):
                params["episode_watched_at"] = "yes"
        if date_from is not None:
            params["date_from"] = iso_s(date_from)
        return await self.http.get(path, route="GET /sync/all-items", params=params, rows=rows)

    async def ratings(self, *, date_from: datetime | None = None) -> list[Rating]:
        """Return rated movies, shows and anime: ``POST /sync/ratings/{type}`` per type.

        SIMKL's docs give this read as a POST (a plain ``POST /sync/ratings`` adds ratings).
        """
        params = {"date_from": iso_s(date_from)} if date_from is not None else {}
        out: list[Rating] = []
        for kind in RATING_TYPES:
            body = await self.http.post(
                f"/sync/ratings/{kind}",
                route="POST /sync/ratings/{type}",
                params=params,
                idempotent=True,
                rows=_rating,
            )
            out += _sections_joined(body)
        return out

    # -- writes ------------------------------------------------------------------------------
    async def _write(
        self,
        path: str,
        entries: Sequence[tuple[MediaItem, Mapping[str, Any]]],
        *,
        idempotent: bool = True,
    ) -> WriteResult:
        return await write_in_batches(self.http, path, entries, _payload, idempotent=idempotent)

    async def add_to_list(self, items: Iterable[MediaItem], to: str = "plantowatch") -> WriteResult:
        """Put movies/shows on a list (``plantowatch`` is the watchlist)."""
        if to not in LIST_STATUSES:
            msg = f"SIMKL lists are {sorted(LIST_STATUSES)}"
            raise ValueError(msg)
        return await self._write("/sync/add-to-list", [(i, {"to": to}) for i in items])

    async def history_add(self, plays: Iterable[Play]) -> WriteResult:
        """Mark movies/episodes watched at their times."""
        entries = [(p.item, {"watched_at": iso_s(p.watched_at)}) for p in plays]
        return await self._write("/sync/history", entries, idempotent=False)

    async def history_remove(self, items: Iterable[MediaItem]) -> WriteResult:
        """Remove from history, which is also how SIMKL removes from the watchlist.

        Removing a whole movie or show also deletes its rating.
        """
        return await self._write("/sync/history/remove", [(i, {}) for i in items])

    async def ratings_add(self, ratings: Iterable[Rating]) -> WriteResult:
        """Rate movies and shows (SIMKL cannot rate seasons or episodes)."""
        return await self._write("/sync/ratings", rating_entries(ratings, iso_s))

    async def ratings_remove(self, items: Iterable[MediaItem]) -> WriteResult:
        """Clear ratings."""
        return await self._write("/sync/ratings/remove", [(i, {}) for i in items])

    async def search_title(
        self, kind: MediaKind, title: str, year: int | None = None
    ) -> list[MediaItem]:
        """Films (``/search/movie``) or series (``/search/tv``) by name; the caller checks the year.

        SIMKL answers its ids as ``simkl_id`` (tests/fixtures/real/simkl/search_text_movie.json).
        """
        del year  # SIMKL's text search has no year filter
        endpoint = "movie" if kind is MediaKind.MOVIE else "tv"
        body = await self.http.get(
            f"/search/{endpoint}", route="GET /search/{type}", params={"q": title}
        )
        found = []
        for row in body if isinstance(body, list) else ():
            raw = _obj(row, "ids") if isinstance(row, Mapping) else {}
            ids = simkl_ids({("simkl" if k == "simkl_id" else k): v for k, v in raw.items()})
            if not ids:
                continue
            name = row.get("title")
            found.append(
                MediaItem(
                    kind=kind,
                    ids=ids,
                    title=name if isinstance(name, str) else None,
                    year=_int(row.get("year")),
                )
            )
        return found

    async def scrobble(self, action: str, item: MediaItem, progress: float) -> ScrobbleResult:
        """Send ``start``/``pause``/``stop``; a 409 comes back as ``already_scrobbled``."""
        if action not in ("start", "pause", "stop"):
            msg = "scrobble action must be start, pause or stop"
            raise ValueError(msg)
        body: dict[str, Any] = {"progress": round(progress, 2)}
        if item.kind is MediaKind.EPISODE:
            body["show"] = {"ids": wire_ids(item.show_ids, SIMKL_ID_TYPES)}
            body["episode"] = {"season": item.season, "number": item.number}
            own = wire_ids(item.ids, EPISODE_ID_TYPES)
            if own:
                body["episode"]["ids"] = own
        else:
            body["movie" if item.kind is MediaKind.MOVIE else "show"] = {
                "ids": wire_ids(item.ids, SIMKL_ID_TYPES)
            }
        data, result = await post_scrobble(self.http, action, body)
        if result.already_scrobbled:
            return result
        section = "movies" if "movie" in data else "shows"
        media = _media(section, data)
        episode = _obj(data, "episode")
        if media is not None and episode:
            # Anime answers number episodes the AniDB way and echo the numbers sent (TVDB/TMDB
            # order, ours) as ``tvdb_season``/``tvdb_number``: the same episode in our terms.
            season = _int(episode.get("tvdb_season"))
            number = _int(episode.get("tvdb_number"))
            if season is None or number is None:
                season, number = _int(episode.get("season")), _int(episode.get("number"))
            media = media.episode(season, number)
        return replace(result, item=media)
