"""The Up next sensor of Trakt and SIMKL accounts, against the simulator."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from homeassistant.helpers import entity_registry as er

from custom_components.crosswatch.api.models import MediaItem, MediaKind, Play
from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred
from simulator.catalogue import Episode

from .conftest import simkl_entry, tmdb_entry, trakt_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator


async def _load(hass: HomeAssistant, *entries: MockConfigEntry) -> None:
    for entry in entries:
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def _sensor(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_up_next"
    )
    assert entity_id is not None
    return entity_id


async def test_trakt_up_next_follows_a_new_play_with_posters(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    trakt = await trakt_entry(hass, sim_urls)
    await _load(hass, tmdb_entry(), trakt)
    entity_id = _sensor(hass, trakt)
    state = hass.states.get(entity_id)
    assert state is not None
    entries = state.attributes["entries"]
    assert entries
    assert state.state == entries[0]["label"]
    # Breaking Bad watched afresh from S01E01: after the next poll it leads, S01E02 up next
    episode = sim_urls.item("Breaking Bad", 1, 1)
    assert isinstance(episode, Episode)
    user = sim_urls.state.trakt.users[cred.TRAKT_USER]
    user.history = [p for p in user.history if getattr(p.item, "show", None) is not episode.show]
    await sim_urls.clock.sleep(1)
    played = MediaItem(kind=MediaKind.EPISODE, ids={"trakt": str(episode.trakt)})
    when = datetime.fromtimestamp(sim_urls.clock.time(), UTC)
    await trakt.runtime_data.account.client.history_add([Play(item=played, watched_at=when)])
    await sim_urls.clear_requests()
    await trakt.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "Breaking Bad S01E02"
    first = state.attributes["entries"][0]
    assert (first["show"], first["season"], first["episode"]) == ("Breaking Bad", 1, 2)
    assert first["ids"]["tvdb"] == "81189"
    assert first["poster"].startswith("http")  # from TMDb, by the show's tmdb id
    routes = [r["route"] for r in await sim_urls.requests("trakt")]
    # the poll's activity answer is reused; then the watched list and that one show's progress
    assert routes == [
        "GET /sync/last_activities",
        "GET /sync/watched/{type}",
        "GET /shows/{id}/progress/watched",
    ]


async def test_simkl_up_next_uses_simkl_posters(hass: HomeAssistant, sim_urls: Simulator) -> None:
    simkl = simkl_entry()
    await _load(hass, simkl)
    state = hass.states.get(_sensor(hass, simkl))
    assert state is not None
    entries = state.attributes["entries"]
    assert entries  # the seeded account watches shows it has not finished
    assert state.state == entries[0]["label"]
    assert all("simkl.in/posters/" in e["poster"] for e in entries)  # SIMKL names its posters
    await sim_urls.clear_requests()
    await simkl.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    routes = [r["route"] for r in await sim_urls.requests("simkl")]
    assert routes == ["GET /sync/activities"]  # nothing moved: the poll's one request
