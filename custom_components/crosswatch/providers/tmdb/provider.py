"""TMDb as CrossWatch knows it: metadata only, signed in with a key."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...const import CONF_API_KEY, Service
from ..base import Provider, SignIn
from .account import TmdbAccount

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant


async def _create_account(hass: HomeAssistant, entry: ConfigEntry) -> TmdbAccount:
    return TmdbAccount(hass, entry.data[CONF_API_KEY])


PROVIDER = Provider(
    service=Service.TMDB,
    name="TMDb",
    sign_in=SignIn.API_KEY,
    sync_features=frozenset(),
    metadata=True,
    poll_minutes=60,
    create_account=_create_account,
)
