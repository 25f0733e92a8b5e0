"""What a pair or route does once it exists: repairs when the other account goes away, reloads
when a pair changes. (Their forms are tested in test_subentry_flows.py.)"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred

from .conftest import plex_entry, simkl_entry
from .helpers import add_pair, start_subflow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_repair_issues_follow_the_other_account(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, hass_client: Any
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    # Plex's token is refused, so its entry fails setup and waits for reauth.
    await sim_urls.fault("plex-discover", "*", status=401)
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await hass.async_block_till_done()
    assert plex.state is ConfigEntryState.SETUP_ERROR
    registry = ir.async_get(hass)
    assert not [i for (d, i) in registry.issues if d == DOMAIN]
    await add_pair(hass, simkl, plex.entry_id)
    # A signed-out target is Home Assistant's own reauth prompt, not a second issue of ours.
    assert not [i for (d, i) in registry.issues if d == DOMAIN]
    assert [f["context"]["source"] for f in hass.config_entries.flow.async_progress()] == ["reauth"]

    await hass.config_entries.async_remove(plex.entry_id)
    await hass.async_block_till_done()
    issues = [i for (d, i) in registry.issues if d == DOMAIN]
    assert len(issues) == 1
    assert issues[0].startswith("target_removed")
    assert registry.issues[(DOMAIN, issues[0])].is_fixable

    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issues[0]}
    )
    assert resp.status == 200
    flow = await resp.json()
    assert flow["step_id"] == "confirm"
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert resp.status == 200
    await hass.async_block_till_done()
    assert simkl.subentries == {}
    assert not [i for (d, i) in registry.issues if d == DOMAIN]


async def test_removed_scrobble_target_raises_an_issue(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    result = await start_subflow(hass, plex, "scrobble_route")
    await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"all_users": True, "target_entry_ids": [simkl.entry_id]}
    )
    await sim_urls.fault("plex-discover", "*", status=401)  # Plex itself stays unloaded
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await hass.async_block_till_done()
    registry = ir.async_get(hass)
    assert not [i for (d, i) in registry.issues if d == DOMAIN]
    await hass.config_entries.async_remove(simkl.entry_id)
    await hass.async_block_till_done()
    issues = [i for (d, i) in registry.issues if d == DOMAIN]
    assert len(issues) == 1
    assert issues[0].startswith("target_removed")


async def test_removing_a_pair_reloads_its_account(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    await sim_urls.fault("plex-discover", "*", status=401)  # keep Plex itself out of the way
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await hass.async_block_till_done()
    await add_pair(hass, simkl, plex.entry_id)
    with_pair = simkl.runtime_data
    subentry_id = next(iter(simkl.subentries))
    assert hass.config_entries.async_remove_subentry(simkl, subentry_id)
    await hass.async_block_till_done()
    assert simkl.state is ConfigEntryState.LOADED
    assert simkl.runtime_data is not with_pair
    # A token refresh or other data change does not reload.
    reloaded = simkl.runtime_data
    hass.config_entries.async_update_entry(simkl, title="SIMKL (renamed)")
    await hass.async_block_till_done()
    assert simkl.runtime_data is reloaded


async def test_target_losing_auth_while_loaded_asks_for_reauth_only(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    partner = MockConfigEntry(domain=DOMAIN, title="SIMKL 2", unique_id="2", data={
        **simkl.data, "account_id": "2", "access_token": cred.SIMKL_TOKEN_2})  # fmt: skip
    partner.add_to_hass(hass)
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await hass.async_block_till_done()
    await add_pair(hass, simkl, partner.entry_id)
    registry = ir.async_get(hass)
    assert not [i for (d, i) in registry.issues if d == DOMAIN]
    await sim_urls.fault("simkl", "GET /sync/activities", kind="revoke", count=1)
    await partner.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    # Home Assistant asks to re-authenticate the target; no duplicate issue of ours.
    assert not [i for (d, i) in registry.issues if d == DOMAIN]
    flows = hass.config_entries.flow.async_progress()
    assert [(f["context"]["source"], f["context"]["entry_id"]) for f in flows] == [
        ("reauth", partner.entry_id)
    ]
