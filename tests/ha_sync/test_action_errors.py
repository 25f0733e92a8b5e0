"""A run that failed, or holds removals, is an error of the action and of the button."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er

from custom_components.crosswatch.services import raise_for_runs
from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_sync, runner, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator


async def _pair(hass: HomeAssistant, sim: Simulator, **pair: str) -> MockConfigEntry:
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"], **pair)  # type: ignore[arg-type]
    await setup_entries(hass, trakt, plex)
    return plex


def _button(hass: HomeAssistant) -> str:
    return next(
        e.entity_id
        for e in er.async_get(hass).entities.values()
        if e.domain == "button" and e.unique_id.endswith(f"{PAIR_ID}_sync_now")
    )


async def test_a_failed_run_raises_from_the_action_and_the_button(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    plex = await _pair(hass, sim_urls)
    await sim_urls.fault("trakt", "GET /sync/last_activities", status=503)
    with pytest.raises(HomeAssistantError) as action:
        await run_sync(hass, pair=PAIR_ID)
    assert action.value.translation_key == "run_failed"
    placeholders = action.value.translation_placeholders or {}
    assert placeholders["pair"] == runner(plex, PAIR_ID).title
    assert "trakt" in placeholders["error"]
    assert cred.TRAKT_ACCESS_TOKEN not in placeholders["error"]
    assert "failed" in str(action.value)  # translated, not the bare key
    # The summary is still there: the runner keeps it for the Result sensor.
    summary = runner(plex, PAIR_ID).last_summary
    assert summary is not None
    assert summary["result"] == "failed"

    with pytest.raises(HomeAssistantError) as pressed:
        await hass.services.async_call(
            "button", "press", {"entity_id": _button(hass)}, blocking=True
        )
    assert pressed.value.translation_key == "run_failed"

    await sim_urls.clear_faults()
    response = await run_sync(hass, pair=PAIR_ID)
    assert response["pairs"][PAIR_ID]["result"] == "ok"
    await hass.services.async_call("button", "press", {"entity_id": _button(hass)}, blocking=True)


async def test_held_removals_raise_but_a_dry_run_only_reports_them(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    await _pair(hass, sim_urls, removals="mirror")
    assert (await run_sync(hass, pair=PAIR_ID))["pairs"][PAIR_ID]["result"] == "ok"
    # The user takes half of the Plex watchlist off: more than the guard lets go unasked.
    watchlist = sim_urls.state.plex.watchlists["owner"]
    for title in list(watchlist)[: len(watchlist) // 2]:
        del watchlist[title]
    dry = await run_sync(hass, pair=PAIR_ID, dry_run=True)
    assert dry["pairs"][PAIR_ID]["held"] is True
    with pytest.raises(HomeAssistantError) as held:
        await run_sync(hass, pair=PAIR_ID)
    assert held.value.translation_key == "run_held"
    assert int((held.value.translation_placeholders or {})["count"]) > 0


def test_several_pairs_that_did_not_finish_are_named_together() -> None:
    summaries = [
        {"title": "A", "result": "ok"},
        {"title": "B", "result": "failed", "error": "trakt down"},
        {"title": "C", "result": "held", "features": {"watchlist": {"held": 3}}},
        {"title": "D", "result": "skipped"},
    ]
    with pytest.raises(HomeAssistantError) as several:
        raise_for_runs(summaries)
    assert several.value.translation_key == "runs_not_done"
    assert several.value.translation_placeholders == {"pairs": "B, C"}
    raise_for_runs([summaries[0], summaries[3]])  # ok and skipped runs are no error


async def test_a_failing_pair_is_logged_once_down_and_once_back(
    hass: HomeAssistant, sim_urls: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.crosswatch")
    plex = await _pair(hass, sim_urls)
    await sim_urls.fault("trakt", "GET /sync/last_activities", status=503)
    for _ in range(4):
        with pytest.raises(HomeAssistantError):
            await run_sync(hass, pair=PAIR_ID)
    await sim_urls.clear_faults()
    await run_sync(hass, pair=PAIR_ID)
    await run_sync(hass, pair=PAIR_ID)
    title = runner(plex, PAIR_ID).title
    ours = [r for r in caplog.records if r.name.startswith("custom_components.crosswatch")]
    said = [r.getMessage() for r in ours if r.levelno >= logging.INFO and title in r.getMessage()]
    down = "trakt GET /sync/last_activities: server error 503 after 4 tries"
    assert said == [f"Sync pair {title} is unavailable: {down}", f"Sync pair {title} is back"]
    assert not [r for r in ours if r.levelno >= logging.WARNING]
    assert sum("could not read" in r.getMessage() for r in ours if r.levelno == logging.DEBUG) == 4
