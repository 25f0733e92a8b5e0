"""The troubleshooting actions ``crosswatch.reset_pair`` and ``crosswatch.clear_cache``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.exceptions import ServiceValidationError

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.posters import metadata_client
from simulator import credentials as cred
from tests.ha.conftest import tmdb_entry

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_pair, runner, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


async def call(hass: HomeAssistant, service: str, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=True
    )
    assert isinstance(response, dict)
    return response


async def test_a_reset_pair_runs_as_a_first_run_and_removes_nothing(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"], removals="mirror")
    await setup_entries(hass, trakt, plex)
    await run_pair(hass, PAIR_ID)
    pair = runner(plex, PAIR_ID)
    source = sim.state.plex.watchlists["owner"]
    held = len(source)
    assert pair.state.baselines

    # The user takes a title off Plex, then resets the pair before it runs.
    gone = next(iter(source))
    del source[gone]
    response = await call(hass, "reset_pair", pair=PAIR_ID)
    assert response["pair"] == PAIR_ID
    assert response["forgot"]["watchlist"]["source"] == held
    assert pair.state.baselines == {}
    runs = len(pair.state.runs)

    result = await run_pair(hass, PAIR_ID)
    assert result["features"]["watchlist"]["first_run"] is True
    assert result["removals"] == 0  # mirror, but a first run never removes
    assert gone in sim.state.trakt.users[cred.TRAKT_USER].watchlist
    assert len(pair.state.runs) == runs + 1  # the history stayed


async def test_reset_pair_names_an_unknown_pair(hass: HomeAssistant, sim_urls: Simulator) -> None:
    trakt = await trakt_entry(hass, sim_urls)
    await setup_entries(hass, trakt)
    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "reset_pair", pair="nope")
    assert info.value.translation_key == "unknown_pair"


async def test_clear_cache_forgets_tmdb_answers(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    tmdb = tmdb_entry()
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, tmdb, trakt)
    client = metadata_client(hass)
    assert client is not None
    await client.search_movie("Inception")
    cache = tmdb.runtime_data.account.cache
    assert cache.entries
    await sim.clear_requests()
    await client.search_movie("Inception")
    assert await sim.requests("tmdb") == []  # answered from the cache

    cached = len(cache.entries)
    assert await call(hass, "clear_cache") == {"accounts": 1, "cleared": cached}
    assert cache.entries == {}
    await client.search_movie("Inception")
    assert len(await sim.requests("tmdb", "GET /search/movie")) == 1  # asked again

    with pytest.raises(ServiceValidationError) as info:
        await call(hass, "clear_cache", config_entry_id=trakt.entry_id)
    assert info.value.translation_key == "no_tmdb_cache"
    # An account that exists but is not loaded is named as such (not as an unknown entry).
    assert await hass.config_entries.async_unload(tmdb.entry_id)
    with pytest.raises(ServiceValidationError) as unloaded:
        await call(hass, "clear_cache", config_entry_id=tmdb.entry_id)
    assert unloaded.value.translation_key == "entry_not_loaded"
    with pytest.raises(ServiceValidationError) as unknown:
        await call(hass, "clear_cache", config_entry_id="nope")
    assert unknown.value.translation_key == "unknown_entry"
