"""Plex's config-flow steps: the plex.tv PIN, the server pick, and the address reconfigure."""

from __future__ import annotations

import uuid
from typing import Any

import probatio as vol
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigFlowResult
from homeassistant.helpers.selector import TextSelector, TextSelectorConfig, TextSelectorType

from ...const import (
    CONF_ACCOUNT_ID,
    CONF_ACCOUNT_NAME,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_ID,
    CONF_SERVER_NAME,
    CONF_SERVER_OWNED,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    CONF_SERVICE,
    Service,
)
from ..flow_steps import LoginFailedError, LoginSteps, select
from .login import PlexLogin, PlexServerChoice, UnverifiableAddressError, WrongServerError

CONF_SERVER = "server"
# Errors about the typed address, shown on its field.
ADDRESS_ERRORS = frozenset({WrongServerError.key, UnverifiableAddressError.key})


def _server_data(username: str, server: PlexServerChoice, url: str) -> dict[str, Any]:
    """The entry data a chosen server (and who chose it) sets, at login and reconfigure."""
    return {
        CONF_ACCOUNT_NAME: username,
        CONF_SERVER_ID: server.machine_id,
        CONF_SERVER_NAME: server.name,
        CONF_SERVER_URL: url,
        CONF_SERVER_TOKEN: server.access_token,
        CONF_SERVER_OWNED: server.owned,
    }


class PlexSteps(LoginSteps):
    """Sign in at plex.tv with a PIN, pick the server, find the address that answers as it."""

    def __init__(self) -> None:
        """No Plex login yet."""
        super().__init__()
        self._plex: PlexLogin | None = None

    async def async_step_plex(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """PIN login: show the plex.tv link and wait while the user approves it.

        Reconfigure keeps the account and its server and asks only for the address.
        """
        if self.source == SOURCE_RECONFIGURE:
            return await self.async_step_plex_reconfigure()
        if self._task is None:
            entry = self._existing_entry()
            client_id = entry.data[CONF_PLEX_CLIENT_ID] if entry else uuid.uuid4().hex
            self._plex = login = PlexLogin(self.hass, client_id)
            try:
                pin = await self._validate(login.async_create_pin())
            except LoginFailedError as err:
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
        if not login.servers:
            try:
                await self._validate(login.async_load_account())
            except LoginFailedError as err:
                return self._retry_form("plex", err)
            if not login.servers:
                return self.async_abort(reason="no_servers")
        if (chosen := self._chosen_server(login, user_input)) is not None:
            server = next((s for s in login.servers if s.machine_id == chosen), None)
            if server is None:
                return self.async_abort(reason="server_not_found")
            # On reauth the address the entry used goes first (it may be one typed by hand).
            entry = self._existing_entry()
            prefer = entry.data[CONF_SERVER_URL] if entry else None
            try:
                url = await self._validate(login.async_connect(server, prefer=prefer))
            except LoginFailedError as err:
                errors["base"] = err.key
            else:
                return await self._finish_plex(login, server, url)
        options = {s.machine_id: s.label for s in login.servers}
        return self.async_show_form(
            step_id="plex_server",
            data_schema=vol.Schema({vol.Required(CONF_SERVER): select(options)}),
            errors=errors,
        )

    def _chosen_server(self, login: PlexLogin, user_input: dict[str, Any] | None) -> str | None:
        """The entry's own server on reauth, the user's pick, or the only one there is."""
        if (entry := self._existing_entry()) is not None:
            return str(entry.data[CONF_SERVER_ID])
        if user_input is not None:
            return str(user_input[CONF_SERVER])
        if len(login.servers) == 1:
            return login.servers[0].machine_id
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
            **_server_data(username, server, url),
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
            try:
                await self._validate(self._plex.async_load_account())
            except LoginFailedError as err:
                refused = err.key == "invalid_auth"
                return self.async_abort(reason="reauth_required" if refused else err.key)
        login = self._plex
        server_id = entry.data[CONF_SERVER_ID]
        server = next((s for s in login.servers if s.machine_id == server_id), None)
        if server is None:
            return self.async_abort(reason="server_not_found")
        errors: dict[str, str] = {}
        if user_input is not None:
            manual = (user_input.get(CONF_SERVER_URL) or "").strip().rstrip("/")
            try:
                url = await self._validate(login.async_connect(server, manual or None))
            except LoginFailedError as err:
                errors[CONF_SERVER_URL if err.key in ADDRESS_ERRORS else "base"] = err.key
            else:
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

    async def _finish_plex_reconfigure(
        self, login: PlexLogin, server: PlexServerChoice, url: str
    ) -> ConfigFlowResult:
        assert login.account is not None
        account_id, username = login.account
        data = _server_data(username, server, url)
        title = f"{server.name} ({username})"
        # Same account, same server: the unique id cannot change here.
        return await self._finish(f"{account_id}_{server.machine_id}", title, data)
