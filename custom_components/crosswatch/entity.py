"""Base entities: one device per account, one per subentry (sync pair or scrobble route)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_SERVICE, DOMAIN
from .coordinator import AccountCoordinator

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry

    from .data import CrosswatchConfigEntry
    from .pairs import PairRunner
    from .scrobbling import PlexScrobbler

MANUFACTURER = {
    "plex": "Plex",
    "trakt": "Trakt",
    "simkl": "SIMKL",
    "tmdb": "TMDb",
}


def account_device_info(entry: CrosswatchConfigEntry) -> DeviceInfo:
    """The device that stands for a connected account."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=MANUFACTURER[entry.data[CONF_SERVICE]],
        model="Account",
        name=entry.title,
    )


def subentry_device_info(entry: CrosswatchConfigEntry, subentry: ConfigSubentry) -> DeviceInfo:
    """The device of a sync pair or scrobble route, linked to its account's device."""
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="CrossWatch",
        model=subentry.subentry_type,
        name=subentry.title,
    )


class ScrobbleEntity(Entity):
    """An entity of a Plex account's scrobbler, updated when the scrobbler reports a change."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, scrobbler: PlexScrobbler, key: str) -> None:
        """Attach to the Plex account's device; ``key`` makes the unique id."""
        self.scrobbler = scrobbler
        entry = scrobbler.entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = account_device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the scrobbler."""
        await super().async_added_to_hass()
        self.async_on_remove(self.scrobbler.async_add_listener(self._scrobbler_updated))

    @callback
    def _scrobbler_updated(self) -> None:
        self.async_write_ha_state()


class AccountEntity(CoordinatorEntity[AccountCoordinator]):
    """An entity of one connected account."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: AccountCoordinator, key: str) -> None:
        """Attach to the account's device; ``key`` makes the unique id."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{entry.entry_id}_{key}"
        self._attr_device_info = account_device_info(entry)


class PairEntity(Entity):
    """An entity of one sync pair, on the pair's device, refreshed after every run."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, runner: PairRunner, key: str) -> None:
        """Attach to the pair's subentry device; ``key`` makes the unique id."""
        self.runner = runner
        self._attr_unique_id = f"{runner.entry.entry_id}_{runner.subentry_id}_{key}"
        self._attr_device_info = subentry_device_info(runner.entry, runner.subentry)

    async def async_added_to_hass(self) -> None:
        """Follow the runner."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runner.async_add_listener(self.async_write_ha_state))
