"""Config flow: one entry per connected account, plus sync pair and scrobble route subentries."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import probatio as vol
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlowResult,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_CLIENT_SECRET
from homeassistant.core import callback
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.translation import async_get_translations

from .api.clock import Clock
from .api.errors import AuthError, CrosswatchApiError, RequestRejectedError
from .api.models import Feature
from .application_credentials import async_get_description_placeholders
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_ACCOUNT_ID,
    CONF_ACCOUNT_NAME,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_ID,
    CONF_SERVER_NAME,
    CONF_SERVER_OWNED,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    CONF_SERVICE,
    DEFAULT_PAIR_INTERVAL,
    DOMAIN,
    PAIR_DIRECTION,
    PAIR_FEATURES,
    PAIR_INTERVAL,
    PAIR_REMOVALS,
    PAIR_TARGET,
    ROUTE_ALL_USERS,
    ROUTE_PLEX_USERS,
    ROUTE_TARGETS,
    SUBENTRY_SCROBBLE_ROUTE,
    SUBENTRY_SYNC_PAIR,
    Direction,
    Removals,
    Service,
)
from .import_flow import SUBENTRY_IMPORT_HISTORY, ImportHistoryFlow
from .providers.base import LoginDeniedError, LoginExpiredError, get_clock
from .providers.endpoints import Endpoints
from .providers.plex.account import plex_server_users
from .providers.plex.login import (
    PlexLogin,
    PlexServerChoice,
    UnverifiableAddressError,
    WrongServerError,
)
from .providers.plex.webhook import ensure_webhook_id, webhook_url
from .providers.registry import PROVIDERS, provider_of, providers_with
from .providers.simkl.login import SimklLogin
from .providers.tmdb.login import validate_tmdb_key
from .providers.trakt.login import DEVICE_TOKEN, TraktImplementation, trakt_account

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry

_LOGGER = logging.getLogger(__name__)

CONF_SERVER = "server"
SIMKL_APPS_URL = "https://simkl.com/settings/developer/"
SIMKL_BAD_CLIENT_ID = 412  # SIMKL's answer to an unknown client id
TRAKT_DEVICE = "trakt_device"
TRAKT_REDIRECT = "trakt_redirect"


def error_key(err: BaseException) -> str:
    """The translated error shown for a failed login or validation."""
    if isinstance(err, TimeoutError):
        return "timeout"
    if isinstance(err, LoginExpiredError):
        return "expired"
    if isinstance(err, LoginDeniedError):
        return "denied"
    if isinstance(err, AuthError) or (
        isinstance(err, RequestRejectedError) and err.status == SIMKL_BAD_CLIENT_ID
    ):
        return "invalid_auth"
    if isinstance(err, CrosswatchApiError):
        return "cannot_connect"
    _LOGGER.error("Unexpected error while connecting an account", exc_info=err)
    return "unknown"


def tmdb_key_hash(key: str) -> str:
    """The TMDb entry's unique id: a hash, so the key itself never becomes an identifier."""
    return hashlib.sha256(key.encode()).hexdigest()


async def poll_login[T](
    check: Callable[[], Awaitable[T | None]],
    *,
    clock: Clock,
    interval: float,
    until: float,
) -> T:
    """Call ``check`` every ``interval`` seconds until it answers or ``until`` has passed."""
    while True:
        result = await check()
        if result is not None:
            return result
        if clock.time() + interval > until:
            raise LoginExpiredError
        await clock.sleep(interval)


def _select(options: Mapping[str, str], *, multiple: bool = False) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=k, label=v) for k, v in options.items()],
            multiple=multiple,
            mode=SelectSelectorMode.DROPDOWN if not multiple else SelectSelectorMode.LIST,
        )
    )


def _translated_select(
    options: Iterable[str], translation_key: str, *, multiple: bool = False
) -> SelectSelector:
    """A choice among fixed values, labelled from ``selector.<translation_key>`` in strings."""
    return SelectSelector(
        SelectSelectorConfig(
            options=list(options),
            translation_key=translation_key,
            multiple=multiple,
            mode=SelectSelectorMode.LIST,
        )
    )


def _secret_field() -> TextSelector:
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def _plex_server_data(username: str, server: PlexServerChoice, url: str) -> dict[str, Any]:
    """The entry data a chosen server (and who chose it) sets, at login and reconfigure."""
    return {
        CONF_ACCOUNT_NAME: username,
        CONF_SERVER_ID: server.machine_id,
        CONF_SERVER_NAME: server.name,
        CONF_SERVER_URL: url,
        CONF_SERVER_TOKEN: server.access_token,
        CONF_SERVER_OWNED: server.owned,
    }


class CrosswatchConfigFlow(config_entry_oauth2_flow.AbstractOAuth2FlowHandler, domain=DOMAIN):
    """Connect a Plex, Trakt, SIMKL or TMDb account."""

    DOMAIN = DOMAIN
    VERSION = 1
    validation_timeout: float = 30.0

    def __init__(self) -> None:
        """Start with no login in progress."""
        super().__init__()
        self._task: asyncio.Task[Any] | None = None
        self._error: str | None = None
        self._placeholders: dict[str, str] = {}
        self._plex: PlexLogin | None = None
        self._plex_servers: list[PlexServerChoice] = []
        self._simkl: SimklLogin | None = None
        self._trakt_mode: str | None = None

    @property
    def logger(self) -> logging.Logger:
        """Logger used by the OAuth2 base flow."""
        return _LOGGER

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Sync pairs on accounts that hold media state; scrobble routes on Plex accounts."""
        service = Service(config_entry.data[CONF_SERVICE])
        types: dict[str, type[ConfigSubentryFlow]] = {}
        if PROVIDERS[service].sync_features:
            types[SUBENTRY_SYNC_PAIR] = SyncPairFlow
            types[SUBENTRY_IMPORT_HISTORY] = ImportHistoryFlow
        if PROVIDERS[service].scrobble_source:
            types[SUBENTRY_SCROBBLE_ROUTE] = ScrobbleRouteFlow
        return types

    # -- shared ---------------------------------------------------------------------------
    def _existing_entry(self) -> ConfigEntry | None:
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    async def _finish(
        self, unique_id: str, title: str, data: dict[str, Any], *, same_account: bool = True
    ) -> ConfigFlowResult:
        """Create the entry, or update the one being re-authenticated or reconfigured.

        ``same_account=False`` lets a reconfigure move the entry to a new unique id (another
        Plex server, another TMDb key) as long as no other entry has it.
        """
        await self.async_set_unique_id(unique_id)
        entry = self._existing_entry()
        if entry is None:
            self._abort_if_unique_id_configured()
            return self.async_create_entry(title=title, data=data)
        if same_account:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        elif unique_id != entry.unique_id:
            self._abort_if_unique_id_configured()
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, title=title, data_updates=data
        )

    async def _validate[T](self, call: Awaitable[T]) -> T:
        async with asyncio.timeout(self.validation_timeout):
            return await call

    def _start_login(
        self,
        check: Callable[[], Awaitable[Any]],
        interval: float,
        until: float,
        service: str,
    ) -> None:
        """Poll ``check`` in a task the progress step waits for."""
        self._task = self.hass.async_create_task(
            poll_login(
                check,
                clock=get_clock(self.hass),
                interval=interval,
                until=until,
            ),
            f"crosswatch {service} login",
            eager_start=False,
        )

    def _progress_result(self, step_id: str, action: str, next_step_id: str) -> ConfigFlowResult:
        """Show the login as a progress step until its task ends, then move on."""
        task = self._task
        assert task is not None
        if not task.done():
            return self.async_show_progress(
                step_id=step_id,
                progress_action=action,
                description_placeholders=self._placeholders,
                progress_task=task,
            )
        self._task = None
        try:
            task.result()
        except Exception as err:  # noqa: BLE001 - every failure becomes a translated message
            self._error = error_key(err)
            return self.async_show_progress_done(next_step_id=f"{step_id}_retry")
        return self.async_show_progress_done(next_step_id=next_step_id)

    def _retry_form(self, step_id: str, error: Exception | None = None) -> ConfigFlowResult:
        """A form that shows what went wrong (``error``, or the last); submitting retries."""
        if error is not None:
            self._error = error_key(error)
        return self.async_show_form(
            step_id=f"{step_id}_retry",
            data_schema=vol.Schema({}),
            errors={"base": self._error or "unknown"},
        )

    async def _retry_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        restart: Callable[[], Awaitable[ConfigFlowResult]],
    ) -> ConfigFlowResult:
        """The ``<step>_retry`` step: the retry form, then ``restart`` once it is submitted."""
        if user_input is None:
            return self._retry_form(step_id)
        return await restart()

    # -- entry points ---------------------------------------------------------------------
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which service to connect."""
        return self.async_show_menu(step_id="user", menu_options=[s.value for s in Service])

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Sign in again when a coordinator reported refused credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain, then run the service's login again."""
        entry = self._get_reauth_entry()
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_confirm",
                description_placeholders={"account": entry.title},
                data_schema=vol.Schema({}),
            )
        return await self._login_again(entry)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change an account's settings (Plex server, TMDb key, SIMKL or Trakt app)."""
        entry = self._get_reconfigure_entry()
        if entry.data[CONF_SERVICE] == Service.PLEX:
            return await self.async_step_plex_reconfigure()
        return await self._login_again(entry)

    async def _login_again(self, entry: ConfigEntry) -> ConfigFlowResult:
        service = Service(entry.data[CONF_SERVICE])
        if service is Service.TRAKT and self.source == SOURCE_RECONFIGURE:
            # Trakt's setting is which of the user's Trakt apps it uses: pick one, sign in as
            # the same user with it.
            return await self.async_step_pick_implementation()
        if service is Service.TRAKT:
            return await self.async_step_pick_implementation(
                {"implementation": entry.data["auth_implementation"]}
            )
        if service is Service.SIMKL and self.source == SOURCE_REAUTH:
            return await self.async_step_simkl({CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]})
        if service is Service.PLEX:
            return await self.async_step_plex()
        return await getattr(self, f"async_step_{service}")()  # type: ignore[no-any-return]

    # -- TMDb -----------------------------------------------------------------------------
    async def async_step_tmdb(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a v3 API key or a v4 read token and check it before saving."""
        errors: dict[str, str] = {}
        if user_input is not None:
            key = user_input[CONF_API_KEY].strip()
            try:
                await self._validate(validate_tmdb_key(self.hass, key))
            except AuthError:
                errors[CONF_API_KEY] = "invalid_api_key"
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                errors["base"] = error_key(err)
            else:
                key_hash = tmdb_key_hash(key)
                data = {
                    CONF_SERVICE: Service.TMDB.value,
                    CONF_ACCOUNT_ID: key_hash[:12],
                    CONF_ACCOUNT_NAME: "TMDb",
                    CONF_API_KEY: key,
                }
                return await self._finish(key_hash, "TMDb", data, same_account=False)
        schema = vol.Schema({vol.Required(CONF_API_KEY): _secret_field()})
        return self.async_show_form(
            step_id="tmdb",
            # A refused key stays in the field, to be corrected rather than typed again.
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )

    # -- Plex -----------------------------------------------------------------------------
    async def async_step_plex(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """PIN login: show the plex.tv link and wait while the user approves it."""
        if self._task is None:
            entry = self._existing_entry()
            client_id = entry.data[CONF_PLEX_CLIENT_ID] if entry else uuid.uuid4().hex
            self._plex = login = PlexLogin(self.hass, client_id)
            try:
                pin = await self._validate(login.async_create_pin())
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                return self._retry_form("plex", err)
            self._placeholders = {"url": login.auth_url(pin), "code": pin.code}
            self._start_login(lambda: login.async_check_pin(pin), 1.0, pin.expires_at, "plex")
        return self._progress_result("plex", "plex_pin", "plex_server")

    async def async_step_plex_retry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user what failed; start a new PIN when they submit."""
        return await self._retry_step("plex", user_input, self.async_step_plex)

    async def async_step_plex_server(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Pick the server (owned ones first), confirm it answers, and save the account."""
        login = self._plex
        assert login is not None
        errors: dict[str, str] = {}
        if not self._plex_servers:
            try:
                await self._validate(login.async_load_account())
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                return self._retry_form("plex", err)
            self._plex_servers = login.servers
            if not self._plex_servers:
                return self.async_abort(reason="no_servers")
        if (chosen := self._chosen_server(user_input)) is not None:
            server = next((s for s in self._plex_servers if s.machine_id == chosen), None)
            if server is None:
                return self.async_abort(reason="server_not_found")
            # On reauth the address the entry used goes first (it may be one typed by hand).
            entry = self._existing_entry()
            prefer = entry.data[CONF_SERVER_URL] if entry else None
            try:
                url = await self._validate(login.async_connect(server, prefer=prefer))
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                errors["base"] = error_key(err)
            else:
                return await self._finish_plex(login, server, url)
        options = {s.machine_id: s.label for s in self._plex_servers}
        return self.async_show_form(
            step_id="plex_server",
            data_schema=vol.Schema({vol.Required(CONF_SERVER): _select(options)}),
            errors=errors,
        )

    def _chosen_server(self, user_input: dict[str, Any] | None) -> str | None:
        """The entry's own server on reauth, the user's pick, or the only one there is."""
        if (entry := self._existing_entry()) is not None:
            return str(entry.data[CONF_SERVER_ID])
        if user_input is not None:
            return str(user_input[CONF_SERVER])
        if len(self._plex_servers) == 1:
            return self._plex_servers[0].machine_id
        return None

    async def _finish_plex(
        self, login: PlexLogin, server: PlexServerChoice, url: str
    ) -> ConfigFlowResult:
        assert login.token is not None
        assert login.account is not None
        account_id, username = login.account
        data = {
            CONF_SERVICE: Service.PLEX.value,
            CONF_ACCOUNT_ID: account_id,
            CONF_PLEX_TOKEN: login.token,
            CONF_PLEX_CLIENT_ID: login.client_identifier,
            **_plex_server_data(username, server, url),
        }
        title = f"{server.name} ({username})"
        return await self._finish(f"{account_id}_{server.machine_id}", title, data)

    async def async_step_plex_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how the entry reaches its server; another server is another entry."""
        entry = self._get_reconfigure_entry()
        if self._plex is None:
            self._plex = PlexLogin(
                self.hass, entry.data[CONF_PLEX_CLIENT_ID], token=entry.data[CONF_PLEX_TOKEN]
            )
        login = self._plex
        errors: dict[str, str] = {}
        if not self._plex_servers:
            try:
                await self._validate(login.async_load_account())
            except AuthError:
                return self.async_abort(reason="reauth_required")
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                return self.async_abort(reason=error_key(err))
            self._plex_servers = login.servers
        server_id = entry.data[CONF_SERVER_ID]
        server = next((s for s in self._plex_servers if s.machine_id == server_id), None)
        if server is None:
            return self.async_abort(reason="server_not_found")
        if user_input is not None:
            manual = (user_input.get(CONF_SERVER_URL) or "").strip().rstrip("/")
            url = await self._connect_or_error(login, server, manual or None, errors)
            if url is not None:
                return await self._finish_plex_reconfigure(login, server, url)
        schema = vol.Schema(
            {
                vol.Optional(
                    CONF_SERVER_URL, description={"suggested_value": entry.data[CONF_SERVER_URL]}
                ): TextSelector(TextSelectorConfig(type=TextSelectorType.URL)),
            }
        )
        return self.async_show_form(
            step_id="plex_reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders={"server": server.name},
        )

    async def _connect_or_error(
        self,
        login: PlexLogin,
        server: PlexServerChoice,
        url: str | None,
        errors: dict[str, str],
    ) -> str | None:
        """The address that reaches ``server`` (``url`` when given), or ``None`` and an error."""
        try:
            return await self._validate(login.async_connect(server, url))
        except WrongServerError:
            errors[CONF_SERVER_URL] = "wrong_server"
        except UnverifiableAddressError:
            errors[CONF_SERVER_URL] = "https_ip_address"
        except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
            errors["base"] = error_key(err)
        return None

    async def _finish_plex_reconfigure(
        self, login: PlexLogin, server: PlexServerChoice, url: str
    ) -> ConfigFlowResult:
        assert login.account is not None
        account_id, username = login.account
        data = _plex_server_data(username, server, url)
        title = f"{server.name} ({username})"
        # Same account, same server: the unique id cannot change here.
        return await self._finish(f"{account_id}_{server.machine_id}", title, data)

    # -- SIMKL ----------------------------------------------------------------------------
    async def async_step_simkl(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the user's SIMKL client id, then run the PIN login."""
        errors: dict[str, str] = {}
        if self._task is None and user_input is not None:
            self._simkl = login = SimklLogin(self.hass, user_input[CONF_CLIENT_ID].strip())
            try:
                pin = await self._validate(login.async_create_pin())
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                key = error_key(err)
                errors = {CONF_CLIENT_ID: "invalid_client_id"} if key == "invalid_auth" else {}
                errors = errors or {"base": key}
            else:
                url = Endpoints.from_env().simkl_pin or pin.verification_url
                self._placeholders = {"url": url, "code": pin.user_code}
                self._start_login(
                    lambda: login.async_check_pin(pin), pin.interval, pin.expires_at, "simkl"
                )
        if self._task is None:
            entry = self._existing_entry()
            stored = {CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]} if entry else {}
            suggested = user_input or stored
            schema = vol.Schema({vol.Required(CONF_CLIENT_ID): str})
            return self.async_show_form(
                step_id="simkl",
                # A refused client id stays in the field, to be corrected rather than typed again.
                data_schema=self.add_suggested_values_to_schema(schema, suggested),
                errors=errors,
                description_placeholders={"apps_url": SIMKL_APPS_URL},
            )
        return self._progress_result("simkl", "simkl_pin", "simkl_finish")

    async def async_step_simkl_retry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user what failed; start a new PIN when they submit."""
        simkl = self._simkl
        assert simkl is not None
        return await self._retry_step(
            "simkl", user_input, lambda: self.async_step_simkl({CONF_CLIENT_ID: simkl.client_id})
        )

    async def async_step_simkl_finish(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Read who signed in and save the account."""
        login = self._simkl
        assert login is not None
        assert login.token is not None
        try:
            account_id, username = await self._validate(login.async_account())
        except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
            return self._retry_form("simkl", err)
        data = {
            CONF_SERVICE: Service.SIMKL.value,
            CONF_ACCOUNT_ID: account_id,
            CONF_ACCOUNT_NAME: username,
            CONF_CLIENT_ID: login.client_id,
            CONF_ACCESS_TOKEN: login.token,
        }
        return await self._finish(account_id, f"SIMKL ({username})", data)

    # -- Trakt ----------------------------------------------------------------------------
    async def async_step_trakt(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Use the user's own Trakt API app from application credentials; ask for one if none."""
        if not await config_entry_oauth2_flow.async_get_implementations(self.hass, DOMAIN):
            return await self.async_step_trakt_app()
        return await self.async_step_pick_implementation(user_input)

    async def async_step_trakt_app(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the Trakt API app here and keep it as application credentials.

        Without this step HA's frontend asks for the credentials in a dialog of its own and
        then starts the flow over, at the service menu.
        """
        if user_input is not None:
            client_id = user_input[CONF_CLIENT_ID].strip()
            await async_import_client_credential(
                self.hass,
                DOMAIN,
                ClientCredential(client_id, user_input[CONF_CLIENT_SECRET].strip(), name="Trakt"),
                # One implementation per app; a hash, so the client id is no identifier.
                auth_domain=f"{DOMAIN}_{hashlib.sha256(client_id.encode()).hexdigest()[:12]}",
            )
            return await self.async_step_pick_implementation()
        schema = vol.Schema(
            {
                vol.Required(CONF_CLIENT_ID): str,
                vol.Required(CONF_CLIENT_SECRET): _secret_field(),
            }
        )
        return self.async_show_form(
            step_id="trakt_app",
            data_schema=schema,
            description_placeholders=await async_get_description_placeholders(self.hass),
        )

    async def async_step_auth(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Offer the device code (default) or the browser redirect."""
        if user_input is not None or self._trakt_mode == TRAKT_REDIRECT:
            return await super().async_step_auth(user_input)
        return self.async_show_menu(step_id="auth", menu_options=[TRAKT_DEVICE, TRAKT_REDIRECT])

    async def async_step_trakt_redirect(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Sign in through trakt.tv's authorize page and HA's OAuth redirect."""
        self._trakt_mode = TRAKT_REDIRECT
        return await super().async_step_auth()

    async def async_step_trakt_device(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Device login: show the code and URL and wait while the user enters it."""
        if self._task is None:
            implementation = cast("TraktImplementation", self.flow_impl)
            try:
                code = await self._validate(implementation.async_device_code())
            except Exception as err:  # noqa: BLE001 - shown to the user as a translated message
                return self._retry_form("trakt_device", err)
            url = Endpoints.from_env().trakt_activate or code.verification_url
            self._placeholders = {"url": url, "code": code.user_code}

            async def check() -> dict[str, Any] | None:
                token = await implementation.async_device_token(code)
                if token is not None:
                    self.external_data = {DEVICE_TOKEN: token}
                return token

            self._start_login(check, code.interval, code.expires_at, "trakt")
        return self._progress_result("trakt_device", "trakt_device", "creation")

    async def async_step_trakt_device_retry(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Tell the user what failed; ask for a new code when they submit."""
        return await self._retry_step("trakt_device", user_input, self.async_step_trakt_device)

    async def async_oauth_create_entry(self, data: dict[str, Any]) -> ConfigFlowResult:
        """Read who signed in (slug/uuid) and save the account with its tokens."""
        try:
            account_id, username = await self._validate(
                trakt_account(self.hass, self.flow_impl, data["token"])
            )
        except Exception as err:  # noqa: BLE001 - a failed read after login cannot be retried
            return self.async_abort(reason=error_key(err))
        data = {
            **data,
            CONF_SERVICE: Service.TRAKT.value,
            CONF_ACCOUNT_ID: account_id,
            CONF_ACCOUNT_NAME: username,
        }
        return await self._finish(account_id, f"Trakt ({username})", data)


# -- subentries ---------------------------------------------------------------------------------
def _other_accounts(
    flow: ConfigSubentryFlow, entry: ConfigEntry, services: frozenset[Service] | None = None
) -> dict[str, ConfigEntry]:
    return {
        other.entry_id: other
        for other in flow.hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
        and (services is None or Service(other.data[CONF_SERVICE]) in services)
    }


class _SubentryFormFlow(ConfigSubentryFlow):
    """One form creates the subentry or changes it; the entry reloads with the change."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Create the subentry."""
        return await self._form(user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the subentry."""
        return await self._form(user_input, self._get_reconfigure_subentry())

    async def _form(
        self, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        raise NotImplementedError

    def _save(
        self, subentry: ConfigSubentry | None, title: str, data: dict[str, Any]
    ) -> SubentryFlowResult:
        if subentry is None:
            return self.async_create_entry(title=title, data=data)
        return self.async_update_and_abort(self._get_entry(), subentry, title=title, data=data)

    def _show(
        self,
        subentry: ConfigSubentry | None,
        schema: vol.Schema,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str] | None = None,
    ) -> SubentryFlowResult:
        suggested = user_input or (dict(subentry.data) if subentry else {})
        return self.async_show_form(
            step_id="reconfigure" if subentry else "user",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )


class SyncPairFlow(_SubentryFormFlow):
    """A sync pair from this account to another: first the account, then what and how to sync.

    Two steps, so the second can name both accounts and offer only what both support.
    """

    _target: ConfigEntry | None = None
    _subentry: ConfigSubentry | None = None

    def _targets(self, entry: ConfigEntry) -> dict[str, ConfigEntry]:
        source_features = provider_of(entry).sync_features
        return {
            entry_id: other
            for entry_id, other in _other_accounts(self, entry).items()
            if provider_of(other).sync_features & source_features
        }

    async def _form(
        self, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        """The first step: the other account."""
        entry = self._get_entry()
        targets = self._targets(entry)
        if not targets:
            return self.async_abort(reason="no_targets")
        self._subentry = subentry
        errors: dict[str, str] = {}
        if user_input is not None:
            target = targets.get(user_input[PAIR_TARGET])
            taken = {
                sub.data[PAIR_TARGET]
                for sub in entry.subentries.values()
                if sub.subentry_type == SUBENTRY_SYNC_PAIR and sub is not subentry
            }
            if target is None:
                errors[PAIR_TARGET] = "target_missing"
            elif target.entry_id in taken:
                errors[PAIR_TARGET] = "pair_exists"
            else:
                self._target = target
                return await self.async_step_options()
        schema = vol.Schema(
            {
                vol.Required(PAIR_TARGET): _select(
                    {entry_id: other.title for entry_id, other in targets.items()}
                ),
            }
        )
        return self._show(subentry, schema, user_input, errors, {"source": entry.title})

    async def async_step_options(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The second step: features both accounts support, direction, removals, interval."""
        entry, target, subentry = self._get_entry(), self._target, self._subentry
        assert target is not None
        if self.hass.config_entries.async_get_entry(target.entry_id) is None:
            return self.async_abort(reason="target_removed")
        features = provider_of(entry).sync_features & provider_of(target).sync_features
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = {Feature(f) for f in user_input[PAIR_FEATURES]} & features
            if not chosen:
                errors[PAIR_FEATURES] = "no_features"
            else:
                data = {
                    PAIR_TARGET: target.entry_id,
                    PAIR_FEATURES: sorted(chosen),
                    PAIR_DIRECTION: user_input[PAIR_DIRECTION],
                    PAIR_REMOVALS: user_input[PAIR_REMOVALS],
                    PAIR_INTERVAL: int(user_input[PAIR_INTERVAL]),
                }
                return self._save(subentry, f"{entry.title} → {target.title}", data)
        schema = vol.Schema(
            {
                vol.Required(PAIR_FEATURES, default=[Feature.WATCHLIST.value]): _translated_select(
                    (f.value for f in Feature if f in features), "feature", multiple=True
                ),
                vol.Required(PAIR_DIRECTION, default=Direction.ONE_WAY.value): _translated_select(
                    (d.value for d in Direction), "direction"
                ),
                vol.Required(PAIR_REMOVALS, default=Removals.OFF.value): _translated_select(
                    (r.value for r in Removals), "removals"
                ),
                vol.Required(PAIR_INTERVAL, default=DEFAULT_PAIR_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=5,
                        max=1440,
                        step=5,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
            }
        )
        suggested = user_input or (dict(subentry.data) if subentry else {})
        return self.async_show_form(
            step_id="options",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"source": entry.title, "target": target.title},
        )


class ScrobbleRouteFlow(_SubentryFormFlow):
    """Which Plex users scrobble to which Trakt/SIMKL accounts."""

    async def _all_users_label(self) -> str:
        """The form's own "All Plex users", in HA's language, to title a route of every user."""
        strings = await async_get_translations(
            self.hass, self.hass.config.language, "config_subentries", {DOMAIN}
        )
        key = f"component.{DOMAIN}.config_subentries.{SUBENTRY_SCROBBLE_ROUTE}.step.user.data"
        return strings.get(f"{key}.{ROUTE_ALL_USERS}", "All Plex users")

    async def _form(
        self, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        targets = _other_accounts(self, entry, providers_with(scrobble_target=True))
        if not targets:
            return self.async_abort(reason="no_scrobble_targets")
        try:
            users = await plex_server_users(self.hass, entry)
        except AuthError:
            return self.async_abort(reason="reauth_required")
        except CrosswatchApiError, TimeoutError:
            return self.async_abort(reason="cannot_connect")
        errors: dict[str, str] = {}
        if user_input is not None:
            all_users = bool(user_input.get(ROUTE_ALL_USERS))
            chosen = [] if all_users else list(user_input.get(ROUTE_PLEX_USERS, []))
            chosen_targets = [t for t in user_input[ROUTE_TARGETS] if t in targets]
            if not all_users and not chosen:
                errors[ROUTE_PLEX_USERS] = "no_users"
            elif not chosen_targets:
                errors[ROUTE_TARGETS] = "no_targets"
            else:
                data = {
                    ROUTE_ALL_USERS: all_users,
                    ROUTE_PLEX_USERS: chosen,
                    ROUTE_TARGETS: chosen_targets,
                }
                who = (
                    await self._all_users_label()
                    if all_users
                    else ", ".join(users.get(u, u) for u in chosen)
                )
                title = f"{who} → {', '.join(targets[t].title for t in chosen_targets)}"
                return self._save(subentry, title, data)
        schema = vol.Schema(
            {
                vol.Required(ROUTE_ALL_USERS, default=True): BooleanSelector(),
                vol.Optional(ROUTE_PLEX_USERS): _select(users, multiple=True),
                vol.Required(ROUTE_TARGETS): _select(
                    {entry_id: other.title for entry_id, other in targets.items()}, multiple=True
                ),
            }
        )
        hook_url = webhook_url(self.hass, ensure_webhook_id(self.hass, entry))
        return self._show(subentry, schema, user_input, errors, {"webhook_url": hook_url or "-"})
