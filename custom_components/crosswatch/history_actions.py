"""Actions ``crosswatch.import_history``, ``cancel_import`` and ``export_history``.

Thin glue over ``history_io`` (the pure readers, planner and writer): files are read and written
in the executor, the target is read and written through the same sync side (paced and batched
clients) as a sync pair uses. An import's writes run as a job (``history_jobs``: resumed after a
restart, cancellable); the action waits for it and returns its outcome.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import probatio as vol
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import slugify

from .api.models import ITEM_FEATURES, Feature
from .const import DOMAIN
from .data import require_loaded_entry
from .history_io.jobs import JobStatus
from .history_io.rows import ExportFileError
from .history_io.writer import export_counts, write_export_zip
from .history_jobs import (
    DATA_IMPORT_JOBS,
    async_prepare_import,
    async_read_account,
    async_setup_import_jobs,
    prepared_side,
    read_upload,
)
from .providers.registry import provider_of
from .services import ATTR_CONFIG_ENTRY_ID, ATTR_DRY_RUN, ATTR_FEATURES

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .data import CrosswatchConfigEntry

SERVICE_IMPORT_HISTORY: Final = "import_history"
SERVICE_EXPORT_HISTORY: Final = "export_history"
SERVICE_CANCEL_IMPORT: Final = "cancel_import"
ATTR_FILE: Final = "file"
ATTR_FOLDER: Final = "folder"
ATTR_FORMAT: Final = "format"

IMPORT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_FILE): cv.string,
        vol.Optional(ATTR_FEATURES): vol.All(cv.ensure_list, [vol.Coerce(Feature)]),
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)
CANCEL_SCHEMA: Final = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string})
EXPORT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_FOLDER): cv.string,
        vol.Optional(ATTR_FEATURES): vol.All(cv.ensure_list, [vol.Coerce(Feature)]),
        vol.Optional(ATTR_FORMAT, default="json"): vol.In(["json", "csv"]),
    }
)


async def async_allowed_path(hass: HomeAssistant, text: str) -> Path:
    """``text`` (relative to the config folder) resolved, if under config or an allowed folder.

    Home Assistant's own check (``allowlist_external_dirs``, which holds the media folders) or
    the config folder itself; ``..`` cannot climb out, since the path is resolved first. Both
    touch the disk (symlinks), so they run in the executor.
    """
    path = await hass.async_add_executor_job(_allowed_path, hass, text)
    if path is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="path_not_allowed",
            translation_placeholders={"path": text},
        )
    return path


def _allowed_path(hass: HomeAssistant, text: str) -> Path | None:
    path = Path(text)
    if not path.is_absolute():
        path = Path(hass.config.config_dir) / path
    path = path.resolve()
    config = Path(hass.config.config_dir).resolve()
    if path == config or config in path.parents or hass.config.is_allowed_path(str(path)):
        return path
    return None


def _features(entry: CrosswatchConfigEntry, asked: Sequence[Feature] | None) -> list[Feature]:
    supported = provider_of(entry).sync_features & frozenset(ITEM_FEATURES)
    features = list(asked or supported)
    refused = [feature for feature in features if feature not in supported]
    if refused:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="feature_not_supported",
            translation_placeholders={"account": entry.title, "features": ", ".join(refused)},
        )
    return [feature for feature in Feature if feature in features]


async def _import_history(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = require_loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    features = _features(entry, call.data.get(ATTR_FEATURES))
    path = await async_allowed_path(hass, call.data[ATTR_FILE])
    try:
        rows = await hass.async_add_executor_job(read_upload, path)
    except FileNotFoundError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="import_file_missing",
            translation_placeholders={"path": call.data[ATTR_FILE]},
        ) from err
    except ExportFileError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="import_file_unreadable",
            translation_placeholders={"file": err.file, "reason": err.reason},
        ) from err
    prepared = await async_prepare_import(hass, entry, path.name, rows, features)
    dry_run: bool = call.data[ATTR_DRY_RUN]
    response: dict[str, Any] = {
        "account": entry.title,
        "dry_run": dry_run,
        **prepared.summary,
        "written": {},
        "unknown_to_target": [],
    }
    if dry_run or not prepared.plan.writes:
        return response
    # A background job (resumed after a restart, cancellable); the action waits for its end.
    jobs = hass.data[DATA_IMPORT_JOBS]
    job = await jobs.async_start(
        entry, source=prepared.source, plan=prepared.plan, summary=prepared.summary
    )
    job = await jobs.async_wait(job.job_id)
    if job.status is JobStatus.FAILED:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="write_failed",
            translation_placeholders={"account": entry.title},
        )
    return response | {
        "job_id": job.job_id,
        "status": job.status.value,
        "written": {feature.value: n for feature, n in job.written.items()},
        "unknown_to_target": job.unknown,
        "unknown_count": job.unknown_count,
    }


async def _cancel_import(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = require_loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    jobs = hass.data[DATA_IMPORT_JOBS]
    job = jobs.running(entry.entry_id)
    if job is None or not jobs.async_cancel(job.job_id):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_import_running",
            translation_placeholders={"account": entry.title},
        )
    job = await jobs.async_wait(job.job_id)
    return job.outcome()


def _write_zip(folder: Path, name: str, data: bytes) -> Path:
    """Executor: write the ZIP into ``folder`` (made if missing), never over another file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("xb") as file:
        file.write(data)
    return path


async def _export_history(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = require_loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    features = _features(entry, call.data.get(ATTR_FEATURES))
    folder = await async_allowed_path(hass, call.data[ATTR_FOLDER])
    side = prepared_side(hass, entry)
    inventories = await async_read_account(side, entry, features)
    data = await hass.async_add_executor_job(write_export_zip, inventories, call.data[ATTR_FORMAT])
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    name = f"crosswatch-{slugify(entry.title)}-{stamp}.zip"
    try:
        path = await hass.async_add_executor_job(_write_zip, folder, name, data)
    except OSError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="export_not_written",
            translation_placeholders={"path": str(folder / name), "error": err.strerror or ""},
        ) from err
    return {
        "account": entry.title,
        "path": str(path),
        **export_counts(inventories),
    }


def async_setup_history_services(hass: HomeAssistant) -> None:
    """Register the actions (from ``async_setup``, with the other actions) and the import jobs."""
    async_setup_import_jobs(hass)
    # Import and export read and write files under the config and media folders: admins only.
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        _import_history,
        schema=IMPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_IMPORT,
        _cancel_import,
        schema=CANCEL_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_EXPORT_HISTORY,
        _export_history,
        schema=EXPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
