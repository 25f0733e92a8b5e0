"""Plex sign-in: a plex.tv PIN, then the account's servers and the address that answers as one."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from yarl import URL

from ...api.errors import (
    CrosswatchApiError,
    InvalidResponseError,
    NotFoundError,
)
from ..base import LoginExpiredError, SignInError, get_clock
from ..endpoints import Endpoints
from .account import plex_server_client, plex_tv_client
from .client import PlexTvClient

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.core import HomeAssistant


class WrongServerError(SignInError):
    """The URL answered, but as another server."""

    key = "wrong_server"


class UnverifiableAddressError(SignInError):
    """An https URL to a bare IP: HA verifies certificates, and Plex's names plex.direct."""

    key = "https_ip_address"


def plex_direct_address(url: str, connections: Iterable[str]) -> str | None:
    """The plex.direct address plex.tv lists for an ``https://<LAN IP>:<port>`` URL.

    A Plex server's certificate names ``<ip with dashes>.<hash>.plex.direct``, so only that name
    passes Home Assistant's certificate check for the same address.
    """
    parsed = URL(url)
    if parsed.scheme != "https" or not _is_ip(parsed.host):
        return None
    dashed = str(parsed.host).replace(".", "-").replace(":", "-")
    for candidate in connections:
        known = URL(candidate)
        host = known.host or ""
        if (
            host.startswith(f"{dashed}.")
            and host.endswith(".plex.direct")
            and known.port == parsed.port
        ):
            return candidate
    return None


def _is_ip(host: str | None) -> bool:
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class PlexPin:
    """A plex.tv PIN the user approves in the Plex auth app."""

    id: int
    code: str
    expires_at: float


@dataclass(frozen=True, slots=True)
class PlexServerChoice:
    """A server the account can reach, as offered in the flow."""

    machine_id: str
    name: str
    owned: bool
    access_token: str = field(repr=False)
    connections: tuple[str, ...]
    owner: str | None = None

    @property
    def label(self) -> str:
        """Shared servers are marked as such, with who shares them when plex.tv says."""
        if self.owned:
            return self.name
        return f"{self.name} (shared by {self.owner})" if self.owner else f"{self.name} (shared)"


@dataclass(slots=True)
class PlexLogin:
    """plex.tv PIN login, then the account and its servers."""

    hass: HomeAssistant
    client_identifier: str
    token: str | None = None
    account: tuple[str, str] | None = None
    servers: list[PlexServerChoice] = field(default_factory=list)

    def _tv(self) -> PlexTvClient:
        return plex_tv_client(self.hass, self.client_identifier, self.token)

    async def async_create_pin(self) -> PlexPin:
        """Create a strong PIN for the auth-app flow."""
        pin = await self._tv().create_pin()
        expires_in = pin.expires_in or 1800
        return PlexPin(
            id=pin.id, code=pin.code, expires_at=get_clock(self.hass).time() + expires_in
        )

    def auth_url(self, pin: PlexPin) -> str:
        """The app.plex.tv page where the user approves the PIN."""
        url = self._tv().auth_app_url(pin.code)
        return Endpoints.from_env().plex_auth + url[url.index("#") :]

    async def async_check_pin(self, pin: PlexPin) -> str | None:
        """Return the account token once approved, ``None`` while pending."""
        try:
            token = await self._tv().poll_pin(pin.id)
        except NotFoundError as err:
            raise LoginExpiredError from err
        if token:
            self.token = token
        return self.token

    async def async_load_account(self) -> None:
        """Read the account and its servers (owned first)."""
        tv = self._tv()
        user = await tv.user()
        servers = await tv.resources()
        if user.id is None:
            raise InvalidResponseError("plex.tv", "GET /api/v2/user", "account without id")
        self.account = (str(user.id), user.username or user.title or str(user.id))
        choices = [
            PlexServerChoice(
                machine_id=server.machine_identifier,
                name=server.name,
                owned=server.owned,
                access_token=server.access_token,
                connections=tuple(c.uri.rstrip("/") for c in server.ordered_connections()),
                owner=server.source_title,
            )
            for server in servers
        ]
        self.servers = sorted(choices, key=lambda s: (not s.owned, s.name.lower()))

    async def async_connect(
        self, server: PlexServerChoice, url: str | None = None, *, prefer: str | None = None
    ) -> str:
        """The first URL whose ``/identity`` is this server.

        ``url`` (typed by the user) is the only one tried; an https one to a LAN IP becomes the
        plex.direct address plex.tv lists for it. Otherwise ``prefer`` (the address the entry
        used) goes before plex.tv's addresses.
        """
        # An https URL to a bare IP that plex.tv has no plex.direct name for cannot pass the check.
        https_ip = False
        if url:
            direct = plex_direct_address(url, server.connections)
            candidates: tuple[str, ...] = (direct or url,)
            https_ip = direct is None and URL(url).scheme == "https" and _is_ip(URL(url).host)
        else:
            candidates = tuple(dict.fromkeys((*([prefer] if prefer else []), *server.connections)))
        last: Exception = InvalidResponseError("pms", "GET /identity", "no connection")
        for candidate in candidates:
            pms = plex_server_client(
                self.hass, self.client_identifier, candidate, server.access_token
            )
            try:
                found = await pms.identity()
            except CrosswatchApiError as err:
                last = err
                continue
            if found != server.machine_id:
                raise WrongServerError
            return candidate
        if https_ip:
            raise UnverifiableAddressError from last
        raise last
