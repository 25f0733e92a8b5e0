"""SIMKL as CrossWatch knows it: every sync feature, takes scrobbles, PIN sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...api.models import Feature
from ...const import CONF_ACCESS_TOKEN, CONF_CLIENT_ID, Service
from ..base import Provider, SignIn
from .account import SimklAccount

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def _create_account(hass: HomeAssistant, entry: ConfigEntry) -> SimklAccount:
    return SimklAccount(hass, entry.data[CONF_CLIENT_ID], entry.data[CONF_ACCESS_TOKEN])


PROVIDER = Provider(
    service=Service.SIMKL,
    name="SIMKL",
    sign_in=SignIn.PIN,
    sync_features=frozenset(Feature),
    scrobble_target=True,
    poll_minutes=5,
    create_account=_create_account,
)
