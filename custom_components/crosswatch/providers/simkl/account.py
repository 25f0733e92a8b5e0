"""A loaded SIMKL account: one client with the user's client id and long-lived token."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...const import (
    APP_NAME,
    APP_VERSION,
    Service,
)
from ..base import BaseAccount, HttpClient, ScrobbleTarget, get_clock
from ..endpoints import Endpoints
from .client import SimklClient
from .side import SimklSide
from .sink import simkl_sink

if TYPE_CHECKING:
    from collections.abc import Sequence

    from homeassistant.core import HomeAssistant

    from ...api.models import WatchlistEntry


# -- SIMKL --------------------------------------------------------------------------------------
def simkl_client(hass: HomeAssistant, client_id: str, token: str | None = None) -> SimklClient:
    """A SIMKL client over HA's session (without a token: the PIN login only)."""
    return SimklClient(
        async_get_clientsession(hass),
        base_url=Endpoints.from_env().simkl,
        client_id=client_id,
        app_name=APP_NAME.lower(),
        app_version=APP_VERSION,
        token=token,
        clock=get_clock(hass),
    )


@dataclass(slots=True)
class SimklAccount(BaseAccount):
    """SIMKL polls ``/sync/activities`` first; the plan-to-watch list only when it moved."""

    hass: HomeAssistant
    client_id: str
    token: str
    service: Service = Service.SIMKL
    client: SimklClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Build the client once per loaded entry."""
        self.client = simkl_client(self.hass, self.client_id, self.token)

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every plan-to-watch movie, show and anime (rows alone: no watched episodes)."""
        return (await self.client.all_items(extended=None)).watchlist()

    @property
    def clients(self) -> tuple[HttpClient, ...]:
        """The one SIMKL client."""
        return (self.client,)

    def title_search(self) -> SimklClient:
        """Its text search: ids for titles without any when no TMDb account is connected."""
        return self.client

    def sync_side(self) -> SimklSide:
        """SIMKL as a sync side, over the account's client."""
        return SimklSide(self.client)

    def scrobble_target(self, sink_id: str) -> ScrobbleTarget:
        """Scrobbles and ratings go through the account's client."""
        return ScrobbleTarget(simkl_sink(sink_id, self.client), self.client)
