"""Sensors: the watchlist of every account that has one; last run, result and counts per pair.

Built from descriptions, one tuple per owner kind (see ``entity.py`` for the pattern).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory

from .entity import (
    AccountEntity,
    PairEntity,
    ScrobbleEntityDescription,
    ScrobbleUserEntity,
    async_add_crosswatch_entities,
)
from .posters import poster_key
from .providers.plex.scrobbler import IDLE, now_watching_attributes
from .run_history import run_attributes
from .sync.plan import RunResult
from .up_next_sensor import async_add_up_next_sensor

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
    from homeassistant.helpers.typing import StateType

    from .api.models import WatchlistEntry
    from .coordinator import AccountCoordinator, AccountSnapshot
    from .data import CrosswatchConfigEntry
    from .pairs import PairRunner
    from .providers.plex.scrobbler import PlexScrobbler

# What went wrong in a run, totalled over its features (the result sensor's attributes).
RUN_PROBLEMS = ("failed", "held", "unmatched", "conflicts")

# Coordinator-driven: entity updates make no requests of their own.
PARALLEL_UPDATES = 0


# -- descriptions ------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AccountSensorDescription(SensorEntityDescription):
    """A sensor of a connected account, read from its coordinator."""

    value_fn: Callable[[AccountCoordinator], StateType]
    attr_fn: Callable[[AccountCoordinator], dict[str, Any]] | None = None
    exists_fn: Callable[[AccountCoordinator], bool] = lambda _: True


@dataclass(frozen=True, kw_only=True)
class PairSensorDescription(SensorEntityDescription):
    """A sensor of a sync pair, read from its runner."""

    value_fn: Callable[[PairRunner], StateType | datetime]
    attr_fn: Callable[[PairRunner], dict[str, Any]] | None = None


@dataclass(frozen=True, kw_only=True)
class ScrobbleUserSensorDescription(SensorEntityDescription, ScrobbleEntityDescription):
    """A sensor of one routed Plex user, read from the scrobbler."""

    value_fn: Callable[[PlexScrobbler, str], StateType]
    attr_fn: Callable[[PlexScrobbler, str], dict[str, Any]] | None = None
    picture_fn: Callable[[PlexScrobbler, str], str | None] | None = None


def _describe(entry: WatchlistEntry, posters: Mapping[str, str]) -> dict[str, Any]:
    item = entry.item
    described: dict[str, Any] = {"title": item.title, "kind": str(item.kind), "ids": dict(item.ids)}
    if item.year is not None:
        described["year"] = item.year
    if entry.listed_at is not None:
        described["listed_at"] = entry.listed_at.isoformat()
    if (key := poster_key(item)) and key in posters:
        described["poster"] = posters[key]
    return described


def _has_watchlist(coordinator: AccountCoordinator) -> bool:
    # No data yet: a Plex account whose plex.tv watchlist failed at setup (it has one).
    data: AccountSnapshot | None = coordinator.data
    return data is None or data.watchlist_size is not None


def _watchlist_size(coordinator: AccountCoordinator) -> int:
    data: AccountSnapshot | None = coordinator.data
    return 0 if data is None else data.watchlist_size or 0


def _recent_titles(coordinator: AccountCoordinator) -> dict[str, Any]:
    """The most recently listed titles with their ids (and posters with TMDb)."""
    # ``None`` until a poll succeeds (the entity is unavailable then).
    data: AccountSnapshot | None = coordinator.data
    if data is None:
        return {"recent": []}
    return {"recent": [_describe(e, data.posters) for e in data.recent]}


def _cached_answers(coordinator: AccountCoordinator) -> int | None:
    metadata = coordinator.account.metadata
    return None if metadata is None else metadata.cached_answers()


def _result(runner: PairRunner) -> str | None:
    run = runner.last_run
    return None if run is None else run.result.value


def _result_attributes(runner: PairRunner) -> dict[str, Any]:
    """The last run's counts and problems, parked titles, and the run history.

    Per feature the additions and removals; ``left`` (why a run is ``partial``), ``unsynced``
    and ``history`` come from ``run_history``.
    """
    run = runner.last_run
    attributes: dict[str, Any] = {}
    counts = {} if run is None else run.counts
    for feature, feature_counts in counts.items():
        for count in ("adds", "removals"):
            attributes[f"{feature}_{count}"] = feature_counts.get(count, 0)
    for count in RUN_PROBLEMS:
        attributes[count] = sum(c.get(count, 0) for c in counts.values())
    attributes["parked"] = len(runner.state.parked(runner.clock_time()))
    return attributes | run_attributes(runner.state)


ACCOUNT_SENSORS: tuple[AccountSensorDescription, ...] = (
    # How many titles are on the account's watchlist; the most recent ones as attributes.
    AccountSensorDescription(
        key="watchlist",
        translation_key="watchlist",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_watchlist_size,
        attr_fn=_recent_titles,
        exists_fn=_has_watchlist,
    ),
    # How many TMDb answers the account keeps cached (as of its last poll). TMDb accounts have
    # no watchlist: this gives them their device and shows whether posters come from the cache.
    AccountSensorDescription(
        key="tmdb_cache",
        translation_key="tmdb_cache",
        entity_category=EntityCategory.DIAGNOSTIC,
        # Of interest when posters look slow or stale, not day to day: enabled by hand.
        entity_registry_enabled_default=False,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_cached_answers,
        exists_fn=lambda coordinator: coordinator.account.metadata is not None,
    ),
)

PAIR_SENSORS: tuple[PairSensorDescription, ...] = (
    PairSensorDescription(
        key="last_run",
        translation_key="last_run",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda runner: runner.last_run_at,
    ),
    # ok, partial, failed, held or skipped.
    PairSensorDescription(
        key="result",
        translation_key="result",
        device_class=SensorDeviceClass.ENUM,
        options=[result.value for result in RunResult],
        value_fn=_result,
        attr_fn=_result_attributes,
    ),
    # How many titles the last run added or removed (over both sides and every feature).
    PairSensorDescription(
        key="added",
        translation_key="added",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda runner: runner.last_count("adds"),
    ),
    PairSensorDescription(
        key="removed",
        translation_key="removed",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda runner: runner.last_count("removals"),
    ),
)

SCROBBLE_USER_SENSORS: tuple[ScrobbleUserSensorDescription, ...] = (
    # What the user is watching: the title, or ``idle``; details as attributes, the poster as
    # the picture (cards show it next to the title).
    ScrobbleUserSensorDescription(
        key="now_watching",
        translation_key="now_watching",
        value_fn=lambda scrobbler, user_id: scrobbler.now_watching_title(user_id) or IDLE,
        attr_fn=now_watching_attributes,
        picture_fn=lambda scrobbler, user_id: scrobbler.posters.get(user_id),
    ),
)


# -- setup and entities ------------------------------------------------------------------------
async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors it has, every pair's, and every routed Plex user's."""
    async_add_crosswatch_entities(
        hass,
        entry,
        async_add_entities,
        account=lambda coordinator: [
            AccountSensor(coordinator, d) for d in ACCOUNT_SENSORS if d.exists_fn(coordinator)
        ],
        pair=lambda runner: [PairSensor(runner, d) for d in PAIR_SENSORS],
        scrobble_user=lambda scrobbler, user_id: [
            ScrobbleUserSensor(scrobbler, user_id, d) for d in SCROBBLE_USER_SENSORS
        ],
    )
    # What to watch next (Trakt and SIMKL accounts): its own coordinator, see up_next_sensor.py.
    await async_add_up_next_sensor(hass, entry, async_add_entities)


class AccountSensor(AccountEntity, SensorEntity):
    """A sensor of a connected account."""

    entity_description: AccountSensorDescription

    @property
    def native_value(self) -> StateType:
        """Return the description's reading of the account."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        attr_fn = self.entity_description.attr_fn
        return None if attr_fn is None else attr_fn(self.coordinator)


class PairSensor(PairEntity, SensorEntity):
    """A sensor of a sync pair."""

    entity_description: PairSensorDescription
    # The Result sensor's last 20 runs: a few KB that every run rewrites; the recorder keeps
    # each run's own attributes (what it wrote and left), so the list stays out of it.
    _unrecorded_attributes = frozenset({"history"})

    @property
    def native_value(self) -> StateType | datetime:
        """Return the description's reading of the pair."""
        return self.entity_description.value_fn(self.runner)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        attr_fn = self.entity_description.attr_fn
        return None if attr_fn is None else attr_fn(self.runner)


class ScrobbleUserSensor(ScrobbleUserEntity, SensorEntity):
    """A sensor of one routed Plex user."""

    entity_description: ScrobbleUserSensorDescription
    # Progress moves through a whole film: keep it out of the recorder's history.
    _unrecorded_attributes = frozenset({"progress"})

    @property
    def native_value(self) -> StateType:
        """Return the description's reading of the user."""
        return self.entity_description.value_fn(self.scrobbler, self.user_id)

    @property
    def entity_picture(self) -> str | None:
        """Return the description's picture of the user (the poster), if it has one."""
        picture_fn = self.entity_description.picture_fn
        return None if picture_fn is None else picture_fn(self.scrobbler, self.user_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes, if it has any."""
        attr_fn = self.entity_description.attr_fn
        return None if attr_fn is None else attr_fn(self.scrobbler, self.user_id)
