"""Entities of CrossWatch: built from descriptions, one owner kind each, set up one way.

Every platform follows the same pattern (core's ``EntityDescription`` style):

1. **Descriptions.** A frozen, ``kw_only`` dataclass per owner kind, subclassing the platform's
   description (``SensorEntityDescription``...), carrying the functions that read the owner:
   ``value_fn`` (the state), ``attr_fn`` (attributes), ``exists_fn`` (whether an account has it).
   Scrobble descriptions also subclass ``ScrobbleEntityDescription`` (``follows_plays``).
2. **One tuple per owner kind**: ``ACCOUNT_SENSORS``, ``PAIR_SENSORS``, ``SCROBBLE_USER_SENSORS``...
   A new entity is one more entry there (a key, a translation key, its functions).
3. **One entity class per owner kind and platform**, on the owner's base class below, whose
   properties call the description's functions:

   - account: ``AccountEntity`` (its coordinator), unique id ``<entry>_<key>``, account device;
   - sync pair: ``PairEntity`` (its runner), ``<entry>_<subentry>_<key>``, the pair's device;
   - scrobbler: ``ScrobbleEntity`` (a Plex account's), ``<entry>_<key>``, account device;
   - scrobble user: ``ScrobbleUserEntity``, ``<entry>_<key>_<user id>``, account device.

4. **Setup**: every platform's ``async_setup_entry`` calls ``async_add_crosswatch_entities`` with a
   builder per owner kind it serves; pairs and scrobble users that appear later (a pair added
   without a reload, a user first seen on an "every user" route) get their entities then.

Entities have ``has_entity_name``; every description sets its ``translation_key`` (the name in
strings.json, so far equal to the key). Owners push: the account coordinator polls, the pair
runner and the Plex scrobbler are coordinators without an interval that hand their entities every
change. The scrobble base classes pass further constructor arguments on to the platform's entity
(``ImageEntity`` needs ``hass``), so every ``__init__`` runs once, through ``super()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util.hass_dict import HassKey

from .const import (
    DOMAIN,
    SIGNAL_PAIR_ADDED,
    SIGNAL_SCROBBLE_USER_ADDED,
    SIGNAL_SCROBBLING_STARTED,
)
from .coordinator import AccountCoordinator
from .pairs import PairRunner
from .providers.registry import provider_of
from .whats_next import WatchNextCoordinator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.config_entries import ConfigEntry, ConfigSubentry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .data import CrosswatchConfigEntry
    from .providers.plex.scrobbler import PlexScrobbler

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


@dataclass(frozen=True, kw_only=True)
class ScrobbleEntityDescription(EntityDescription):
    """What every scrobble entity's description declares.

    ``follows_plays``: the entity is unavailable while no plays reach the scrobbler (live
    connection down, no webhook since), so a dashboard never shows a stale "playing".
    """

    follows_plays: bool = True


def _on_account(entity: Entity, entry: ConfigEntry, description: EntityDescription) -> None:
    """Attach ``entity`` to the account's device; the description's key makes the unique id."""
    entity.entity_description = description
    entity._attr_unique_id = f"{entry.entry_id}_{description.key}"  # noqa: SLF001
    entity._attr_device_info = account_device_info(entry)  # noqa: SLF001


class AccountEntity(CoordinatorEntity[AccountCoordinator]):
    """An entity of one connected account, updated by the account's coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: AccountCoordinator, description: EntityDescription) -> None:
        """Attach to the account's device."""
        super().__init__(coordinator)
        _on_account(self, coordinator.config_entry, description)


class WatchNextEntity(CoordinatorEntity[WatchNextCoordinator]):
    """An entity of what to watch next (Trakt, SIMKL), on the account's device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: WatchNextCoordinator, description: EntityDescription) -> None:
        """Attach to the account's device."""
        super().__init__(coordinator)
        _on_account(self, coordinator.config_entry, description)


class PairEntity(CoordinatorEntity[PairRunner]):
    """An entity of one sync pair, on the pair's device; the runner pushes every run to it."""

    _attr_has_entity_name = True

    def __init__(self, runner: PairRunner, description: EntityDescription) -> None:
        """Attach to the pair's subentry device; the description's key makes the unique id."""
        super().__init__(runner)
        self.entity_description = description
        entry_id = runner.entry.entry_id
        self._attr_unique_id = f"{entry_id}_{runner.subentry_id}_{description.key}"
        account = dr.async_get(runner.hass).async_get_device_by_identifier(
            (DOMAIN, entry_id), entry_id
        )
        assert account is not None  # registered by async_setup_entry before any platform
        self._attr_device_info = subentry_device_info(
            runner.hass, runner.entry, runner.subentry, account.id
        )

    @property
    def runner(self) -> PairRunner:
        """The pair's runner (its coordinator)."""
        return self.coordinator


class ScrobbleEntity(Entity):
    """An entity of a Plex account's scrobbler, updated when the scrobbler reports a change.

    It follows the scrobbler (a push coordinator) with the coordinator's ``async_add_listener``
    rather than through ``CoordinatorEntity``, whose ``__init__`` ends the ``super()`` chain
    before ``ImageEntity``'s; availability is the scrobbler's ``live``, not a refresh's success.
    """

    entity_description: ScrobbleEntityDescription
    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self,
        scrobbler: PlexScrobbler,
        description: ScrobbleEntityDescription,
        *platform_args: Any,
        unique_key: str | None = None,
    ) -> None:
        """Attach to the Plex account's device; ``unique_key`` (or the key) makes the unique id."""
        super().__init__(*platform_args)
        self.scrobbler = scrobbler
        self.entity_description = description
        entry = scrobbler.entry
        self._attr_unique_id = f"{entry.entry_id}_{unique_key or description.key}"
        self._attr_device_info = account_device_info(entry)

    async def async_added_to_hass(self) -> None:
        """Follow the scrobbler."""
        await super().async_added_to_hass()
        self.async_on_remove(self.scrobbler.async_add_listener(self._owner_updated))

    @property
    def available(self) -> bool:
        """Unavailable while plays do not reach the scrobbler (unless it does not follow plays)."""
        return not self.entity_description.follows_plays or self.scrobbler.live

    @callback
    def _owner_updated(self) -> None:
        self.async_write_ha_state()


class ScrobbleUserEntity(ScrobbleEntity):
    """An entity of one Plex user the scrobbler routes, named after the user."""

    def __init__(
        self,
        scrobbler: PlexScrobbler,
        user_id: str,
        description: ScrobbleEntityDescription,
        *platform_args: Any,
    ) -> None:
        """Create for ``user_id`` (the PMS account id), which ends the unique id."""
        super().__init__(
            scrobbler, description, *platform_args, unique_key=f"{description.key}_{user_id}"
        )
        self.user_id = user_id
        self._attr_translation_placeholders = {"user": scrobbler.users.get(user_id, user_id)}


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
def async_add_crosswatch_entities(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    *,
    account: Callable[[AccountCoordinator], Iterable[Entity]] | None = None,
    pair: Callable[[PairRunner], Iterable[Entity]] | None = None,
    scrobbler: Callable[[PlexScrobbler], Iterable[Entity]] | None = None,
    scrobble_user: Callable[[PlexScrobbler, str], Iterable[Entity]] | None = None,
) -> None:
    """Add a platform's entities of ``entry``: each builder for every owner of its kind.

    ``account`` once; ``pair`` for every sync pair, on the pair's subentry (a pair added later,
    without a reload, when it starts); ``scrobbler`` once and ``scrobble_user`` per routed user
    when the account scrobbles (users first seen later, and a first route added later, then).
    """
    if account is not None:
        async_add_entities(account(entry.runtime_data.coordinator))
    if pair is not None:
        _async_add_pair_entities(hass, entry, async_add_entities, pair)
    if scrobbler is not None or scrobble_user is not None:
        _async_add_scrobble_entities(hass, entry, async_add_entities, scrobbler, scrobble_user)


def _async_add_pair_entities(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[PairRunner], Iterable[Entity]],
) -> None:
    @callback
    def add(runner: PairRunner) -> None:
        async_add_entities(build(runner), config_subentry_id=runner.subentry_id)

    for runner in entry.runtime_data.pair_runners.values():
        add(runner)
    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_PAIR_ADDED.format(entry.entry_id), add)
    )


def _async_add_scrobble_entities(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[PlexScrobbler], Iterable[Entity]] | None,
    build_user: Callable[[PlexScrobbler, str], Iterable[Entity]] | None,
) -> None:
    @callback
    def add(scrobbler: PlexScrobbler) -> None:
        if build is not None:
            async_add_entities(build(scrobbler))
        if build_user is not None:
            for user_id in scrobbler.users:
                async_add_entities(build_user(scrobbler, user_id))

    @callback
    def add_user(scrobbler: PlexScrobbler, user_id: str) -> None:
        if build_user is not None:
            async_add_entities(build_user(scrobbler, user_id))

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_SCROBBLE_USER_ADDED.format(entry.entry_id), add_user)
    )

    if (running := entry.runtime_data.scrobble) is not None:
        add(running)
    else:
        signal = SIGNAL_SCROBBLING_STARTED.format(entry.entry_id)
        entry.async_on_unload(async_dispatcher_connect(hass, signal, add))
