"""The ``crosswatch.play_next`` action: start a show's next episode on a Plex player.

The player must be one Home Assistant's Plex integration provides (its registry platform is
``plex``); the episode is found on the Plex server that player belongs to (that Plex config
entry's unique id is the server's machine identifier, which a CrossWatch Plex account names too)
and started with ``media_player.play_media`` in Plex's own ``plex://{server}/{ratingKey}`` form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import probatio as vol
from homeassistant.components.media_player.const import (
    ATTR_MEDIA_CONTENT_ID,
    ATTR_MEDIA_CONTENT_TYPE,
    SERVICE_PLAY_MEDIA,
    MediaType,
)
from homeassistant.components.media_player.const import DOMAIN as MEDIA_PLAYER_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er

from .api.errors import CrosswatchApiError
from .api.models import MediaKind
from .const import DOMAIN
from .data import loaded_entries, require_loaded_entry
from .providers.base import loaded_accounts
from .providers.plex.account import PlexAccount
from .watchnext.play import PLEX_PLATFORM, find_on_plex, find_show, plex_media_id

if TYPE_CHECKING:
    from .data import CrosswatchConfigEntry
    from .watchnext.upnext import UpNext

SERVICE_PLAY_NEXT: Final = "play_next"
ATTR_MEDIA_PLAYER: Final = "media_player"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_SHOW: Final = "show"

PLAY_NEXT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_MEDIA_PLAYER): cv.entity_id,
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_SHOW): vol.All(cv.string, vol.Strip, vol.Length(min=1)),
    }
)


def _error(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _plex_server_of(hass: HomeAssistant, player: str) -> str:
    """The machine id of the Plex server whose integration provides ``player``."""
    registered = er.async_get(hass).async_get(player)
    if registered is None or registered.platform != PLEX_PLATFORM:
        raise _error("not_a_plex_player", player=player)
    plex_entry = (
        hass.config_entries.async_get_entry(registered.config_entry_id)
        if registered.config_entry_id
        else None
    )
    if plex_entry is None or not plex_entry.unique_id:
        raise _error("not_a_plex_player", player=player)
    return plex_entry.unique_id


def _plex_account(hass: HomeAssistant, server_id: str) -> PlexAccount:
    for account in loaded_accounts(hass):
        if isinstance(account, PlexAccount) and account.server_id == server_id:
            return account
    raise _error("plex_server_not_connected", server=server_id)


async def _up_next(hass: HomeAssistant, call: ServiceCall) -> UpNext:
    entries: list[CrosswatchConfigEntry]
    if (entry_id := call.data.get(ATTR_CONFIG_ENTRY_ID)) is not None:
        entries = [require_loaded_entry(hass, entry_id)]
    else:
        entries = loaded_entries(hass)
    wanted = call.data.get(ATTR_SHOW)
    for entry in entries:
        coordinator = entry.runtime_data.watch_next
        if coordinator is None:
            continue
        await coordinator.async_first_refresh()
        snapshot = coordinator.data
        for upcoming in snapshot.up_next if snapshot is not None else ():
            title = upcoming.show.title or ""
            if wanted is None or title.casefold() == wanted.casefold():
                return upcoming
    if wanted is None:
        raise _error("nothing_up_next")
    raise _error("show_not_up_next", show=wanted)


async def async_play_next(call: ServiceCall) -> ServiceResponse:
    """Find the next episode on the player's Plex server and start it there."""
    hass = call.hass
    player = call.data[ATTR_MEDIA_PLAYER]
    server_id = _plex_server_of(hass, player)
    account = _plex_account(hass, server_id)
    upcoming = await _up_next(hass, call)
    try:
        shows = [
            show
            for section in await account.server.sections()
            if section.type == "show"
            for show in await account.server.library(section.key, MediaKind.SHOW)
        ]
        show = find_show(shows, upcoming.show)
        found = None
        if show is not None:
            episodes = await account.server.show_episodes(show)
            found = find_on_plex(episodes, upcoming.episode())
    except CrosswatchApiError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="service_unavailable",
            translation_placeholders={"service": "plex"},
        ) from err
    if found is None:
        raise _error("episode_not_on_plex", episode=upcoming.label)
    media_id = plex_media_id(server_id, found.rating_key)
    await hass.services.async_call(
        MEDIA_PLAYER_DOMAIN,
        SERVICE_PLAY_MEDIA,
        {
            ATTR_ENTITY_ID: player,
            ATTR_MEDIA_CONTENT_TYPE: MediaType.EPISODE,
            ATTR_MEDIA_CONTENT_ID: media_id,
        },
        blocking=True,
    )
    return {"episode": upcoming.label, "media_content_id": media_id}


def async_setup_play_next(hass: HomeAssistant) -> None:
    """Register ``crosswatch.play_next``."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_PLAY_NEXT,
        async_play_next,
        schema=PLAY_NEXT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
