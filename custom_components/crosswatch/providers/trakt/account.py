"""A loaded Trakt account: one client whose token Home Assistant keeps fresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import ClientError
from homeassistant.exceptions import (
    HomeAssistantError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...api.errors import (
    AuthError,
    ServiceUnavailableError,
)
from ...const import (
    Service,
)
from ..base import BaseAccount, HttpClient, ScrobbleTarget, get_clock
from ..endpoints import Endpoints
from .client import TraktClient
from .side import TraktSide
from .sink import trakt_sink

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from homeassistant.core import HomeAssistant

    from ...api.models import WatchlistEntry


def trakt_client(
    hass: HomeAssistant, client_id: str, access_token: Callable[[], Awaitable[str]]
) -> TraktClient:
    """A Trakt client over HA's session."""
    return TraktClient(
        async_get_clientsession(hass),
        base_url=Endpoints.from_env().trakt,
        client_id=client_id,
        access_token=access_token,
        clock=get_clock(hass),
    )


@dataclass(slots=True)
class TraktAccount(BaseAccount):
    """Trakt polls ``/sync/last_activities``; the watchlist only when it moved."""

    hass: HomeAssistant
    session: config_entry_oauth2_flow.OAuth2Session
    client_id: str
    service: Service = Service.TRAKT
    client: TraktClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """One client per loaded entry; tokens are refreshed before they expire."""
        oauth = self.session

        async def token() -> str:
            try:
                await oauth.async_ensure_token_valid()
            except OAuth2TokenRequestReauthError as err:
                # The refresh token is spent or revoked: polls start reauth, scrobbles queue.
                raise AuthError("trakt", "token refresh", "token refused") from err
            except (HomeAssistantError, ClientError, TimeoutError) as err:
                raise ServiceUnavailableError("trakt", "token refresh", "not renewed") from err
            return str(oauth.token["access_token"])

        self.client = trakt_client(self.hass, self.client_id, token)

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every watchlist row."""
        return await self.client.watchlist()

    @property
    def clients(self) -> tuple[HttpClient, ...]:
        """The one Trakt client."""
        return (self.client,)

    def title_search(self) -> TraktClient:
        """Its text search: ids for titles without any when no TMDb account is connected."""
        return self.client

    def sync_side(self) -> TraktSide:
        """Trakt as a sync side, over the account's client."""
        return TraktSide(self.client)

    def scrobble_target(self, sink_id: str) -> ScrobbleTarget:
        """Scrobbles and ratings go through the account's client."""
        return ScrobbleTarget(trakt_sink(sink_id, self.client), self.client)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The app's client id is a credential, in either letter case."""
        return (self.client_id, self.client_id.lower()) if self.client_id else ()
