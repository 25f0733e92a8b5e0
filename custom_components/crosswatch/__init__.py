"""CrossWatch: keep Plex, Trakt, SIMKL and TMDb in step from Home Assistant."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SIGNAL_CONFIG_ENTRY_CHANGED, ConfigEntryChange
from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send

from .const import (
    DOMAIN,
    PLATFORMS,
    SIGNAL_PAIR_ADDED,
    SIGNAL_SCROBBLING_STARTED,
    SUBENTRY_SCROBBLE_ROUTE,
    SUBENTRY_SYNC_PAIR,
)
from .coordinator import AccountCoordinator
from .data import CrosswatchConfigEntry, CrosswatchData
from .entity import (
    account_device_info,
    async_load_device_models,
    async_remove_stale_scrobble_entities,
)
from .history_actions import async_setup_history_services
from .pairs import async_remove_pair_state, async_start_pair_runner
from .providers.base import async_join_loaded
from .providers.plex.scrobbler import (
    async_remove_scrobble_queue,
    async_setup_scrobbling,
)
from .providers.registry import provider_of
from .repairs import async_delete_app_issues, async_update_pair_issues
from .services import async_setup_services
from .watch_stats import async_setup_watch_stats
from .whats_next import async_create_watch_next

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
_LOGGER = logging.getLogger(__name__)

__all__ = ["CrosswatchConfigEntry", "CrosswatchData"]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up what all accounts share: the actions and the watch on sync pair targets."""

    @callback
    def _entry_changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        # Any account appearing, leaving or changing state can break or mend a sync pair.
        if entry.domain == DOMAIN:
            async_update_pair_issues(hass)

    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    async_setup_services(hass)
    async_setup_history_services(hass)
    return True


type _Signature = dict[str, tuple[str, str, dict[str, Any]]]


def _subentries_signature(entry: ConfigEntry) -> _Signature:
    return {
        sid: (sub.subentry_type, sub.title, dict(sub.data)) for sid, sub in entry.subentries.items()
    }


def _of_kind(signature: _Signature, kind: str) -> _Signature:
    return {sid: sub for sid, sub in signature.items() if sub[0] == kind}


def _changes_in_place(before: _Signature, after: _Signature) -> bool:
    """Whether a subentry change can be taken without a reload.

    Sync pairs may only have been added (a changed or removed pair reloads: its runner and
    state go), and scrobble routes may change as long as one is left.
    """
    pairs = _of_kind(before, SUBENTRY_SYNC_PAIR)
    if any(after.get(sid) != sub for sid, sub in pairs.items()):
        return False
    return bool(_of_kind(after, SUBENTRY_SCROBBLE_ROUTE)) or not _of_kind(
        before, SUBENTRY_SCROBBLE_ROUTE
    )


async def _async_apply_subentry_changes(
    hass: HomeAssistant, entry: CrosswatchConfigEntry, before: _Signature, after: _Signature
) -> None:
    """Start the new sync pairs and follow the scrobble routes (see ``_changes_in_place``)."""
    data = entry.runtime_data
    for sid in _of_kind(after, SUBENTRY_SYNC_PAIR).keys() - before.keys():
        # A pair just created on a loaded entry: start it, add its entities and run it at once
        # (a first run never removes anything, so it is safe without *Sync now*).
        runner = await async_start_pair_runner(hass, entry, entry.subentries[sid], data.coordinator)
        data.pair_runners[sid] = runner
        async_dispatcher_send(hass, SIGNAL_PAIR_ADDED.format(entry.entry_id), runner)
        runner.async_schedule_run()
    if _of_kind(before, SUBENTRY_SCROBBLE_ROUTE) == _of_kind(after, SUBENTRY_SCROBBLE_ROUTE):
        return
    if data.scrobble is not None:
        await data.scrobble.async_update_routes()
    else:
        # The first scrobble route of a loaded Plex entry: start scrobbling, add its entities.
        data.scrobble = await async_setup_scrobbling(hass, entry, data.account)
        if data.scrobble is not None:
            async_dispatcher_send(
                hass, SIGNAL_SCROBBLING_STARTED.format(entry.entry_id), data.scrobble
            )
    async_remove_stale_scrobble_entities(hass, entry)  # users no route sends anywhere now


async def async_setup_entry(hass: HomeAssistant, entry: CrosswatchConfigEntry) -> bool:
    """Connect one account: its API, its coordinator, its platforms."""
    provider = provider_of(entry)
    account = await provider.create_account(hass, entry)
    coordinator = AccountCoordinator(hass, entry, account)
    if provider.loads_without_first_poll:
        # Plex: the watchlist lives on plex.tv, apart from the server. When it fails, the
        # account still loads and scrobbles, and only the watchlist sensor is unavailable. A
        # refused sign-in still stops the setup (and asks for a new one).
        await coordinator.async_refresh()
        if isinstance(coordinator.last_exception, ConfigEntryAuthFailed):
            raise coordinator.last_exception
    else:
        await coordinator.async_config_entry_first_refresh()
    # Pairs and scrobbling need only the account and its coordinator: the runtime data is
    # built whole, once they run.
    scrobble = (
        await async_setup_scrobbling(hass, entry, account) if provider.scrobble_source else None
    )
    pair_runners = {
        subentry.subentry_id: await async_start_pair_runner(hass, entry, subentry, coordinator)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_SYNC_PAIR
    }
    entry.runtime_data = CrosswatchData(
        service=provider.service,
        account=account,
        coordinator=coordinator,
        pair_runners=pair_runners,
        scrobble=scrobble,
        watch_next=async_create_watch_next(hass, entry, account, coordinator),
    )

    # No update listener: flows use the *_reload_and_abort helpers for entry data. Subentries
    # are followed here: a new sync pair or a changed scrobble route is taken in place, so the
    # account's other entities stay available; anything else reloads the entry.
    loaded_subentries = _subentries_signature(entry)

    @callback
    def _subentries_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        nonlocal loaded_subentries
        if change is not ConfigEntryChange.UPDATED or changed.entry_id != entry.entry_id:
            return
        now = _subentries_signature(changed)
        if now == loaded_subentries:
            return
        before, loaded_subentries = loaded_subentries, now
        if not _changes_in_place(before, now):
            hass.config_entries.async_schedule_reload(entry.entry_id)
            return
        entry.async_create_task(
            hass, _async_apply_subentry_changes(hass, entry, before, now), "crosswatch subentries"
        )

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _subentries_changed)
    )
    # Other accounts' pairs and routes reach this account from now on.
    entry.async_on_unload(async_join_loaded(hass, entry.entry_id, account))
    async_setup_watch_stats(hass, entry)
    # The account's device first: pair devices are reached through it.
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **account_device_info(entry)
    )
    await async_load_device_models(hass)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    async_remove_stale_scrobble_entities(hass, entry)
    return True


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: CrosswatchConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user delete a device only once what it stands for is gone.

    The account's device goes with the entry, a sync pair's with the pair.
    """
    for domain, identifier in device.identifiers:
        if domain != DOMAIN:
            continue
        if identifier == entry.entry_id:
            return False
        if identifier.removeprefix(f"{entry.entry_id}_") in entry.subentries:
            return False
    return True


async def async_unload_entry(hass: HomeAssistant, entry: CrosswatchConfigEntry) -> bool:
    """Unload the platforms; everything else was registered with ``async_on_unload``."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Forget what the account kept on disk (scrobble queue, its sync pairs' states).

    Its app repairs go (their fix needs the account). A provider that signs out on removal
    (Trakt: the token is revoked) does so.
    """
    async_delete_app_issues(hass, entry)
    await async_remove_scrobble_queue(hass, entry.entry_id)
    for subentry_id, subentry in entry.subentries.items():
        if subentry.subentry_type == SUBENTRY_SYNC_PAIR:
            await async_remove_pair_state(hass, subentry_id)
    if (sign_out := provider_of(entry).async_remove) is not None:
        await sign_out(hass, entry)
