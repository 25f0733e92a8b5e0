"""Troubleshooting actions: ``reset_pair``, ``clear_cache`` and ``retry_scrobbles``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import probatio as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .const import DOMAIN
from .data import crosswatch_entries, loaded_entries, require_loaded_entry

if TYPE_CHECKING:
    from .pairs import PairRunner

SERVICE_RESET_PAIR: Final = "reset_pair"
SERVICE_CLEAR_CACHE: Final = "clear_cache"
SERVICE_RETRY_SCROBBLES: Final = "retry_scrobbles"
ATTR_PAIR: Final = "pair"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"

RESET_PAIR_SCHEMA: Final = vol.Schema({vol.Required(ATTR_PAIR): cv.string})
ENTRY_SCHEMA: Final = vol.Schema({vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string})


def _runner(hass: HomeAssistant, pair: str) -> PairRunner:
    """The loaded runner of sync pair ``pair``, or a translated error."""
    for entry in crosswatch_entries(hass):
        if pair not in entry.subentries:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="entry_not_loaded",
                translation_placeholders={"account": entry.title},
            )
        runner = entry.runtime_data.pair_runners.get(pair)
        if runner is not None:
            return runner
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_pair",
        translation_placeholders={"pair": pair},
    )


async def _reset_pair(call: ServiceCall) -> ServiceResponse:
    """Forget the pair's baselines: its next run is a first run, which never removes."""
    runner = _runner(call.hass, call.data[ATTR_PAIR])
    forgot = await runner.async_reset()
    # What the pair's baselines held: titles (plays for history) per feature and side.
    baselines: dict[str, Any] = {feature: dict(sides) for feature, sides in forgot.items()}
    return {"pair": runner.subentry_id, "title": runner.title, "forgot": baselines}


def _named_entries(hass: HomeAssistant, call: ServiceCall) -> list[str] | None:
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if entry_id is None:
        return None
    return [require_loaded_entry(hass, entry_id).entry_id]


async def _clear_cache(call: ServiceCall) -> ServiceResponse:
    """Forget the cached TMDb answers (titles, posters) of every (or one) TMDb account."""
    named = _named_entries(call.hass, call)
    cleared = 0
    accounts = 0
    for entry in loaded_entries(call.hass):
        client = entry.runtime_data.account.metadata
        if client is None or (named is not None and entry.entry_id not in named):
            continue
        cleared += client.clear_cache()
        accounts += 1
        entry.runtime_data.coordinator.async_update_listeners()
    if named is not None and not accounts:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_tmdb_cache",
            translation_placeholders={"entry_id": named[0]},
        )
    return {"accounts": accounts, "cleared": cleared}


async def _retry_scrobbles(call: ServiceCall) -> ServiceResponse:
    """Deliver the queued scrobbles of every (or one) Plex account now, backoff or not."""
    named = _named_entries(call.hass, call)
    delivered = 0
    waiting = 0
    scrobblers = 0
    for entry in loaded_entries(call.hass):
        scrobbler = entry.runtime_data.scrobble
        if scrobbler is None or (named is not None and entry.entry_id not in named):
            continue
        scrobblers += 1
        result = await scrobbler.async_retry_now()
        delivered += len(result.delivered)
        waiting += len(scrobbler.queue)
    if named is not None and not scrobblers:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_scrobble_queue",
            translation_placeholders={"entry_id": named[0]},
        )
    return {"delivered": delivered, "waiting": waiting}


@callback
def async_setup_troubleshooting_actions(hass: HomeAssistant) -> None:
    """Register the troubleshooting actions (once, in ``async_setup``)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RESET_PAIR,
        _reset_pair,
        schema=RESET_PAIR_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CLEAR_CACHE,
        _clear_cache,
        schema=ENTRY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_RETRY_SCROBBLES,
        _retry_scrobbles,
        schema=ENTRY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
