"""Trakt's walls around API apps as repairs, driven by the simulator's faults.

An app whose owner is not VIP answers 426 (Trakt's docs, "VIP Methods"; shortlist #73); a deleted
app is unknown: 403 on the API (trakt-api #691, #897) and ``invalid_client`` when the sign-in is
renewed (trakt-api #902). See tests/fixtures/real/SOURCES.md.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.repairs import (
    ISSUE_APP_REMOVED,
    ISSUE_VIP_REQUIRED,
    app_issue_id,
    async_create_fix_flow,
)

from .conftest import trakt_entry
from .helpers import setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


def issue(hass: HomeAssistant, key: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, app_issue_id(key, entry.entry_id))


async def poll(entry: MockConfigEntry) -> None:
    coordinator = entry.runtime_data.coordinator
    coordinator.data = None  # a fresh read, not the cached marker
    await coordinator.async_refresh()


async def test_a_vip_only_app_raises_a_repair_that_goes_once_trakt_answers(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, trakt)
    await sim.set_trakt_app(owner_vip=False)
    await poll(trakt)
    found = issue(hass, ISSUE_VIP_REQUIRED, trakt)
    assert found is not None
    assert found.learn_more_url == "https://trakt.tv/vip"
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["account"] == trakt.title
    # Not a sign-in problem: no re-authentication is started.
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert trakt.state is ConfigEntryState.LOADED

    await sim.set_trakt_app(owner_vip=True)
    await poll(trakt)
    assert issue(hass, ISSUE_VIP_REQUIRED, trakt) is None


async def test_a_deleted_app_raises_a_repair_whose_fix_signs_in_again(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, trakt)
    await sim.set_trakt_app(removed=True)
    await poll(trakt)
    found = issue(hass, ISSUE_APP_REMOVED, trakt)
    assert found is not None
    assert found.is_fixable
    flow = await async_create_fix_flow(hass, found.issue_id, found.data)
    flow.hass = hass
    form = await flow.async_step_init({"issue_id": found.issue_id})  # as Repairs starts it
    assert form["type"] is FlowResultType.FORM
    assert form["step_id"] == "confirm"
    done = await flow.async_step_confirm({})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert reauth["context"]["source"] == SOURCE_REAUTH
    # The account goes: its repair's fix finds nothing to sign in.
    await hass.config_entries.async_remove(trakt.entry_id)
    gone = await flow.async_step_confirm({})
    assert gone["type"] is FlowResultType.ABORT
    assert gone["reason"] == "account_gone"


async def test_renewing_the_sign_in_of_a_deleted_app_raises_the_same_repair(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    signed_in = await trakt_entry(hass, sim)
    token = {**signed_in.data["token"], "expires_at": time.time() - 60}  # due for renewal
    trakt = MockConfigEntry(
        domain=DOMAIN,
        title=signed_in.title,
        unique_id=signed_in.unique_id,
        data={**signed_in.data, "token": token},
    )
    await sim.set_trakt_app(removed=True)
    trakt.add_to_hass(hass)
    await hass.config_entries.async_setup(trakt.entry_id)
    await hass.async_block_till_done()
    assert trakt.state is ConfigEntryState.SETUP_RETRY  # not a sign-in problem: no reauth
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert issue(hass, ISSUE_APP_REMOVED, trakt) is not None
    assert len(await sim.requests("trakt", "POST /oauth/token")) == 1  # the renewal
