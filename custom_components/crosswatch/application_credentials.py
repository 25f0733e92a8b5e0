"""Trakt sign-in uses the user's own Trakt API app, entered as application credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.components.application_credentials import (
    AuthorizationServer,
    ClientCredential,
)

from .providers.endpoints import Endpoints
from .providers.trakt.login import TraktImplementation

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers import config_entry_oauth2_flow


async def async_get_auth_implementation(
    hass: HomeAssistant, auth_domain: str, credential: ClientCredential
) -> config_entry_oauth2_flow.AbstractOAuth2Implementation:
    """Trakt's authorize page and token endpoint, with device-code support."""
    endpoints = Endpoints.from_env()
    return TraktImplementation(
        hass,
        auth_domain,
        credential,
        AuthorizationServer(
            authorize_url=f"{endpoints.trakt_auth}/oauth/authorize",
            token_url=f"{endpoints.trakt}/oauth/token",
        ),
    )


async def async_get_description_placeholders(hass: HomeAssistant) -> dict[str, str]:
    """Where to create the Trakt API app."""
    return {
        "app_url": "https://trakt.tv/oauth/applications/new",
        "redirect_url": "https://my.home-assistant.io/redirect/oauth",
    }
