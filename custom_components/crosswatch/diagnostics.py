"""Diagnostics: entry, subentries and poll state, safe to paste into a public issue.

Credentials are removed, and so are personal identifiers (as core's xbox does): account names and
ids, the Plex server's name, id and address, titles that carry user names, Plex users. Their values
are also scrubbed wherever else they turn up (an error message naming the server's address).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from yarl import URL

from .const import (
    CONF_ACCESS_TOKEN,
    CONF_ACCOUNT_ID,
    CONF_ACCOUNT_NAME,
    CONF_API_KEY,
    CONF_CLIENT_ID,
    CONF_PLEX_CLIENT_ID,
    CONF_PLEX_TOKEN,
    CONF_SERVER_ID,
    CONF_SERVER_NAME,
    CONF_SERVER_TOKEN,
    CONF_SERVER_URL,
    CONF_TOKEN,
)
from .data import crosswatch_entries
from .providers.base import account_requests

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import AccountSnapshot
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
    # Home Assistant names a credential made in its UI after its client id ("crosswatch_<id>").
    "auth_implementation",
}
# Who the user is and where their server lives: not secrets, but not for a public issue either.
PERSONAL = {
    CONF_ACCOUNT_ID,
    CONF_ACCOUNT_NAME,
    CONF_SERVER_ID,
    CONF_SERVER_NAME,
    CONF_SERVER_URL,
    "title",  # entry, subentry and pair titles carry account and user names
    "users",  # Plex users routed by a scrobble route
    "now_watching",  # Plex users watching now
}
# Shorter values (a PMS-local user id "1") identify no one and would garble every number.
MIN_SCRUBBED_LENGTH = 3


def _personal_values(hass: HomeAssistant, entry: CrosswatchConfigEntry) -> set[str]:
    """The values that identify the user, wherever they turn up in the report."""
    data = entry.data
    values = {entry.title, *(str(data.get(key) or "") for key in PERSONAL)}
    # Pair and route titles name the other accounts too.
    for other in crosswatch_entries(hass):
        values.update((other.title, str(other.data.get(CONF_ACCOUNT_NAME) or "")))
    if url := data.get(CONF_SERVER_URL):
        values.add(URL(str(url)).host or "")
    values.update(sub.title for sub in entry.subentries.values())
    if (scrobbler := entry.runtime_data.scrobble) is not None:
        values.update(scrobbler.users)
        values.update(scrobbler.users.values())
    # Credentials beyond the entry's tokens (a Trakt app's client id), wherever they turn up.
    values.update(entry.runtime_data.account.secrets)
    return {value for value in values if len(value) >= MIN_SCRUBBED_LENGTH}


def _scrub(node: Any, values: list[str]) -> Any:
    if isinstance(node, str):
        for value in values:
            node = node.replace(value, REDACTED)
        return node
    if isinstance(node, dict):
        return {key: _scrub(item, values) for key, item in node.items()}
    if isinstance(node, list | tuple):
        return [_scrub(item, values) for item in node]
    return node


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: CrosswatchConfigEntry
) -> dict[str, Any]:
    """Return what helps debugging, never a secret nor who the user is."""
    coordinator = entry.runtime_data.coordinator
    scrobbler = entry.runtime_data.scrobble
    # ``None`` when no poll succeeded yet (a Plex account whose plex.tv watchlist failed).
    snapshot: AccountSnapshot | None = coordinator.data
    runners = entry.runtime_data.pair_runners
    # Only accounts that are the source of a sync pair carry a "pairs" section.
    pairs = {"pairs": {sid: runner.diagnostics() for sid, runner in runners.items()}}
    report = {
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
            "activity_marker": None if snapshot is None else snapshot.marker,
            "watchlist_size": None if snapshot is None else snapshot.watchlist_size,
            "watchlist_fetches": coordinator.watchlist_fetches,
        },
        # Per service and route: requests, retries, 429s, errors, time paced or backing off.
        "requests": account_requests(entry.runtime_data.account),
        "scrobble": None if scrobbler is None else scrobbler.diagnostics(),
        **(pairs if runners else {}),
    }
    # Longest first, so a title is scrubbed whole before the name inside it.
    values = sorted(_personal_values(hass, entry), key=len, reverse=True)
    redacted: dict[str, Any] = _scrub(async_redact_data(report, TO_REDACT | PERSONAL), values)
    return redacted
