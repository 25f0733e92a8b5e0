"""The *Import history* flow on a Trakt, SIMKL or Plex account: upload, preview, confirm, progress.

A config-subentry flow that creates no subentry: it ends with the outcome (an abort step). The
file comes through Home Assistant's file upload; it is read, the account read and the import
planned in a progress step; the preview is the confirm step's description; the import then runs
as a background job (``history_jobs``) whose progress the flow shows. Closing the dialog does
not stop the import: its outcome also arrives as a notification.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import probatio as vol
from homeassistant.components.file_upload import process_uploaded_file
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.core import callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.selector import (
    FileSelector,
    FileSelectorConfig,
    SelectSelector,
    SelectSelectorConfig,
)

from .api.models import ITEM_FEATURES, Feature
from .history_io.rows import ExportFileError
from .history_jobs import (
    DATA_IMPORT_JOBS,
    PreparedImport,
    async_prepare_import,
    preview_text,
    read_upload,
)
from .providers.registry import provider_of

if TYPE_CHECKING:
    from .data import CrosswatchConfigEntry
    from .history_io.jobs import ImportJob

SUBENTRY_IMPORT_HISTORY: Final = "import_history"
CONF_FILE: Final = "file"
CONF_FEATURES: Final = "features"
ACCEPT: Final = ".zip,.json,.csv"
QUICK_SECONDS: Final = 5.0


async def _quick(task: asyncio.Task[Any]) -> bool:
    """Whether ``task`` ends within ``QUICK_SECONDS``: then the flow shows no progress step.

    A progress step that ends before the frontend listens for its end would leave the dialog
    waiting; a small import is also simply quicker to show without one.
    """
    await asyncio.wait({task}, timeout=QUICK_SECONDS)
    return task.done()


def _read_uploaded(hass: Any, file_id: str) -> tuple[str, Any]:
    """Executor: the uploaded file's name and what it holds (removed afterwards)."""
    with process_uploaded_file(hass, file_id) as path:
        return Path(path).name, read_upload(Path(path))


class ImportHistoryFlow(ConfigSubentryFlow):
    """Upload an export, see what it would add, confirm, watch it import."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._features: list[Feature] = []
        self._file_id = ""
        self._prepared: PreparedImport | None = None
        self._task: asyncio.Task[Any] | None = None
        self._job: ImportJob | None = None
        self._error: str | None = None

    @property
    def _entry(self) -> CrosswatchConfigEntry:
        entry: CrosswatchConfigEntry = self._get_entry()
        return entry

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Choose the file and what to import."""
        entry = self._entry
        if entry.state is not ConfigEntryState.LOADED:
            # Reads and writes go through the loaded account (HA offers the flow on any entry).
            return self.async_abort(
                reason="entry_not_loaded", description_placeholders={"account": entry.title}
            )
        supported = provider_of(entry).sync_features & frozenset(ITEM_FEATURES)
        jobs = self.hass.data[DATA_IMPORT_JOBS]
        if jobs.running(entry.entry_id) is not None:
            return self.async_abort(reason="import_running")
        errors: dict[str, str] = {}
        placeholders = {"account": entry.title, "reason": ""}
        if user_input is not None:
            self._file_id = user_input[CONF_FILE]
            self._features = [f for f in Feature if f.value in user_input[CONF_FEATURES]]
            if not self._features:
                errors[CONF_FEATURES] = "no_features"
            else:
                self._task = self.hass.async_create_task(self._prepare(), eager_start=False)
                if not await _quick(self._task):
                    return await self.async_step_read()
                task, self._task = self._task, None
                try:
                    self._prepared = task.result()
                except (ExportFileError, HomeAssistantError) as err:
                    self._error = str(err)
                    return await self.async_step_user()
                return await self.async_step_confirm()
        schema = vol.Schema(
            {
                vol.Required(CONF_FILE): FileSelector(FileSelectorConfig(accept=ACCEPT)),
                vol.Required(CONF_FEATURES, default=[f.value for f in supported]): SelectSelector(
                    SelectSelectorConfig(
                        options=[f.value for f in supported],
                        multiple=True,
                        translation_key="feature",
                    )
                ),
            }
        )
        if self._error is not None:
            errors["base"] = "file_unreadable"
            placeholders["reason"] = self._error
            self._error = None
        return self.async_show_form(
            step_id="user", data_schema=schema, errors=errors, description_placeholders=placeholders
        )

    async def async_step_read(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Read the file and the account, and plan the import (a progress step)."""
        del user_input
        assert self._task is not None
        if not self._task.done():
            return self.async_show_progress(
                step_id="read",
                progress_action="reading",
                description_placeholders={"account": self._entry.title},
                progress_task=self._task,
            )
        task, self._task = self._task, None
        try:
            self._prepared = task.result()
        except (ExportFileError, HomeAssistantError) as err:
            self._error = str(err)
            return self.async_show_progress_done(next_step_id="user")
        return self.async_show_progress_done(next_step_id="confirm")

    async def _prepare(self) -> PreparedImport:
        name, rows = await self.hass.async_add_executor_job(
            _read_uploaded, self.hass, self._file_id
        )
        return await async_prepare_import(self.hass, self._entry, name, rows, self._features)

    async def async_step_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the preview; on confirm, start the import."""
        prepared = self._prepared
        assert prepared is not None
        if not prepared.plan.writes:
            return self.async_abort(
                reason="nothing_to_import",
                description_placeholders={"preview": preview_text(prepared)},
            )
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=vol.Schema({}),
                description_placeholders={
                    "account": self._entry.title,
                    "preview": preview_text(prepared),
                },
            )
        jobs = self.hass.data[DATA_IMPORT_JOBS]
        job = self._job = await jobs.async_start(
            self._entry, source=prepared.source, plan=prepared.plan, summary=prepared.summary
        )
        remove = jobs.async_listen(job.job_id, self._progressed)
        self._task = self.hass.async_create_task(jobs.async_wait(job.job_id))
        self._task.add_done_callback(lambda _task: remove())
        if not await _quick(self._task):
            return await self.async_step_importing()
        self._job, self._task = self._task.result(), None
        return await self.async_step_finished()

    async def async_step_importing(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The import runs: its progress, until it ends."""
        del user_input
        job = self._job
        assert job is not None
        assert self._task is not None
        if not self._task.done():
            total = sum(job.total.values())
            return self.async_show_progress(
                step_id="importing",
                progress_action="importing",
                description_placeholders={
                    "account": self._entry.title,
                    "done": str(sum(job.done.values())),
                    "total": str(total),
                },
                progress_task=self._task,
            )
        self._job = self._task.result()
        self._task = None
        return self.async_show_progress_done(next_step_id="finished")

    @callback
    def _progressed(self, job: ImportJob) -> None:
        self._job = job
        total = sum(job.total.values())
        if total:
            self.async_update_progress(min(1.0, sum(job.done.values()) / total))
        current = self.cur_step
        if current and current["type"] is FlowResultType.SHOW_PROGRESS:
            # The dialog fetches the flow again on this event, which runs the step again: its
            # description then shows the counts of now (the bar alone moves with the update).
            self.async_notify_flow_changed()

    async def async_step_finished(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The outcome (also sent as a notification)."""
        del user_input
        job = self._job
        assert job is not None
        outcome = job.outcome()
        return self.async_abort(
            reason=f"import_{job.status.value}",
            description_placeholders={
                "account": self._entry.title,
                "done": str(outcome["done"]),
                "total": str(outcome["total"]),
                "written": ", ".join(f"{k} {v}" for k, v in outcome["written"].items() if v)
                or "nothing",
                "error": job.error or "",
            },
        )
