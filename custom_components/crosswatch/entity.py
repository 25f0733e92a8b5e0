"""Base entities: one device per account, one per subentry (sync pair or scrobble route)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, SIGNAL_PAIR_ADDED, SIGNAL_SCROBBLING_STARTED
from .coordinator import AccountCoordinator
from .providers.registry import provider_of

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine, Iterable

    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .pairs import PairRunner
    from .providers.plex.scrobbler import PlexScrobbler

    type PlatformSetup = Callable[
        [HomeAssistant, CrosswatchConfigEntry, AddConfigEntryEntitiesCallback],
        Coroutine[Any, Any, None],
    ]

# Subentry type -> its translated name (see async_load_device_models).
DEVICE_MODELS: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_device_models")


def account_device_info(entry: CrosswatchConfigEntry) -> DeviceInfo:
    """The device that stands for a connected account."""
    return DeviceInfo(
        identifiers={(DOMAIN, entry.entry_id)},
        entry_type=DeviceEntryType.SERVICE,
        manufacturer=provider_of(entry).name,
        model="Account",
        name=entry.title,
    )


async def async_load_device_models(hass: HomeAssistant) -> None:
    """Name the sync pair and scrobble route device models in HA's language.

    HA translates no device models, so they take the subentry types' own translated names
    ("Sync pair"), which HA shows on the integration page too.
    """
    strings = await async_get_translations(
        hass, hass.config.language, "config_subentries", {DOMAIN}
    )
    hass.data[DEVICE_MODELS] = {
        key.split(".")[3]: name
        for key, name in strings.items()
        if key.startswith(f"component.{DOMAIN}.config_subentries.") and key.endswith(".entry_type")
    }


def subentry_device_info(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    subentry: ConfigSubentry,
    account_device_id: str,
) -> DeviceInfo:
    """The device of a sync pair, reached through its (source) account's device."""
    kind = subentry.subentry_type
    return DeviceInfo(
        identifiers={(DOMAIN, f"{entry.entry_id}_{subentry.subentry_id}")},
        via_device_id=account_device_id,
        entry_type=DeviceEntryType.SERVICE,
        manufacturer="CrossWatch",
        model=hass.data.get(DEVICE_MODELS, {}).get(kind, kind),
        name=subentry.title,
    )


class ScrobbleEntity(Entity):
    """An entity of a Plex account's scrobbler, updated when the scrobbler reports a change.

    It is unavailable while no plays reach the scrobbler (live connection down, no webhook since),
    so a dashboard never shows a stale "playing"; ``_follows_plays = False`` opts out.
    """

    _attr_has_entity_name = True
    _attr_should_poll = False
    _follows_plays = True

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

    @property
    def available(self) -> bool:
        """Unavailable while plays do not reach the scrobbler."""
        return not self._follows_plays or self.scrobbler.live

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
        entry_id = runner.entry.entry_id
        account = dr.async_get(runner.hass).async_get_device_by_identifier(
            (DOMAIN, entry_id), entry_id
        )
        assert account is not None  # registered by async_setup_entry before any platform
        self._attr_device_info = subentry_device_info(
            runner.hass, runner.entry, runner.subentry, account.id
        )

    async def async_added_to_hass(self) -> None:
        """Follow the runner."""
        await super().async_added_to_hass()
        self.async_on_remove(self.runner.async_add_listener(self.async_write_ha_state))


# -- stale entities -----------------------------------------------------------------------------
# Unique id keys of a Plex account's scrobble entities (after ``<entry id>_``).
SCROBBLE_ACCOUNT_KEYS = ("plex_listener", "scrobble")
SCROBBLE_USER_PREFIXES = ("now_watching_poster_", "now_watching_")


@callback
def async_remove_stale_scrobble_entities(hass: HomeAssistant, entry: CrosswatchConfigEntry) -> None:
    """Remove the scrobble entities of routes (or routed users) that are gone.

    Pair entities belong to their subentry, so Home Assistant removes them with it; scrobble
    entities belong to the account. A user of an "every user" route may come back any time, so
    those are kept.
    """
    scrobbler = entry.runtime_data.scrobble
    every_user = scrobbler is not None and any(r.user_ids is None for r in scrobbler.routes)
    registry = er.async_get(hass)
    prefix = f"{entry.entry_id}_"
    for registered in er.async_entries_for_config_entry(registry, entry.entry_id):
        if registered.config_subentry_id or not registered.unique_id.startswith(prefix):
            continue
        key = registered.unique_id.removeprefix(prefix)
        if key in SCROBBLE_ACCOUNT_KEYS:
            stale = scrobbler is None
        elif user_prefix := next((p for p in SCROBBLE_USER_PREFIXES if key.startswith(p)), None):
            user_id = key.removeprefix(user_prefix)
            stale = scrobbler is None or (not every_user and user_id not in scrobbler.users)
        else:
            continue
        if stale:
            registry.async_remove(registered.entity_id)


# -- platform setup -----------------------------------------------------------------------------
def async_add_pair_entities(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[PairRunner], Iterable[Entity]],
) -> None:
    """Add ``build(runner)`` for every sync pair of ``entry``, on the pair's subentry.

    A pair added later (without a reload) gets its entities when it starts.
    """

    @callback
    def add(runner: PairRunner) -> None:
        async_add_entities(build(runner), config_subentry_id=runner.subentry_id)

    for runner in entry.runtime_data.pair_runners.values():
        add(runner)
    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_PAIR_ADDED.format(entry.entry_id), add)
    )


def async_add_scrobble_entities(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    *,
    account: Callable[[PlexScrobbler], Iterable[Entity]] | None = None,
    per_user: Callable[[PlexScrobbler, str], Entity] | None = None,
) -> None:
    """Add a scrobbling Plex account's entities: ``account`` once, ``per_user`` per routed user.

    Users first seen later (an "all users" route, a changed route) get their ``per_user`` entity
    then; a Plex account whose first route is added later gets them all when scrobbling starts.
    """

    @callback
    def add(scrobbler: PlexScrobbler) -> None:
        if account is not None:
            async_add_entities(account(scrobbler))
        if per_user is not None:
            async_add_entities(per_user(scrobbler, user_id) for user_id in scrobbler.users)
            entry.async_on_unload(
                scrobbler.async_add_user_listener(
                    lambda user_id: async_add_entities([per_user(scrobbler, user_id)])
                )
            )

    if (scrobbler := entry.runtime_data.scrobble) is not None:
        add(scrobbler)
    else:
        signal = SIGNAL_SCROBBLING_STARTED.format(entry.entry_id)
        entry.async_on_unload(async_dispatcher_connect(hass, signal, add))


def pair_platform(build: Callable[[PairRunner], Iterable[Entity]]) -> PlatformSetup:
    """A platform's ``async_setup_entry`` that adds ``build(runner)`` for every sync pair."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: CrosswatchConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_pair_entities(hass, entry, async_add_entities, build)

    return async_setup_entry


def scrobble_platform(
    *,
    account: Callable[[PlexScrobbler], Iterable[Entity]] | None = None,
    per_user: Callable[[PlexScrobbler, str], Entity] | None = None,
) -> PlatformSetup:
    """A platform's ``async_setup_entry`` for entities of a scrobbling Plex account."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: CrosswatchConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_scrobble_entities(
            hass, entry, async_add_entities, account=account, per_user=per_user
        )

    return async_setup_entry
