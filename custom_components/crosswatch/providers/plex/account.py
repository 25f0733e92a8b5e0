"""A loaded Plex account: plex.tv (account, watchlist) and the chosen Plex Media Server."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.helpers.aiohttp_client import async_get_clientsession

from ...api.errors import (
    AuthError,
    CrosswatchApiError,
)
from ...const import (
    APP_NAME,
    APP_VERSION,
    CONF_PLEX_CLIENT_ID,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    Service,
)
from ..base import BaseAccount, HttpClient, get_clock
from ..endpoints import Endpoints
from .client import PlexServerClient, PlexTvClient, select_connection
from .side import PlexSide

if TYPE_CHECKING:
    from collections.abc import Sequence

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ...api.models import WatchlistEntry


_LOGGER = logging.getLogger(__name__)


def plex_tv_client(hass: HomeAssistant, client_identifier: str, token: str | None) -> PlexTvClient:
    """A plex.tv client (account, servers, watchlist) over HA's session."""
    endpoints = Endpoints.from_env()
    return PlexTvClient(
        async_get_clientsession(hass),
        base_url=endpoints.plex_tv,
        discover_url=endpoints.plex_discover,
        metadata_url=endpoints.plex_metadata,
        client_identifier=client_identifier,
        token=token,
        clock=get_clock(hass),
        product=APP_NAME,
        version=APP_VERSION,
    )


def plex_server_client(
    hass: HomeAssistant, client_identifier: str, url: str, token: str
) -> PlexServerClient:
    """A client for one Plex Media Server over HA's session."""
    return PlexServerClient(
        async_get_clientsession(hass),
        base_url=url,
        token=token,
        clock=get_clock(hass),
        client_identifier=client_identifier,
        product=APP_NAME,
        version=APP_VERSION,
    )


async def plex_server_users(hass: HomeAssistant, entry: ConfigEntry) -> dict[str, str]:
    """PMS account id (as a string) -> name, from the server's ``/accounts``.

    Asked only while a scrobble route is edited, so a client of its own costs nothing.
    """
    pms = plex_server_client(
        hass,
        entry.data[CONF_PLEX_CLIENT_ID],
        entry.data[CONF_SERVER_URL],
        entry.data[CONF_SERVER_TOKEN],
    )
    return {str(account_id): name for account_id, name in (await pms.accounts()).items()}


@dataclass(slots=True)
class PlexAccount(BaseAccount):
    """The Plex account's watchlist lives on discover.provider.plex.tv (no activity stamp).

    ``client`` talks to plex.tv and ``server`` to the chosen Plex Media Server: polls, sync
    and scrobbling share both.
    """

    hass: HomeAssistant
    client_identifier: str
    token: str
    server_url: str
    server_token: str = field(repr=False)
    server_id: str = ""
    # The owner is account 1 on their own server; elsewhere the plex.tv account id.
    server_account_id: int = 1
    service: Service = Service.PLEX
    client: PlexTvClient = field(init=False, repr=False)
    server: PlexServerClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """One plex.tv client and one server client per loaded entry."""
        self.client = plex_tv_client(self.hass, self.client_identifier, self.token)
        self.server = plex_server_client(
            self.hass, self.client_identifier, self.server_url, self.server_token
        )

    async def async_moved(self) -> dict[str, Any] | None:
        """Check the server with its token; find its new address when the stored one is dead.

        A refused token raises ``AuthError`` (the entry then asks to sign in again). When the
        server does not answer, plex.tv's current addresses for it are tried (a server's LAN
        address or plex.direct name changes); the one that answers as this server is returned
        and used from now on (the entry keeps it). ``None``: the address works, or no better one is
        known.
        """
        try:
            await self.server.sections()
        except AuthError:
            raise
        except CrosswatchApiError as err:
            _LOGGER.debug("Plex server not answering at its address: %s", err)
        else:
            return None
        try:
            servers = await self.client.resources()
            found = next((s for s in servers if s.machine_identifier == self.server_id), None)
            if found is None:
                return None
            url = (
                await select_connection(
                    async_get_clientsession(self.hass), found, clock=get_clock(self.hass)
                )
            ).rstrip("/")
        except AuthError:
            raise
        except CrosswatchApiError as err:
            _LOGGER.debug("No other address for the Plex server: %s", err)
            return None
        if url == self.server_url:
            return None
        self.server_url = url
        self.server = plex_server_client(self.hass, self.client_identifier, url, self.server_token)
        return {CONF_SERVER_URL: url}

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """Every watchlist page."""
        return await self.client.watchlist()

    @property
    def clients(self) -> tuple[HttpClient, ...]:
        """plex.tv and the server."""
        return (self.client, self.server)

    def sync_side(self) -> PlexSide:
        """Plex as a sync side: watchlist on plex.tv, history and ratings on the server."""
        return PlexSide(self.client, self.server, self.server_account_id)
