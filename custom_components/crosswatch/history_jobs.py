"""Import jobs in Home Assistant: run in the background, kept in storage, resumed, cancellable.

The pure job (``history_io/jobs.py``) writes through the account's sync side (paced, batched);
this module keeps it: one small store holds every job's progress (saved after each batch), one
store per running job holds its records (saved when it starts and when it resumes). A job still
running when Home Assistant stopped, or when its account was unloaded, resumes once the account is
loaded again: the rest is planned again against a fresh read, so nothing is posted twice. At the
end a persistent notification tells the outcome with the rows that could not be read.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from homeassistant.components import persistent_notification
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey
from homeassistant.util.ulid import ulid_now

from .api.errors import CrosswatchApiError
from .api.models import Feature, MediaItem
from .const import DOMAIN, SIGNAL_IMPORT_PROGRESS
from .history_io.jobs import (
    ImportJob,
    JobDataError,
    JobStatus,
    PendingRecords,
    remaining_rows,
    resume,
    run_job,
)
from .history_io.plan import Guesses, ImportPlan, lookups_needed, pick_guess, plan_import
from .history_io.readers import read_export
from .history_io.rows import MAX_BYTES, ExportFileError, ExportRows
from .pairs import create_side
from .posters import metadata_client
from .sync.inventory import Inventory
from .sync.matching import weak_key
from .sync.plan import Action, Change

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry

    from .data import CrosswatchConfigEntry
    from .providers.base import TitleSearch
    from .sync.side import SyncSide

_LOGGER = logging.getLogger(__name__)

DATA_IMPORT_JOBS: Final[HassKey[ImportJobs]] = HassKey(f"{DOMAIN}_import_jobs")
STORE_VERSION: Final = 1
JOBS_STORE: Final = f"{DOMAIN}.import_jobs"
# Finished jobs kept for their outcome (the newest); running ones are always kept.
KEEP_FINISHED: Final = 10
# Bad rows and unknown titles a notification lists; the counts say how many there were.
NOTIFIED_ROWS: Final = 20

# The preview lists this many bad rows; the count says how many there were.
LISTED_PROBLEMS: Final = 50
# Titles without ids looked up per import, at most (the rest stay unmatched).
MAX_LOOKUPS: Final = 1000
FILE_SUFFIXES: Final = (".zip", ".json", ".csv")

type ProgressListener = Callable[[ImportJob], None]


def read_upload(path: Path) -> ExportRows:
    """Executor: one export file, refused before reading when it is too large or not an export."""
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise ExportFileError(path.name, "not a .zip, .json or .csv file")
    if not path.is_file():
        raise FileNotFoundError(path)
    if path.stat().st_size > MAX_BYTES:
        raise ExportFileError(path.name, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    return read_export(path.name, path.read_bytes())


@dataclass(slots=True)
class PreparedImport:
    """A file read and planned against the account: what the preview shows and the job writes."""

    source: str
    rows: ExportRows
    plan: ImportPlan
    summary: dict[str, Any]


async def async_prepare_import(
    hass: HomeAssistant,
    entry: CrosswatchConfigEntry,
    source: str,
    rows: ExportRows,
    features: Sequence[Feature],
) -> PreparedImport:
    """Read the account, look up titles without ids, and plan (CPU work in the executor)."""
    side = prepared_side(hass, entry)
    target = await async_read_account(side, entry, features)
    capabilities = await side.capabilities()
    wanted = await hass.async_add_executor_job(lookups_needed, rows, features)
    guesses = await async_title_guesses(hass, entry, wanted)
    plan = await hass.async_add_executor_job(
        partial(plan_import, rows, target, capabilities, guesses=guesses)
    )
    summary: dict[str, Any] = {
        "files": rows.files,
        "skipped": rows.skipped,
        "rows": rows.rows,
        "features": {feature.value: p.as_dict() for feature, p in plan.preview.items()},
        "problem_count": len(rows.problems),
        "problems": [str(problem) for problem in rows.problems[:LISTED_PROBLEMS]],
    }
    return PreparedImport(source=source, rows=rows, plan=plan, summary=summary)


async def async_read_account(
    side: SyncSide, entry: CrosswatchConfigEntry, features: Sequence[Feature]
) -> dict[Feature, Inventory]:
    """The account's inventories of ``features``; a translated error when a read fails."""
    try:
        return {feature: await side.read(feature) for feature in features}
    except CrosswatchApiError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="read_failed",
            translation_placeholders={"account": entry.title},
        ) from err


async def async_title_guesses(
    hass: HomeAssistant, entry: CrosswatchConfigEntry, wanted: Sequence[MediaItem]
) -> Guesses:
    """Titles without ids found by type, title and year: on TMDb, else by the account's search.

    TMDb when a TMDb account is loaded; otherwise the account's own search (Trakt, SIMKL).
    Only an unambiguous result counts (``pick_guess``); the preview reports these as guessed.
    Lookups are best effort: when a search fails, the titles not yet looked up stay unmatched.
    """
    search: TitleSearch | None = metadata_client(hass) or entry.runtime_data.account.title_search()
    guesses: dict[Any, MediaItem] = {}
    if search is None:
        return guesses
    for item in wanted[:MAX_LOOKUPS]:
        try:
            found = await search.search_title(item.kind, item.title or "", item.year)
        except CrosswatchApiError:
            break
        guess = pick_guess(item, found)
        key = weak_key(item)
        if guess is not None and key is not None:
            guesses[key] = guess
    return guesses


def preview_text(prepared: PreparedImport) -> str:
    """The preview as the confirm step's text (markdown): per feature the counts, a few titles.

    Features the file holds nothing of are left out.
    """
    blocks: list[str] = []
    for feature, preview in prepared.plan.preview.items():
        if not preview.read:
            continue
        counts = (
            f"**{feature.value}**: {preview.read} read, {preview.matched} matched"
            f" ({preview.guessed} by title and year), {preview.already_on_target} already there,"
            f" **{preview.to_add} to add**, {preview.unmatched} unmatched"
        )
        lines = [counts]
        lines.extend(
            f"- {outcome.value.replace('_', ' ')}: {', '.join(titles)}"
            for outcome, titles in preview.samples.items()
        )
        blocks.append("\n".join(lines))
    problems = prepared.rows.problems
    if problems:
        listed = "\n".join(f"- {problem}" for problem in problems[:5])
        blocks.append(f"Rows that could not be read: {len(problems)}; the first:\n{listed}")
    skipped = prepared.rows.skipped
    if skipped:
        listed = "\n".join(f"- {entry}" for entry in skipped[:5])
        blocks.append(f"Files of the ZIP not read: {len(skipped)}; the first:\n{listed}")
    return "\n\n".join(blocks) or "The file holds nothing of what you chose to import."


def _records_store(hass: HomeAssistant, job_id: str) -> Store[dict[str, Any]]:
    # Large: encoded off the event loop.
    return Store(
        hass, STORE_VERSION, f"{DOMAIN}.import_job.{job_id}", serialize_in_event_loop=False
    )


def prepared_side(hass: HomeAssistant, entry: CrosswatchConfigEntry) -> SyncSide:
    """The account's sync side, building its inventories in the executor."""
    side = create_side(entry.runtime_data.account)
    side.offload = hass.async_add_executor_job
    return side


class ImportJobs:
    """Every import job of this Home Assistant: their progress, tasks and cancel requests."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Nothing is read until ``async_load``."""
        self.hass = hass
        self._store: Store[dict[str, Any]] = Store(hass, STORE_VERSION, JOBS_STORE)
        self.jobs: dict[str, ImportJob] = {}
        self._tasks: dict[str, asyncio.Task[ImportJob]] = {}
        self._cancelled: set[str] = set()
        self._loaded = asyncio.Event()

    async def async_load(self) -> None:
        """Read the stored jobs; one that cannot be read is dropped with a warning."""
        try:
            data = await self._store.async_load() or {}
            for raw in data.get("jobs", []):
                try:
                    job = ImportJob.from_dict(raw)
                except JobDataError as err:
                    _LOGGER.warning("A stored history import is unreadable, dropped: %s", err)
                    continue
                self.jobs[job.job_id] = job
        finally:
            self._loaded.set()

    def running(self, entry_id: str) -> ImportJob | None:
        """The job running into the account ``entry_id``, if any."""
        return next(
            (j for j in self.jobs.values() if j.entry_id == entry_id and not j.finished), None
        )

    def is_active(self, job_id: str) -> bool:
        """Whether the job's task is running now (not only marked running in storage)."""
        return job_id in self._tasks

    @callback
    def async_listen(self, job_id: str, listener: ProgressListener) -> Callable[[], None]:
        """Call ``listener`` (a callback) after each batch and at the end; returns the remover."""
        return async_dispatcher_connect(self.hass, SIGNAL_IMPORT_PROGRESS.format(job_id), listener)

    async def async_start(
        self,
        entry: CrosswatchConfigEntry,
        *,
        source: str,
        plan: ImportPlan,
        summary: dict[str, Any],
    ) -> ImportJob:
        """Start writing ``plan`` into ``entry``'s account in the background."""
        await self._loaded.wait()
        if self.running(entry.entry_id) is not None:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="import_running",
                translation_placeholders={"account": entry.title},
            )
        pending = PendingRecords.of_plan(plan)
        job = ImportJob.start(
            job_id=ulid_now(),
            entry_id=entry.entry_id,
            source=source,
            started_at=time.time(),
            pending=pending,
            summary=summary,
        )
        await self._keep_records(job.job_id, pending)
        self.jobs[job.job_id] = job
        await self._save()
        self._launch(entry, job, self._run(entry, job, pending, prepared_side(self.hass, entry)))
        return job

    async def async_wait(self, job_id: str) -> ImportJob:
        """The job once it has ended (at once if it is not running here)."""
        task = self._tasks.get(job_id)
        if task is not None:
            return await asyncio.shield(task)
        return self.jobs[job_id]

    @callback
    def async_cancel(self, job_id: str) -> bool:
        """Ask a running job to stop before its next batch; ``False`` if it is not running."""
        job = self.jobs.get(job_id)
        if job is None or job.finished:
            return False
        self._cancelled.add(job_id)
        return True

    async def async_resume(self, entry: CrosswatchConfigEntry) -> None:
        """Resume the job stored as running into ``entry``'s account (it is loaded now)."""
        await self._loaded.wait()
        job = self.running(entry.entry_id)
        if job is not None and not self.is_active(job.job_id):
            self._launch(entry, job, self._resume(entry, job))

    async def _resume(self, entry: CrosswatchConfigEntry, job: ImportJob) -> ImportJob:
        """Plan the rest again against a fresh read of the account, then write it."""
        store = _records_store(self.hass, job.job_id)
        try:
            raw = await store.async_load()
            pending = await self.hass.async_add_executor_job(PendingRecords.from_dict, raw)
            side = prepared_side(self.hass, entry)
            target = {feature: await side.read(feature) for feature in pending.records}
            capabilities = await side.capabilities()
        except (JobDataError, CrosswatchApiError) as err:
            job.error = str(err)
            job.status = JobStatus.FAILED
            job.finished_at = time.time()
            await self._end(entry, job)
            return job
        rest = remaining_rows(job, pending)
        replanned = await self.hass.async_add_executor_job(
            partial(plan_import, rest, target, capabilities)
        )
        pending = resume(job, pending, replanned)
        await self._keep_records(job.job_id, pending)
        await self._save()
        _LOGGER.info(
            "Resuming the history import %s into %s (%d already there)",
            job.source,
            entry.title,
            job.found_on_resume,
        )
        return await self._run(entry, job, pending, side)

    # -- running ---------------------------------------------------------------------------
    def _launch(
        self, entry: CrosswatchConfigEntry, job: ImportJob, work: Coroutine[Any, Any, ImportJob]
    ) -> None:
        async def tracked() -> ImportJob:
            try:
                return await work
            finally:
                # Cancelled with its account (unloaded, or Home Assistant stopping): the job
                # stays stored as running, to resume when the account is loaded again.
                self._tasks.pop(job.job_id, None)

        self._tasks[job.job_id] = entry.async_create_background_task(
            self.hass, tracked(), name=f"{DOMAIN} history import {job.job_id}"
        )

    async def _run(
        self, entry: CrosswatchConfigEntry, job: ImportJob, pending: PendingRecords, side: SyncSide
    ) -> ImportJob:
        async def write(feature: Feature, changes: Sequence[Change]) -> Sequence[Change]:
            return await side.write(feature, Action.ADD, changes)

        job = await run_job(
            job,
            pending,
            write=write,
            save=self._progress,
            batch_size=side.batch_size,
            cancelled=lambda: job.job_id in self._cancelled,
            now=time.time,
        )
        await self._end(entry, job)
        await entry.runtime_data.coordinator.async_request_refresh()
        return job

    async def _progress(self, job: ImportJob) -> None:
        await self._save()
        async_dispatcher_send(self.hass, SIGNAL_IMPORT_PROGRESS.format(job.job_id), job)

    async def _end(self, entry: ConfigEntry, job: ImportJob) -> None:
        self._cancelled.discard(job.job_id)
        await self._save()
        await _records_store(self.hass, job.job_id).async_remove()
        async_dispatcher_send(self.hass, SIGNAL_IMPORT_PROGRESS.format(job.job_id), job)
        persistent_notification.async_create(
            self.hass,
            outcome_text(job),
            title=f"History import into {entry.title}: {job.status.value}",
            notification_id=f"{DOMAIN}_import_{job.job_id}",
        )

    async def _keep_records(self, job_id: str, pending: PendingRecords) -> None:
        data = await self.hass.async_add_executor_job(pending.to_dict)
        await _records_store(self.hass, job_id).async_save(data)

    async def _save(self) -> None:
        finished = sorted(
            (j for j in self.jobs.values() if j.finished),
            key=lambda j: j.finished_at or 0.0,
            reverse=True,
        )
        for old in finished[KEEP_FINISHED:]:
            del self.jobs[old.job_id]
        await self._store.async_save({"jobs": [j.to_dict() for j in self.jobs.values()]})


def outcome_text(job: ImportJob) -> str:
    """The notification's text: counts per feature, then the rows and titles that failed."""
    lines = [f"File: {job.source}"]
    for feature, total in job.total.items():
        lines.append(f"- {feature.value}: {job.written.get(feature, 0)} added of {total} planned")
    if job.found_on_resume:
        lines.append(f"- already on the account when resuming: {job.found_on_resume}")
    if job.error:
        lines.append(f"\nStopped by an error: {job.error}")
    problems: list[str] = job.summary.get("problems", [])
    count = job.summary.get("problem_count", len(problems))
    if count:
        lines.append(f"\nRows not read ({count}):")
        lines.extend(f"- {problem}" for problem in problems[:NOTIFIED_ROWS])
    if job.unknown_count:
        lines.append(f"\nNot known to the account ({job.unknown_count}):")
        lines.extend(f"- {title}" for title in job.unknown[:NOTIFIED_ROWS])
    return "\n".join(lines)


@callback
def async_setup_import_jobs(hass: HomeAssistant) -> ImportJobs:
    """Load the jobs; resume each one when its account is (or gets) loaded."""
    jobs = hass.data[DATA_IMPORT_JOBS] = ImportJobs(hass)
    hass.async_create_task(jobs.async_load(), f"{DOMAIN} load import jobs")

    @callback
    def changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if (
            change is ConfigEntryChange.UPDATED
            and entry.domain == DOMAIN
            and entry.state is ConfigEntryState.LOADED
        ):
            hass.async_create_background_task(
                hass.data[DATA_IMPORT_JOBS].async_resume(entry),
                name=f"{DOMAIN} resume import into {entry.entry_id}",
            )

    # Lives as long as Home Assistant (set up from the integration's async_setup).
    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, changed)
    return jobs
