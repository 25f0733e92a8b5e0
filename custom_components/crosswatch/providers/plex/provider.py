"""Plex as CrossWatch knows it: every sync feature, the source of scrobbles, PIN sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...api.models import Feature
from ...const import (
    CONF_ACCOUNT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_ID,
    CONF_SERVER_OWNED,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    Service,
)
from ..base import Provider, SignIn
from .account import PlexAccount

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def _create_account(hass: HomeAssistant, entry: ConfigEntry) -> PlexAccount:
    data = entry.data
    return PlexAccount(
        hass,
        data[CONF_PLEX_CLIENT_ID],
        data[CONF_PLEX_TOKEN],
        data[CONF_SERVER_URL],
        data[CONF_SERVER_TOKEN],
        server_id=data[CONF_SERVER_ID],
        # The owner is account 1 on their own server; a shared user is their plex.tv id there.
        server_account_id=1 if data.get(CONF_SERVER_OWNED, True) else int(data[CONF_ACCOUNT_ID]),
    )


PROVIDER = Provider(
    service=Service.PLEX,
    name="Plex",
    sign_in=SignIn.PIN,
    sync_features=frozenset(Feature),
    scrobble_source=True,
    poll_minutes=15,
    loads_without_first_poll=True,
    create_account=_create_account,
)
