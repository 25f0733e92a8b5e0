"""SIMKL's config-flow steps: the user's client id, then the PIN they enter on SIMKL's site."""

from __future__ import annotations

from typing import Any

import probatio as vol
from homeassistant.config_entries import SOURCE_REAUTH, ConfigFlowResult

from ...const import (
    CONF_ACCESS_TOKEN,
    CONF_ACCOUNT_ID,
    CONF_ACCOUNT_NAME,
    CONF_CLIENT_ID,
    CONF_SERVICE,
    Service,
)
from ..endpoints import Endpoints
from ..flow_steps import LoginFailedError, LoginSteps
from .login import SimklLogin

SIMKL_APPS_URL = "https://simkl.com/settings/developer/"


class SimklSteps(LoginSteps):
    """Ask for the client id of the user's SIMKL app, then run SIMKL's PIN login with it."""

    def __init__(self) -> None:
        """No SIMKL login yet."""
        super().__init__()
        self._simkl: SimklLogin | None = None

    async def async_step_simkl(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the user's SIMKL client id, then run the PIN login.

        Reauth goes straight to the PIN with the entry's client id; reconfigure offers it.
        """
        entry = self._existing_entry()
        if self._task is None and user_input is None and self.source == SOURCE_REAUTH:
            assert entry is not None
            user_input = {CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]}
        errors: dict[str, str] = {}
        if self._task is None and user_input is not None:
            self._simkl = login = SimklLogin(self.hass, user_input[CONF_CLIENT_ID].strip())
            try:
                pin = await self._validate(login.async_create_pin())
            except LoginFailedError as err:
                refused = err.key == "invalid_auth"
                errors = {CONF_CLIENT_ID: "invalid_client_id"} if refused else {"base": err.key}
            else:
                url = Endpoints.from_env().simkl_pin or pin.verification_url
                self._placeholders = {"url": url, "code": pin.user_code}
                self._start_login(
                    lambda: login.async_check_pin(pin), pin.interval, pin.expires_at, "simkl"
                )
        if self._task is None:
            stored = {CONF_CLIENT_ID: entry.data[CONF_CLIENT_ID]} if entry else {}
            schema = vol.Schema({vol.Required(CONF_CLIENT_ID): str})
            return self.async_show_form(
                step_id="simkl",
                # A refused client id stays in the field, to be corrected rather than typed again.
                data_schema=self.add_suggested_values_to_schema(schema, user_input or stored),
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
        except LoginFailedError as err:
            return self._retry_form("simkl", err)
        data = {
            CONF_SERVICE: Service.SIMKL.value,
            CONF_ACCOUNT_ID: account_id,
            CONF_ACCOUNT_NAME: username,
            CONF_CLIENT_ID: login.client_id,
            CONF_ACCESS_TOKEN: login.token,
        }
        return await self._finish(account_id, f"SIMKL ({username})", data)
