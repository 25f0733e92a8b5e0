"""Runtime data of a CrossWatch config entry, typed so platforms and services can rely on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.exceptions import ServiceValidationError

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .const import Service
    from .coordinator import AccountCoordinator
    from .pairs import PairRunner
    from .providers.base import BaseAccount
    from .providers.plex.scrobbler import PlexScrobbler
    from .whats_next import WatchNextCoordinator


@dataclass(slots=True, kw_only=True)
class CrosswatchData:
    """Everything one connected account keeps while loaded.

    ``account`` is the provider's loaded account (``providers/<service>/account.py``); its
    clients are shared by everything that talks to that account, so pacing and caches are too.
    ``pair_runners`` (sync pair subentry id -> runner) and ``scrobble`` (the Plex scrobble
    pipeline) are started before the data is built; both stop through ``entry.async_on_unload``.
    Only a pair or the first scrobble route added to a loaded entry joins later, in place, so
    the account's other entities stay available. ``watch_next`` (Trakt and SIMKL accounts) serves
    the calendar, the up-next sensor and ``crosswatch.play_next``.
    """

    service: Service
    account: BaseAccount
    coordinator: AccountCoordinator
    pair_runners: dict[str, PairRunner] = field(default_factory=dict)
    scrobble: PlexScrobbler | None = None
    watch_next: WatchNextCoordinator | None = None


type CrosswatchConfigEntry = ConfigEntry[CrosswatchData]


# HA's registry hands out ``ConfigEntry[Any]``; these give the glue typed CrossWatch entries.
def crosswatch_entries(hass: HomeAssistant) -> list[CrosswatchConfigEntry]:
    """Every CrossWatch entry, loaded or not (``runtime_data`` exists on loaded ones only)."""
    return hass.config_entries.async_entries(DOMAIN)


def crosswatch_entry(hass: HomeAssistant, entry_id: str) -> CrosswatchConfigEntry | None:
    """The CrossWatch entry ``entry_id``, loaded or not; ``None`` when there is none."""
    entry: CrosswatchConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    return entry if entry is not None and entry.domain == DOMAIN else None


def loaded_entries(hass: HomeAssistant) -> list[CrosswatchConfigEntry]:
    """Every loaded CrossWatch entry."""
    return hass.config_entries.async_loaded_entries(DOMAIN)


def require_loaded_entry(hass: HomeAssistant, entry_id: str) -> CrosswatchConfigEntry:
    """The loaded CrossWatch entry ``entry_id``, or a translated error naming what is wrong."""
    entry = crosswatch_entry(hass, entry_id)
    if entry is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_entry",
            translation_placeholders={"entry_id": entry_id},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"account": entry.title},
        )
    return entry
