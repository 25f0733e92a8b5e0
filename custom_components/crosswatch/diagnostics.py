"""Diagnostics: entry, subentries and poll state, with every credential and email removed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data

from .accounts import account_requests
from .const import (
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_TOKEN,
    CONF_TOKEN,
)

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .data import CrosswatchConfigEntry

TO_REDACT = {
    CONF_ACCESS_TOKEN,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_TOKEN,
    CONF_TOKEN,
    "refresh_token",
    "client_secret",
    "webhook_id",
    "email",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CrosswatchConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging, never a secret."""
    coordinator = entry.runtime_data.coordinator
    scrobbler = entry.runtime_data.scrobble
    snapshot = coordinator.data
    runners = entry.runtime_data.pair_runners
    # Only accounts that are the source of a sync pair carry a "pairs" section.
    pairs = {"pairs": {sid: runner.diagnostics() for sid, runner in runners.items()}}
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        "subentries": [
            {
                "type": sub.subentry_type,
                "title": sub.title,
                "data": async_redact_data(dict(sub.data), TO_REDACT),
            }
            for sub in entry.subentries.values()
        ],
        "poll": {
            "last_update_success": coordinator.last_update_success,
            "update_interval_seconds": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
            "activity_marker": snapshot.marker,
            "watchlist_size": None if snapshot.watchlist is None else len(snapshot.watchlist),
            "watchlist_fetches": coordinator.watchlist_fetches,
        },
        # Per service and route: requests, retries, 429s, errors, time paced or backing off.
        "requests": account_requests(entry.runtime_data.api),
        "scrobble": None if scrobbler is None else scrobbler.diagnostics(),
        **(pairs if runners else {}),
    }
