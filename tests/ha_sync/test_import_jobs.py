"""History imports as background jobs in Home Assistant: resumed after a restart, cancelled, told.

Against the simulator's Trakt (which keeps every play posted, like Trakt: a play posted twice
shows as two).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components import persistent_notification
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from custom_components.crosswatch.api.models import Feature
from custom_components.crosswatch.history_io.jobs import ImportJob, JobStatus
from custom_components.crosswatch.history_jobs import (
    DATA_IMPORT_JOBS,
    JOBS_STORE,
    ImportJobs,
    async_prepare_import,
    prepared_side,
    read_upload,
)
from tests.ha_sync.conftest import trakt_entry
from tests.ha_sync.helpers import FILMS, export, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator


async def plays(hass: HomeAssistant, entry: MockConfigEntry) -> Counter[tuple[str, float]]:
    history = await prepared_side(hass, entry).read(Feature.HISTORY)
    return Counter((key, t) for key, e in history.entries.items() for t in e.plays)


async def start(
    hass: HomeAssistant, entry: MockConfigEntry, path: Path
) -> tuple[ImportJobs, ImportJob]:
    rows = await hass.async_add_executor_job(read_upload, path)
    prepared = await async_prepare_import(hass, entry, path.name, rows, [Feature.HISTORY])
    jobs = hass.data[DATA_IMPORT_JOBS]
    job = await jobs.async_start(
        entry, source=prepared.source, plan=prepared.plan, summary=prepared.summary
    )
    return jobs, job


@pytest.fixture
async def trakt(hass: HomeAssistant, sim_urls: Simulator) -> MockConfigEntry:
    await sim_urls.reset({"movies": FILMS + 20})
    entry = await trakt_entry(hass, sim_urls)
    await setup_entries(hass, entry)
    return entry


async def test_an_import_stopped_with_its_account_resumes_without_posting_twice(
    hass: HomeAssistant,
    sim_urls: Simulator,
    trakt: MockConfigEntry,
    tmp_path: Path,
    hass_storage: dict[str, Any],
) -> None:
    before = await plays(hass, trakt)
    jobs, job = await start(hass, trakt, export(sim_urls, tmp_path))
    unloaded = asyncio.Event()

    @callback
    def after_a_batch(progress: ImportJob) -> None:
        if sum(progress.done.values()) >= 100 and not unloaded.is_set():
            unloaded.set()
            # Home Assistant stops the account while the next batch is on its way.
            hass.async_create_task(hass.config_entries.async_unload(trakt.entry_id))

    jobs.async_listen(job.job_id, after_a_batch)
    await unloaded.wait()
    await hass.async_block_till_done()
    assert trakt.state is ConfigEntryState.NOT_LOADED
    stored = hass_storage[JOBS_STORE]["data"]["jobs"]
    assert [j["status"] for j in stored] == ["running"]
    assert f"crosswatch.import_job.{job.job_id}" in hass_storage

    # Home Assistant starts again: a new manager reads the stored job; loading the account
    # resumes it.
    jobs = hass.data[DATA_IMPORT_JOBS] = ImportJobs(hass)
    await jobs.async_load()
    assert jobs.running(trakt.entry_id) is not None
    assert await hass.config_entries.async_setup(trakt.entry_id)
    await hass.async_block_till_done()
    job = await jobs.async_wait(job.job_id)
    await hass.async_block_till_done()

    assert job.status is JobStatus.DONE
    assert job.resumes == 1
    assert job.done == job.total == {Feature.HISTORY: FILMS}
    added = await plays(hass, trakt) - before
    assert sum(added.values()) == FILMS
    assert set(added.values()) == {1}  # no play twice
    assert f"crosswatch.import_job.{job.job_id}" not in hass_storage  # records dropped at the end
    notes = persistent_notification._async_get_or_create_notifications(hass)
    [note] = [n for n in notes.values() if job.job_id in n["notification_id"]]
    assert "history: " in note["message"]
    assert note["title"].endswith("done")


async def test_a_cancel_stops_the_import_and_says_how_far_it_got(
    hass: HomeAssistant, sim_urls: Simulator, trakt: MockConfigEntry, tmp_path: Path
) -> None:
    before = await plays(hass, trakt)
    jobs, job = await start(hass, trakt, export(sim_urls, tmp_path))
    assert jobs.async_cancel(job.job_id)
    job = await jobs.async_wait(job.job_id)
    assert job.status is JobStatus.CANCELLED
    written = job.written[Feature.HISTORY]
    assert written < FILMS
    assert sum((await plays(hass, trakt) - before).values()) == written
    await hass.async_block_till_done()
    notes = persistent_notification._async_get_or_create_notifications(hass)
    [note] = [n for n in notes.values() if job.job_id in n["notification_id"]]
    assert note["title"].endswith("cancelled")
    assert f"history: {written} added of {FILMS} planned" in note["message"]


async def test_a_second_import_into_the_same_account_waits_for_the_first(
    hass: HomeAssistant, sim_urls: Simulator, trakt: MockConfigEntry, tmp_path: Path
) -> None:
    path = export(sim_urls, tmp_path)
    rows = await hass.async_add_executor_job(read_upload, path)
    prepared = await async_prepare_import(hass, trakt, path.name, rows, [Feature.HISTORY])
    jobs = hass.data[DATA_IMPORT_JOBS]
    job = await jobs.async_start(trakt, source="a.csv", plan=prepared.plan, summary={})
    with pytest.raises(HomeAssistantError) as refused:
        await jobs.async_start(trakt, source="b.csv", plan=prepared.plan, summary={})
    assert refused.value.translation_key == "import_running"
    job = await jobs.async_wait(job.job_id)
    assert job.status is JobStatus.DONE
    assert not jobs.async_cancel(job.job_id)  # already ended
    assert json.loads(json.dumps(jobs.jobs[job.job_id].to_dict()))["status"] == "done"


async def test_the_cancel_action_stops_the_running_import(
    hass: HomeAssistant, sim_urls: Simulator, trakt: MockConfigEntry, tmp_path: Path
) -> None:
    data = {"config_entry_id": trakt.entry_id}
    with pytest.raises(ServiceValidationError) as nothing:
        await hass.services.async_call(
            "crosswatch", "cancel_import", data, blocking=True, return_response=True
        )
    assert nothing.value.translation_key == "no_import_running"
    _jobs, job = await start(hass, trakt, export(sim_urls, tmp_path))
    outcome = await hass.services.async_call(
        "crosswatch", "cancel_import", data, blocking=True, return_response=True
    )
    assert outcome is not None
    assert outcome["job_id"] == job.job_id
    assert outcome["status"] == "cancelled"
    assert outcome["total"] == FILMS
    assert outcome["done"] < FILMS


async def test_an_import_the_service_refuses_ends_failed_and_says_so(
    hass: HomeAssistant, sim_urls: Simulator, trakt: MockConfigEntry, tmp_path: Path
) -> None:
    path = export(sim_urls, tmp_path)
    hass.config.allowlist_external_dirs = {str(tmp_path)}
    await sim_urls.fault("trakt", "POST /sync/history", status=403)
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(
            "crosswatch",
            "import_history",
            {"config_entry_id": trakt.entry_id, "file": str(path)},
            blocking=True,
            return_response=True,
        )
    assert failed.value.translation_key == "write_failed"
    await hass.async_block_till_done()
    notes = persistent_notification._async_get_or_create_notifications(hass)
    [note] = [n for n in notes.values() if n["notification_id"].startswith("crosswatch_import_")]
    assert note["title"].endswith("failed")
    assert "Stopped by an error" in note["message"]
    jobs = hass.data[DATA_IMPORT_JOBS]
    assert jobs.running(trakt.entry_id) is None  # a failed job is not resumed


async def test_damaged_stored_jobs_are_dropped_and_damaged_records_end_the_job(
    hass: HomeAssistant,
    trakt: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = ImportJob(job_id="j1", entry_id=trakt.entry_id, source="f.csv", started_at=1.0).to_dict()
    hass_storage[JOBS_STORE] = {"version": 1, "data": {"jobs": [{"version": 9}, good]}}
    hass_storage["crosswatch.import_job.j1"] = {"version": 1, "data": {"records": "x"}}
    jobs = hass.data[DATA_IMPORT_JOBS] = ImportJobs(hass)
    await jobs.async_load()
    assert list(jobs.jobs) == ["j1"]
    assert "unreadable, dropped" in caplog.text
    await jobs.async_resume(trakt)
    job = await jobs.async_wait("j1")
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "stored" in job.error
