"""Actions: ``crosswatch.run_sync`` and watchlist edits on one account by id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import probatio as vol
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .api.errors import CrosswatchApiError
from .api.ids import canonical_key
from .api.models import Feature, MediaItem, MediaKind
from .const import DOMAIN
from .data import crosswatch_entries, require_loaded_entry
from .pairs import PairNotReadyError, create_side
from .play_next import async_setup_play_next
from .providers.registry import provider_of
from .sync.plan import Action, Change, RunResult, Side
from .troubleshooting import async_setup_troubleshooting_actions

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .pairs import PairRunner

SERVICE_RUN_SYNC: Final = "run_sync"
SERVICE_WATCHLIST_ADD: Final = "watchlist_add"
SERVICE_WATCHLIST_REMOVE: Final = "watchlist_remove"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_PAIR: Final = "pair"
ATTR_FEATURES: Final = "features"
ATTR_DRY_RUN: Final = "dry_run"
ATTR_MEDIA_TYPE: Final = "media_type"
ID_TYPES: Final = ("imdb", "tmdb", "tvdb", "trakt")

RUN_SYNC_SCHEMA: Final = vol.Schema(
    {
        vol.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional(ATTR_PAIR): cv.string,
        vol.Optional(ATTR_FEATURES): vol.All(cv.ensure_list, [vol.Coerce(Feature)]),
        vol.Optional(ATTR_DRY_RUN, default=False): cv.boolean,
    }
)
WATCHLIST_SCHEMA: Final = vol.All(
    vol.Schema(
        {
            vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
            vol.Required(ATTR_MEDIA_TYPE): vol.In([MediaKind.MOVIE.value, MediaKind.SHOW.value]),
            **{
                vol.Optional(id_type): vol.All(cv.string, vol.Strip, vol.Length(min=1))
                for id_type in ID_TYPES
            },
        }
    ),
    cv.has_at_least_one_key(*ID_TYPES),
)


def _runners(hass: HomeAssistant, call: ServiceCall) -> list[PairRunner]:
    """The runners a ``run_sync`` call names; raises for unknown or unloaded ones."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    pair: str | None = call.data.get(ATTR_PAIR)
    entries = (
        [require_loaded_entry(hass, entry_id)] if entry_id is not None else crosswatch_entries(hass)
    )
    if pair is None:
        return [
            runner
            for entry in entries
            if entry.state is ConfigEntryState.LOADED
            for runner in entry.runtime_data.pair_runners.values()
        ]
    for entry in entries:
        if pair in entry.subentries:
            loaded = require_loaded_entry(hass, entry.entry_id)
            runner = loaded.runtime_data.pair_runners.get(pair)
            if runner is not None:
                return [runner]
    raise ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_pair",
        translation_placeholders={"pair": pair},
    )


async def _run_sync(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    runners = _runners(hass, call)
    features: list[Feature] | None = call.data.get(ATTR_FEATURES)
    dry_run: bool = call.data[ATTR_DRY_RUN]
    named = ATTR_PAIR in call.data
    results: dict[str, Any] = {}
    for runner in runners:
        if not runner.enabled:
            if named:
                raise ServiceValidationError(
                    translation_domain=DOMAIN,
                    translation_key="pair_disabled",
                    translation_placeholders={"pair": runner.title},
                )
            results[runner.subentry_id] = {"title": runner.title, "result": "skipped"}
            continue
        try:
            results[runner.subentry_id] = await runner.async_run(features, dry_run=dry_run)
        except PairNotReadyError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=err.reason,
                translation_placeholders={"pair": runner.title},
            ) from err
    raise_for_runs(list(results.values()))
    return {"pairs": results}


def run_error(summary: Mapping[str, Any]) -> HomeAssistantError | None:
    """The error a failed run, or a run holding removals, is reported with (``None``: done).

    A dry run that would hold removals is no error: it changed nothing, and says what it would do.
    """
    title = str(summary.get("title", ""))
    if summary.get("result") == RunResult.FAILED:
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="run_failed",
            translation_placeholders={"pair": title, "error": str(summary.get("error", ""))},
        )
    if summary.get("result") == RunResult.HELD and not summary.get("dry_run"):
        held = sum(int(f.get("held", 0)) for f in summary.get("features", {}).values())
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="run_held",
            translation_placeholders={"pair": title, "count": str(held)},
        )
    return None


def raise_for_runs(summaries: list[Mapping[str, Any]]) -> None:
    """Raise when any run failed or held removals; every pair has run by then.

    Home Assistant returns no response data with an error: each pair's summary stays on its
    *Result* sensor and in its ``crosswatch_sync_finished`` event.
    """
    errors = [(summary, error) for summary in summaries if (error := run_error(summary))]
    if len(errors) == 1:
        raise errors[0][1]
    if errors:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="runs_not_done",
            translation_placeholders={"pairs": ", ".join(str(s["title"]) for s, _ in errors)},
        )


async def _watchlist_edit(call: ServiceCall, action: Action) -> None:
    entry = require_loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    if Feature.WATCHLIST not in provider_of(entry).sync_features:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="no_watchlist",
            translation_placeholders={"account": entry.title},
        )
    item = MediaItem(
        kind=MediaKind(call.data[ATTR_MEDIA_TYPE]),
        ids={id_type: call.data[id_type] for id_type in ID_TYPES if id_type in call.data},
    )
    change = Change(
        feature=Feature.WATCHLIST,
        side=Side.TARGET,
        action=action,
        key=canonical_key(item),
        item=item,
    )
    try:
        unknown = await create_side(entry.runtime_data.account).write(
            Feature.WATCHLIST, action, [change]
        )
    except CrosswatchApiError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="write_failed",
            translation_placeholders={"account": entry.title},
        ) from err
    if unknown:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_title",
            translation_placeholders={"account": entry.title},
        )
    await entry.runtime_data.coordinator.async_request_refresh()


async def _watchlist_add(call: ServiceCall) -> None:
    await _watchlist_edit(call, Action.ADD)


async def _watchlist_remove(call: ServiceCall) -> None:
    await _watchlist_edit(call, Action.REMOVE)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions once for the integration (not per entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_RUN_SYNC,
        _run_sync,
        schema=RUN_SYNC_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN, SERVICE_WATCHLIST_ADD, _watchlist_add, schema=WATCHLIST_SCHEMA
    )
    hass.services.async_register(
        DOMAIN, SERVICE_WATCHLIST_REMOVE, _watchlist_remove, schema=WATCHLIST_SCHEMA
    )
    async_setup_troubleshooting_actions(hass)
    async_setup_play_next(hass)
