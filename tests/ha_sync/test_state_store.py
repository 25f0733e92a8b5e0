"""A pair's stored state: compact, migrated from version 1, written only when it changed.

``tests/fixtures/pair_state_v1.json`` is the Store file the code before the compact format
(main at 8cf2d14) wrote for this module's pair (Plex → Trakt, one way, removals mirrored,
watchlist and history, tiny seed) after its first run and the run that settles it.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.crosswatch import pairs
from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.pairs import RUNS_SAVE_DELAY, STORAGE_VERSION
from custom_components.crosswatch.sync import engine as sync_engine
from custom_components.crosswatch.sync.engine import PairMemory
from custom_components.crosswatch.sync.state import PairState

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_sync, runner, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator

KEY = f"crosswatch.pair.{PAIR_ID}"
V1_FILE = Path(__file__).parent.parent / "fixtures" / "pair_state_v1.json"


async def _pair(hass: HomeAssistant, sim: Simulator) -> tuple[MockConfigEntry, MockConfigEntry]:
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist", "history"], removals="mirror")
    await setup_entries(hass, trakt, plex)
    return plex, trakt


def _summary(response: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = response["pairs"][PAIR_ID]
    return found


async def test_first_run_after_the_upgrade_carries_the_v1_baselines_over(
    hass: HomeAssistant, sim_urls: Simulator, hass_storage: dict[str, Any]
) -> None:
    plex, trakt = await _pair(hass, sim_urls)
    # The world the v1 file describes: the same first run and settling run against the seed.
    await run_sync(hass, config_entry_id=plex.entry_id)
    await run_sync(hass, config_entry_id=plex.entry_id)
    assert await hass.config_entries.async_unload(plex.entry_id)
    v1 = json.loads(V1_FILE.read_text())
    assert v1["version"] == 1
    hass_storage[KEY] = v1

    assert await hass.config_entries.async_setup(plex.entry_id)
    await hass.async_block_till_done()
    assert plex.state is ConfigEntryState.LOADED
    memory = runner(plex, PAIR_ID).memory
    assert memory.state.baselines == PairState.from_dict(v1["data"]).baselines
    assert memory.exact == frozenset(v1["data"]["exact"])
    assert hass_storage[KEY]["version"] == STORAGE_VERSION  # migrated on load, written at once

    # The target drops a title both baselines hold: a first run would post it again.
    dropped = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt1000001"})
    await trakt.runtime_data.account.client.watchlist_remove([dropped])
    await sim_urls.clear_requests()
    summary = _summary(await run_sync(hass, config_entry_id=plex.entry_id))
    assert summary["result"] == "ok"
    assert (summary["adds"], summary["removals"]) == (0, 0)
    features = summary["features"]
    assert [features[f]["first_run"] for f in ("watchlist", "history")] == [False, False]
    assert features["watchlist"]["target_dropped"] == 1
    assert await writes(sim_urls, "trakt") == []
    assert await writes(sim_urls, "pms") == []


async def test_the_stored_state_is_compact_and_reads_back(
    hass: HomeAssistant, sim_urls: Simulator, hass_storage: dict[str, Any]
) -> None:
    plex, _ = await _pair(hass, sim_urls)
    await run_sync(hass, config_entry_id=plex.entry_id)
    stored = hass_storage[KEY]
    assert stored["version"] == STORAGE_VERSION
    history = stored["data"]["baselines"]["history"]["target"]
    assert set(history) == {"feature", "chunks"}
    assert all(isinstance(chunk, str) for chunk in history["chunks"])
    v1_size = len(json.dumps(json.loads(V1_FILE.read_text())["data"]))
    assert len(json.dumps(stored["data"])) < v1_size / 2
    memory = runner(plex, PAIR_ID).memory

    assert await hass.config_entries.async_reload(plex.entry_id)
    await hass.async_block_till_done()
    assert runner(plex, PAIR_ID).memory == memory


async def test_a_run_where_nothing_moved_plans_and_writes_nothing(
    hass: HomeAssistant,
    sim_urls: Simulator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plex, _ = await _pair(hass, sim_urls)
    planned_in: list[bool] = []
    plan_sync = sync_engine.plan_sync

    def recording(*args: Any, **kwargs: Any) -> Any:
        planned_in.append(threading.current_thread() is threading.main_thread())
        return plan_sync(*args, **kwargs)

    monkeypatch.setattr(sync_engine, "plan_sync", recording)
    await run_sync(hass, config_entry_id=plex.entry_id)
    await run_sync(hass, config_entry_id=plex.entry_id)  # settles: reads the watchlist again
    assert planned_in == [False, False]  # planned in the executor, never on the event loop
    stored = hass_storage[KEY]
    before = runner(plex, PAIR_ID).last_run

    summary = _summary(await run_sync(hass, config_entry_id=plex.entry_id))
    assert planned_in == [False, False]  # nothing planned
    assert hass_storage[KEY] is stored  # nothing written
    assert (summary["result"], summary["adds"], summary["removals"]) == ("ok", 0, 0)
    after = runner(plex, PAIR_ID).last_run
    assert after is not None
    assert after is not before

    # The run record reaches the file later (or when Home Assistant stops).
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=RUNS_SAVE_DELAY + 1))
    await hass.async_block_till_done()
    assert hass_storage[KEY] is not stored
    runs = PairState.from_stored(hass_storage[KEY]["data"]).runs
    assert runs[-1] == after


async def test_a_deleted_pair_deletes_its_state(
    hass: HomeAssistant, sim_urls: Simulator, hass_storage: dict[str, Any]
) -> None:
    plex, _ = await _pair(hass, sim_urls)
    await run_sync(hass, config_entry_id=plex.entry_id)
    assert KEY in hass_storage

    assert hass.config_entries.async_remove_subentry(plex, PAIR_ID)
    await hass.async_block_till_done()
    assert plex.state is ConfigEntryState.LOADED
    assert PAIR_ID not in plex.runtime_data.pair_runners
    assert KEY not in hass_storage


async def test_a_removed_account_deletes_its_pairs_states(
    hass: HomeAssistant, sim_urls: Simulator, hass_storage: dict[str, Any]
) -> None:
    plex, _ = await _pair(hass, sim_urls)
    await run_sync(hass, config_entry_id=plex.entry_id)
    assert KEY in hass_storage

    await hass.config_entries.async_remove(plex.entry_id)
    await hass.async_block_till_done()
    assert KEY not in hass_storage


async def test_an_older_state_never_lands_after_a_newer_one(
    hass: HomeAssistant,
    sim_urls: Simulator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plex, _ = await _pair(hass, sim_urls)
    pair = runner(plex, PAIR_ID)
    first_encoding = threading.Event()
    release = threading.Event()
    encode = pairs.encode_memory

    def slow_first(memory: PairMemory, packed: Any = None, target: Any = None) -> dict[str, Any]:
        if not first_encoding.is_set():
            first_encoding.set()
            release.wait(5)
        return encode(memory, packed, target)

    monkeypatch.setattr(pairs, "encode_memory", slow_first)
    older = replace(pair.memory, state=replace(pair.state, watermarks={"source:history": "1"}))
    newer = replace(pair.memory, state=replace(pair.state, watermarks={"source:history": "2"}))
    pair.memory = older
    first = hass.async_create_task(pair._save())
    while not first_encoding.is_set():  # noqa: ASYNC110 - the executor thread sets it
        await asyncio.sleep(0.001)
    pair.memory = newer
    second = hass.async_create_task(pair._save())
    await asyncio.sleep(0.01)
    release.set()
    await asyncio.gather(first, second)
    stored = PairState.from_stored(hass_storage[KEY]["data"])
    assert stored.watermarks == {"source:history": "2"}
