"""Sync pair and scrobble route subentries; repairs when the other account goes away."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.config_flow import CrosswatchConfigFlow
from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred

from .conftest import simkl_entry, tmdb_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock

PAIR = {
    "features": ["watchlist", "ratings"],
    "direction": "two_way",
    "removals": "off",
    "interval_minutes": 30,
}


def plex_entry(sim: Simulator) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{cred.PMS_NAME} ({cred.PLEX_OWNER_NAME})",
        unique_id=f"{cred.PLEX_OWNER_ID}_{cred.PMS_MACHINE_ID}",
        data={
            "service": "plex",
            "account_id": str(cred.PLEX_OWNER_ID),
            "account_name": cred.PLEX_OWNER_NAME,
            "plex_token": cred.PLEX_OWNER_TOKEN,
            "plex_client_identifier": "test-client",
            "server_id": cred.PMS_MACHINE_ID,
            "server_name": cred.PMS_NAME,
            "server_url": sim.url("pms"),
            "server_token": cred.PLEX_SERVER_TOKEN,
            "server_owned": True,
        },
    )


async def _subflow(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> dict[str, Any]:
    return await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": SOURCE_USER}
    )


async def test_subentry_types_per_service(hass: HomeAssistant, sim_urls: Simulator) -> None:
    plex, simkl, tmdb = plex_entry(sim_urls), simkl_entry(), tmdb_entry()
    assert set(CrosswatchConfigFlow.async_get_supported_subentry_types(plex)) == {
        "sync_pair",
        "scrobble_route",
        "import_history",
    }
    assert set(CrosswatchConfigFlow.async_get_supported_subentry_types(simkl)) == {
        "sync_pair",
        "import_history",
    }
    assert CrosswatchConfigFlow.async_get_supported_subentry_types(tmdb) == {}


async def _add_pair(hass: HomeAssistant, entry: MockConfigEntry, target_id: str) -> None:
    """Both steps of the sync pair form: the other account, then what and how."""
    result = await _subflow(hass, entry, "sync_pair")
    configure = hass.config_entries.subentries.async_configure
    result = await configure(result["flow_id"], {"target_entry_id": target_id})
    assert result["step_id"] == "options"
    result = await configure(result["flow_id"], PAIR)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


async def test_sync_pair_create_validate_and_reconfigure(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    result = await _subflow(hass, simkl, "sync_pair")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_targets"

    tmdb_entry().add_to_hass(hass)  # metadata only: never a target
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await hass.async_block_till_done()

    result = await _subflow(hass, simkl, "sync_pair")
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"source": simkl.title}
    targets = result["data_schema"].schema["target_entry_id"].config["options"]
    assert [t["value"] for t in targets] == [plex.entry_id]
    flow_id = result["flow_id"]
    configure = hass.config_entries.subentries.async_configure
    result = await configure(flow_id, {"target_entry_id": plex.entry_id})
    # The second step names both accounts and offers what both support.
    assert result["step_id"] == "options"
    assert result["description_placeholders"] == {"source": simkl.title, "target": plex.title}
    offered = result["data_schema"].schema["features"].config["options"]
    assert offered == ["watchlist", "history", "ratings"]
    result = await configure(flow_id, {**PAIR, "features": []})
    assert result["errors"] == {"features": "no_features"}
    before = simkl.runtime_data
    await _add_pair(hass, simkl, plex.entry_id)
    subentry = next(iter(simkl.subentries.values()))
    assert subentry.title == f"{simkl.title} → {plex.title}"
    assert dict(subentry.data) == {**PAIR, "features": ["ratings", "watchlist"],
                                   "target_entry_id": plex.entry_id}  # fmt: skip
    # The new pair started in place: the account was not reloaded.
    assert simkl.state is ConfigEntryState.LOADED
    assert simkl.runtime_data is before
    assert subentry.subentry_id in simkl.runtime_data.pair_runners

    result = await _subflow(hass, simkl, "sync_pair")
    result = await configure(result["flow_id"], {"target_entry_id": plex.entry_id})
    assert result["errors"] == {"target_entry_id": "pair_exists"}

    result = await hass.config_entries.subentries.async_init(
        (simkl.entry_id, "sync_pair"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    result = await configure(result["flow_id"], {"target_entry_id": plex.entry_id})
    assert result["step_id"] == "options"
    result = await configure(
        result["flow_id"], {**PAIR, "removals": "mirror", "direction": "one_way"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert simkl.subentries[subentry.subentry_id].data["removals"] == "mirror"
    # A changed pair reloads its account: the runner takes the new settings.
    assert simkl.state is ConfigEntryState.LOADED
    assert simkl.runtime_data is not before


async def test_sync_pair_target_removed_while_the_form_is_open(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    plex_entry(sim_urls).add_to_hass(hass)  # a target that stays
    configure = hass.config_entries.subentries.async_configure
    # The other account is removed while the form is open.
    second = MockConfigEntry(domain=DOMAIN, title="SIMKL 2", unique_id="2", data={
        **simkl.data, "access_token": cred.SIMKL_TOKEN_2})  # fmt: skip
    second.add_to_hass(hass)
    result = await _subflow(hass, simkl, "sync_pair")
    flow_id = result["flow_id"]
    await hass.config_entries.async_remove(second.entry_id)
    result = await configure(flow_id, {"target_entry_id": second.entry_id})
    assert result["errors"] == {"target_entry_id": "target_missing"}
    # ... or between the two steps.
    third = MockConfigEntry(domain=DOMAIN, title="SIMKL 3", unique_id="3", data={
        **simkl.data, "access_token": cred.SIMKL_TOKEN_2})  # fmt: skip
    third.add_to_hass(hass)
    result = await _subflow(hass, simkl, "sync_pair")
    flow_id = result["flow_id"]
    result = await configure(flow_id, {"target_entry_id": third.entry_id})
    await hass.config_entries.async_remove(third.entry_id)
    result = await configure(flow_id, PAIR)
    assert result["reason"] == "target_removed"


async def test_scrobble_route_create_and_reconfigure(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    result = await _subflow(hass, plex, "scrobble_route")
    assert result["reason"] == "no_scrobble_targets"
    simkl = simkl_entry()
    simkl.add_to_hass(hass)

    result = await _subflow(hass, plex, "scrobble_route")
    users = result["data_schema"].schema["plex_users"].config["options"]
    names = {u["label"] for u in users}
    assert {cred.PLEX_OWNER_NAME, cred.PLEX_SHARED_NAME} <= names
    configure = hass.config_entries.subentries.async_configure
    flow_id = result["flow_id"]
    result = await configure(
        flow_id, {"all_users": False, "plex_users": [], "target_entry_ids": [simkl.entry_id]}
    )
    assert result["errors"] == {"plex_users": "no_users"}
    result = await configure(flow_id, {"all_users": True, "target_entry_ids": []})
    assert result["errors"] == {"target_entry_ids": "no_targets"}
    shared = next(u["value"] for u in users if u["label"] == cred.PLEX_SHARED_NAME)
    result = await configure(
        flow_id, {"all_users": False, "plex_users": [shared], "target_entry_ids": [simkl.entry_id]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"{cred.PLEX_SHARED_NAME} → {simkl.title}"
    subentry = next(iter(plex.subentries.values()))
    assert dict(subentry.data) == {
        "all_users": False, "plex_users": [shared], "target_entry_ids": [simkl.entry_id]
    }  # fmt: skip

    result = await hass.config_entries.subentries.async_init(
        (plex.entry_id, "scrobble_route"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    result = await configure(
        result["flow_id"], {"all_users": True, "target_entry_ids": [simkl.entry_id]}
    )
    assert result["reason"] == "reconfigure_successful"
    assert plex.subentries[subentry.subentry_id].data["all_users"] is True
    # Titled with the form's own words, as the integration page shows it.
    assert plex.subentries[subentry.subentry_id].title == f"All Plex users → {simkl.title}"


async def test_scrobble_route_when_the_server_fails(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    simkl_entry().add_to_hass(hass)
    await sim_urls.fault("pms", "GET /accounts", status=401, count=1)
    result = await _subflow(hass, plex, "scrobble_route")
    assert result["reason"] == "reauth_required"
    await sim_urls.fault("pms", "GET /accounts", status=500)
    result = await _subflow(hass, plex, "scrobble_route")
    assert result["reason"] == "cannot_connect"


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
    await _add_pair(hass, simkl, plex.entry_id)
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
    result = await _subflow(hass, plex, "scrobble_route")
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
    await _add_pair(hass, simkl, plex.entry_id)
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
    await _add_pair(hass, simkl, partner.entry_id)
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
