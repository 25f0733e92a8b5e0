"""Trakt: device-code/OAuth login with rotating refresh tokens, sync reads and batched writes.

The access token comes from a callable so Home Assistant's ``OAuth2Session`` can refresh it
before expiry. Writes go out in batches of at most 100 items, paced at one POST per second per
user; reads at 1000 per five minutes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from ...api.errors import (
    APP_REMOVED,
    AppRejectedError,
    AuthError,
    InvalidResponseError,
    RequestRejectedError,
)
from ...api.http import Json, RateLimiter, RetryPolicy, ServiceHttp, Telemetry
from ...api.ids import normalize_ids
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
from ...api.paging import collect_numbered_pages, header_int
from ...api.wire import (
    WRITE_BATCH,
    iso_ms,
    parse_time,
    post_scrobble,
    rating_entries,
    wire_ids,
    write_in_batches,
    write_result,
)

if TYPE_CHECKING:
    from datetime import date, datetime

    import aiohttp

    from ...api.clock import Clock

DEFAULT_BASE_URL: Final = "https://api.trakt.tv"
BATCH_SIZE: Final = WRITE_BATCH
PAGE_LIMIT: Final = 100
TRAKT_ID_TYPES: Final = ("trakt", "slug", "imdb", "tmdb", "tvdb")
# An episode's own ids (Trakt has no episode slugs).
EPISODE_ID_TYPES: Final = ("trakt", "imdb", "tmdb", "tvdb")
SEARCH_ID_TYPES: Final = frozenset({"trakt", "imdb", "tmdb", "tvdb"})
SCROBBLE_ACTIONS: Final = frozenset({"start", "pause", "stop"})
CALENDAR_DAYS: Final = 33  # the most days one calendar read may ask for
NOT_FOUND: Final = 404
_GROUPS: Final = {
    MediaKind.MOVIE: "movies",
    MediaKind.SHOW: "shows",
    MediaKind.SEASON: "seasons",
    MediaKind.EPISODE: "episodes",
}


# -- auth ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TraktToken:
    """An access/refresh pair; persist both at once, the refresh token is single-use."""

    access_token: str
    refresh_token: str
    expires_in: int
    created_at: int

    @property
    def expires_at(self) -> int:
        """Return when the access token stops working (unix seconds)."""
        return self.created_at + self.expires_in

    def __repr__(self) -> str:
        """Keep tokens out of reprs that end up in logs."""
        return f"TraktToken(expires_at={self.expires_at})"


@dataclass(frozen=True, slots=True)
class DeviceCode:
    """The code the user types at ``verification_url``."""

    device_code: str
    user_code: str
    verification_url: str
    expires_in: int
    interval: int

    def __repr__(self) -> str:
        """Keep the device code (a bearer secret until used) out of logs."""
        return f"DeviceCode(user_code={self.user_code!r}, expires_in={self.expires_in})"


class DeviceStatus(StrEnum):
    """Every answer a device-token poll can get."""

    APPROVED = "approved"  # 200
    PENDING = "pending"  # 400
    INVALID = "invalid"  # 404
    ALREADY_USED = "already_used"  # 409
    EXPIRED = "expired"  # 410
    DENIED = "denied"  # 418
    SLOW_DOWN = "slow_down"  # 429


_DEVICE_STATUSES: Final = {
    400: DeviceStatus.PENDING,
    404: DeviceStatus.INVALID,
    409: DeviceStatus.ALREADY_USED,
    410: DeviceStatus.EXPIRED,
    418: DeviceStatus.DENIED,
    429: DeviceStatus.SLOW_DOWN,
}


@dataclass(frozen=True, slots=True)
class DevicePoll:
    """One poll's outcome; ``token`` only when approved."""

    status: DeviceStatus
    token: TraktToken | None = None

    @property
    def done(self) -> bool:
        """Tell whether polling should stop (approved or failed for good)."""
        return self.status not in (DeviceStatus.PENDING, DeviceStatus.SLOW_DOWN)


def _token(body: Json, route: str) -> TraktToken:
    data = body if isinstance(body, dict) else {}
    access, refresh = data.get("access_token"), data.get("refresh_token")
    if not isinstance(access, str) or not isinstance(refresh, str):
        raise InvalidResponseError("trakt", route, "token body without tokens")
    expires_in = data.get("expires_in")
    created_at = data.get("created_at")
    return TraktToken(
        access_token=access,
        refresh_token=refresh,
        expires_in=expires_in if isinstance(expires_in, int) else 0,
        created_at=created_at if isinstance(created_at, int) else 0,
    )


class TraktAuth:
    """OAuth endpoints (``api.trakt.tv`` or ``auth.trakt.tv``: the base URL decides)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client_id: str,
        client_secret: str,
        clock: Clock,
        telemetry: Telemetry | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Bind the app's credentials."""
        self._client_id = client_id
        self._client_secret = client_secret
        self._seen_tokens: list[str] = []
        self.http = ServiceHttp(
            session,
            service="trakt",
            base_url=base_url,
            clock=clock,
            telemetry=telemetry,
            policy=policy,
            secrets=lambda: (client_secret, *self._seen_tokens),
        )

    def _remember(self, *secrets: str) -> None:
        self._seen_tokens.extend(s for s in secrets if s)

    async def device_code(self) -> DeviceCode:
        """Start the device flow."""
        route = "POST /oauth/device/code"
        response = await self.http.request(
            "POST",
            "/oauth/device/code",
            route=route,
            json_body={"client_id": self._client_id},
            allow=(401,),
        )
        data = response.data if isinstance(response.data, dict) else {}
        if response.status == 401:  # noqa: PLR2004
            if data.get("error") == "invalid_client":  # an unknown or deleted app (#902)
                raise AppRejectedError("trakt", route, APP_REMOVED, "app unknown (invalid_client)")
            raise AuthError("trakt", route, "credentials refused (401)")
        try:
            code = DeviceCode(
                device_code=str(data["device_code"]),
                user_code=str(data["user_code"]),
                verification_url=str(data.get("verification_url", "https://trakt.tv/activate")),
                expires_in=int(data.get("expires_in", 600)),
                interval=int(data.get("interval", 5)),
            )
        except KeyError, TypeError, ValueError:
            raise InvalidResponseError("trakt", route, "device code body incomplete") from None
        self._remember(code.device_code)
        return code

    async def poll_device(self, device_code: str) -> DevicePoll:
        """Poll once; every documented status becomes a ``DeviceStatus``."""
        self._remember(device_code)
        route = "POST /oauth/device/token"
        response = await self.http.request(
            "POST",
            "/oauth/device/token",
            route=route,
            json_body={
                "code": device_code,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            allow=_DEVICE_STATUSES,
            idempotent=True,
        )
        if response.status in _DEVICE_STATUSES:
            return DevicePoll(_DEVICE_STATUSES[response.status])
        token = _token(response.data, route)
        self._remember(token.access_token, token.refresh_token)
        return DevicePoll(DeviceStatus.APPROVED, token)

    async def _grant(self, route: str, body: dict[str, str]) -> TraktToken:
        response = await self.http.request(
            "POST",
            "/oauth/token",
            route=route,
            json_body={
                **body,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            allow=(400, 401),
            idempotent=False,  # a refresh spends the refresh token: never blindly repeated
        )
        error = response.data.get("error") if isinstance(response.data, dict) else None
        if response.status == 401:  # noqa: PLR2004
            if error == "invalid_client":  # the app is gone (trakt-api #902)
                raise AppRejectedError("trakt", route, APP_REMOVED, "app unknown (invalid_client)")
            raise AuthError("trakt", route, "credentials refused (401)")
        if response.status == 400:  # noqa: PLR2004
            if error == "invalid_grant":
                raise AuthError("trakt", route, "grant refused (invalid_grant)")
            raise RequestRejectedError("trakt", route, 400, f"grant refused ({error})")
        token = _token(response.data, route)
        self._remember(token.access_token, token.refresh_token)
        return token

    async def exchange_code(self, code: str, redirect_uri: str) -> TraktToken:
        """Trade an authorization code for a token pair."""
        self._remember(code)
        return await self._grant(
            "POST /oauth/token",
            {"code": code, "redirect_uri": redirect_uri, "grant_type": "authorization_code"},
        )

    async def refresh(self, refresh_token: str, redirect_uri: str = "") -> TraktToken:
        """Spend ``refresh_token`` for a new pair; the caller persists the pair atomically."""
        self._remember(refresh_token)
        body = {"refresh_token": refresh_token, "grant_type": "refresh_token"}
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        return await self._grant("POST /oauth/token", body)

    async def revoke(self, token: str) -> None:
        """Revoke an access token (on removal of the account)."""
        self._remember(token)
        await self.http.post(
            "/oauth/revoke",
            route="POST /oauth/revoke",
            json_body={
                "token": token,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            },
            idempotent=True,
        )


# -- wire ↔ models -------------------------------------------------------------------------------
def _obj(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def item_from_row(row: Mapping[str, Any]) -> MediaItem | None:
    """Turn a Trakt row (``type`` + ``movie``/``show``/``season``/``episode``) into an item."""
    kind = row.get("type")
    if kind is None:  # watched/playback rows have no type
        kind = next((k for k in ("episode", "season", "movie", "show") if k in row), None)
    show = _obj(row, "show")
    if kind == "movie":
        movie = _obj(row, "movie")
        return MediaItem(
            kind=MediaKind.MOVIE,
            ids=normalize_ids(_obj(movie, "ids")),
            title=_str(movie.get("title")),
            year=_int(movie.get("year")),
        )
    if kind == "show":
        return MediaItem(
            kind=MediaKind.SHOW,
            ids=normalize_ids(_obj(show, "ids")),
            title=_str(show.get("title")),
            year=_int(show.get("year")),
        )
    if kind in ("season", "episode"):
        part = _obj(row, kind)
        season = _int(part.get("season")) if kind == "episode" else _int(part.get("number"))
        return MediaItem(
            kind=MediaKind(kind),
            ids=normalize_ids(_obj(part, "ids")),
            title=_str(part.get("title")),
            year=_int(show.get("year")),
            show_ids=normalize_ids(_obj(show, "ids")),
            show_title=_str(show.get("title")),
            season=season,
            number=_int(part.get("number")) if kind == "episode" else None,
        )
    return None


def episode_ids(item: MediaItem) -> dict[str, str | int]:
    """An episode's own ids as Trakt takes them (empty for other kinds or when unknown).

    Trakt's docs name an episode by its own ids first, and by show + season/number only "if you
    don't have episode ids": Plex's season/number may follow another order (DVD vs aired, as
    Firefly), so show + S/E would mark a different episode and still answer 201.
    """
    if item.kind is not MediaKind.EPISODE:
        return {}
    return wire_ids(item.ids, EPISODE_ID_TYPES)


def _payload(
    entries: Iterable[tuple[MediaItem, Mapping[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Build a sync body; episodes by their own ids, else by show + S/E nested under the show."""
    body: dict[str, list[dict[str, Any]]] = {g: [] for g in _GROUPS.values()}
    shows: dict[tuple[tuple[str, str | int], ...], dict[str, Any]] = {}
    for item, extra in entries:
        own = episode_ids(item)
        if own:
            body["episodes"].append({"ids": own, **extra})
            continue
        show_ids = wire_ids(item.show_ids, TRAKT_ID_TYPES)
        nested = item.kind in (MediaKind.EPISODE, MediaKind.SEASON) and show_ids
        if nested and item.season is not None:
            key = tuple(sorted(show_ids.items()))
            show = shows.get(key)
            if show is None:
                show = shows[key] = {"ids": show_ids, "seasons": []}
                body["shows"].append(show)
            seasons: list[dict[str, Any]] = show["seasons"]
            if item.kind is MediaKind.SEASON:
                seasons.append({"number": item.season, **extra})
                continue
            if item.number is not None:
                season = next((s for s in seasons if s["number"] == item.season), None)
                if season is None or "episodes" not in season:
                    season = {"number": item.season, "episodes": []}
                    seasons.append(season)
                season["episodes"].append({"number": item.number, **extra})
                continue
        ids = wire_ids(item.ids, TRAKT_ID_TYPES)
        body[_GROUPS[item.kind]].append({"ids": ids, **extra})
    return {group: rows for group, rows in body.items() if rows}


@dataclass(frozen=True, slots=True)
class TraktSettings:
    """The parts of ``/users/settings`` sync needs."""

    username: str | None
    vip: bool
    watchlist_limit: int | None
    raw: Mapping[str, Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class WatchedEntry:
    """A watched movie or episode with its play count (``/sync/watched``)."""

    item: MediaItem
    plays: int
    last_watched_at: datetime | None


class TraktClient:
    """The signed-in user's Trakt data."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = DEFAULT_BASE_URL,
        client_id: str,
        access_token: Callable[[], Awaitable[str]],
        clock: Clock,
        telemetry: Telemetry | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Bind the app id and a token source; pacing is per client (one client per user)."""
        self._token = access_token
        self._last_token = ""

        async def auth_headers() -> dict[str, str]:
            self._last_token = await access_token()
            return {"Authorization": f"Bearer {self._last_token}"}

        self.http = ServiceHttp(
            session,
            service="trakt",
            base_url=base_url,
            clock=clock,
            telemetry=telemetry,
            read_limiter=RateLimiter(1000, 300.0, clock),
            write_limiter=RateLimiter(1, 1.0, clock),
            policy=policy,
            headers={"trakt-api-version": "2", "trakt-api-key": client_id},
            auth_headers=auth_headers,
            secrets=lambda: (self._last_token,),
            app_refused=403,  # the docs: "Forbidden - invalid API key or unapproved app"
        )

    # -- account ------------------------------------------------------------------------------
    async def settings(self) -> TraktSettings:
        """Return the user's name, VIP flag and watchlist limit."""
        body = await self.http.get("/users/settings", route="GET /users/settings")
        data = body if isinstance(body, Mapping) else {}
        user = _obj(data, "user")
        limit = _int(_obj(_obj(data, "limits"), "watchlist").get("item_count"))
        return TraktSettings(
            username=_str(user.get("username")),
            vip=user.get("vip") is True,
            watchlist_limit=limit,
            raw=data,
        )

    async def last_activities(self, *, max_age: float = 0.0) -> dict[str, Any]:
        """Return ``/sync/last_activities`` as sent: the cheap "did anything change" check.

        ``max_age``: an answer read at most this many seconds ago is reused (the account's poll
        and what-to-watch-next share one read).
        """
        return await self.http.get_recent(
            "/sync/last_activities", route="GET /sync/last_activities", max_age=max_age
        )

    # -- reading ------------------------------------------------------------------------------
    async def _paged(
        self,
        path: str,
        route: str,
        params: Mapping[str, str] | None = None,
        convert: Callable[[Any], Any] | None = None,
    ) -> list[Any]:
        """Every row of a paged route, each page converted as it arrives (when ``convert``)."""

        async def fetch(page: int) -> tuple[Sequence[Any], int | None]:
            query = {**(params or {}), "page": str(page), "limit": str(PAGE_LIMIT)}
            response = await self.http.request("GET", path, route=route, params=query)
            if not isinstance(response.data, list):
                # Read as an empty page it would end the list here: an incomplete read.
                raise InvalidResponseError("trakt", route, f"page {page} is not a list")
            return response.data, header_int(response.headers, "X-Pagination-Page-Count")

        return await collect_numbered_pages(fetch, PAGE_LIMIT, convert, source=("trakt", route))

    async def watchlist(self, kind: str = "all") -> list[WatchlistEntry]:
        """Return the whole watchlist in one request (the endpoint's paging is optional).

        Each row is parsed as it is decoded (``http``'s ``rows``), here and in ``ratings``: a
        large answer's raw rows never live together long enough to be promoted towards a full
        garbage collection.
        """
        path = "/sync/watchlist" if kind == "all" else f"/sync/watchlist/{kind}"
        body = await self.http.get(path, route="GET /sync/watchlist", rows=_listed)
        return body if isinstance(body, list) else []

    async def history(
        self,
        *,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
        kind: str | None = None,
        trakt_id: str | None = None,
    ) -> list[Play]:
        """Return plays (newest first) with their history ids, paged.

        ``start_at`` is the incremental watermark; ``kind`` (``movies``, ``episodes``, …) with
        ``trakt_id`` reads the plays of one title.
        """
        return await self._history(start_at, end_at, kind, trakt_id, _play)

    async def history_rows(self) -> list[PlayRow]:
        """The whole history, each play packed as its page arrives (``unpack_play``)."""
        return await self._history(None, None, None, None, _play_row)

    async def _history[R](
        self,
        start_at: datetime | None,
        end_at: datetime | None,
        kind: str | None,
        trakt_id: str | None,
        convert: Callable[[Any], R | None],
    ) -> list[R]:
        params = {}
        if start_at is not None:
            params["start_at"] = iso_ms(start_at)
        if end_at is not None:
            params["end_at"] = iso_ms(end_at)
        if trakt_id is not None and (kind is None or not trakt_id.isdigit()):
            msg = "one title's history needs its kind and numeric Trakt id"
            raise ValueError(msg)
        path = "/sync/history" if kind is None else f"/sync/history/{kind}"
        if trakt_id is not None:
            path += f"/{trakt_id}"
        return await self._paged(path, "GET /sync/history", params, convert)

    async def history_with_runtimes(
        self, *, start_at: datetime | None = None
    ) -> list[tuple[Play, int | None]]:
        """Plays since ``start_at`` (all without), each with its title's runtime in minutes.

        ``extended=full`` (tests/fixtures/real/trakt/sync_history_extended_full.json): the same
        pages of 100 plays as ``history``, with whole movie/episode/show objects in each row.
        """
        params = {"extended": "full"}
        if start_at is not None:
            params["start_at"] = iso_ms(start_at)
        return await self._paged("/sync/history", "GET /sync/history", params, _timed_play)

    async def history_count(self) -> int | None:
        """How many plays the history holds, from a one-row page (``None`` if not told)."""
        response = await self.http.request(
            "GET", "/sync/history", route="GET /sync/history", params={"page": "1", "limit": "1"}
        )
        return header_int(response.headers, "X-Pagination-Item-Count")

    async def watched(self, kind: str) -> list[WatchedEntry]:
        """Return watched ``movies`` or ``shows`` (expanded to their episodes)."""
        if kind not in ("movies", "shows"):
            msg = f"watched is read for 'movies' or 'shows', not {kind!r}"
            raise ValueError(msg)
        body = await self.http.get(f"/sync/watched/{kind}", route="GET /sync/watched/{type}")
        out: list[WatchedEntry] = []
        for row in body if isinstance(body, list) else []:
            if not isinstance(row, Mapping):
                continue
            parent = item_from_row(row)
            if parent is None:
                continue
            if parent.kind is MediaKind.MOVIE:
                out.append(
                    WatchedEntry(
                        parent, _int(row.get("plays")) or 0, parse_time(row.get("last_watched_at"))
                    )
                )
                continue
            for season in row.get("seasons") or ():
                for episode in season.get("episodes") or () if isinstance(season, dict) else ():
                    if not isinstance(episode, dict):
                        continue
                    item = parent.episode(_int(season.get("number")), _int(episode.get("number")))
                    out.append(
                        WatchedEntry(
                            item,
                            _int(episode.get("plays")) or 0,
                            parse_time(episode.get("last_watched_at")),
                        )
                    )
        return out

    async def ratings(self, kind: str = "all") -> list[Rating]:
        """Return every rating in one request (paging is optional on this endpoint)."""
        path = "/sync/ratings" if kind == "all" else f"/sync/ratings/{kind}"
        body = await self.http.get(path, route="GET /sync/ratings", rows=_rated)
        return body if isinstance(body, list) else []

    # -- writing ------------------------------------------------------------------------------
    async def _write(
        self,
        path: str,
        entries: Sequence[tuple[MediaItem, Mapping[str, Any]]],
        *,
        idempotent: bool = True,
    ) -> WriteResult:
        return await write_in_batches(self.http, path, entries, _payload, idempotent=idempotent)

    async def watchlist_add(self, items: Iterable[MediaItem]) -> WriteResult:
        """Add items (420 → ``AccountLimitError`` with the limit)."""
        return await self._write("/sync/watchlist", [(i, {}) for i in items])

    async def watchlist_remove(self, items: Iterable[MediaItem]) -> WriteResult:
        """Remove items from the watchlist."""
        return await self._write("/sync/watchlist/remove", [(i, {}) for i in items])

    async def history_add(self, plays: Iterable[Play]) -> WriteResult:
        """Add plays. Trakt does not de-duplicate, so a failed batch is never blindly resent."""
        entries = [(p.item, {"watched_at": iso_ms(p.watched_at)}) for p in plays]
        return await self._write("/sync/history", entries, idempotent=False)

    async def history_remove(
        self, items: Iterable[MediaItem] = (), history_ids: Iterable[int] = ()
    ) -> WriteResult:
        """Remove every play of ``items`` and/or single plays by history id."""
        result = await self._write("/sync/history/remove", [(i, {}) for i in items])
        ids = list(history_ids)
        for start in range(0, len(ids), BATCH_SIZE):
            answer = await self.http.post(
                "/sync/history/remove",
                route="POST /sync/history/remove",
                json_body={"ids": ids[start : start + BATCH_SIZE]},
            )
            result.merge(write_result(answer))
        return result

    async def ratings_add(self, ratings: Iterable[Rating]) -> WriteResult:
        """Rate items (1-10)."""
        return await self._write("/sync/ratings", rating_entries(ratings, iso_ms))

    async def ratings_remove(self, items: Iterable[MediaItem]) -> WriteResult:
        """Clear ratings."""
        return await self._write("/sync/ratings/remove", [(i, {}) for i in items])

    # -- scrobble, search, calendar -------------------------------------------------------------
    async def scrobble(self, action: str, item: MediaItem, progress: float) -> ScrobbleResult:
        """Send ``start``/``pause``/``stop``; a 409 comes back as ``already_scrobbled``."""
        if action not in SCROBBLE_ACTIONS:
            msg = f"scrobble action must be one of {sorted(SCROBBLE_ACTIONS)}"
            raise ValueError(msg)
        body: dict[str, Any] = {"progress": round(progress, 2)}
        show_ids = wire_ids(item.show_ids, TRAKT_ID_TYPES)
        own = episode_ids(item)
        if own:
            body["episode"] = {"ids": own}
        elif item.kind is MediaKind.EPISODE and show_ids and item.season is not None:
            body["show"] = {"ids": show_ids}
            body["episode"] = {"season": item.season, "number": item.number}
        else:
            key = "movie" if item.kind is MediaKind.MOVIE else "episode"
            body[key] = {"ids": wire_ids(item.ids, TRAKT_ID_TYPES)}
        data, result = await post_scrobble(self.http, action, body)
        if result.already_scrobbled:
            return result
        kind = "episode" if "episode" in data else "movie"
        return replace(result, item=item_from_row({"type": kind, **data}))

    async def search_id(self, id_type: str, value: str, media_type: str) -> list[MediaItem]:
        """Look an id up; ``media_type`` is required since tmdb/tvdb ids repeat across kinds."""
        if id_type not in SEARCH_ID_TYPES:
            msg = f"search by id takes one of {sorted(SEARCH_ID_TYPES)}"
            raise ValueError(msg)
        body = await self.http.get(
            f"/search/{id_type}/{value}",
            route="GET /search/{id_type}/{id}",
            params={"type": media_type},
        )
        rows = body if isinstance(body, list) else []
        return [item for row in rows if isinstance(row, Mapping) and (item := item_from_row(row))]

    async def search_title(
        self, kind: MediaKind, title: str, year: int | None = None
    ) -> list[MediaItem]:
        """Movies or shows by name, best first (``years`` narrows them to ``year``).

        ``GET /search/{type}?query=`` (tests/fixtures/real/trakt/search_text_movie.json).
        """
        params = {"query": title}
        if year is not None:
            params["years"] = str(year)
        body = await self.http.get(
            f"/search/{kind.value}", route="GET /search/{type}", params=params
        )
        rows = body if isinstance(body, list) else []
        return [item for row in rows if isinstance(row, Mapping) and (item := item_from_row(row))]

    async def calendar_shows(self, start: date, days: int) -> list[Any]:
        """Episodes of the user's shows airing from ``start`` (``extended=full``: with runtimes).

        Rows as sent (``watchnext.calendar`` reads them); ``days`` is capped at Trakt's 33.
        """
        return await self._calendar("shows", start, days)

    async def calendar_movies(self, start: date, days: int) -> list[Any]:
        """Movies on the user's lists released from ``start`` (rows as sent)."""
        return await self._calendar("movies", start, days)

    async def _calendar(self, kind: str, start: date, days: int) -> list[Any]:
        days = max(1, min(days, CALENDAR_DAYS))
        body = await self.http.get(
            f"/calendars/my/{kind}/{start.isoformat()}/{days}",
            route=f"GET /calendars/my/{kind}/{{date}}/{{days}}",
            params={"extended": "full"},
        )
        return body if isinstance(body, list) else []

    async def watched_shows(self) -> list[Any]:
        """Every watched show with its ``last_watched_at``, without its seasons (rows as sent)."""
        body = await self.http.get(
            "/sync/watched/shows",
            route="GET /sync/watched/{type}",
            params={"extended": "noseasons"},
        )
        return body if isinstance(body, list) else []

    async def show_progress(self, trakt_id: str) -> Any:
        """One show's watched progress as sent (its ``next_episode``)."""
        return await self.http.get(
            f"/shows/{trakt_id}/progress/watched", route="GET /shows/{id}/progress/watched"
        )

    async def playback(self) -> list[Any]:
        """Every paused resume point, as sent (the endpoint's paging is optional: one request)."""
        body = await self.http.get("/sync/playback", route="GET /sync/playback")
        return body if isinstance(body, list) else []

    async def remove_playback(self, playback_id: str) -> bool:
        """Remove one resume point; ``False`` when Trakt no longer has it (404)."""
        response = await self.http.request(
            "DELETE",
            f"/sync/playback/{playback_id}",
            route="DELETE /sync/playback/{id}",
            allow=(NOT_FOUND,),
        )
        return response.status != NOT_FOUND


def _runtime(value: object) -> int | None:
    minutes = _int(value)
    return minutes if minutes is not None and minutes > 0 else None


def _timed_play(row: Any) -> tuple[Play, int | None] | None:
    """A full history row: the play and its runtime (an episode's own, else its show's usual)."""
    play = _play(row)
    if play is None:
        return None
    part = _obj(row, "movie" if play.item.kind is MediaKind.MOVIE else "episode")
    runtime = _runtime(part.get("runtime"))
    if runtime is None and play.item.kind is MediaKind.EPISODE:
        runtime = _runtime(_obj(row, "show").get("runtime"))
    return play, runtime


def _listed(_list: str, row: Any) -> WatchlistEntry | None:
    """One ``/sync/watchlist`` row; ``None`` when it names no title."""
    item = item_from_row(row) if isinstance(row, Mapping) else None
    if item is None:
        return None
    return WatchlistEntry(item=item, listed_at=parse_time(row.get("listed_at")))


def _rated(_list: str, row: Any) -> Rating | None:
    """One ``/sync/ratings`` row; ``None`` when it names no title or rating."""
    item = item_from_row(row) if isinstance(row, Mapping) else None
    rating = _int(row.get("rating")) if item else None
    if item is None or rating is None:
        return None
    return Rating(item=item, rating=rating, rated_at=parse_time(row.get("rated_at")))


def _play(row: Any) -> Play | None:
    """One ``/sync/history`` row; ``None`` when it names no title or time."""
    item = item_from_row(row) if isinstance(row, Mapping) else None
    watched_at = parse_time(row.get("watched_at")) if item else None
    if item is None or watched_at is None:
        return None
    return Play(item=item, watched_at=watched_at, history_id=_int(row.get("id")))


# A play packed as a plain tuple: item (``pack_item``), time, history id. What a sync side keeps
# of a whole history read for the run's removals: the garbage collector stops tracking it, where a
# ``Play`` is four tracked objects (with its ``MediaItem`` and two id dicts) that a large history
# held through a run got promoted towards full collections of Home Assistant's heap.
type PlayRow = tuple[ItemRow, datetime, int | None]


def pack_play(play: Play) -> PlayRow:
    """``play`` as a plain tuple (``unpack_play`` gives an equal one back)."""
    return (pack_item(play.item), play.watched_at, play.history_id)


def unpack_play(row: PlayRow) -> Play:
    """The ``Play`` of a ``pack_play`` row."""
    item, watched_at, history_id = row
    return Play(item=unpack_item(item), watched_at=watched_at, history_id=history_id)


def _play_row(row: Any) -> PlayRow | None:
    """``_play``, packed."""
    play = _play(row)
    return None if play is None else pack_play(play)
