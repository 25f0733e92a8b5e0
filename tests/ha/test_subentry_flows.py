"""Subentry flows: a sync pair (the other account, then what and how), a scrobble route."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred

from .conftest import plex_entry, simkl_entry, tmdb_entry
from .helpers import PAIR, add_pair, start_subflow

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_sync_pair_create_validate_and_reconfigure(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    result = await start_subflow(hass, simkl, "sync_pair")
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_targets"

    tmdb_entry().add_to_hass(hass)  # metadata only: never a target
    plex = plex_entry(sim_urls)
    plex.add_to_hass(hass)
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await hass.async_block_till_done()

    result = await start_subflow(hass, simkl, "sync_pair")
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
    assert offered == ["watchlist", "history", "ratings", "progress"]
    result = await configure(flow_id, {**PAIR, "features": []})
    assert result["errors"] == {"features": "no_features"}
    before = simkl.runtime_data
    await add_pair(hass, simkl, plex.entry_id)
    subentry = next(iter(simkl.subentries.values()))
    assert subentry.title == f"{simkl.title} → {plex.title}"
    assert dict(subentry.data) == {**PAIR, "features": ["ratings", "watchlist"],
                                   "target_entry_id": plex.entry_id}  # fmt: skip
    # The new pair started in place: the account was not reloaded.
    assert simkl.state is ConfigEntryState.LOADED
    assert simkl.runtime_data is before
    assert subentry.subentry_id in simkl.runtime_data.pair_runners

    result = await start_subflow(hass, simkl, "sync_pair")
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
    result = await start_subflow(hass, simkl, "sync_pair")
    flow_id = result["flow_id"]
    await hass.config_entries.async_remove(second.entry_id)
    result = await configure(flow_id, {"target_entry_id": second.entry_id})
    assert result["errors"] == {"target_entry_id": "target_missing"}
    # ... or between the two steps.
    third = MockConfigEntry(domain=DOMAIN, title="SIMKL 3", unique_id="3", data={
        **simkl.data, "access_token": cred.SIMKL_TOKEN_2})  # fmt: skip
    third.add_to_hass(hass)
    result = await start_subflow(hass, simkl, "sync_pair")
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
    result = await start_subflow(hass, plex, "scrobble_route")
    assert result["reason"] == "no_scrobble_targets"
    simkl = simkl_entry()
    simkl.add_to_hass(hass)

    result = await start_subflow(hass, plex, "scrobble_route")
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
    result = await start_subflow(hass, plex, "scrobble_route")
    assert result["reason"] == "reauth_required"
    await sim_urls.fault("pms", "GET /accounts", status=500)
    result = await start_subflow(hass, plex, "scrobble_route")
    assert result["reason"] == "cannot_connect"
