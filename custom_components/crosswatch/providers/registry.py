"""Every provider CrossWatch knows, by service: the one place the glue looks a service up.

Adding a service is one folder under ``providers/`` and one line in ``PROVIDERS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from ..const import CONF_SERVICE, Service
from .plex.provider import PROVIDER as PLEX
from .simkl.provider import PROVIDER as SIMKL
from .tmdb.provider import PROVIDER as TMDB
from .trakt.provider import PROVIDER as TRAKT

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .base import BaseAccount, Provider

PROVIDERS: Final[Mapping[Service, Provider]] = {p.service: p for p in (PLEX, TRAKT, SIMKL, TMDB)}


def provider_of(entry: ConfigEntry) -> Provider:
    """The provider of a CrossWatch entry."""
    return PROVIDERS[Service(entry.data[CONF_SERVICE])]


def providers_with(*, scrobble_target: bool | None = None) -> frozenset[Service]:
    """The services whose provider declares the given capability."""
    return frozenset(
        service
        for service, provider in PROVIDERS.items()
        if scrobble_target is None or provider.scrobble_target is scrobble_target
    )


async def async_create_account(hass: HomeAssistant, entry: ConfigEntry) -> BaseAccount:
    """Build the loaded account of an entry from its data."""
    return await provider_of(entry).create_account(hass, entry)
