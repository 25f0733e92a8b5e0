"""Trakt's config-flow steps.

The user's own API app (HA application credentials), then a device code (default) or the browser
redirect through Home Assistant's OAuth2 flow.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

import probatio as vol
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.const import CONF_CLIENT_SECRET
from homeassistant.helpers import config_entry_oauth2_flow

from ...application_credentials import async_get_description_placeholders
from ...const import (
    CONF_ACCOUNT_ID,
    CONF_ACCOUNT_NAME,
    CONF_CLIENT_ID,
    CONF_SERVICE,
    DOMAIN,
    Service,
)
from ...repairs import APPS_URL, app_refused
from ..endpoints import Endpoints
from ..flow_steps import APP_REJECTED, LoginFailedError, LoginSteps, secret_field
from .login import DEVICE_TOKEN, TraktImplementation, trakt_account

_LOGGER = logging.getLogger(__name__)

_APP_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_CLIENT_ID): str,
        vol.Required(CONF_CLIENT_SECRET): secret_field(),
    }
)

TRAKT_DEVICE = "trakt_device"
TRAKT_REDIRECT = "trakt_redirect"


def _credential(
    implementation: config_entry_oauth2_flow.AbstractOAuth2Implementation,
) -> tuple[str | None, str | None]:
    """An implementation's (client id, secret), as the user enters them."""
    return getattr(implementation, "client_id", None), getattr(
        implementation, "client_secret", None
    )


class TraktSteps(LoginSteps, config_entry_oauth2_flow.AbstractOAuth2FlowHandler):
    """Sign in with the user's Trakt app: a device code, or the redirect of HA's OAuth2 flow."""

    def __init__(self) -> None:
        """Neither login chosen yet."""
        super().__init__()
        self._trakt_mode: str | None = None
        # Implementations Trakt was seen refusing in this flow (besides the entry's own).
        self._refused: set[str] = set()

    @property
    def logger(self) -> logging.Logger:
        """Logger used by the OAuth2 base flow."""
        return _LOGGER

    async def async_step_trakt(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Use the user's own Trakt API app from application credentials; ask for one if none.

        Reauth signs in again with the entry's app, or with another one while Trakt refuses that
        app (``async_step_trakt_new_app``); reconfigure lets the user pick another of their
        apps, then sign in as the same user with it.
        """
        if self.source == SOURCE_REAUTH:
            entry = self._get_reauth_entry()
            if app_refused(self.hass, entry, self.init_data):
                return await self.async_step_trakt_new_app()
            implementation = entry.data["auth_implementation"]
            return await self.async_step_pick_implementation({"implementation": implementation})
        if self.source == SOURCE_RECONFIGURE:
            return await self.async_step_pick_implementation()
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
            await self._import_app(
                user_input[CONF_CLIENT_ID].strip(), user_input[CONF_CLIENT_SECRET].strip()
            )
            return await self.async_step_pick_implementation()
        return self.async_show_form(
            step_id="trakt_app",
            data_schema=_APP_SCHEMA,
            description_placeholders=await async_get_description_placeholders(self.hass),
        )

    async def async_step_trakt_new_app(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Reauth while Trakt refuses the entry's app: sign in with another one.

        The refused app stays in application credentials (Home Assistant keeps credentials an
        entry uses), so it is never offered: another stored app is used (or picked, when there
        are several), else the user enters a new one here.
        """
        refused = {self._get_reauth_entry().data["auth_implementation"], *self._refused}
        implementations = await config_entry_oauth2_flow.async_get_implementations(
            self.hass, DOMAIN
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            entered = (user_input[CONF_CLIENT_ID].strip(), user_input[CONF_CLIENT_SECRET].strip())
            if entered in {
                _credential(impl) for key, impl in implementations.items() if key in refused
            }:
                errors["base"] = "same_app"
            else:
                await self._import_app(*entered)
                implementations = await config_entry_oauth2_flow.async_get_implementations(
                    self.hass, DOMAIN
                )
                for key, impl in implementations.items():
                    if _credential(impl) == entered:
                        return await self.async_step_pick_implementation({"implementation": key})
                # HA imports one credential per client id: this app is kept with another secret.
                errors["base"] = "secret_changed"
        others = {key: impl.name for key, impl in implementations.items() if key not in refused}
        if len(others) == 1 and not errors:
            return await self.async_step_pick_implementation({"implementation": next(iter(others))})
        if others and not errors:
            # HA's own step takes the answer; only the other apps are offered.
            return self.async_show_form(
                step_id="pick_implementation",
                data_schema=vol.Schema({vol.Required("implementation"): vol.In(others)}),
            )
        return self.async_show_form(
            step_id="trakt_new_app",
            data_schema=_APP_SCHEMA,
            errors=errors,
            description_placeholders={
                "account": self._get_reauth_entry().title,
                "apps_url": APPS_URL,
                **await async_get_description_placeholders(self.hass),
            },
        )

    async def _import_app(self, client_id: str, secret: str) -> None:
        """Keep the app the user entered as application credentials."""
        await async_import_client_credential(
            self.hass,
            DOMAIN,
            ClientCredential(client_id, secret, name="Trakt"),
            # One implementation per app; a hash, so the client id is no identifier.
            auth_domain=f"{DOMAIN}_{hashlib.sha256(client_id.encode()).hexdigest()[:12]}",
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
            except LoginFailedError as err:
                if err.key == APP_REJECTED and self.source == SOURCE_REAUTH:
                    # Trakt refuses this app; no repair told the flow (a renewal's never ran).
                    self._refused.add(implementation.domain)
                    return await self.async_step_trakt_new_app()
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
        except LoginFailedError as err:  # a failed read after login cannot be retried
            return self.async_abort(reason=err.key)
        data = {
            **data,
            CONF_SERVICE: Service.TRAKT.value,
            CONF_ACCOUNT_ID: account_id,
            CONF_ACCOUNT_NAME: username,
        }
        return await self._finish(account_id, f"Trakt ({username})", data)
