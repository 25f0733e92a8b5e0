"""Trakt sign-in: the user's own API app (HA application credentials), device code or redirect."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from aiohttp import RequestInfo
from homeassistant.components.application_credentials import AuthImplementation
from homeassistant.exceptions import (
    OAuth2TokenRequestConnectionError,
    OAuth2TokenRequestReauthError,
)
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from ...api.errors import (
    AppRejectedError,
    AuthError,
    CrosswatchApiError,
    InvalidResponseError,
    RequestRejectedError,
)
from ...const import (
    CONF_TOKEN,
    DOMAIN,
)
from ..base import LoginDeniedError, LoginExpiredError, get_clock
from ..endpoints import Endpoints
from .account import trakt_client
from .client import DeviceStatus, TraktAuth, TraktToken

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)


DEVICE_TOKEN: Final = "device_token"  # noqa: S105 - a dict key, not a secret


OUT_OF_BAND: Final = "urn:ietf:wg:oauth:2.0:oob"


@dataclass(frozen=True, slots=True)
class TraktDeviceCode:
    """A device code the user enters at ``verification_url``."""

    device_code: str = field(repr=False)
    user_code: str
    verification_url: str
    interval: float
    expires_at: float


def _token_dict(token: TraktToken) -> dict[str, Any]:
    """HA's OAuth token dict; HA adds ``expires_at`` from ``expires_in``."""
    return {
        "access_token": token.access_token,
        "refresh_token": token.refresh_token,
        "token_type": "bearer",
        "expires_in": token.expires_in,
        "created_at": token.created_at,
    }


class TraktImplementation(AuthImplementation):
    """The user's Trakt API app: JSON token requests, device codes, and the redirect flow."""

    def _auth(self) -> TraktAuth:
        return TraktAuth(
            async_get_clientsession(self.hass),
            base_url=Endpoints.from_env().trakt,
            client_id=self.client_id,
            client_secret=self.client_secret,
            clock=get_clock(self.hass),
        )

    async def _token_request(self, data: dict[str, Any]) -> dict[str, Any]:
        """Exchange a code or spend a refresh token through ``TraktAuth`` (JSON bodies)."""
        auth = self._auth()
        try:
            if data.get("grant_type") == "refresh_token":
                # No request to derive a redirect URI from: the device login's URI serves.
                token = await auth.refresh(data["refresh_token"], OUT_OF_BAND)
            else:
                token = await auth.exchange_code(data["code"], data["redirect_uri"])
        except AppRejectedError:
            raise  # no sign-in helps: the account's repair says what to do
        except (AuthError, RequestRejectedError) as err:
            # 401, or 400 invalid_grant: the refresh token is spent or revoked.
            url = URL(self.token_url)
            raise OAuth2TokenRequestReauthError(
                domain=DOMAIN,
                request_info=RequestInfo(url, "POST", CIMultiDictProxy(CIMultiDict()), url),
                status=getattr(err, "status", 401),
            ) from err
        except CrosswatchApiError as err:
            raise OAuth2TokenRequestConnectionError(domain=DOMAIN) from err
        return _token_dict(token)

    async def async_resolve_external_data(self, external_data: Any) -> dict[str, Any]:
        """A device login already holds the token; a redirect brings a code to exchange."""
        if isinstance(external_data, dict) and DEVICE_TOKEN in external_data:
            return dict(external_data[DEVICE_TOKEN])
        return await super().async_resolve_external_data(external_data)

    async def async_revoke(self, token: Mapping[str, Any]) -> None:
        """Revoke the account's access token (the refresh token dies with it)."""
        await self._auth().revoke(str(token["access_token"]))

    async def async_device_code(self) -> TraktDeviceCode:
        """Ask Trakt for a device code."""
        code = await self._auth().device_code()
        return TraktDeviceCode(
            device_code=code.device_code,
            user_code=code.user_code,
            verification_url=code.verification_url,
            interval=float(code.interval),
            expires_at=get_clock(self.hass).time() + code.expires_in,
        )

    async def async_device_token(self, code: TraktDeviceCode) -> dict[str, Any] | None:
        """Return the token once the user entered the code, ``None`` while pending."""
        poll = await self._auth().poll_device(code.device_code)
        if poll.status is DeviceStatus.APPROVED and poll.token is not None:
            return _token_dict(poll.token)
        if poll.status is DeviceStatus.DENIED:
            raise LoginDeniedError
        if poll.done:  # invalid, already used or expired
            raise LoginExpiredError
        return None


async def trakt_account(
    hass: HomeAssistant,
    implementation: config_entry_oauth2_flow.AbstractOAuth2Implementation,
    token: Mapping[str, Any],
) -> tuple[str, str]:
    """(uuid or slug, username) of the user a fresh token belongs to."""
    access = str(token["access_token"])

    async def current() -> str:
        return access

    client_id = getattr(implementation, "client_id", "")
    settings = await trakt_client(hass, client_id, current).settings()
    user = settings.raw.get("user")
    ids = user.get("ids") if isinstance(user, Mapping) else None
    account_id = (ids.get("uuid") or ids.get("slug")) if isinstance(ids, Mapping) else None
    if not account_id or not settings.username:
        raise InvalidResponseError("trakt", "GET /users/settings", "settings without user ids")
    return str(account_id), settings.username


async def async_sign_out(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Revoke a removed Trakt account's token, so it stops working at once."""
    try:
        implementation = await config_entry_oauth2_flow.async_get_config_entry_implementation(
            hass, entry
        )
    except ValueError, config_entry_oauth2_flow.ImplementationUnavailableError:
        return  # its application credentials are gone too: nothing to sign out with
    try:
        await cast("TraktImplementation", implementation).async_revoke(entry.data[CONF_TOKEN])
    except CrosswatchApiError as err:
        _LOGGER.warning("Could not revoke the Trakt token of %s: %s", entry.title, err)
