"""Sensors: the watchlist of every account that has one; last run, result and counts per pair."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorStateClass
from homeassistant.const import EntityCategory

from .coordinator import recent_entries
from .entity import (
    AccountEntity,
    PairEntity,
    ScrobbleEntity,
    async_add_pair_entities,
    async_add_scrobble_entities,
)
from .posters import poster_key
from .providers.plex.scrobbler import IDLE, now_watching_attributes
from .sync.plan import RunResult
from .up_next_sensor import async_add_up_next_sensor

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .api.models import WatchlistEntry
    from .coordinator import AccountCoordinator, AccountSnapshot
    from .data import CrosswatchConfigEntry
    from .pairs import PairRunner
    from .providers.plex.scrobbler import PlexScrobbler
    from .providers.tmdb.client import TmdbClient

# What went wrong in a run, totalled over its features (the result sensor's attributes).
RUN_PROBLEMS = ("failed", "held", "unmatched", "conflicts")

# Coordinator-driven: entity updates make no requests of their own.
PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the watchlist sensor when the account has a watchlist; pair and scrobble sensors."""
    coordinator = entry.runtime_data.coordinator
    # No data yet: a Plex account whose plex.tv watchlist failed at setup (it has one).
    if coordinator.data is None or coordinator.data.watchlist is not None:
        async_add_entities([WatchlistSensor(coordinator, "watchlist")])
    if (metadata := entry.runtime_data.account.metadata) is not None:
        async_add_entities([TmdbCacheSensor(coordinator, metadata)])
    # What to watch next (Trakt and SIMKL accounts): its own coordinator, see up_next_sensor.py.
    await async_add_up_next_sensor(hass, entry, async_add_entities)
    async_add_pair_entities(
        hass,
        entry,
        async_add_entities,
        lambda runner: [
            PairLastRunSensor(runner, "last_run"),
            PairResultSensor(runner, "result"),
            PairCountSensor(runner, "added", "adds"),
            PairCountSensor(runner, "removed", "removals"),
        ],
    )
    async_add_scrobble_entities(hass, entry, async_add_entities, per_user=NowWatchingSensor)


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


class TmdbCacheSensor(AccountEntity, SensorEntity):
    """How many TMDb answers the account keeps cached (as of its last poll).

    TMDb accounts have no watchlist; this diagnostic gives them their account device and shows
    whether posters are being served from the cache.
    """

    _attr_translation_key = "tmdb_cache"
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    # Of interest when posters look slow or stale, not day to day: enabled by hand.
    _attr_entity_registry_enabled_default = False
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: AccountCoordinator, client: TmdbClient) -> None:
        """Count the cache of ``client``."""
        super().__init__(coordinator, "tmdb_cache")
        self._client = client

    @property
    def native_value(self) -> int:
        """Return the number of fresh cached answers."""
        return self._client.cached_answers()


class WatchlistSensor(AccountEntity, SensorEntity):
    """How many titles are on the account's watchlist; the most recent ones as attributes."""

    _attr_translation_key = "watchlist"
    _attr_state_class = SensorStateClass.MEASUREMENT

    @property
    def native_value(self) -> int:
        """Return the number of titles."""
        data: AccountSnapshot | None = self.coordinator.data
        return 0 if data is None else len(data.watchlist or ())

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the most recently listed titles with their ids (and posters with TMDb)."""
        # ``None`` until a poll succeeds (the entity is unavailable then).
        data: AccountSnapshot | None = self.coordinator.data
        if data is None:
            return {"recent": []}
        return {
            "recent": [_describe(e, data.posters) for e in recent_entries(data.watchlist or ())]
        }


class PairLastRunSensor(PairEntity, SensorEntity):
    """When the pair's last run finished."""

    _attr_translation_key = "last_run"
    _attr_device_class = SensorDeviceClass.TIMESTAMP

    @property
    def native_value(self) -> datetime | None:
        """Return the finish time of the last run."""
        return self.runner.last_run_at


class PairResultSensor(PairEntity, SensorEntity):
    """How the pair's last run ended."""

    _attr_translation_key = "result"
    _attr_device_class = SensorDeviceClass.ENUM
    _attr_options = [result.value for result in RunResult]  # noqa: RUF012 - HA's attribute

    @property
    def native_value(self) -> str | None:
        """Return ok, partial, failed, held or skipped."""
        run = self.runner.last_run
        return None if run is None else run.result.value

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return the last run's additions and removals per feature, its problems, and parked."""
        run = self.runner.last_run
        attributes: dict[str, Any] = {}
        counts = {} if run is None else run.counts
        for feature, feature_counts in counts.items():
            for count in ("adds", "removals"):
                attributes[f"{feature}_{count}"] = feature_counts.get(count, 0)
        for count in RUN_PROBLEMS:
            attributes[count] = sum(c.get(count, 0) for c in counts.values())
        attributes["parked"] = len(self.runner.state.parked(self.runner.clock_time()))
        return attributes


class PairCountSensor(PairEntity, SensorEntity):
    """How many titles the last run added or removed (over both sides and every feature)."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, runner: PairRunner, key: str, count: str) -> None:
        """``count`` names the run record's count (adds or removals)."""
        super().__init__(runner, key)
        self._attr_translation_key = key
        self._count = count

    @property
    def native_value(self) -> int | None:
        """Return the count of the last run."""
        return self.runner.last_count(self._count)


class NowWatchingSensor(ScrobbleEntity, SensorEntity):
    """What a routed Plex user is watching: the title, or ``idle``; details as attributes."""

    _attr_translation_key = "now_watching"
    # Progress moves through a whole film: keep it out of the recorder's history.
    _unrecorded_attributes = frozenset({"progress"})

    def __init__(self, scrobbler: PlexScrobbler, user_id: str) -> None:
        """Create for ``user_id`` (the PMS account id)."""
        super().__init__(scrobbler, f"now_watching_{user_id}")
        self.user_id = user_id
        self._attr_translation_placeholders = {"user": scrobbler.users.get(user_id, user_id)}

    @property
    def native_value(self) -> str:
        """Return the title being watched, or ``idle``."""
        return self.scrobbler.now_watching_title(self.user_id) or IDLE

    @property
    def entity_picture(self) -> str | None:
        """Return the poster, so cards show it next to the title."""
        return self.scrobbler.posters.get(self.user_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return media type, show, season, episode, progress, player, ids and poster URL."""
        return now_watching_attributes(self.scrobbler, self.user_id)
