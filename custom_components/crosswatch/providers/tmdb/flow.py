"""TMDb's config-flow step: a v3 API key or v4 read token, checked before it is saved."""

from __future__ import annotations

from typing import Any

import probatio as vol
from homeassistant.config_entries import ConfigFlowResult

from ...const import CONF_ACCOUNT_ID, CONF_ACCOUNT_NAME, CONF_API_KEY, CONF_SERVICE, Service
from ..flow_steps import LoginFailedError, LoginSteps, secret_field
from .login import tmdb_key_hash, validate_tmdb_key


class TmdbSteps(LoginSteps):
    """One form: the key, checked against TMDb; the same form re-authenticates and reconfigures."""

    async def async_step_tmdb(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for a v3 API key or a v4 read token and check it before saving."""
        errors: dict[str, str] = {}
        if user_input is not None:
            key = user_input[CONF_API_KEY].strip()
            try:
                await self._validate(validate_tmdb_key(self.hass, key))
            except LoginFailedError as err:
                if err.key == "invalid_auth":
                    errors[CONF_API_KEY] = "invalid_api_key"
                else:
                    errors["base"] = err.key
            else:
                key_hash = tmdb_key_hash(key)
                data = {
                    CONF_SERVICE: Service.TMDB.value,
                    CONF_ACCOUNT_ID: key_hash[:12],
                    CONF_ACCOUNT_NAME: "TMDb",
                    CONF_API_KEY: key,
                }
                # Another key is another unique id: reconfigure may move the entry to it.
                return await self._finish(key_hash, "TMDb", data, same_account=False)
        schema = vol.Schema({vol.Required(CONF_API_KEY): secret_field()})
        return self.async_show_form(
            step_id="tmdb",
            # A refused key stays in the field, to be corrected rather than typed again.
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
        )
