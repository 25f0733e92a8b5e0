"""Actions ``crosswatch.import_history`` and ``crosswatch.export_history``.

Thin glue over ``history_io`` (the pure readers, planner and writer): files are read and written
in the executor, the target is read and written through the same sync side (paced and batched
clients) as a sync pair uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import probatio as vol
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import slugify

from .api.errors import CrosswatchApiError
from .api.ids import canonical_key
from .api.models import Feature, MediaItem, MediaKind, Play, Rating, WatchlistEntry
from .const import DOMAIN
from .history_io.plan import Guesses, ImportPlan, lookups_needed, pick_guess, plan_import
from .history_io.readers import read_export
from .history_io.rows import MAX_BYTES, ExportFileError, ExportRows
from .history_io.writer import write_export_zip
from .pairs import async_create_side
from .posters import metadata_client
from .providers.registry import provider_of
from .services import ATTR_CONFIG_ENTRY_ID, ATTR_DRY_RUN, ATTR_FEATURES, require_loaded_entry
from .sync.inventory import Inventory, from_timestamp, to_timestamp
from .sync.matching import weak_key
from .sync.plan import Action, Change, Side

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .data import CrosswatchConfigEntry
    from .sync.side import SyncSide

SERVICE_IMPORT_HISTORY: Final = "import_history"
SERVICE_EXPORT_HISTORY: Final = "export_history"
ATTR_FILE: Final = "file"
ATTR_FOLDER: Final = "folder"
ATTR_FORMAT: Final = "format"
FILE_SUFFIXES: Final = (".zip", ".json", ".csv")
# The response lists this many bad rows; the count says how many there were.
LISTED_PROBLEMS: Final = 50
# Titles without ids looked up on TMDb per import, at most (the rest stay unmatched).
MAX_LOOKUPS: Final = 1000

IMPORT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_FILE): cv.string,
        vol.Optional(ATTR_FEATURES): vol.All(cv.ensure_list, [vol.Coerce(Feature)]),
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)
EXPORT_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_FOLDER): cv.string,
        vol.Optional(ATTR_FEATURES): vol.All(cv.ensure_list, [vol.Coerce(Feature)]),
        vol.Optional(ATTR_FORMAT, default="json"): vol.In(["json", "csv"]),
    }
)


def allowed_path(hass: HomeAssistant, text: str) -> Path:
    """``text`` (relative to the config folder) resolved, if under config or an allowed folder.

    Home Assistant's own check (``allowlist_external_dirs``, which holds the media folders) or
    the config folder itself; ``..`` cannot climb out, since the path is resolved first.
    """
    path = Path(text)
    if not path.is_absolute():
        path = Path(hass.config.config_dir) / path
    path = path.resolve()
    config = Path(hass.config.config_dir).resolve()
    if path == config or config in path.parents or hass.config.is_allowed_path(str(path)):
        return path
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="path_not_allowed",
        translation_placeholders={"path": text},
    )


def _features(entry: CrosswatchConfigEntry, asked: Sequence[Feature] | None) -> list[Feature]:
    supported = provider_of(entry).sync_features
    features = list(asked or supported)
    refused = [feature for feature in features if feature not in supported]
    if refused:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="feature_not_supported",
            translation_placeholders={"account": entry.title, "features": ", ".join(refused)},
        )
    return [feature for feature in Feature if feature in features]


def _read_file(path: Path) -> ExportRows:
    """Executor: the file's bytes, refused before reading when it is too large."""
    if path.suffix.lower() not in FILE_SUFFIXES:
        raise ExportFileError(path.name, "not a .zip, .json or .csv file")
    if not path.is_file():
        raise FileNotFoundError(path)
    if path.stat().st_size > MAX_BYTES:
        raise ExportFileError(path.name, f"larger than {MAX_BYTES // (1024 * 1024)} MB")
    return read_export(path.name, path.read_bytes())


async def _read_target(
    side: SyncSide, entry: CrosswatchConfigEntry, features: Sequence[Feature]
) -> dict[Feature, Inventory]:
    try:
        return {feature: await side.read(feature) for feature in features}
    except CrosswatchApiError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="read_failed",
            translation_placeholders={"account": entry.title},
        ) from err


async def _tmdb_guesses(hass: HomeAssistant, wanted: Sequence[MediaItem]) -> Guesses:
    """Titles without ids found on TMDb by type, title and year (with a loaded TMDb account).

    Only an unambiguous result counts (``pick_guess``); the preview reports these as guessed.
    Lookups are best effort: when TMDb fails, the titles not yet looked up stay unmatched.
    """
    client = metadata_client(hass)
    guesses: dict[Any, MediaItem] = {}
    if client is None:
        return guesses
    for item in wanted[:MAX_LOOKUPS]:
        search = client.search_movie if item.kind is MediaKind.MOVIE else client.search_show
        try:
            found = await search(item.title or "", item.year)
        except CrosswatchApiError:
            break
        guess = pick_guess(item, [title.item for title in found])
        key = weak_key(item)
        if guess is not None and key is not None:
            guesses[key] = guess
    return guesses


def _changes(plan: ImportPlan) -> dict[Feature, list[Change]]:
    def change(feature: Feature, record: Play | Rating | WatchlistEntry) -> Change:
        common: dict[str, Any] = {
            "feature": feature,
            "side": Side.TARGET,
            "action": Action.ADD,
            "key": canonical_key(record.item),
            "item": record.item,
        }
        if isinstance(record, Play):
            return Change(**common, watched_at=to_timestamp(record.watched_at))
        if isinstance(record, Rating):
            rated_at = None if record.rated_at is None else to_timestamp(record.rated_at)
            return Change(**common, rating=record.rating, rated_at=rated_at)
        listed_at = None if record.listed_at is None else to_timestamp(record.listed_at)
        return Change(**common, listed_at=listed_at)

    return {
        Feature.HISTORY: [change(Feature.HISTORY, p) for p in plan.plays],
        Feature.RATINGS: [change(Feature.RATINGS, r) for r in plan.ratings],
        Feature.WATCHLIST: [change(Feature.WATCHLIST, w) for w in plan.watchlist],
    }


async def _write(
    side: SyncSide, entry: CrosswatchConfigEntry, plan: ImportPlan
) -> tuple[dict[str, int], list[str]]:
    """Write the plan in the side's batches; the count written and the titles not known."""
    written: dict[str, int] = {}
    unknown: list[str] = []
    for feature, changes in _changes(plan).items():
        if feature not in plan.preview:
            continue
        written[feature.value] = 0
        for start in range(0, len(changes), side.batch_size):
            batch = changes[start : start + side.batch_size]
            try:
                missing = await side.write(feature, Action.ADD, batch)
            except CrosswatchApiError as err:
                raise HomeAssistantError(
                    translation_domain=DOMAIN,
                    translation_key="write_failed",
                    translation_placeholders={"account": entry.title},
                ) from err
            written[feature.value] += len(batch) - len(missing)
            unknown.extend(f"{c.feature}: {c.item.title or c.key}" for c in missing)
    return written, unknown


async def _import_history(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = require_loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    features = _features(entry, call.data.get(ATTR_FEATURES))
    path = allowed_path(hass, call.data[ATTR_FILE])
    try:
        rows = await hass.async_add_executor_job(_read_file, path)
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
    side = async_create_side(hass, entry)
    target = await _read_target(side, entry, features)
    capabilities = await side.capabilities()
    wanted = await hass.async_add_executor_job(lookups_needed, rows, features)
    guesses = await _tmdb_guesses(hass, wanted)
    plan = await hass.async_add_executor_job(
        partial(plan_import, rows, target, capabilities, guesses=guesses)
    )
    dry_run: bool = call.data[ATTR_DRY_RUN]
    written: dict[str, int] = {}
    unknown: list[str] = []
    if not dry_run and plan.writes:
        written, unknown = await _write(side, entry, plan)
        await entry.runtime_data.coordinator.async_request_refresh()
    response: dict[str, Any] = {
        "account": entry.title,
        "dry_run": dry_run,
        "files": rows.files,
        "rows": rows.rows,
        "features": {feature.value: p.as_dict() for feature, p in plan.preview.items()},
        "written": written,
        "unknown_to_target": unknown,
        "problem_count": len(rows.problems),
        "problems": [str(problem) for problem in rows.problems[:LISTED_PROBLEMS]],
    }
    return response


def inventory_records(
    inventories: dict[Feature, Inventory],
) -> tuple[list[Play], list[Rating], list[WatchlistEntry]]:
    """An account's inventories as the records an export writes."""
    plays: list[Play] = []
    ratings: list[Rating] = []
    watchlist: list[WatchlistEntry] = []
    for feature, inventory in inventories.items():
        for entry in inventory.entries.values():
            if feature is Feature.HISTORY:
                plays.extend(
                    Play(item=entry.item, watched_at=from_timestamp(t)) for t in entry.plays
                )
            elif feature is Feature.RATINGS and entry.rating is not None:
                rated_at = None if entry.rated_at is None else from_timestamp(entry.rated_at)
                ratings.append(Rating(item=entry.item, rating=entry.rating, rated_at=rated_at))
            elif feature is Feature.WATCHLIST:
                listed_at = None if entry.listed_at is None else from_timestamp(entry.listed_at)
                watchlist.append(WatchlistEntry(item=entry.item, listed_at=listed_at))
    return plays, ratings, watchlist


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
    folder = allowed_path(hass, call.data[ATTR_FOLDER])
    side = async_create_side(hass, entry)
    inventories = await _read_target(side, entry, features)
    plays, ratings, watchlist = inventory_records(inventories)
    fmt = call.data[ATTR_FORMAT]
    data = await hass.async_add_executor_job(
        lambda: write_export_zip(plays=plays, ratings=ratings, watchlist=watchlist, fmt=fmt)
    )
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
        "history": len(plays),
        "ratings": len(ratings),
        "watchlist": len(watchlist),
    }


def async_setup_history_services(hass: HomeAssistant) -> None:
    """Register the two actions (from ``async_setup``, with the other actions)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_IMPORT_HISTORY,
        _import_history,
        schema=IMPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_EXPORT_HISTORY,
        _export_history,
        schema=EXPORT_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
