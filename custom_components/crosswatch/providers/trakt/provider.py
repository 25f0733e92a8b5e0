"""Trakt as CrossWatch knows it: every sync feature, takes scrobbles, the user's own OAuth app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.exceptions import ConfigEntryNotReady
from homeassistant.helpers import config_entry_oauth2_flow

from ...api.models import Feature
from ...const import DOMAIN, Service
from ..base import Provider, SignIn
from .account import TraktAccount
from .login import async_sign_out

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def _create_account(hass: HomeAssistant, entry: ConfigEntry) -> TraktAccount:
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


PROVIDER = Provider(
    service=Service.TRAKT,
    name="Trakt",
    sign_in=SignIn.OAUTH,
    sync_features=frozenset(Feature),
    scrobble_target=True,
    poll_minutes=5,
    create_account=_create_account,
    async_remove=async_sign_out,
)
