"""A sync pair changed through its reconfigure form: moved to another account, it starts over.

The pair keeps its subentry id, and its state file with it: the state names the account it was
built with, so baselines of the old account never stand for the new one. A change that keeps the
accounts (the interval) keeps the state; a feature taken off and added again starts afresh.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.crosswatch import pairs
from custom_components.crosswatch.pairs import RUNS_SAVE_DELAY, TARGET_KEY
from custom_components.crosswatch.sync.state import PairState
from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, runner, setup_entries, writes

if TYPE_CHECKING:
    import pytest
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator

KEY = f"crosswatch.pair.{PAIR_ID}"


async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, target: MockConfigEntry, **options: Any
) -> None:
    """Both steps of the pair's reconfigure form; the rest of the options as they were."""
    kept = {k: v for k, v in entry.subentries[PAIR_ID].data.items() if k != "target_entry_id"}
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "sync_pair"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": PAIR_ID},
    )
    configure = hass.config_entries.subentries.async_configure
    result = await configure(result["flow_id"], {"target_entry_id": target.entry_id})
    assert result["step_id"] == "options"
    result = await configure(result["flow_id"], {**kept, **options})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()


async def _accounts(
    hass: HomeAssistant, sim: Simulator, features: list[str], **pair: str
) -> tuple[MockConfigEntry, MockConfigEntry, MockConfigEntry]:
    """Plex with a pair to Trakt, and a SIMKL account to move it to: all loaded."""
    trakt = await trakt_entry(hass, sim)
    simkl = simkl_entry()
    plex = with_pair(plex_entry(sim), trakt, features, **pair)
    await setup_entries(hass, trakt, simkl, plex)
    return plex, trakt, simkl


def _plex(sim: Simulator) -> set[str]:
    return {i.title for i in sim.state.plex.watchlists["owner"]}


def _trakt(sim: Simulator) -> set[str]:
    return {i.title for i in sim.state.trakt.users[cred.TRAKT_USER].watchlist}


def _simkl(sim: Simulator) -> set[str]:
    entries = sim.state.simkl.users[cred.SIMKL_USER].entries
    return {i.title for i, e in entries.items() if e.status == "plantowatch"}


async def _drop_on_trakt(hass: HomeAssistant, trakt: MockConfigEntry, sim: Simulator) -> str:
    """Take one of the pair's titles off the Trakt watchlist; return its title."""
    item = min(sim.state.trakt.users[cred.TRAKT_USER].watchlist, key=lambda i: i.title)
    await hass.services.async_call(
        "crosswatch",
        "watchlist_remove",
        {"config_entry_id": trakt.entry_id, "media_type": item.kind, "imdb": str(item.imdb)},
        blocking=True,
    )
    assert item.title not in _trakt(sim)
    return str(item.title)


async def test_a_pair_moved_to_another_account_starts_over(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    plex, _, simkl = await _accounts(hass, sim, ["watchlist"], removals="mirror")
    assert (await run_pair(hass, PAIR_ID))["result"] == "ok"
    on_trakt, on_simkl = _trakt(sim), _simkl(sim)
    missing = _plex(sim) - on_simkl
    assert missing

    await _reconfigure(hass, plex, simkl)
    assert runner(plex, PAIR_ID).target_entry_id == simkl.entry_id
    await sim.clear_requests()
    moved = await run_pair(hass, PAIR_ID)
    # A first run: what SIMKL lacks is added, nothing of its own is removed, Trakt is left be.
    assert moved["features"]["watchlist"]["first_run"] is True
    assert (moved["adds"], moved["removals"]) == (len(missing), 0)
    assert _simkl(sim) == on_simkl | _plex(sim)
    assert _trakt(sim) == on_trakt
    assert await writes(sim, "trakt") == []


async def test_a_two_way_pair_moved_to_another_account_removes_nothing(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    plex, _, simkl = await _accounts(
        hass, sim, ["watchlist"], direction="two_way", removals="mirror"
    )
    assert (await run_pair(hass, PAIR_ID))["removals"] == 0
    on_plex, on_trakt = _plex(sim), _trakt(sim)
    assert on_plex == on_trakt
    # A film only SIMKL lists: the pair moved there brings it over.
    film = next(m for m in sim.state.catalogue.movies if m.imdb and m.title not in on_plex)
    await hass.services.async_call(
        "crosswatch",
        "watchlist_add",
        {"config_entry_id": simkl.entry_id, "media_type": "movie", "imdb": film.imdb},
        blocking=True,
    )
    on_simkl = _simkl(sim)
    assert on_simkl - on_plex == {film.title}
    # Both baselines hold titles SIMKL lacks: kept, they would read as removed on SIMKL.
    assert on_plex - on_simkl

    await _reconfigure(hass, plex, simkl)
    await sim.clear_requests()
    moved = await run_pair(hass, PAIR_ID)
    assert moved["result"] == "ok"
    assert moved["features"]["watchlist"]["first_run"] is True
    assert moved["removals"] == 0
    assert _plex(sim) == _simkl(sim) == on_plex | on_simkl
    assert _trakt(sim) == on_trakt
    assert await writes(sim, "trakt") == []
    removals = [
        r
        for service in ("plex-discover", "simkl")
        for r in await writes(sim, service)
        if "remove" in str(r.get("path", "")).lower()
    ]
    assert removals == []


async def test_a_run_under_way_when_the_pair_moves_does_not_bring_its_state_back(
    hass: HomeAssistant,
    sim_urls: Simulator,
    hass_storage: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_urls
    plex, _, simkl = await _accounts(hass, sim, ["watchlist"])
    # The run's state write stalls (a slow disk) until the pair has been moved.
    encoding, release = threading.Event(), threading.Event()
    encode = pairs.encode_memory

    def slow(memory: Any, packed: Any = None, target: Any = None) -> dict[str, Any]:
        encoding.set()
        release.wait(5)
        return encode(memory, packed, target)

    monkeypatch.setattr(pairs, "encode_memory", slow)
    runner(plex, PAIR_ID).async_schedule_run()
    while not encoding.is_set():  # noqa: ASYNC110 - the executor thread sets it
        await asyncio.sleep(0.001)
    on_simkl = _simkl(sim)
    missing = _plex(sim) - on_simkl
    assert missing

    moving = hass.async_create_task(_reconfigure(hass, plex, simkl))
    await asyncio.sleep(0.05)
    release.set()
    await moving
    # The old run's write landed before the unload ended; the moved pair forgot it.
    stored = hass_storage[KEY]["data"]
    assert stored[TARGET_KEY] == simkl.entry_id
    assert stored["baselines"] == {}
    assert runner(plex, PAIR_ID).state.baselines == {}

    moved = await run_pair(hass, PAIR_ID)
    assert moved["features"]["watchlist"]["first_run"] is True
    assert _simkl(sim) == on_simkl | _plex(sim)


async def test_a_new_interval_keeps_the_state(
    hass: HomeAssistant, sim_urls: Simulator, hass_storage: dict[str, Any]
) -> None:
    sim = sim_urls
    plex, trakt, _ = await _accounts(hass, sim, ["watchlist"])
    await run_pair(hass, PAIR_ID)
    await run_pair(hass, PAIR_ID)  # settles
    dropped = await _drop_on_trakt(hass, trakt, sim)
    await run_pair(hass, PAIR_ID)  # the drop is seen, and not undone
    # A run with nothing new: its record waits hours for the file.
    written = hass_storage[KEY]
    last = (await run_pair(hass, PAIR_ID), runner(plex, PAIR_ID).last_run)[1]
    assert hass_storage[KEY] is written
    before = runner(plex, PAIR_ID)

    await _reconfigure(hass, plex, trakt, interval_minutes=120)
    after = runner(plex, PAIR_ID)
    assert after is not before
    assert after.interval == timedelta(minutes=120)
    assert after.memory == before.memory
    # The unload wrote what waited, so no write of the old runner lands over the new one's.
    flushed = hass_storage[KEY]
    assert PairState.from_stored(flushed["data"]).runs[-1] == last
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=RUNS_SAVE_DELAY + 1))
    await hass.async_block_till_done()
    assert hass_storage[KEY] is flushed

    await sim.clear_requests()
    result = await run_pair(hass, PAIR_ID)
    assert result["features"]["watchlist"]["first_run"] is False
    assert result["adds"] == 0
    assert dropped not in _trakt(sim)
    assert await writes(sim, "trakt") == []


async def test_a_feature_taken_off_and_added_again_starts_afresh(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    plex, trakt, _ = await _accounts(hass, sim, ["ratings", "watchlist"])
    await run_pair(hass, PAIR_ID)
    dropped = await _drop_on_trakt(hass, trakt, sim)

    await _reconfigure(hass, plex, trakt, features=["ratings"])
    assert set(runner(plex, PAIR_ID).state.baselines) == {"ratings"}
    await _reconfigure(hass, plex, trakt, features=["ratings", "watchlist"])
    await sim.clear_requests()
    result = await run_pair(hass, PAIR_ID)
    # The watchlist starts from a first run (the title Trakt lost is added again); the
    # ratings, kept all along, find nothing to do.
    assert result["features"]["watchlist"]["first_run"] is True
    assert result["features"]["ratings"]["first_run"] is False
    assert dropped in _trakt(sim)
    assert [r["route"] for r in await writes(sim, "trakt")] == ["POST /sync/watchlist"]
