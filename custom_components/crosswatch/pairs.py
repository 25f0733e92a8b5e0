"""The pair runner: one per sync-pair subentry, on the source account's entry.

A run reads each side only where its activity marker moved since the stored baseline (a
no-change run costs one marker read per account and plans nothing), plans with ``sync/`` in the
executor, writes in batches and stores the pair's state only after the writes are done, so a
restart mid-run neither loses nor repeats work.

The state is stored compactly (see ``sync/state.py``), encoded and decoded in the executor,
written atomically, and only when what the next run depends on changed: a run that only adds a
run record (nothing moved, a failed or skipped run) leaves the file alone for hours (or until Home
Assistant stops, or a later run writes anyway).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api.errors import AuthError, CrosswatchApiError
from .api.models import Feature
from .const import (
    DEFAULT_PAIR_INTERVAL,
    DOMAIN,
    PAIR_DIRECTION,
    PAIR_FEATURES,
    PAIR_INTERVAL,
    PAIR_REMOVALS,
    PAIR_TARGET,
    Direction,
    Removals,
)
from .providers.base import get_clock, loaded_account
from .repairs import (
    ISSUE_SYNC_HELD,
    async_join_pair,
    async_update_run_issues,
    async_update_unmatched_issue,
    subentry_issue_id,
)
from .sync.engine import PairMemory, execute, finish_run, plan_run, release_reads
from .sync.plan import RunResult, Side, SyncMode, SyncPlan
from .sync.side import SyncSide
from .sync.state import PackedInventories, PairState, RunRecord

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry, ConfigSubentry

    from .coordinator import AccountCoordinator
    from .providers.base import BaseAccount, TitleSearch
    from .sync.titles import Override

_LOGGER = logging.getLogger(__name__)

EVENT_SYNC_FINISHED: Final = "crosswatch_sync_finished"
# 1: ``PairState.to_dict`` (whole items as JSON); 2: ``PairState.to_stored`` (packed baselines).
STORAGE_VERSION: Final = 2
# A state that differs from the file only in its run records is written this much later (or when
# Home Assistant stops), so hourly runs with nothing to do do not wear out an SD card.
RUNS_SAVE_DELAY: Final = 6 * 3600.0
# Stored next to the pair state: which sides' baselines equal what the side held when read, so
# an unmoved marker may stand in for a read.
EXACT_KEY: Final = "exact"
# Stored next to the pair state: the other account (entry id) its baselines describe.
TARGET_KEY: Final = "target"


def pair_mode(data: Any) -> SyncMode:
    """The planner mode of a pair from its subentry data."""
    if Direction(data[PAIR_DIRECTION]) is Direction.TWO_WAY:
        return SyncMode.TWO_WAY
    return SyncMode.MIRROR if pair_allows_removals(data) else SyncMode.ADD_ONLY


def pair_allows_removals(data: Any) -> bool:
    """Whether the user let the pair delete (one-way mirror, or two-way carrying removals)."""
    return Removals(data.get(PAIR_REMOVALS, Removals.OFF)) is Removals.MIRROR


def held_issue_id(entry_id: str, subentry_id: str) -> str:
    """The repair issue raised when a pair's removals are held."""
    return subentry_issue_id(ISSUE_SYNC_HELD, entry_id, subentry_id)


def create_side(account: BaseAccount) -> SyncSide:
    """The sync side of a loaded account, over the account's own clients.

    Sharing the account's client shares its rate limiter: a sync run and scrobbles to the same
    account are paced together, never as two users of one quota.
    """
    if (side := account.sync_side()) is None:
        msg = f"{account.service} accounts cannot be synced"
        raise ValueError(msg)
    return side


def encode_memory(
    memory: PairMemory, packed: PackedInventories | None = None, target: str | None = None
) -> dict[str, Any]:
    """The stored form of a pair's memory (CPU work for the executor), built with ``target``.

    With ``packed``, baselines packed by an earlier save (or read at start) are not packed again.
    """
    pack = None if packed is None else packed.pack
    built_for = {} if target is None else {TARGET_KEY: target}
    return {**memory.state.to_stored(pack), EXACT_KEY: sorted(memory.exact), **built_for}


def decode_memory(stored: Mapping[str, Any], packed: PackedInventories | None = None) -> PairMemory:
    """Rebuild ``encode_memory``'s form (CPU work for the executor); ``ValueError`` if malformed.

    With ``packed``, each baseline's stored form is remembered for the next save.
    """
    return PairMemory(
        state=PairState.from_stored(stored, None if packed is None else packed.unpack),
        exact=frozenset(str(k) for k in stored.get(EXACT_KEY, [])),
    )


def migrate_memory(old_version: int, old: Mapping[str, Any]) -> dict[str, Any]:
    """Today's stored form from an older one; an unreadable one becomes an empty state.

    Version 1 held the same baselines as whole JSON items: they carry over, so the first run
    after the upgrade is neither a first run nor a source of removals.
    """
    if old_version == 1:
        try:
            memory = PairMemory(
                state=PairState.from_dict(old),
                exact=frozenset(str(k) for k in old.get(EXACT_KEY, [])),
            )
        except ValueError:
            _LOGGER.warning("A stored sync pair state is unreadable; that pair starts afresh")
        else:
            return encode_memory(memory)
    return encode_memory(PairMemory())


class PairStore(Store[dict[str, Any]]):
    """A pair's state file: atomic writes, encoded off the loop, migrated from version 1."""

    def __init__(self, hass: HomeAssistant, subentry_id: str) -> None:
        """The store of sync pair ``subentry_id``."""
        super().__init__(
            hass,
            STORAGE_VERSION,
            f"{DOMAIN}.pair.{subentry_id}",
            atomic_writes=True,
            serialize_in_event_loop=False,
        )

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: Any
    ) -> dict[str, Any]:
        return await self.hass.async_add_executor_job(migrate_memory, old_major_version, old_data)


async def async_remove_pair_state(hass: HomeAssistant, subentry_id: str) -> None:
    """Delete a removed sync pair's stored state."""
    await PairStore(hass, subentry_id).async_remove()


class PairNotReadyError(Exception):
    """The pair cannot run now; ``reason`` is a translation key."""

    def __init__(self, reason: str) -> None:
        """Keep the reason."""
        super().__init__(reason)
        self.reason = reason


class PairRunner(DataUpdateCoordinator[PairState]):
    """Runs one sync pair: on its interval, on source changes, and when asked.

    It is the pair entities' coordinator, pushed rather than polled: runs keep their own
    schedule (``async_track_time_interval``, the source account's marker, *Sync now*), serialize
    on their own lock and record failures in their result, so ``update_interval`` is ``None`` and
    each run or change hands the new state to the entities (``async_set_updated_data``).
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        subentry: ConfigSubentry,
        source: AccountCoordinator,
        side_factory: Callable[[BaseAccount], SyncSide] = create_side,
    ) -> None:
        """Bind the pair to its source account's coordinator; nothing runs until ``async_start``."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} pair {subentry.title}",
            update_interval=None,
        )
        self.entry = entry
        self.source = source
        self.subentry = subentry
        self.features = [Feature(f) for f in subentry.data[PAIR_FEATURES]]
        self.mode = pair_mode(subentry.data)
        self.allow_removals = pair_allows_removals(subentry.data)
        self.interval = timedelta(
            minutes=int(subentry.data.get(PAIR_INTERVAL, DEFAULT_PAIR_INTERVAL))
        )
        self.enabled = True
        self.memory = PairMemory()
        # What the state file holds (or will once the pending write is done), built with which
        # other account (``None``: unknown, a file from before it was kept).
        self._stored = self.memory
        self._stored_target: str | None = None
        # Set when the entry unloads: from then on this runner writes nothing.
        self._closed = False
        self.last_summary: dict[str, Any] | None = None
        self._side_factory = side_factory
        self._sides: dict[str, SyncSide] = {}
        self._store = PairStore(hass, subentry.subentry_id)
        # The baselines' stored forms: a save packs again only the baselines that changed.
        self._packed = PackedInventories()
        self._lock = asyncio.Lock()
        self._save_lock = asyncio.Lock()
        self._source_marker: str | None = None
        self._task: asyncio.Task[Any] | None = None
        self._failing = False

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def state(self) -> PairState:
        """The pair's sync state (baselines, failures, recent runs)."""
        return self.memory.state

    def _set_state(self, state: PairState) -> None:
        self.memory = replace(self.memory, state=state)

    @property
    def subentry_id(self) -> str:
        """The pair's subentry id."""
        return self.subentry.subentry_id

    @property
    def target_entry_id(self) -> str:
        """The target account's entry id."""
        return str(self.subentry.data[PAIR_TARGET])

    async def async_start(self) -> None:
        """Load the stored state, then run on the interval and when the source moves.

        A state built with another account (the pair was moved to it) is forgotten: its
        baselines would read what the new account lacks as removed there, or as synced already.
        The next run is a first run, which adds what is missing and never removes anything.
        A feature taken off the pair loses its part (``PairMemory.only``).
        """
        stored = await self._store.async_load()
        if stored:
            try:
                self.memory = await self.hass.async_add_executor_job(
                    decode_memory, stored, self._packed
                )
            except ValueError:
                _LOGGER.warning("Stored state of %s is unreadable; starting afresh", self.title)
            self._stored = self.memory
            built_for = stored.get(TARGET_KEY)
            self._stored_target = built_for if isinstance(built_for, str) else None
        if self._stored_target not in (None, self.target_entry_id):
            _LOGGER.info("Sync pair %s joins another account now: it starts over", self.title)
            await self.async_reset()
        elif stored:
            memory = self.memory.only(self.features)
            if memory is not self.memory or self._stored_target is None:
                # A feature left the pair, or the file does not name the account yet.
                self.memory = memory
                await self._save()
        entry = self.entry
        entry.async_on_unload(
            async_track_time_interval(
                self.hass, self._scheduled, self.interval, name=f"{DOMAIN} pair {self.title}"
            )
        )
        coordinator = self.source
        self._source_marker = coordinator.data.marker if coordinator.data else None
        entry.async_on_unload(coordinator.async_add_listener(self._source_updated))
        entry.async_on_unload(self._async_close)
        entry.async_on_unload(async_join_pair(self.hass, self.subentry_id, self))

    @property
    def title(self) -> str:
        """The pair's name."""
        return self.subentry.title

    async def _async_close(self) -> None:
        """Stop when the entry unloads; no write of this runner lands after (the unload waits).

        The next runner of the pair (the entry reloads when the pair changed) starts from the
        file as it stays: a write under way lands first, and one left waiting (run records) is
        made now, not hours later over the next runner's. A deleted pair's file goes.
        """
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
        async with self._save_lock:
            if self.subentry_id not in self.entry.subentries:
                await self._store.async_remove()
            elif self.memory is not self._stored:
                await self._write(self.memory)

    @callback
    def _source_updated(self) -> None:
        data = self.source.data
        marker = data.marker if data else None
        if marker is not None and marker != self._source_marker:
            self._source_marker = marker
            self._schedule_run()

    @callback
    def _scheduled(self, _now: datetime) -> None:
        self._schedule_run()

    @callback
    def async_schedule_run(self) -> None:
        """Start a run in the background unless one is running or the pair is disabled."""
        self._schedule_run()

    @callback
    def _schedule_run(self) -> None:
        if not self.enabled or self._lock.locked():
            return
        self._task = self.entry.async_create_background_task(
            self.hass, self._background_run(), f"{DOMAIN} sync {self.title}"
        )

    async def _background_run(self) -> None:
        try:
            await self.async_run()
        except PairNotReadyError as err:
            # The other account is gone or not loaded: record the skip so the result shows it.
            _LOGGER.debug("Sync pair %s skipped: %s", self.title, err.reason)
            now = get_clock(self.hass).time()
            self._set_state(
                self.state.with_run(
                    RunRecord(started_at=now, finished_at=now, result=RunResult.SKIPPED)
                )
            )
            await self._save()
            self._notify()

    @callback
    def _notify(self) -> None:
        """Hand the entities the state after a run or change."""
        self.async_set_updated_data(self.state)

    async def _async_update_data(self) -> PairState:
        # A refresh asked through an entity reads the state; only the schedule runs the pair.
        return self.state

    @callback
    def async_set_enabled(self, *, enabled: bool) -> None:
        """Turn the pair on or off (the *Enabled* switch)."""
        self.enabled = enabled
        self._notify()

    async def async_confirm_removals(self, held_plan: str) -> dict[str, Any]:
        """Apply the held removals of ``held_plan`` once (the held-plan repair's confirmation).

        If the next run plans other removals, the confirmation is not used and they are held
        (and the repair raised) again.
        """
        async with self._lock:
            self._set_state(self.state.confirm_removals(held_plan))
            await self._save()
        return await self.async_run()

    # -- a run ----------------------------------------------------------------------------------
    def _side(self, entry_id: str, account: BaseAccount) -> SyncSide:
        side = self._sides.get(entry_id)
        if side is None:
            side = self._sides[entry_id] = self._side_factory(account)
            side.offload = self.hass.async_add_executor_job
        return side

    def _target(self) -> tuple[ConfigEntry, BaseAccount]:
        target: ConfigEntry | None = self.hass.config_entries.async_get_entry(self.target_entry_id)
        if target is None or target.domain != DOMAIN:
            raise PairNotReadyError("target_missing")
        account = loaded_account(self.hass, target.entry_id)
        if target.state is not ConfigEntryState.LOADED or account is None:
            raise PairNotReadyError("target_not_loaded")
        return target, account

    @asynccontextmanager
    async def _running(
        self, target_entry_id: str, target_account: BaseAccount
    ) -> AsyncIterator[dict[Side, SyncSide]]:
        """The run lock, held with the pair's two sides; they let go of the run's reads after."""
        async with self._lock:
            sides = {
                Side.SOURCE: self._side(self.entry.entry_id, self.source.account),
                Side.TARGET: self._side(target_entry_id, target_account),
            }
            try:
                yield sides
            finally:
                release_reads(sides.values())

    async def async_run(
        self, features: Sequence[Feature] | None = None, *, dry_run: bool = False
    ) -> dict[str, Any]:
        """Run once (waiting for a run in progress); return the summary."""
        if not self.enabled:
            raise PairNotReadyError("pair_disabled")
        target_entry, target_account = self._target()
        chosen = [f for f in self.features if features is None or f in features]
        async with self._running(target_entry.entry_id, target_account) as sides:
            entries = {Side.SOURCE: self.entry, Side.TARGET: target_entry}
            clock = get_clock(self.hass)
            started = clock.time()
            offload = self.hass.async_add_executor_job
            try:
                plan = await plan_run(
                    self.memory,
                    sides,
                    chosen,
                    mode=self.mode,
                    now=started,
                    allow_removals=self.allow_removals,
                    offload=offload,
                )
            except CrosswatchApiError as err:
                _LOGGER.debug("Sync pair %s could not read: %s", self.title, err)
                if isinstance(err, AuthError):
                    self._reauth(
                        [
                            e
                            for side, e in entries.items()
                            if err.service in sides[side].error_services
                        ]
                    )
                return await self._finish_failed(started, clock.time(), str(err), dry_run=dry_run)
            summary = await offload(self._summary, plan, dry_run)
            if dry_run:
                return summary
            execution = await execute(sides, plan)
            outcome = execution.outcome
            self.memory = await finish_run(
                self.memory,
                plan,
                outcome,
                sides,
                now=clock.time(),
                offload=offload,
                progress=execution.progress,
            )
            await self._save()
            if execution.auth_failed is not None:
                self._reauth([entries[execution.auth_failed]])
                summary["error"] = f"{sides[execution.auth_failed].service}: credentials refused"
            record = self.state.last_run
            summary["result"] = record.result.value if record else RunResult.OK.value
            summary["counts"] = dict(record.counts) if record else {}
            summary["suppressed_removals"] = sum(
                c.get("suppressed_removals", 0) for c in summary["counts"].values()
            )
            summary["adds"] = record.total("adds") if record else 0
            summary["removals"] = record.total("removals") if record else 0
            self._issues(plan, limit_hit=execution.limit_hit)
            return self._finished(summary)

    @callback
    def _reauth(self, entries: Sequence[ConfigEntry]) -> None:
        """Refused credentials: ask the user to sign in again now, not at the next poll."""
        for entry in entries:
            entry.async_start_reauth(self.hass)

    def _summary(self, plan: SyncPlan, dry_run: bool) -> dict[str, Any]:  # noqa: FBT001
        """The plan's summary; ``adds`` and ``removals`` count what was written (none yet)."""
        summary = plan.summary()
        return {
            "pair": self.subentry_id,
            "title": self.title,
            "dry_run": dry_run,
            **summary,
            "adds": 0,
            "removals": 0,
            "planned_adds": summary["adds"],
            "planned_removals": summary["removals"],
            "suppressed_removals": sum(p.suppressed_removals for p in plan.features.values()),
        }

    async def _finish_failed(
        self, started: float, finished: float, error: str, *, dry_run: bool
    ) -> dict[str, Any]:
        summary: dict[str, Any] = {
            "pair": self.subentry_id,
            "title": self.title,
            "dry_run": dry_run,
            "result": RunResult.FAILED.value,
            "error": error,
        }
        if dry_run:
            return summary
        self._set_state(
            self.state.with_run(
                RunRecord(
                    started_at=started, finished_at=finished, result=RunResult.FAILED, error=error
                )
            )
        )
        await self._save()
        return self._finished(summary)

    def _finished(self, summary: dict[str, Any]) -> dict[str, Any]:
        self.last_summary = summary
        self._log_availability(summary)
        self.hass.bus.async_fire(
            EVENT_SYNC_FINISHED,
            {
                "entry_id": self.entry.entry_id,
                "pair": self.subentry_id,
                "title": self.title,
                "result": summary["result"],
                "adds": summary.get("adds", 0),
                "removals": summary.get("removals", 0),
                "planned_adds": summary.get("planned_adds", 0),
                "planned_removals": summary.get("planned_removals", 0),
                "suppressed_removals": summary.get("suppressed_removals", 0),
                "held": summary.get("held", False),
            },
        )
        self._notify()
        return summary

    def _log_availability(self, summary: dict[str, Any]) -> None:
        """Log once when runs start failing and once when one succeeds again (else debug)."""
        failing = summary["result"] == RunResult.FAILED
        if failing and not self._failing:
            _LOGGER.info("Sync pair %s is unavailable: %s", self.title, summary.get("error"))
        elif not failing and self._failing:
            _LOGGER.info("Sync pair %s is back", self.title)
        self._failing = failing

    async def _save(self) -> None:
        """Write the state when what the next run depends on changed; run records wait.

        One save at a time: encoding takes a while, and an older state must not land last. The
        save is a task of its own, holding the lock until its write is done: a run cancelled
        while saving (its entry unloading) does not leave a write behind ``_async_close``.
        """
        await asyncio.shield(
            self.hass.async_create_task(
                self._save_now(), f"{DOMAIN} save pair {self.title}", eager_start=True
            )
        )

    async def _save_now(self) -> None:
        async with self._save_lock:
            memory = self.memory
            if self._closed:
                return
            if _same_but_runs(memory, self._stored) and self._stored_target == self.target_entry_id:
                self._store.async_delay_save(
                    partial(encode_memory, memory, self._packed, self.target_entry_id),
                    RUNS_SAVE_DELAY,
                )
                return
            await self._write(memory)

    async def _write(self, memory: PairMemory) -> None:
        target = self.target_entry_id
        data = await self.hass.async_add_executor_job(encode_memory, memory, self._packed, target)
        await self._store.async_save(data)
        self._stored, self._stored_target = memory, target

    @callback
    def _issues(self, plan: SyncPlan, *, limit_hit: bool) -> None:
        async_update_run_issues(
            self.hass,
            self.entry.entry_id,
            self.subentry_id,
            self.title,
            held=sum(len(p.held) for p in plan.features.values()),
            held_plan=plan.held_plan,
            limit_hit=limit_hit or any(p.limit_cut for p in plan.features.values()),
        )
        self._unmatched_issue()

    @callback
    def _unmatched_issue(self) -> None:
        async_update_unmatched_issue(
            self.hass, self.entry.entry_id, self.subentry_id, self.title, self.state.unmatched
        )

    # -- the user's fixes and resets -----------------------------------------------------------
    async def async_set_override(self, key: str, override: Override | None) -> None:
        """Keep the user's fix of unsynced title ``key`` (``None``: forget it).

        The next run reads both sides whole (no baseline stands in for a read), so the fixed
        title is planned even when no activity marker moved.
        """
        async with self._lock:
            self.memory = PairMemory(state=self.state.with_override(key, override))
            await self._save()
        self._unmatched_issue()
        self._notify()

    async def async_reset(self) -> dict[str, dict[str, int]]:
        """Forget what the pair synced (``crosswatch.reset_pair``); return what was forgotten.

        Baselines, failures, markers and held removals go: the next run is a first run, which
        never removes anything. The run history and the user's title fixes stay.
        """
        async with self._lock:
            state = self.state
            forgot = {
                feature.value: {"source": base.source.size, "target": base.target.size}
                for feature, base in state.baselines.items()
            }
            self.memory = PairMemory(state=PairState(runs=state.runs, overrides=state.overrides))
            await self._save()
        async_update_run_issues(
            self.hass,
            self.entry.entry_id,
            self.subentry_id,
            self.title,
            held=0,
            held_plan=None,
            limit_hit=False,
        )
        self._unmatched_issue()
        self._notify()
        return forgot

    def title_search(self, side: Side) -> TitleSearch | None:
        """The search of the account on ``side`` (where an unsynced title should be found)."""
        entry_id = self.entry.entry_id if side is Side.SOURCE else self.target_entry_id
        account = loaded_account(self.hass, entry_id)
        return None if account is None else account.title_search()

    # -- what entities show ----------------------------------------------------------------------
    def clock_time(self) -> float:
        """Now, on the clock runs use."""
        return get_clock(self.hass).time()

    @property
    def last_run(self) -> RunRecord | None:
        """The most recent finished run."""
        return self.state.last_run

    @property
    def last_run_at(self) -> datetime | None:
        """When the last run finished."""
        run = self.last_run
        return None if run is None else datetime.fromtimestamp(run.finished_at, UTC)

    def diagnostics(self) -> dict[str, Any]:
        """Counts and stamps, and the title fixes the user picked (titles, ids); no secrets."""
        state = self.state
        return {
            "title": self.title,
            "enabled": self.enabled,
            "mode": self.mode.value,
            "features": [f.value for f in self.features],
            "interval_seconds": self.interval.total_seconds(),
            "baselines": {
                feature.value: {"source": baseline.source.size, "target": baseline.target.size}
                for feature, baseline in state.baselines.items()
            },
            "exact": sorted(self.memory.exact),
            # A progress pair: how many resume points both sides share (by match keys).
            **({"progress_keys": len(state.progress)} if Feature.PROGRESS in self.features else {}),
            "failing": len(state.failures),
            "parked": len(state.parked(self.clock_time())),
            "removals_confirmed": state.confirmed_plan is not None,
            "runs": [run.to_dict() for run in state.runs],
            "unmatched": len(state.unmatched),
            # The user's fixes: the ids picked for a title, or that it is ignored.
            "overrides": {key: fix.to_dict() for key, fix in state.overrides.items()},
        }

    def last_count(self, name: str) -> int | None:
        """The last run's total of ``name`` (adds, removals) over its features."""
        run = self.last_run
        if run is None:
            return None
        return sum(counts.get(name, 0) for counts in run.counts.values())


def _same_but_runs(memory: PairMemory, stored: PairMemory) -> bool:
    """Whether ``memory`` differs from ``stored`` in run records and read marks at most.

    Read marks may lag on disk: an older mark only widens the next read of changes.
    """
    state, before = memory.state, stored.state
    return (
        state.baselines is before.baselines
        and memory.exact == stored.exact
        and state.failures == before.failures
        and state.watermarks == before.watermarks
        and state.confirmed_plan == before.confirmed_plan
        and state.lingering == before.lingering
        and state.unmatched == before.unmatched
        and state.overrides == before.overrides
        and state.progress == before.progress
    )


async def async_start_pair_runner(
    hass: HomeAssistant, entry: ConfigEntry, subentry: ConfigSubentry, source: AccountCoordinator
) -> PairRunner:
    """Create and start the runner of one sync-pair subentry."""
    runner = PairRunner(hass, entry, subentry, source)
    await runner.async_start()
    return runner
