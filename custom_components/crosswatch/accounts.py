"""What the HA glue needs from each service, built on the API clients.

``AccountApi`` is the polling surface the coordinator uses (an activity marker, the watchlist).
``PlexLogin``, ``SimklLogin``, ``TraktImplementation`` and the helpers below carry the config
flow's logins. Nothing here keeps secrets in messages: errors come from ``api.errors``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import urlencode

from aiohttp import RequestInfo
from homeassistant.components.application_credentials import AuthImplementation
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    OAuth2TokenRequestConnectionError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util.hass_dict import HassKey
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .api.clock import Clock, SystemClock
from .api.errors import (
    AuthError,
    CrosswatchApiError,
    InvalidResponseError,
    NotFoundError,
    RequestRejectedError,
)
from .api.http import ServiceHttp
from .api.ids import normalize_ids
from .api.models import MediaItem, MediaKind, WatchlistEntry
from .api.tmdb import MemoryTmdbCache, TmdbClient
from .const import (
    APP_NAME,
    APP_VERSION,
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    CONF_SERVICE,
    DOMAIN,
    Service,
)
from .endpoints import Endpoints

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

__all__ = ["Clock"]

# Tests put the simulator's clock here so PIN and device-code polls never really sleep.
CLOCK_KEY: HassKey[Clock] = HassKey(f"{DOMAIN}_clock")
DEVICE_TOKEN: Final = "device_token"
OUT_OF_BAND: Final = "urn:ietf:wg:oauth:2.0:oob"
PLEX_PRODUCT: Final = APP_NAME


def get_clock(hass: HomeAssistant) -> Clock:
    """The clock logins and clients use."""
    return hass.data.get(CLOCK_KEY) or SystemClock()


class LoginExpiredError(Exception):
    """The PIN or device code expired (or is gone) before the user approved it."""


class LoginDeniedError(Exception):
    """The user refused the PIN or device code."""


class AccountApi(Protocol):
    """The polling surface of one connected account."""

    service: Service

    async def async_activity_marker(self) -> str | None:
        """Return a stamp that changes when the watchlist changes (``None``: no such endpoint)."""

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Return the watchlist (``None`` for accounts without one)."""


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- TMDb ---------------------------------------------------------------------------------------
def _tmdb_client(hass: HomeAssistant, key: str, *, fresh: bool = False) -> TmdbClient:
    return TmdbClient(
        async_get_clientsession(hass),
        base_url=Endpoints.from_env().tmdb,
        credential=key,
        clock=get_clock(hass),
        cache=MemoryTmdbCache() if fresh else None,
    )


async def validate_tmdb_key(hass: HomeAssistant, key: str) -> None:
    """Raise ``AuthError`` (or another API error) unless TMDb accepts ``key``."""
    await _tmdb_client(hass, key, fresh=True).validate()


@dataclass(slots=True)
class TmdbAccount:
    """TMDb is metadata only: polling just confirms the key still works."""

    hass: HomeAssistant
    key: str
    service: Service = Service.TMDB

    async def async_activity_marker(self) -> str | None:
        """Check the key (uncached) and report an unchanging marker."""
        await validate_tmdb_key(self.hass, self.key)
        return "valid"

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """TMDb accounts have no watchlist here."""
        return None


# -- SIMKL --------------------------------------------------------------------------------------
def _simkl_http(hass: HomeAssistant, client_id: str, token: str | None = None) -> ServiceHttp:
    async def auth_headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    return ServiceHttp(
        async_get_clientsession(hass),
        service="simkl",
        base_url=Endpoints.from_env().simkl,
        clock=get_clock(hass),
        auth_headers=auth_headers,
        params={"client_id": client_id, "app-name": APP_NAME.lower(), "app-version": APP_VERSION},
        secrets=lambda: (token, client_id),
    )


@dataclass(frozen=True, slots=True)
class SimklPin:
    """A SIMKL PIN the user enters at ``verification_url``."""

    user_code: str
    verification_url: str
    interval: float
    expires_at: float


@dataclass(slots=True)
class SimklLogin:
    """SIMKL's PIN login with the user's own client id."""

    hass: HomeAssistant
    client_id: str
    token: str | None = None

    async def async_create_pin(self) -> SimklPin:
        """Ask SIMKL for a PIN."""
        body = await _simkl_http(self.hass, self.client_id).get("/oauth/pin")
        try:
            return SimklPin(
                user_code=str(body["user_code"]),
                verification_url=str(body.get("verification_url") or body["verification_uri"]),
                interval=float(body.get("interval", 5)),
                expires_at=get_clock(self.hass).time() + float(body.get("expires_in", 900)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidResponseError("simkl", "GET /oauth/pin", "no PIN in answer") from err

    async def async_check_pin(self, pin: SimklPin) -> str | None:
        """Return the token once approved, ``None`` while pending."""
        body = await _simkl_http(self.hass, self.client_id).get(
            f"/oauth/pin/{pin.user_code}", route="GET /oauth/pin/{user_code}"
        )
        if not isinstance(body, dict):
            raise InvalidResponseError("simkl", "GET /oauth/pin/{user_code}", "not an object")
        if body.get("result") == "OK" and body.get("access_token"):
            self.token = str(body["access_token"])
            return self.token
        if "device_code" in body:  # SIMKL answers a gone code with a fresh PIN
            raise LoginExpiredError
        return None

    async def async_account(self) -> tuple[str, str]:
        """Return (account id, user name) of the signed-in user."""
        return await simkl_account(self.hass, self.client_id, self.token or "")


async def simkl_account(hass: HomeAssistant, client_id: str, token: str) -> tuple[str, str]:
    """(account id, name) from ``POST /users/settings``."""
    body = await _simkl_http(hass, client_id, token).post("/users/settings")
    try:
        return str(body["account"]["id"]), str(body["user"]["name"])
    except (KeyError, TypeError) as err:
        raise InvalidResponseError("simkl", "POST /users/settings", "no account") from err


SIMKL_KIND: Final = {"movies": MediaKind.MOVIE, "shows": MediaKind.SHOW, "anime": MediaKind.SHOW}


@dataclass(slots=True)
class SimklAccount:
    """SIMKL polls ``/sync/activities`` first; the plan-to-watch list only when it moved."""

    hass: HomeAssistant
    client_id: str
    token: str
    service: Service = Service.SIMKL

    async def async_activity_marker(self) -> str | None:
        """The plan-to-watch and removal stamps of every kind."""
        body = await _simkl_http(self.hass, self.client_id, self.token).get("/sync/activities")
        if not isinstance(body, dict):
            raise InvalidResponseError("simkl", "GET /sync/activities", "not an object")
        stamps = [
            str((body.get(group) or {}).get(key))
            for group in ("movies", "tv_shows", "anime")
            for key in ("plantowatch", "removed_from_list")
        ]
        return "|".join(stamps)

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every plan-to-watch movie, show and anime."""
        body = await _simkl_http(self.hass, self.client_id, self.token).get(
            "/sync/all-items", params={"extended": "full"}
        )
        entries: list[WatchlistEntry] = []
        for group, kind in SIMKL_KIND.items():
            rows = body.get(group) if isinstance(body, dict) else None
            for row in rows if isinstance(rows, list) else []:
                if not isinstance(row, dict) or row.get("status") != "plantowatch":
                    continue
                media = row.get("movie") or row.get("show") or {}
                entries.append(
                    WatchlistEntry(
                        item=MediaItem(
                            kind=kind,
                            ids=normalize_ids(media.get("ids") or {}),
                            title=media.get("title"),
                            year=media.get("year"),
                        ),
                        listed_at=_parse_time(row.get("added_to_watchlist_at")),
                    )
                )
        return entries


# -- Trakt --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TraktDeviceCode:
    """A device code the user enters at ``verification_url``."""

    device_code: str
    user_code: str
    verification_url: str
    interval: float
    expires_at: float


class TraktImplementation(AuthImplementation):
    """The user's Trakt API app: JSON token requests, device codes, and the redirect flow."""

    @property
    def _endpoints(self) -> Endpoints:
        return Endpoints.from_env()

    def _http(self) -> ServiceHttp:
        return ServiceHttp(
            async_get_clientsession(self.hass),
            service="trakt",
            base_url=self._endpoints.trakt,
            clock=get_clock(self.hass),
            headers={"Content-Type": "application/json"},
            secrets=lambda: (self.client_secret,),
        )

    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Trakt wants JSON bodies with the client credentials and redirect URI."""
        # A code exchange carries its redirect URI; a refresh has no request to derive one
        # from, and Trakt accepts the out-of-band URI that device logins use.
        body = {
            "redirect_uri": OUT_OF_BAND,
            **data,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            answer = await self._http().post("/oauth/token", json_body=body)
        except (AuthError, RequestRejectedError) as err:
            # 401, or 400 invalid_grant: the refresh token is spent or revoked.
            url = URL(self.token_url)
            raise OAuth2TokenRequestReauthError(
                domain=DOMAIN,
                request_info=RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url),
                status=getattr(err, "status", 401),
            ) from err
        except CrosswatchApiError as err:
            raise OAuth2TokenRequestConnectionError(domain=DOMAIN) from err
        return dict(answer)

    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """A device login already holds the token; a redirect brings a code to exchange."""
        if isinstance(external_data, dict) and DEVICE_TOKEN in external_data:
            return dict(external_data[DEVICE_TOKEN])
        return await super().async_resolve_external_data(external_data)

    async def async_device_code(self) -> TraktDeviceCode:
        """Ask Trakt for a device code."""
        body = await self._http().post(
            "/oauth/device/code", json_body={"client_id": self.client_id}
        )
        try:
            return TraktDeviceCode(
                device_code=str(body["device_code"]),
                user_code=str(body["user_code"]),
                verification_url=str(body["verification_url"]),
                interval=float(body.get("interval", 5)),
                expires_at=get_clock(self.hass).time() + float(body.get("expires_in", 600)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidResponseError("trakt", "POST /oauth/device/code", "no code") from err

    async def async_device_token(self, code: TraktDeviceCode) -> dict[str, Any] | None:
        """Return the token once the user entered the code, ``None`` while pending."""
        answer = await self._http().request(
            "POST",
            "/oauth/device/token",
            json_body={
                "code": code.device_code,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
            allow=(400, 404, 409, 410, 418, 429),
            idempotent=True,
        )
        if answer.status in (400, 429):  # pending, or polling a little too fast
            return None
        if answer.status == 418:  # noqa: PLR2004
            raise LoginDeniedError
        if answer.status in (404, 409, 410):
            raise LoginExpiredError
        return dict(answer.data)


def _trakt_http(hass: HomeAssistant, client_id: str, token: Any) -> ServiceHttp:
    async def auth_headers() -> dict[str, str]:
        return {"Authorization": f"Bearer {await token()}"}

    return ServiceHttp(
        async_get_clientsession(hass),
        service="trakt",
        base_url=Endpoints.from_env().trakt,
        clock=get_clock(hass),
        headers={"trakt-api-version": "2", "trakt-api-key": client_id},
        auth_headers=auth_headers,
    )


async def trakt_account(
    hass: HomeAssistant,
    implementation: config_entry_oauth2_flow.AbstractOAuth2Implementation,
    token: Mapping[str, Any],
) -> tuple[str, str]:
    """(uuid or slug, username) of the user a fresh token belongs to."""
    access = str(token["access_token"])

    async def current() -> str:
        return access

    client_id = getattr(implementation, "client_id", "")
    body = await _trakt_http(hass, client_id, current).get("/users/settings")
    try:
        user = body["user"]
        return str(user["ids"].get("uuid") or user["ids"]["slug"]), str(user["username"])
    except (KeyError, TypeError, AttributeError) as err:
        raise InvalidResponseError("trakt", "GET /users/settings", "no user") from err


TRAKT_KIND: Final = {
    "movie": MediaKind.MOVIE,
    "show": MediaKind.SHOW,
    "season": MediaKind.SEASON,
    "episode": MediaKind.EPISODE,
}


@dataclass(slots=True)
class TraktAccount:
    """Trakt polls ``/sync/last_activities``; the watchlist only when it moved."""

    hass: HomeAssistant
    session: config_entry_oauth2_flow.OAuth2Session
    client_id: str
    service: Service = Service.TRAKT
    _http: ServiceHttp | None = field(default=None, repr=False)

    @property
    def http(self) -> ServiceHttp:
        """The Trakt connection, with the access token refreshed before it expires."""
        if self._http is None:

            async def token() -> str:
                await self.session.async_ensure_token_valid()
                return str(self.session.token["access_token"])

            self._http = _trakt_http(self.hass, self.client_id, token)
        return self._http

    async def async_activity_marker(self) -> str | None:
        """The watchlist's ``updated_at`` stamp."""
        body = await self.http.get("/sync/last_activities")
        watchlist = body.get("watchlist") if isinstance(body, dict) else None
        if not isinstance(watchlist, dict):
            raise InvalidResponseError("trakt", "GET /sync/last_activities", "no watchlist")
        return str(watchlist.get("updated_at"))

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every watchlist row."""
        rows = await self.http.get("/sync/watchlist")
        entries: list[WatchlistEntry] = []
        for row in rows if isinstance(rows, list) else []:
            kind = TRAKT_KIND.get(str(row.get("type"))) if isinstance(row, dict) else None
            if kind is None:
                continue
            media = row.get(row["type"]) or {}
            entries.append(
                WatchlistEntry(
                    item=MediaItem(
                        kind=kind,
                        ids=normalize_ids(media.get("ids") or {}),
                        title=media.get("title"),
                        year=media.get("year"),
                    ),
                    listed_at=_parse_time(row.get("listed_at")),
                )
            )
        return entries


# -- Plex ---------------------------------------------------------------------------------------
class WrongServerError(Exception):
    """The URL answered, but as another server."""


@dataclass(frozen=True, slots=True)
class PlexPin:
    """A plex.tv PIN the user approves in the Plex auth app."""

    id: int
    code: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class PlexServerChoice:
    """A server the account can reach, as offered in the flow."""

    machine_id: str
    name: str
    owned: bool
    owner: str | None
    access_token: str
    connections: tuple[str, ...]

    @property
    def label(self) -> str:
        """Shared servers are marked as such."""
        return self.name if self.owned else f"{self.name} (shared by {self.owner or 'a friend'})"


def _plex_headers(client_identifier: str) -> dict[str, str]:
    return {
        "X-Plex-Client-Identifier": client_identifier,
        "X-Plex-Product": PLEX_PRODUCT,
        "X-Plex-Version": APP_VERSION,
        "X-Plex-Platform": "Home Assistant",
        "X-Plex-Device-Name": "Home Assistant",
    }


def _plex_http(
    hass: HomeAssistant, client_identifier: str, base_url: str, token: str | None = None
) -> ServiceHttp:
    return ServiceHttp(
        async_get_clientsession(hass),
        service="plex.tv",
        base_url=base_url,
        clock=get_clock(hass),
        headers={**_plex_headers(client_identifier), **({"X-Plex-Token": token} if token else {})},
        secrets=lambda: (token,),
    )


@dataclass(slots=True)
class PlexLogin:
    """plex.tv PIN login, then the account and its servers."""

    hass: HomeAssistant
    client_identifier: str
    token: str | None = None
    account: tuple[str, str] | None = None
    servers: list[PlexServerChoice] = field(default_factory=list)

    def _tv(self, token: str | None = None) -> ServiceHttp:
        return _plex_http(self.hass, self.client_identifier, Endpoints.from_env().plex_tv, token)

    async def async_create_pin(self) -> PlexPin:
        """Create a strong PIN for the auth-app flow."""
        body = await self._tv().post("/api/v2/pins", params={"strong": "true"})
        try:
            return PlexPin(
                id=int(body["id"]),
                code=str(body["code"]),
                expires_at=get_clock(self.hass).time() + float(body.get("expiresIn", 1800)),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidResponseError("plex.tv", "POST /api/v2/pins", "no PIN") from err

    def auth_url(self, pin: PlexPin) -> str:
        """The app.plex.tv page where the user approves the PIN."""
        query = urlencode(
            {
                "clientID": self.client_identifier,
                "code": pin.code,
                "context[device][product]": PLEX_PRODUCT,
            }
        )
        return f"{Endpoints.from_env().plex_app}/auth#?{query}"

    async def async_check_pin(self, pin: PlexPin) -> str | None:
        """Return the account token once approved, ``None`` while pending."""
        try:
            body = await self._tv().get(f"/api/v2/pins/{pin.id}", route="GET /api/v2/pins/{id}")
        except NotFoundError as err:
            raise LoginExpiredError from err
        token = body.get("authToken") if isinstance(body, dict) else None
        if token:
            self.token = str(token)
        return self.token

    async def async_load_account(self) -> None:
        """Read the account and its servers (owned first)."""
        tv = self._tv(self.token)
        user = await tv.get("/api/v2/user")
        resources = await tv.get("/api/v2/resources", params={"includeHttps": 1, "includeRelay": 1})
        try:
            self.account = (str(user["id"]), str(user.get("username") or user["title"]))
        except (KeyError, TypeError) as err:
            raise InvalidResponseError("plex.tv", "GET /api/v2/user", "no account") from err
        servers = [
            PlexServerChoice(
                machine_id=str(res["clientIdentifier"]),
                name=str(res.get("name") or res["clientIdentifier"]),
                owned=bool(res.get("owned")),
                owner=res.get("sourceTitle"),
                access_token=str(res.get("accessToken") or ""),
                connections=_ordered_connections(res.get("connections") or []),
            )
            for res in (resources if isinstance(resources, list) else [])
            if isinstance(res, dict) and "server" in str(res.get("provides", "")).split(",")
        ]
        self.servers = sorted(servers, key=lambda s: (not s.owned, s.name.lower()))

    async def async_connect(self, server: PlexServerChoice, url: str | None = None) -> str:
        """The first URL whose ``/identity`` is this server (``url`` first when given)."""
        candidates = (url,) if url else server.connections
        last: Exception = InvalidResponseError("pms", "GET /identity", "no connection")
        for candidate in candidates:
            pms = _plex_http(self.hass, self.client_identifier, candidate, server.access_token)
            try:
                body = await pms.get("/identity")
            except CrosswatchApiError as err:
                last = err
                continue
            found = (body.get("MediaContainer") or {}).get("machineIdentifier")
            if found != server.machine_id:
                raise WrongServerError
            return candidate
        raise last


def _ordered_connections(connections: Sequence[Any]) -> tuple[str, ...]:
    """Local before remote before relay, https before http (as Plex clients do)."""
    rows = [c for c in connections if isinstance(c, dict) and c.get("uri")]
    rows.sort(
        key=lambda c: (bool(c.get("relay")), not c.get("local"), c.get("protocol") != "https")
    )
    return tuple(str(c["uri"]).rstrip("/") for c in rows)


async def plex_server_users(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, str]:
    """PMS account id -> name, from the server's ``/accounts``."""
    pms = _plex_http(
        hass,
        entry.data[CONF_PLEX_CLIENT_ID],
        entry.data[CONF_SERVER_URL],
        entry.data[CONF_SERVER_TOKEN],
    )
    body = await pms.get("/accounts")
    rows = (body.get("MediaContainer") or {}).get("Account") if isinstance(body, dict) else None
    return {
        str(row["id"]): str(row.get("name") or row["id"])
        for row in (rows if isinstance(rows, list) else [])
        if isinstance(row, dict) and "id" in row and str(row["id"]) != "0"
    }


@dataclass(slots=True)
class PlexAccount:
    """The Plex account's watchlist lives on discover.provider.plex.tv (no activity stamp)."""

    hass: HomeAssistant
    client_identifier: str
    token: str
    service: Service = Service.PLEX

    async def async_activity_marker(self) -> str | None:
        """Plex has no activity endpoint."""
        return None

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every watchlist page."""
        http = _plex_http(
            self.hass, self.client_identifier, Endpoints.from_env().plex_discover, self.token
        )
        entries: list[WatchlistEntry] = []
        start, size = 0, 100
        while True:
            body = await http.get(
                "/library/sections/watchlist/all",
                params={
                    "includeGuids": 1,
                    "X-Plex-Container-Start": start,
                    "X-Plex-Container-Size": size,
                },
            )
            container = body.get("MediaContainer") if isinstance(body, dict) else None
            if not isinstance(container, dict):
                raise InvalidResponseError("plex-discover", "GET watchlist", "no container")
            rows = [r for r in container.get("Metadata") or [] if isinstance(r, dict)]
            for row in rows:
                guids = {
                    str(g["id"]).split("://", 1)[0]: str(g["id"]).split("://", 1)[1]
                    for g in row.get("Guid") or []
                    if isinstance(g, dict) and "://" in str(g.get("id"))
                }
                kind = MediaKind.SHOW if row.get("type") == "show" else MediaKind.MOVIE
                watchlisted = row.get("watchlistedAt")
                entries.append(
                    WatchlistEntry(
                        item=MediaItem(
                            kind=kind,
                            ids=normalize_ids({**guids, "plex": row.get("ratingKey")}),
                            title=row.get("title"),
                            year=row.get("year"),
                        ),
                        listed_at=datetime.fromtimestamp(watchlisted, UTC)
                        if isinstance(watchlisted, int | float)
                        else None,
                    )
                )
            start += len(rows)
            total = container.get("totalSize")
            if not rows or not isinstance(total, int) or start >= total:
                return entries


# -- factory ------------------------------------------------------------------------------------
async def async_create_account_api(hass: HomeAssistant, entry: ConfigEntry) -> AccountApi:
    """Build the account's polling surface from its entry data."""
    service = Service(entry.data[CONF_SERVICE])
    if service is Service.TMDB:
        return TmdbAccount(hass, entry.data[CONF_API_KEY])
    if service is Service.SIMKL:
        return SimklAccount(hass, entry.data[CONF_CLIENT_ID], entry.data[CONF_ACCESS_TOKEN])
    if service is Service.PLEX:
        return PlexAccount(hass, entry.data[CONF_PLEX_CLIENT_ID], entry.data[CONF_PLEX_TOKEN])
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
            hass, entry
        )
    except config_entry_oauth2_flow.ImplementationUnavailableError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="credentials_unavailable"
        ) from err
    session = config_entry_oauth2_flow.OAuth2Session(hass, entry, implementation)
    return TraktAccount(hass, session, getattr(implementation, "client_id", ""))
