"""Plex: plex.tv account (PIN login, servers, watchlist on discover) and one Plex Media Server.

The watchlist and plex.tv calls need the *account* token; PMS calls need the server's
``accessToken`` from ``/api/v2/resources``. Everything asks for JSON (Plex sends XML otherwise).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlencode

from ...api.errors import (
    ConflictError,
    CrosswatchApiError,
    InvalidResponseError,
    NotFoundError,
    ServiceUnavailableError,
)
from ...api.http import RetryPolicy, ServiceHttp, Telemetry
from ...api.ids import digits
from ...api.models import (
    ItemRow,
    MediaItem,
    MediaKind,
    WatchlistEntry,
    flat_ids,
    id_pairs,
    pack_item,
    unpack_item,
)
from ...api.paging import MAX_PAGES, collect_offset_pages
from ...api.wire import parse_time
from .ids import ids_from_plex_guids, parse_plex_guid_full

if TYPE_CHECKING:
    import aiohttp

    from ...api.clock import Clock

PLEX_TV_URL: Final = "https://plex.tv"
DISCOVER_URL: Final = "https://discover.provider.plex.tv"
METADATA_URL: Final = "https://metadata.provider.plex.tv"
AUTH_APP_URL: Final = "https://app.plex.tv/auth#?"
PAGE_SIZE: Final = 100
# Rows per page of a read of what was viewed lately: mostly one page holds all of it.
RECENT_PAGE_SIZE: Final = 20
LIBRARY_IDENTIFIER: Final = "com.plexapp.plugins.library"
PLEX_TYPES: Final = {"movie": 1, "show": 2, "season": 3, "episode": 4}
_KINDS: Final = {k.value: k for k in MediaKind}


def plex_headers(
    client_identifier: str, product: str, version: str, token: str | None = None
) -> dict[str, str]:
    """Headers every plex.tv and PMS request carries."""
    headers = {
        "Accept": "application/json",
        "X-Plex-Client-Identifier": client_identifier,
        "X-Plex-Product": product,
        "X-Plex-Version": version,
        "X-Plex-Platform": "Home Assistant",
        "X-Plex-Device-Name": product,
    }
    if token:
        headers["X-Plex-Token"] = token
    return headers


def rating_from_plex(value: float | None) -> int | None:
    """Plex's 0-10 float → the 1-10 integer scale (0 or missing: not rated)."""
    if value is None or value <= 0:
        return None
    return max(1, min(10, round(value)))


# -- parsed shapes -------------------------------------------------------------------------------
def _str(value: object) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None


def _obj(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return digits(value)
    return None


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def item_from_metadata(meta: Mapping[str, Any]) -> MediaItem | None:
    """Turn a PMS or discover ``Metadata`` entry into an item (episode ids are episode-level).

    A legacy ``show/season[/episode]`` guid names the show, so it fills ``show_ids`` instead.
    """
    kind = _KINDS.get(str(meta.get("type", "")))
    if kind is None:
        return None
    guid = _str(meta.get("guid"))
    guids = meta.get("Guid") if isinstance(meta.get("Guid"), list) else None
    ids = ids_from_plex_guids(guid, guids)
    show_ids: dict[str, str] = {}
    legacy = parse_plex_guid_full(guid) if guid else None
    season = _int(meta.get("parentIndex")) if kind is MediaKind.EPISODE else None
    number = _int(meta.get("index")) if kind is MediaKind.EPISODE else None
    if kind is MediaKind.SEASON:
        season = _int(meta.get("index"))
    if legacy is not None and legacy.season is not None:
        show_ids[legacy.id_type] = legacy.value
        season = legacy.season if season is None else season
        number = legacy.episode if number is None else number
    if kind in (MediaKind.EPISODE, MediaKind.SEASON):
        parent_guid = _str(
            meta.get("grandparentGuid" if kind is MediaKind.EPISODE else "parentGuid")
        )
        show_ids.update(ids_from_plex_guids(parent_guid) if parent_guid else {})
    show_title_key = "grandparentTitle" if kind is MediaKind.EPISODE else "parentTitle"
    return MediaItem(
        kind=kind,
        ids=ids,
        title=_str(meta.get("title")),
        year=_int(meta.get("year")),
        show_ids=show_ids,
        show_title=_str(meta.get(show_title_key)) if kind != MediaKind.MOVIE else None,
        season=season,
        number=number,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexLibraryItem:
    """A library entry with the user's state on this server."""

    rating_key: str
    item: MediaItem
    view_count: int = 0
    last_viewed_at: datetime | None = None
    user_rating: float | None = None
    rated_at: datetime | None = None
    duration_ms: int | None = None
    view_offset_ms: int | None = None
    grandparent_rating_key: str | None = None
    parent_rating_key: str | None = None
    section_id: str | None = None

    @property
    def rating(self) -> int | None:
        """Return the rating on the 1-10 integer scale."""
        return rating_from_plex(self.user_rating)


def library_item(meta: Mapping[str, Any]) -> PlexLibraryItem | None:
    """Parse one PMS ``Metadata`` entry; ``None`` for unknown types or without a ratingKey."""
    item = item_from_metadata(meta)
    rating_key = _str(meta.get("ratingKey"))
    if item is None or rating_key is None:
        return None
    return PlexLibraryItem(
        rating_key=rating_key,
        item=item,
        view_count=_int(meta.get("viewCount")) or 0,
        last_viewed_at=parse_time(meta.get("lastViewedAt")),
        user_rating=_float(meta.get("userRating")),
        rated_at=parse_time(meta.get("lastRatedAt")),
        duration_ms=_int(meta.get("duration")),
        view_offset_ms=_int(meta.get("viewOffset")),
        grandparent_rating_key=_str(meta.get("grandparentRatingKey")),
        parent_rating_key=_str(meta.get("parentRatingKey")),
        section_id=_str(meta.get("librarySectionID")),
    )


# A library entry packed as a plain tuple of strings, numbers and datetimes (``pack_library_item``):
# what a sync side keeps of a library sweep for its run. The garbage collector stops tracking such
# a tuple at its first passes, whereas a ``PlexLibraryItem`` is four tracked objects (with its
# ``MediaItem`` and two id dicts): a large library's ~22,000 of them, held through a run, were
# promoted to the oldest generation and set off full collections that hold the event loop.
# rating_key, item, view_count, last_viewed_at, user_rating, rated_at, duration_ms,
# view_offset_ms, grandparent_rating_key, parent_rating_key, section_id
type LibraryRow = tuple[
    str,
    ItemRow,
    int,
    datetime | None,
    float | None,
    datetime | None,
    int | None,
    int | None,
    str | None,
    str | None,
    str | None,
]
# Where a ``LibraryRow`` keeps what its readers use.
ROW_KEY: Final = 0
ROW_ITEM: Final = 1
ROW_LAST_VIEWED: Final = 3
ROW_USER_RATING: Final = 4
ROW_RATED_AT: Final = 5
ROW_DURATION: Final = 6
ROW_OFFSET: Final = 7
# One play of the history, packed: rating key and when it was viewed.
type PlayRow = tuple[str, datetime]


def pack_library_item(entry: PlexLibraryItem) -> LibraryRow:
    """``entry`` as a plain tuple (``unpack_library_item`` gives an equal one back)."""
    return (
        entry.rating_key,
        pack_item(entry.item),
        entry.view_count,
        entry.last_viewed_at,
        entry.user_rating,
        entry.rated_at,
        entry.duration_ms,
        entry.view_offset_ms,
        entry.grandparent_rating_key,
        entry.parent_rating_key,
        entry.section_id,
    )


def unpack_library_item(row: LibraryRow) -> PlexLibraryItem:
    """The ``PlexLibraryItem`` of a ``pack_library_item`` row."""
    key, item, views, viewed, user_rating, rated, duration, offset, grandparent, parent, section = (
        row
    )
    return PlexLibraryItem(
        rating_key=key,
        item=unpack_item(item),
        view_count=views,
        last_viewed_at=viewed,
        user_rating=user_rating,
        rated_at=rated,
        duration_ms=duration,
        view_offset_ms=offset,
        grandparent_rating_key=grandparent,
        parent_rating_key=parent,
        section_id=section,
    )


def library_row(meta: Mapping[str, Any]) -> LibraryRow | None:
    """``library_item``, packed."""
    entry = library_item(meta)
    return None if entry is None else pack_library_item(entry)


def with_item_row(row: LibraryRow, item: ItemRow) -> LibraryRow:
    """A packed library entry with another (packed) item."""
    return (row[0], item, *row[2:])


def _container(body: object, route: str, service: str) -> Mapping[str, Any]:
    container = body.get("MediaContainer") if isinstance(body, Mapping) else None
    if not isinstance(container, Mapping):
        raise InvalidResponseError(service, route, "no MediaContainer")
    return container


def _has_container(body: object) -> bool:
    return isinstance(body, Mapping) and isinstance(body.get("MediaContainer"), Mapping)


def _metadata(container: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rows = container.get("Metadata")
    return [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []


@dataclass(frozen=True, slots=True)
class PlexPin:
    """A login PIN; ``code`` goes to the auth app (strong) or plex.tv/link (4 characters)."""

    id: int
    code: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class PlexAccount:
    """The signed-in plex.tv account."""

    id: int | None
    uuid: str | None
    username: str | None
    title: str | None


@dataclass(frozen=True, slots=True)
class PlexConnection:
    """One way to reach a server."""

    uri: str
    local: bool
    relay: bool
    protocol: str


@dataclass(frozen=True, slots=True)
class PlexServer:
    """A server from ``/api/v2/resources`` with its own access token."""

    name: str
    machine_identifier: str
    access_token: str = field(repr=False)
    owned: bool
    connections: tuple[PlexConnection, ...]
    source_title: str | None = None  # who shares a server that is not the account's own

    def ordered_connections(self) -> list[PlexConnection]:
        """Return local first, then remote, then relay; https before http within each."""
        return sorted(
            self.connections,
            key=lambda c: (c.relay, not c.local, c.protocol != "https"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexHistoryEntry:
    """One play from ``/status/sessions/history/all`` (no ids: hydrate with ``metadata``)."""

    rating_key: str
    kind: MediaKind
    viewed_at: datetime
    account_id: int | None
    title: str | None = None
    grandparent_rating_key: str | None = None
    show_title: str | None = None
    season: int | None = None
    number: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PlexSession:
    """An active playback from ``/status/sessions``."""

    session_key: str
    rating_key: str | None
    kind: str | None
    user_id: str | None
    user_title: str | None
    player_id: str | None
    player_title: str | None
    state: str | None
    view_offset_ms: int | None
    duration_ms: int | None


@dataclass(frozen=True, slots=True)
class PlexSection:
    """A library section."""

    key: str
    type: str
    title: str


def _plex_service(
    session: aiohttp.ClientSession,
    *,
    service: str,
    base_url: str,
    clock: Clock,
    headers: Mapping[str, str],
    token: str | None,
    telemetry: Telemetry | None,
    policy: RetryPolicy | None,
) -> ServiceHttp:
    return ServiceHttp(
        session,
        service=service,
        base_url=base_url,
        clock=clock,
        telemetry=telemetry,
        policy=policy,
        headers=headers,
        secrets=lambda: (token,),
    )


class PlexTvClient:
    """plex.tv: PIN login, account, servers and the discover-hosted watchlist."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str = PLEX_TV_URL,
        discover_url: str = DISCOVER_URL,
        metadata_url: str = METADATA_URL,
        client_identifier: str,
        token: str | None = None,
        clock: Clock,
        product: str = "CrossWatch",
        version: str = "0.1",
        telemetry: Telemetry | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Bind the app identity (persist ``client_identifier``: PIN polls must repeat it)."""
        self.client_identifier = client_identifier
        self.product = product
        self.token = token
        headers = plex_headers(client_identifier, product, version, token)

        def make(service: str, url: str) -> ServiceHttp:
            return _plex_service(
                session,
                service=service,
                base_url=url,
                clock=clock,
                headers=headers,
                token=token,
                telemetry=telemetry,
                policy=policy,
            )

        self.http = make("plex.tv", base_url)
        self.discover = make("plex-discover", discover_url)
        self.metadata_host = make("plex-metadata", metadata_url)

    # -- login ---------------------------------------------------------------------------------
    async def create_pin(self, *, strong: bool = True) -> PlexPin:
        """Create a PIN: strong (25 characters, auth app) or 4 characters (plex.tv/link)."""
        route = "POST /api/v2/pins"
        params = {"strong": "true"} if strong else {}
        body = await self.http.post("/api/v2/pins", route=route, params=params, idempotent=True)
        data = body if isinstance(body, Mapping) else {}
        pin_id, code = _int(data.get("id")), _str(data.get("code"))
        if pin_id is None or code is None:
            raise InvalidResponseError("plex.tv", route, "PIN body without id/code")
        return PlexPin(pin_id, code, _int(data.get("expiresIn")) or 0)

    async def poll_pin(self, pin_id: int) -> str | None:
        """Return the account token once approved, else ``None``; ``NotFoundError`` if expired."""
        body = await self.http.get(f"/api/v2/pins/{pin_id}", route="GET /api/v2/pins/{id}")
        token = body.get("authToken") if isinstance(body, Mapping) else None
        return token if isinstance(token, str) and token else None

    def auth_app_url(self, code: str, forward_url: str | None = None) -> str:
        """Build the URL that sends the user to Plex's sign-in app for a strong PIN."""
        params = {
            "clientID": self.client_identifier,
            "code": code,
            "context[device][product]": self.product,
        }
        if forward_url:
            params["forwardUrl"] = forward_url
        return AUTH_APP_URL + urlencode(params)

    async def user(self) -> PlexAccount:
        """Validate the token and return the account (401 → ``AuthError``)."""
        body = await self.http.get("/api/v2/user", route="GET /api/v2/user")
        data = body if isinstance(body, Mapping) else {}
        return PlexAccount(
            id=_int(data.get("id")),
            uuid=_str(data.get("uuid")),
            username=_str(data.get("username")),
            title=_str(data.get("title")),
        )

    async def resources(self) -> list[PlexServer]:
        """Return the servers this account can use, each with its own token."""
        body = await self.http.get(
            "/api/v2/resources",
            route="GET /api/v2/resources",
            params={"includeHttps": 1, "includeRelay": 1},
        )
        servers = []
        for row in body if isinstance(body, list) else []:
            if not isinstance(row, Mapping) or "server" not in str(row.get("provides", "")):
                continue
            machine, token = _str(row.get("clientIdentifier")), _str(row.get("accessToken"))
            if machine is None or token is None:
                continue
            connections = tuple(
                PlexConnection(
                    uri=str(c["uri"]),
                    local=c.get("local") is True,
                    relay=c.get("relay") is True,
                    protocol=str(c.get("protocol", "http")),
                )
                for c in row.get("connections") or ()
                if isinstance(c, Mapping) and isinstance(c.get("uri"), str)
            )
            servers.append(
                PlexServer(
                    name=str(row.get("name", machine)),
                    machine_identifier=machine,
                    access_token=token,
                    owned=row.get("owned") is True,
                    connections=connections,
                    source_title=_str(row.get("sourceTitle")),
                )
            )
        return servers

    # -- watchlist (discover, falling back to the metadata host) -------------------------------
    async def _with_fallback(self, method: str, path: str, route: str, **kwargs: Any) -> Any:
        """Ask discover; the metadata host answers when discover is down or cannot.

        A read that discover answers with a 404, or with a 200 that holds no ``MediaContainer``,
        goes to the metadata host too; a write's 404 is an answer (the key is not there).
        """
        try:
            body = (await self.discover.request(method, path, route=route, **kwargs)).data
        except ServiceUnavailableError, InvalidResponseError:
            pass
        except NotFoundError:
            if method != "GET":
                raise
        else:
            if method != "GET" or _has_container(body):
                return body
        return (await self.metadata_host.request(method, path, route=route, **kwargs)).data

    async def watchlist_stamp(self) -> str | None:
        """A stamp that moves whenever the watchlist does, from a one-row page.

        Plex has no activity endpoint, but an addition becomes the newest entry and a removal
        changes the size: ``"<size>|<newest ratingKey>|<its watchlistedAt>"``. ``None`` when the
        answer has no size, so only reading the whole list tells.
        """
        route = "GET /library/sections/watchlist/all"
        body = await self._with_fallback(
            "GET",
            "/library/sections/watchlist/all",
            route,
            params={
                "sort": "watchlistedAt:desc",
                "X-Plex-Container-Start": 0,
                "X-Plex-Container-Size": 1,
            },
        )
        container = _container(body, route, "plex-discover")
        size = _int(container.get("totalSize"))
        if size is None:
            return None
        rows = _metadata(container)
        newest: Mapping[str, Any] = rows[0] if rows else {}
        return f"{size}|{newest.get('ratingKey')}|{newest.get('watchlistedAt')}"

    async def watchlist(self) -> list[WatchlistEntry]:
        """Return the whole watchlist (paged, with external ids)."""
        route = "GET /library/sections/watchlist/all"

        async def fetch(offset: int) -> tuple[Sequence[Any], int | None]:
            params = {
                "includeGuids": 1,
                "includeCollections": 1,
                "includeExternalMedia": 1,
                "sort": "watchlistedAt:desc",
                "X-Plex-Container-Start": offset,
                "X-Plex-Container-Size": PAGE_SIZE,
            }
            body = await self._with_fallback(
                "GET", "/library/sections/watchlist/all", route, params=params
            )
            container = _container(body, route, "plex-discover")
            return _metadata(container), _int(container.get("totalSize"))

        rows = await collect_offset_pages(
            fetch, key=lambda r: r.get("ratingKey"), source=("plex-discover", route)
        )
        out = []
        for row in rows:
            item = item_from_metadata(row)
            if item is not None:
                out.append(
                    WatchlistEntry(item=item, listed_at=parse_time(row.get("watchlistedAt")))
                )
        return out

    async def watchlist_add(self, rating_key: str) -> bool:
        """Add a discover ratingKey; ``False`` when it was already there (409)."""
        try:
            await self._with_fallback(
                "PUT",
                "/actions/addToWatchlist",
                "PUT /actions/addToWatchlist",
                params={"ratingKey": rating_key},
            )
        except ConflictError:
            return False
        return True

    async def watchlist_remove(self, rating_key: str) -> bool:
        """Remove a discover ratingKey; ``False`` when it was not there (404)."""
        try:
            await self._with_fallback(
                "PUT",
                "/actions/removeFromWatchlist",
                "PUT /actions/removeFromWatchlist",
                params={"ratingKey": rating_key},
            )
        except NotFoundError:
            return False
        return True

    async def provider_item(self, plex_id: str) -> MediaItem | None:
        """The metadata provider's item for a ``plex://`` id, with its external ids.

        ``None`` when the provider does not know the id (404 or an empty answer).
        Shape: Plex's "Metadata-type Media Providers" examples
        (tests/fixtures/real/plex/discover_metadata_*.json).
        """
        route = "GET /library/metadata/{id}"
        try:
            body = await self.metadata_host.get(
                f"/library/metadata/{plex_id}", route=route, params={"includeGuids": 1}
            )
        except NotFoundError:
            return None
        rows = _metadata(_container(body, route, "plex-metadata"))
        return item_from_metadata(rows[0]) if rows else None

    async def resolve_rating_key(self, item: MediaItem) -> str | None:
        """Find the discover ratingKey of a movie or show by its external ids."""
        if item.ids.get("plex"):
            return item.ids["plex"]
        plex_type = PLEX_TYPES.get(item.kind.value)
        if item.kind not in (MediaKind.MOVIE, MediaKind.SHOW) or plex_type is None:
            return None
        for id_type in ("tmdb", "imdb", "tvdb"):
            value = item.ids.get(id_type)
            if not value:
                continue
            body = await self.metadata_host.get(
                "/library/metadata/matches",
                route="GET /library/metadata/matches",
                params={"type": plex_type, "guid": f"{id_type}://{value}", "includeGuids": 1},
            )
            for row in _metadata(_container(body, "GET /library/metadata/matches", "plex")):
                key = _str(row.get("ratingKey"))
                if key:
                    return key
        return None


class PlexServerClient:
    """One Plex Media Server, acting as the owner of ``token``."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        token: str,
        clock: Clock,
        client_identifier: str = "crosswatch-ha",
        product: str = "CrossWatch",
        version: str = "0.1",
        telemetry: Telemetry | None = None,
        policy: RetryPolicy | None = None,
    ) -> None:
        """Bind a server URL and the server token."""
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.http = _plex_service(
            session,
            service="pms",
            base_url=self.base_url,
            clock=clock,
            headers=plex_headers(client_identifier, product, version, token),
            token=token,
            telemetry=telemetry,
            policy=policy,
        )
        self._show_ids: dict[str, Mapping[str, str]] = {}

    async def identity(self) -> str:
        """Return the server's machineIdentifier (no token needed)."""
        route = "GET /identity"
        container = _container(await self.http.get("/identity", route=route), route, "pms")
        machine = _str(container.get("machineIdentifier"))
        if machine is None:
            raise InvalidResponseError("pms", route, "no machineIdentifier")
        return machine

    async def sections(self) -> list[PlexSection]:
        """Return the library sections."""
        route = "GET /library/sections"
        container = _container(await self.http.get("/library/sections", route=route), route, "pms")
        rows = container.get("Directory")
        return [
            PlexSection(str(r.get("key")), str(r.get("type")), str(r.get("title", "")))
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, Mapping) and r.get("key") is not None
        ]

    async def _paged[R](
        self,
        path: str,
        route: str,
        params: Mapping[str, str | int],
        convert: Callable[[Mapping[str, Any]], R | None],
    ) -> list[R]:
        """Every row of a paged route, each page converted as it arrives."""

        async def fetch(offset: int) -> tuple[Sequence[Any], int | None]:
            query = {**params, "X-Plex-Container-Start": offset, "X-Plex-Container-Size": PAGE_SIZE}
            container = _container(
                await self.http.get(path, route=route, params=query), route, "pms"
            )
            return _metadata(container), _int(container.get("totalSize"))

        return await collect_offset_pages(
            fetch,
            key=lambda r: (r.get("ratingKey"), r.get("historyKey")),
            convert=convert,
            source=("pms", route),
        )

    async def library(
        self, section_key: str, kind: MediaKind | None = None
    ) -> list[PlexLibraryItem]:
        """Sweep a section (paged, with ids); ``kind`` picks e.g. episodes of a show section."""
        return await self._sweep(section_key, kind, library_item)

    async def library_rows(
        self, section_key: str, kind: MediaKind | None = None
    ) -> list[LibraryRow]:
        """``library``, each entry packed as its page arrives (what a sync run keeps)."""
        return await self._sweep(section_key, kind, library_row)

    async def _sweep[R](
        self,
        section_key: str,
        kind: MediaKind | None,
        convert: Callable[[Mapping[str, Any]], R | None],
    ) -> list[R]:
        params: dict[str, str | int] = {"includeGuids": 1}
        if kind is not None:
            params["type"] = PLEX_TYPES[kind.value]
        return await self._paged(
            f"/library/sections/{section_key}/all",
            "GET /library/sections/{key}/all",
            params,
            convert,
        )

    async def viewed_since(
        self, section_key: str, plex_type: int, since: int
    ) -> list[PlexLibraryItem]:
        """A section's movies or episodes last viewed at ``since`` or later, newest first.

        Paged by ``sort=lastViewedAt:desc`` and stopped at the first row viewed before ``since``
        (or never): a read of what moved, not a sweep. Episodes carry their show's ids.
        """
        route = "GET /library/sections/{key}/all"
        path = f"/library/sections/{section_key}/all"
        found: list[PlexLibraryItem] = []
        offset = 0
        for _ in range(MAX_PAGES):
            params: dict[str, str | int] = {
                "type": plex_type,
                "sort": "lastViewedAt:desc",
                "includeGuids": 1,
                "X-Plex-Container-Start": offset,
                "X-Plex-Container-Size": RECENT_PAGE_SIZE,
            }
            container = _container(
                await self.http.get(path, route=route, params=params), route, "pms"
            )
            rows = _metadata(container)
            for row in rows:
                entry = library_item(row)
                if entry is None:
                    continue
                if entry.last_viewed_at is None or entry.last_viewed_at.timestamp() < since:
                    return await self._with_show_ids(found)
                found.append(entry)
            offset += len(rows)
            total = _int(container.get("totalSize"))
            if not rows or total is None or offset >= total:
                break
        return await self._with_show_ids(found)

    async def _with_show_ids(self, entries: list[PlexLibraryItem]) -> list[PlexLibraryItem]:
        """Episodes with their show's ids (one request per show not asked before)."""
        out: list[PlexLibraryItem] = []
        for entry in entries:
            show = entry.grandparent_rating_key if entry.item.kind is MediaKind.EPISODE else None
            out.append(entry if not show else _with_show_ids(entry, await self.show_ids(show)))
        return out

    async def show_ids(self, rating_key: str) -> Mapping[str, str]:
        """A show's (or season's) ids, asked once per client."""
        ids = self._show_ids.get(rating_key)
        if ids is None:
            ids = dict((await self.metadata(rating_key)).item.ids)
            self._show_ids[rating_key] = ids
        return ids

    async def episodes_with_show_ids(self, section_key: str) -> list[LibraryRow]:
        """Sweep a show section's episodes (packed) and fill in their show ids from a show sweep.

        Two paged sweeps instead of one metadata request per episode; each episode page is
        converted as it arrives, so no episode lives as objects beyond its page.
        """
        shows = {row[0]: row[1] for row in await self.library_rows(section_key, MediaKind.SHOW)}

        def with_show_ids(meta: Mapping[str, Any]) -> LibraryRow | None:
            row = library_row(meta)
            show = None if row is None else shows.get(row[8] or "")
            return (
                row
                if row is None or show is None
                else with_item_row(row, _with_show_row(row[1], show))
            )

        return await self._sweep(section_key, MediaKind.EPISODE, with_show_ids)

    async def show_episodes(self, show: PlexLibraryItem) -> list[PlexLibraryItem]:
        """Every episode of one show (with their own ids), its show's ids filled in."""
        route = "GET /library/metadata/{id}/allLeaves"
        episodes = await self._paged(
            f"/library/metadata/{show.rating_key}/allLeaves",
            route,
            {"includeGuids": 1},
            library_item,
        )
        return [_with_show(entry, show.item) for entry in episodes]

    async def metadata(self, rating_key: str) -> PlexLibraryItem:
        """Return one item; an episode or season gets its show ids from the show (cached)."""
        route = "GET /library/metadata/{id}"
        body = await self.http.get(
            f"/library/metadata/{rating_key}", route=route, params={"includeGuids": 1}
        )
        rows = _metadata(_container(body, route, "pms"))
        entry = library_item(rows[0]) if rows else None
        if entry is None:
            raise InvalidResponseError("pms", route, "no usable Metadata entry")
        parent = {
            MediaKind.EPISODE: entry.grandparent_rating_key,
            MediaKind.SEASON: entry.parent_rating_key,
        }.get(entry.item.kind)
        if parent:
            entry = _with_show_ids(entry, await self.show_ids(parent))
        return entry

    async def history(
        self, *, since: datetime | None = None, account_id: int | None = None
    ) -> list[PlexHistoryEntry]:
        """Return plays since the ``since`` watermark (newest first), paged."""
        return await self._history(since, account_id, _history_entry)

    async def plays(
        self, *, since: datetime | None = None, account_id: int | None = None
    ) -> list[PlayRow]:
        """``history`` as (rating key, viewed at), each page packed as it arrives."""
        return await self._history(since, account_id, _play_row)

    async def _history[R](
        self,
        since: datetime | None,
        account_id: int | None,
        convert: Callable[[Mapping[str, Any]], R | None],
    ) -> list[R]:
        params: dict[str, str | int] = {"sort": "viewedAt:desc"}
        if since is not None:
            # Plex reads "viewedAt>=N" split at the first "=": key "viewedAt>", value N.
            params["viewedAt>"] = int(since.timestamp())
        if account_id is not None:
            params["accountID"] = account_id
        return await self._paged(
            "/status/sessions/history/all",
            "GET /status/sessions/history/all",
            params,
            convert,
        )

    async def sessions(self) -> list[PlexSession]:
        """Return active playbacks (owner/admin token only)."""
        route = "GET /status/sessions"
        container = _container(await self.http.get("/status/sessions", route=route), route, "pms")
        out = []
        for row in _metadata(container):
            user = _obj(row, "User")
            player = _obj(row, "Player")
            key = _str(row.get("sessionKey"))
            if key is None:
                continue
            out.append(
                PlexSession(
                    session_key=key,
                    rating_key=_str(row.get("ratingKey")),
                    kind=_str(row.get("type")),
                    user_id=_str(user.get("id")),
                    user_title=_str(user.get("title")),
                    player_id=_str(player.get("machineIdentifier")),
                    player_title=_str(player.get("title")),
                    state=_str(player.get("state")),
                    view_offset_ms=_int(row.get("viewOffset")),
                    duration_ms=_int(row.get("duration")),
                )
            )
        return out

    async def accounts(self) -> dict[int, str]:
        """Map PMS-local account ids to names (the owner is 1)."""
        route = "GET /accounts"
        container = _container(await self.http.get("/accounts", route=route), route, "pms")
        rows = container.get("Account")
        return {
            account_id: str(r.get("name", ""))
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, Mapping) and (account_id := _int(r.get("id"))) and r.get("name")
        }

    async def _action(self, method: str, path: str, params: Mapping[str, str | int]) -> None:
        await self.http.request(
            method, path, route=f"{method} {path}", params=params, idempotent=True
        )

    async def mark_watched(self, rating_key: str) -> None:
        """Mark watched as the token's user."""
        await self._action(
            "GET", "/:/scrobble", {"key": rating_key, "identifier": LIBRARY_IDENTIFIER}
        )

    async def mark_unwatched(self, rating_key: str) -> None:
        """Mark unwatched as the token's user."""
        await self._action(
            "GET", "/:/unscrobble", {"key": rating_key, "identifier": LIBRARY_IDENTIFIER}
        )

    async def timeline(self, rating_key: str, time_ms: int, duration_ms: int) -> None:
        """Leave a resume point: a stopped playback at ``time_ms`` (``/:/timeline``).

        As python-plexapi's ``updateTimeline`` sends it (tests/fixtures/real/SOURCES.md).
        """
        await self._action(
            "GET",
            "/:/timeline",
            {
                "ratingKey": rating_key,
                "key": f"/library/metadata/{rating_key}",
                "identifier": LIBRARY_IDENTIFIER,
                "state": "stopped",
                "time": time_ms,
                "duration": duration_ms,
            },
        )

    async def rate(self, rating_key: str, rating: float | None) -> None:
        """Rate 0-10 (``None`` clears the rating)."""
        value: str | int = -1 if rating is None else f"{max(0.0, min(10.0, rating)):g}"
        await self._action(
            "PUT",
            "/:/rate",
            {"key": rating_key, "identifier": LIBRARY_IDENTIFIER, "rating": value},
        )

    def websocket_url(self) -> str:
        """Return the notifications socket URL. It embeds the token: never log it."""
        scheme = "wss" if self.base_url.startswith("https") else "ws"
        host = self.base_url.split("://", 1)[-1]
        return f"{scheme}://{host}/:/websockets/notifications?X-Plex-Token={self._token}"


def _with_show(entry: PlexLibraryItem, show: MediaItem) -> PlexLibraryItem:
    """An episode with its show's ids (and year and title where it has none)."""
    return replace(entry, item=unpack_item(_with_show_row(pack_item(entry.item), pack_item(show))))


def _with_show_row(item: ItemRow, show: ItemRow) -> ItemRow:
    """``_with_show`` of packed items: an episode sweep makes no objects per episode."""
    kind, ids, title, year, show_ids, show_title, season, number = item
    merged = flat_ids({**dict(id_pairs(show_ids)), **dict(id_pairs(show[1]))})
    return (kind, ids, title, year or show[3], merged, show_title or show[2], season, number)


def _with_show_ids(entry: PlexLibraryItem, show_ids: Mapping[str, str]) -> PlexLibraryItem:
    """An episode or season with its show's ids added to its own show ids."""
    merged = replace(entry.item, show_ids={**entry.item.show_ids, **show_ids})
    return replace(entry, item=merged)


async def select_connection(
    session: aiohttp.ClientSession,
    server: PlexServer,
    *,
    clock: Clock,
    timeout: float = 5.0,  # noqa: ASYNC109 - a per-try request timeout, not a cancel scope
    telemetry: Telemetry | None = None,
) -> str:
    """Return the first connection URI whose ``/identity`` names this server.

    Tries local, then remote, then relay; raises ``ServiceUnavailableError`` if none answer.
    """
    policy = RetryPolicy(attempts=1, timeout=timeout)
    for connection in server.ordered_connections():
        client = PlexServerClient(
            session,
            base_url=connection.uri,
            token=server.access_token,
            clock=clock,
            telemetry=telemetry,
            policy=policy,
        )
        try:
            if await client.identity() == server.machine_identifier:
                return connection.uri
        except CrosswatchApiError:
            continue
    raise ServiceUnavailableError(
        "pms", "GET /identity", f"no reachable connection ({server.name})"
    )


def servers_by_preference(servers: Iterable[PlexServer]) -> list[PlexServer]:
    """Owned servers first (the usual choice in the config flow)."""
    return sorted(servers, key=lambda s: (not s.owned, s.name))


def _history_entry(row: Mapping[str, Any]) -> PlexHistoryEntry | None:
    """One row of ``/status/sessions/history/all``; ``None`` without type, key or time."""
    kind = _KINDS.get(str(row.get("type", "")))
    rating_key = _str(row.get("ratingKey"))
    viewed_at = parse_time(_int(row.get("viewedAt")))
    if kind is None or rating_key is None or viewed_at is None:
        return None
    grandparent = _str(row.get("grandparentKey"))
    return PlexHistoryEntry(
        rating_key=rating_key,
        kind=kind,
        viewed_at=viewed_at,
        account_id=_int(row.get("accountID")),
        title=_str(row.get("title")),
        grandparent_rating_key=grandparent.rsplit("/", 1)[-1] if grandparent else None,
        show_title=_str(row.get("grandparentTitle")),
        season=_int(row.get("parentIndex")),
        number=_int(row.get("index")),
    )


def _play_row(row: Mapping[str, Any]) -> PlayRow | None:
    """``_history_entry``, packed: its rating key and time."""
    entry = _history_entry(row)
    return None if entry is None else (entry.rating_key, entry.viewed_at)
