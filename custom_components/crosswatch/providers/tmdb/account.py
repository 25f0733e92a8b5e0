"""A loaded TMDb account: metadata only (posters, title look-ups), with a cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...const import (
    Service,
)
from ..base import BaseAccount, HttpClient, get_clock
from ..endpoints import Endpoints
from .client import MemoryTmdbCache, TmdbClient

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant


def _tmdb_client(hass: HomeAssistant, key: str, cache: MemoryTmdbCache | None = None) -> TmdbClient:
    endpoints = Endpoints.from_env()
    return TmdbClient(
        async_get_clientsession(hass),
        base_url=endpoints.tmdb,
        image_base_url=endpoints.tmdb_image,
        credential=key,
        clock=get_clock(hass),
        cache=cache,
    )


@dataclass(slots=True)
class TmdbAccount(BaseAccount):
    """TMDb is metadata only: polling just confirms the key still works."""

    hass: HomeAssistant
    key: str = field(repr=False)
    service: Service = Service.TMDB
    cache: MemoryTmdbCache = field(default_factory=MemoryTmdbCache, repr=False)
    client: TmdbClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """One cached client per loaded entry, for posters and lookups."""
        self.client = _tmdb_client(self.hass, self.key, self.cache)

    async def async_activity_marker(self) -> str | None:
        """Check the key (``validate`` never answers from the cache): an unchanging marker."""
        await self.client.validate()
        return "valid"

    @property
    def clients(self) -> tuple[HttpClient, ...]:
        """The one TMDb client."""
        return (self.client,)

    @property
    def metadata(self) -> TmdbClient:
        """Posters and title look-ups, cached per loaded entry."""
        return self.client
