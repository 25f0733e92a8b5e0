"""The TMDb account while loaded: its device and its diagnostic cache sensor."""

from __future__ import annotations

from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.posters import async_poster_urls
from custom_components.crosswatch.providers.base import CLOCK_KEY
from simulator.testing import Simulator

from .conftest import tmdb_entry


async def test_tmdb_account_has_a_device_with_a_cache_sensor(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = tmdb_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.entry_id), entry.entry_id
    )
    assert device is not None
    assert device.manufacturer == "TMDb"
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_tmdb_cache"
    )
    assert entity_id is not None
    registered = er.async_get(hass).async_get(entity_id)
    assert registered is not None
    assert registered.device_id == device.id
    assert registered.entity_category is EntityCategory.DIAGNOSTIC
    assert registered.disabled_by is er.RegistryEntryDisabler.INTEGRATION
    assert hass.states.get(entity_id) is None
    # The user enables it.
    er.async_get(hass).async_update_entity(entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "1"  # the key check's /configuration answer
    assert "unit_of_measurement" not in state.attributes  # a count: never "1 answers"

    # A poster lookup caches the title's details; the next poll shows it.
    movie = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "27205"})
    posters = await async_poster_urls(hass, [movie])
    assert posters
    await entry.runtime_data.coordinator.async_refresh()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "2"

    # Cached answers expire: a week later only the fresh key check is left.
    clock = hass.data[CLOCK_KEY]
    clock.clock.advance(8 * 86400)
    await entry.runtime_data.coordinator.async_refresh()
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "1"
