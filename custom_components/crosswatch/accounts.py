"""What the HA glue needs from each service, built on the API clients.

``AccountApi`` is the polling surface the coordinator uses (an activity marker, the watchlist).
``PlexLogin``, ``SimklLogin``, ``TraktImplementation`` and the helpers below carry the config
flow's logins. Nothing here keeps secrets in messages: errors come from ``api.errors``.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Protocol

from aiohttp import ClientError, RequestInfo
from homeassistant.components.application_credentials import AuthImplementation
from homeassistant.exceptions import (
    ConfigEntryNotReady,
    HomeAssistantError,
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
    ServiceUnavailableError,
)
from .api.http import ServiceHttp
from .api.models import MediaItem, MediaKind
from .api.plex import PlexServerClient, PlexTvClient, select_connection
from .api.simkl import PinStatus, SimklClient
from .api.tmdb import MemoryTmdbCache, TmdbClient
from .api.trakt import DeviceStatus, TraktAuth, TraktClient, TraktToken
from .const import (
    APP_NAME,
    APP_VERSION,
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_ID,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    CONF_SERVICE,
    DOMAIN,
    Service,
)
from .data import loaded_entries, loaded_entry
from .endpoints import Endpoints

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .api.models import WatchlistEntry

__all__ = ["Clock"]

_LOGGER = logging.getLogger(__name__)

# Tests put the simulator's clock here so PIN and device-code polls never really sleep.
CLOCK_KEY: HassKey[Clock] = HassKey(f"{DOMAIN}_clock")
DEVICE_TOKEN: Final = "device_token"  # noqa: S105 - a dict key, not a secret
OUT_OF_BAND: Final = "urn:ietf:wg:oauth:2.0:oob"


def get_clock(hass: HomeAssistant) -> Clock:
    """The clock logins and clients use."""
    return hass.data.get(CLOCK_KEY) or SystemClock()


class LoginExpiredError(Exception):
    """The PIN or device code expired (or is gone) before the user approved it."""


class LoginDeniedError(Exception):
    """The user refused the PIN or device code."""


class HttpClient(Protocol):
    """Any of our API clients; each counts its requests per service and route."""

    @property
    def http(self) -> ServiceHttp:
        """Return the client's HTTP core."""


class AccountApi(Protocol):
    """The polling surface of one connected account."""

    service: Service

    @property
    def client(self) -> HttpClient:
        """Return the account's one client (shared by polls, sync runs and scrobbles)."""

    async def async_activity_marker(self) -> str | None:
        """Return a stamp that changes when the watchlist changes (``None``: no such endpoint)."""

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Return the watchlist (``None`` for accounts without one)."""


# -- TMDb ---------------------------------------------------------------------------------------
def _tmdb_client(hass: HomeAssistant, key: str, cache: MemoryTmdbCache | None = None) -> TmdbClient:
    endpoints = Endpoints.from_env()
    return TmdbClient(
        async_get_clientsession(hass),
        base_url=endpoints.tmdb,
        image_base_url=endpoints.tmdb_image,
        credential=key,
        clock=get_clock(hass),
        cache=cache,
    )


def account_requests(api: AccountApi) -> dict[str, dict[str, dict[str, float]]]:
    """Requests per service and route the account's clients made since setup."""
    clients = [api.client, *([api.server] if isinstance(api, PlexAccount) else [])]
    counted: dict[str, dict[str, dict[str, float]]] = {}
    for client in clients:
        counted.update(client.http.telemetry.as_dict())
    return counted


async def validate_tmdb_key(hass: HomeAssistant, key: str) -> None:
    """Raise ``AuthError`` (or another API error) unless TMDb accepts ``key``."""
    await _tmdb_client(hass, key).validate()


@dataclass(slots=True)
class TmdbAccount:
    """TMDb is metadata only: polling just confirms the key still works."""

    hass: HomeAssistant
    key: str = field(repr=False)
    service: Service = Service.TMDB
    cache: MemoryTmdbCache = field(default_factory=MemoryTmdbCache, repr=False)
    client: TmdbClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """One cached client per loaded entry, for posters and lookups."""
        self.client = _tmdb_client(self.hass, self.key, self.cache)

    def cached_answers(self) -> int:
        """How many TMDb answers (posters, lookups, configuration) are cached and fresh."""
        return self.cache.live(self.client.clock.time())

    async def async_activity_marker(self) -> str | None:
        """Check the key (``validate`` never answers from the cache): an unchanging marker."""
        await self.client.validate()
        return "valid"

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """TMDb accounts have no watchlist here."""
        return None


def poster_key(item: MediaItem) -> str | None:
    """How posters are keyed: TMDb ids are only unique per kind."""
    tmdb_id = item.ids.get("tmdb")
    if not tmdb_id or item.kind not in (MediaKind.MOVIE, MediaKind.SHOW):
        return None
    return f"{item.kind}:{tmdb_id}"


def loaded_tmdb_client(hass: HomeAssistant) -> TmdbClient | None:
    """The client of the first loaded TMDb account (posters and title look-ups), if any."""
    return next(
        (
            entry.runtime_data.api.client
            for entry in loaded_entries(hass)
            if isinstance(entry.runtime_data.api, TmdbAccount)
        ),
        None,
    )


async def async_poster_urls(hass: HomeAssistant, items: Iterable[MediaItem]) -> dict[str, str]:
    """Poster URLs by ``poster_key`` from the first loaded TMDb account (none without one).

    Posters are decoration: a title TMDb cannot answer for is left out, never an error.
    """
    client = loaded_tmdb_client(hass)
    posters: dict[str, str] = {}
    if client is None:
        return posters
    try:
        await client.configuration()  # the image base URL; cached for a week
    except CrosswatchApiError:
        return posters
    for item in items:
        key = poster_key(item)
        if key is None or key in posters:
            continue
        try:
            title = await client.details(item.kind, item.ids["tmdb"])
        except CrosswatchApiError as err:
            _LOGGER.debug("No TMDb poster for %s: %s", key, err)
            continue
        if url := client.image_url(title.poster_path):
            posters[key] = url
    return posters


# -- SIMKL --------------------------------------------------------------------------------------
def simkl_client(hass: HomeAssistant, client_id: str, token: str | None = None) -> SimklClient:
    """A SIMKL client over HA's session (without a token: the PIN login only)."""
    return SimklClient(
        async_get_clientsession(hass),
        base_url=Endpoints.from_env().simkl,
        client_id=client_id,
        app_name=APP_NAME.lower(),
        app_version=APP_VERSION,
        token=token,
        clock=get_clock(hass),
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
        pin = await simkl_client(self.hass, self.client_id).pin_start()
        return SimklPin(
            user_code=pin.user_code,
            verification_url=pin.verification_url,
            interval=float(pin.interval),
            expires_at=get_clock(self.hass).time() + pin.expires_in,
        )

    async def async_check_pin(self, pin: SimklPin) -> str | None:
        """Return the token once approved, ``None`` while pending."""
        poll = await simkl_client(self.hass, self.client_id).pin_poll(pin.user_code)
        if poll.status is PinStatus.GONE:  # SIMKL answers a gone code with a fresh PIN
            raise LoginExpiredError
        if poll.status is PinStatus.APPROVED:
            self.token = poll.access_token
        return self.token

    async def async_account(self) -> tuple[str, str]:
        """Return (account id, user name) of the signed-in user."""
        route = "POST /users/settings"
        settings = await simkl_client(self.hass, self.client_id, self.token).settings()
        try:
            return str(settings["account"]["id"]), str(settings["user"]["name"])
        except (KeyError, TypeError) as err:
            raise InvalidResponseError("simkl", route, "settings without account") from err


# The activity stamps that move when the plan-to-watch list changes.
SIMKL_WATCHLIST_STAMPS: Final = tuple(
    (group, key)
    for group in ("movies", "tv_shows", "anime")
    for key in ("plantowatch", "removed_from_list")
)


@dataclass(slots=True)
class SimklAccount:
    """SIMKL polls ``/sync/activities`` first; the plan-to-watch list only when it moved."""

    hass: HomeAssistant
    client_id: str
    token: str
    service: Service = Service.SIMKL
    client: SimklClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Build the client once per loaded entry."""
        self.client = simkl_client(self.hass, self.client_id, self.token)

    async def async_activity_marker(self) -> str | None:
        """The plan-to-watch and removal stamps of every kind."""
        activities = await self.client.activities()
        return "|".join(
            str((activities.get(group) or {}).get(key)) for group, key in SIMKL_WATCHLIST_STAMPS
        )

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every plan-to-watch movie, show and anime."""
        return (await self.client.all_items(extended="full")).watchlist()


# -- Trakt --------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TraktDeviceCode:
    """A device code the user enters at ``verification_url``."""

    device_code: str = field(repr=False)
    user_code: str
    verification_url: str
    interval: float
    expires_at: float


def _token_dict(token: TraktToken) -> dict[str, Any]:
    """HA's OAuth token dict; HA adds ``expires_at`` from ``expires_in``."""
    return {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "token_type": "bearer",
        "expires_in": token.expires_in,
        "created_at": token.created_at,
    }


class TraktImplementation(AuthImplementation):
    """The user's Trakt API app: JSON token requests, device codes, and the redirect flow."""

    def _auth(self) -> TraktAuth:
        return TraktAuth(
            async_get_clientsession(self.hass),
            base_url=Endpoints.from_env().trakt,
            client_id=self.client_id,
            client_secret=self.client_secret,
            clock=get_clock(self.hass),
        )

    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange a code or spend a refresh token through ``TraktAuth`` (JSON bodies)."""
        auth = self._auth()
        try:
            if data.get("grant_type") == "refresh_token":
                # No request to derive a redirect URI from: the device login's URI serves.
                token = await auth.refresh(data["refresh_token"], OUT_OF_BAND)
            else:
                token = await auth.exchange_code(data["code"], data["redirect_uri"])
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
        return _token_dict(token)

    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """A device login already holds the token; a redirect brings a code to exchange."""
        if isinstance(external_data, dict) and DEVICE_TOKEN in external_data:
            return dict(external_data[DEVICE_TOKEN])
        return await super().async_resolve_external_data(external_data)

    async def async_revoke(self, token: Mapping[str, Any]) -> None:
        """Revoke the account's access token (the refresh token dies with it)."""
        await self._auth().revoke(str(token["access_token"]))

    async def async_device_code(self) -> TraktDeviceCode:
        """Ask Trakt for a device code."""
        code = await self._auth().device_code()
        return TraktDeviceCode(
            device_code=code.device_code,
            user_code=code.user_code,
            verification_url=code.verification_url,
            interval=float(code.interval),
            expires_at=get_clock(self.hass).time() + code.expires_in,
        )

    async def async_device_token(self, code: TraktDeviceCode) -> dict[str, Any] | None:
        """Return the token once the user entered the code, ``None`` while pending."""
        poll = await self._auth().poll_device(code.device_code)
        if poll.status is DeviceStatus.APPROVED and poll.token is not None:
            return _token_dict(poll.token)
        if poll.status is DeviceStatus.DENIED:
            raise LoginDeniedError
        if poll.done:  # invalid, already used or expired
            raise LoginExpiredError
        return None


def trakt_client(
    hass: HomeAssistant, client_id: str, access_token: Callable[[], Awaitable[str]]
) -> TraktClient:
    """A Trakt client over HA's session."""
    return TraktClient(
        async_get_clientsession(hass),
        base_url=Endpoints.from_env().trakt,
        client_id=client_id,
        access_token=access_token,
        clock=get_clock(hass),
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
    settings = await trakt_client(hass, client_id, current).settings()
    user = settings.raw.get("user")
    ids = user.get("ids") if isinstance(user, Mapping) else None
    account_id = (ids.get("uuid") or ids.get("slug")) if isinstance(ids, Mapping) else None
    if not account_id or not settings.username:
        raise InvalidResponseError("trakt", "GET /users/settings", "settings without user ids")
    return str(account_id), settings.username


@dataclass(slots=True)
class TraktAccount:
    """Trakt polls ``/sync/last_activities``; the watchlist only when it moved."""

    hass: HomeAssistant
    session: config_entry_oauth2_flow.OAuth2Session
    client_id: str
    service: Service = Service.TRAKT
    client: TraktClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """One client per loaded entry; tokens are refreshed before they expire."""
        oauth = self.session

        async def token() -> str:
            try:
                await oauth.async_ensure_token_valid()
            except OAuth2TokenRequestReauthError as err:
                # The refresh token is spent or revoked: polls start reauth, scrobbles queue.
                raise AuthError("trakt", "token refresh", "token refused") from err
            except (HomeAssistantError, ClientError, TimeoutError) as err:
                raise ServiceUnavailableError("trakt", "token refresh", "not renewed") from err
            return str(oauth.token["access_token"])

        self.client = trakt_client(self.hass, self.client_id, token)

    async def async_activity_marker(self) -> str | None:
        """The watchlist's ``updated_at`` stamp."""
        watchlist = (await self.client.last_activities()).get("watchlist")
        if not isinstance(watchlist, Mapping):
            raise InvalidResponseError("trakt", "GET /sync/last_activities", "no watchlist")
        return str(watchlist.get("updated_at"))

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every watchlist row."""
        return await self.client.watchlist()


# -- Plex ---------------------------------------------------------------------------------------
class WrongServerError(Exception):
    """The URL answered, but as another server."""


class UnverifiableAddressError(Exception):
    """An https URL to a bare IP: HA verifies certificates, and Plex's names plex.direct."""


def plex_direct_address(url: str, connections: Iterable[str]) -> str | None:
    """The plex.direct address plex.tv lists for an ``https://<LAN IP>:<port>`` URL.

    A Plex server's certificate names ``<ip with dashes>.<hash>.plex.direct``, so only that name
    passes Home Assistant's certificate check for the same address.
    """
    parsed = URL(url)
    if parsed.scheme != "https" or not _is_ip(parsed.host):
        return None
    dashed = str(parsed.host).replace(".", "-").replace(":", "-")
    for candidate in connections:
        known = URL(candidate)
        host = known.host or ""
        if (
            host.startswith(f"{dashed}.")
            and host.endswith(".plex.direct")
            and known.port == parsed.port
        ):
            return candidate
    return None


def _is_ip(host: str | None) -> bool:
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return True


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
    access_token: str = field(repr=False)
    connections: tuple[str, ...]
    owner: str | None = None

    @property
    def label(self) -> str:
        """Shared servers are marked as such, with who shares them when plex.tv says."""
        if self.owned:
            return self.name
        return f"{self.name} (shared by {self.owner})" if self.owner else f"{self.name} (shared)"


def plex_tv_client(hass: HomeAssistant, client_identifier: str, token: str | None) -> PlexTvClient:
    """A plex.tv client (account, servers, watchlist) over HA's session."""
    endpoints = Endpoints.from_env()
    return PlexTvClient(
        async_get_clientsession(hass),
        base_url=endpoints.plex_tv,
        discover_url=endpoints.plex_discover,
        metadata_url=endpoints.plex_metadata,
        client_identifier=client_identifier,
        token=token,
        clock=get_clock(hass),
        product=APP_NAME,
        version=APP_VERSION,
    )


def plex_server_client(
    hass: HomeAssistant, client_identifier: str, url: str, token: str
) -> PlexServerClient:
    """A client for one Plex Media Server over HA's session."""
    return PlexServerClient(
        async_get_clientsession(hass),
        base_url=url,
        token=token,
        clock=get_clock(hass),
        client_identifier=client_identifier,
        product=APP_NAME,
        version=APP_VERSION,
    )


@dataclass(slots=True)
class PlexLogin:
    """plex.tv PIN login, then the account and its servers."""

    hass: HomeAssistant
    client_identifier: str
    token: str | None = None
    account: tuple[str, str] | None = None
    servers: list[PlexServerChoice] = field(default_factory=list)

    def _tv(self) -> PlexTvClient:
        return plex_tv_client(self.hass, self.client_identifier, self.token)

    async def async_create_pin(self) -> PlexPin:
        """Create a strong PIN for the auth-app flow."""
        pin = await self._tv().create_pin()
        expires_in = pin.expires_in or 1800
        return PlexPin(
            id=pin.id, code=pin.code, expires_at=get_clock(self.hass).time() + expires_in
        )

    def auth_url(self, pin: PlexPin) -> str:
        """The app.plex.tv page where the user approves the PIN."""
        url = self._tv().auth_app_url(pin.code)
        return Endpoints.from_env().plex_auth + url[url.index("#") :]

    async def async_check_pin(self, pin: PlexPin) -> str | None:
        """Return the account token once approved, ``None`` while pending."""
        try:
            token = await self._tv().poll_pin(pin.id)
        except NotFoundError as err:
            raise LoginExpiredError from err
        if token:
            self.token = token
        return self.token

    async def async_load_account(self) -> None:
        """Read the account and its servers (owned first)."""
        tv = self._tv()
        user = await tv.user()
        servers = await tv.resources()
        if user.id is None:
            raise InvalidResponseError("plex.tv", "GET /api/v2/user", "account without id")
        self.account = (str(user.id), user.username or user.title or str(user.id))
        choices = [
            PlexServerChoice(
                machine_id=server.machine_identifier,
                name=server.name,
                owned=server.owned,
                access_token=server.access_token,
                connections=tuple(c.uri.rstrip("/") for c in server.ordered_connections()),
                owner=server.source_title,
            )
            for server in servers
        ]
        self.servers = sorted(choices, key=lambda s: (not s.owned, s.name.lower()))

    async def async_connect(
        self, server: PlexServerChoice, url: str | None = None, *, prefer: str | None = None
    ) -> str:
        """The first URL whose ``/identity`` is this server.

        ``url`` (typed by the user) is the only one tried; an https one to a LAN IP becomes the
        plex.direct address plex.tv lists for it. Otherwise ``prefer`` (the address the entry
        used) goes before plex.tv's addresses.
        """
        # An https URL to a bare IP that plex.tv has no plex.direct name for cannot pass the check.
        https_ip = False
        if url:
            direct = plex_direct_address(url, server.connections)
            candidates: tuple[str, ...] = (direct or url,)
            https_ip = direct is None and URL(url).scheme == "https" and _is_ip(URL(url).host)
        else:
            candidates = tuple(dict.fromkeys((*([prefer] if prefer else []), *server.connections)))
        last: Exception = InvalidResponseError("pms", "GET /identity", "no connection")
        for candidate in candidates:
            pms = plex_server_client(
                self.hass, self.client_identifier, candidate, server.access_token
            )
            try:
                found = await pms.identity()
            except CrosswatchApiError as err:
                last = err
                continue
            if found != server.machine_id:
                raise WrongServerError
            return candidate
        if https_ip:
            raise UnverifiableAddressError from last
        raise last


async def plex_server_users(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, str]:
    """PMS account id (as a string) -> name, from the server's ``/accounts``.

    A loaded account asks through its own server client; a flow on an unloaded one builds one.
    """
    loaded = loaded_entry(hass, entry.entry_id)
    api = None if loaded is None else loaded.runtime_data.api
    pms = (
        api.server
        if isinstance(api, PlexAccount)
        else plex_server_client(
            hass,
            entry.data[CONF_PLEX_CLIENT_ID],
            entry.data[CONF_SERVER_URL],
            entry.data[CONF_SERVER_TOKEN],
        )
    )
    return {str(account_id): name for account_id, name in (await pms.accounts()).items()}


@dataclass(slots=True)
class PlexAccount:
    """The Plex account's watchlist lives on discover.provider.plex.tv (no activity stamp).

    ``client`` talks to plex.tv and ``server`` to the chosen Plex Media Server: polls, sync
    and scrobbling share both.
    """

    hass: HomeAssistant
    client_identifier: str
    token: str
    server_url: str
    server_token: str = field(repr=False)
    server_id: str = ""
    service: Service = Service.PLEX
    client: PlexTvClient = field(init=False, repr=False)
    server: PlexServerClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """One plex.tv client and one server client per loaded entry."""
        self.client = plex_tv_client(self.hass, self.client_identifier, self.token)
        self.server = plex_server_client(
            self.hass, self.client_identifier, self.server_url, self.server_token
        )

    async def async_check_server(self) -> str | None:
        """Check the server with its token; find its new address when the stored one is dead.

        A refused token raises ``AuthError`` (the entry then asks to sign in again). When the
        server does not answer, plex.tv's current addresses for it are tried (a server's LAN
        address or plex.direct name changes); the one that answers as this server is returned
        and used from now on. ``None``: the address works, or no better one is known.
        """
        try:
            await self.server.sections()
        except AuthError:
            raise
        except CrosswatchApiError as err:
            _LOGGER.debug("Plex server not answering at its address: %s", err)
        else:
            return None
        try:
            servers = await self.client.resources()
            found = next((s for s in servers if s.machine_identifier == self.server_id), None)
            if found is None:
                return None
            url = (
                await select_connection(
                    async_get_clientsession(self.hass), found, clock=get_clock(self.hass)
                )
            ).rstrip("/")
        except AuthError:
            raise
        except CrosswatchApiError as err:
            _LOGGER.debug("No other address for the Plex server: %s", err)
            return None
        if url == self.server_url:
            return None
        self.server_url = url
        self.server = plex_server_client(self.hass, self.client_identifier, url, self.server_token)
        return url

    async def async_activity_marker(self) -> str | None:
        """The watchlist's size and newest entry, from a one-row page (``watchlist_stamp``).

        ``None`` (an answer without a size) makes the poll read the whole list.
        """
        return await self.client.watchlist_stamp()

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every watchlist page."""
        return await self.client.watchlist()


# -- factory ------------------------------------------------------------------------------------
async def async_create_account_api(hass: HomeAssistant, entry: ConfigEntry) -> AccountApi:
    """Build the account's polling surface from its entry data."""
    service = Service(entry.data[CONF_SERVICE])
    if service is Service.TMDB:
        return TmdbAccount(hass, entry.data[CONF_API_KEY])
    if service is Service.SIMKL:
        return SimklAccount(hass, entry.data[CONF_CLIENT_ID], entry.data[CONF_ACCESS_TOKEN])
    if service is Service.PLEX:
        return PlexAccount(
            hass,
            entry.data[CONF_PLEX_CLIENT_ID],
            entry.data[CONF_PLEX_TOKEN],
            entry.data[CONF_SERVER_URL],
            entry.data[CONF_SERVER_TOKEN],
            server_id=entry.data[CONF_SERVER_ID],
        )
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
