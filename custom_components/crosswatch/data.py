"""Runtime data of a CrossWatch config entry, typed so platforms and services can rely on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from .accounts import AccountApi
    from .const import Service
    from .coordinator import AccountCoordinator
    from .scrobbling import PlexScrobbler


@dataclass(slots=True, kw_only=True)
class CrosswatchData:
    """Everything one connected account keeps while loaded.

    ``api`` is the account's ``accounts.*Account``; its ``client`` is the one API client of the
    account (``TraktClient``, ``SimklClient``, ``PlexTvClient``, ``TmdbClient``), so pacing and
    caches are shared by everything that talks to that account.
    ``pair_runners`` (sync pair subentry id -> runner) and ``scrobble`` (the Plex scrobble
    pipeline) are filled by the sync and scrobble layers; both are stopped through
    ``entry.async_on_unload`` by whoever creates them.
    """

    service: Service
    api: AccountApi
    coordinator: AccountCoordinator
    pair_runners: dict[str, Any] = field(default_factory=dict)
    scrobble: PlexScrobbler | None = None


type CrosswatchConfigEntry = ConfigEntry[CrosswatchData]
