"""Devices: a pair's device sits behind its account's; what a removed pair had goes with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from custom_components.crosswatch import async_remove_config_entry_device
from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.pairs import held_issue_id

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_sync, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator


async def _pair(hass: HomeAssistant, sim: Simulator, **pair: str) -> MockConfigEntry:
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"], **pair)  # type: ignore[arg-type]
    await setup_entries(hass, trakt, plex)
    return plex


async def test_a_pair_device_sits_behind_its_account_device(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    plex = await _pair(hass, sim_urls)
    devices = dr.async_get(hass)
    account = devices.async_get_device_by_identifier((DOMAIN, plex.entry_id), plex.entry_id)
    pair = devices.async_get_device_by_identifier(
        (DOMAIN, f"{plex.entry_id}_{PAIR_ID}"), plex.entry_id
    )
    assert account is not None
    assert pair is not None
    assert pair.via_device_id == account.id
    assert account.via_device_id is None
    assert pair.config_subentry_id == PAIR_ID


async def test_a_removed_pair_takes_its_device_entities_and_issues_along(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    plex = await _pair(hass, sim_urls, removals="mirror")
    assert (await run_sync(hass, pair=PAIR_ID))["pairs"][PAIR_ID]["result"] == "ok"
    # The user takes half of the Plex watchlist off: more than the guard lets go unasked.
    watchlist = sim_urls.state.plex.watchlists["owner"]
    for title in list(watchlist)[: len(watchlist) // 2]:
        del watchlist[title]
    with pytest.raises(HomeAssistantError):
        await run_sync(hass, pair=PAIR_ID)  # held
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, held_issue_id(plex.entry_id, PAIR_ID)) is not None

    assert hass.config_entries.async_remove_subentry(plex, PAIR_ID)
    await hass.async_block_till_done()
    assert issues.async_get_issue(DOMAIN, held_issue_id(plex.entry_id, PAIR_ID)) is None
    assert not [i for (d, i) in issues.issues if d == DOMAIN]
    assert (
        dr.async_get(hass).async_get_device_by_identifier(
            (DOMAIN, f"{plex.entry_id}_{PAIR_ID}"), plex.entry_id
        )
        is None
    )
    left = er.async_entries_for_config_entry(er.async_get(hass), plex.entry_id)
    assert not [e for e in left if PAIR_ID in e.unique_id]


async def test_only_a_stale_device_can_be_deleted_by_hand(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    plex = await _pair(hass, sim_urls)
    devices = dr.async_get(hass)
    account = devices.async_get_device_by_identifier((DOMAIN, plex.entry_id), plex.entry_id)
    pair = devices.async_get_device_by_identifier(
        (DOMAIN, f"{plex.entry_id}_{PAIR_ID}"), plex.entry_id
    )
    assert account is not None
    assert pair is not None
    # A device of a pair removed while the entry was not loaded (older versions left these).
    stale = devices.async_get_or_create(
        config_entry_id=plex.entry_id, identifiers={(DOMAIN, f"{plex.entry_id}_gonepair")}
    )
    assert not await async_remove_config_entry_device(hass, plex, account)
    assert not await async_remove_config_entry_device(hass, plex, pair)
    assert await async_remove_config_entry_device(hass, plex, stale)
