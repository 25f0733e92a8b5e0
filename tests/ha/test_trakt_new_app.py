"""Trakt refuses an account's API app (deleted, or its owner has no VIP): the repair signs the
account in again with another app, never with the refused one (Home Assistant keeps it stored
while the entry uses it). The simulator keeps two apps, each with its own standing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.repairs import (
    APPS_URL,
    ISSUE_APP_REMOVED,
    ISSUE_VIP_REQUIRED,
    app_issue_id,
)
from simulator import credentials as cred

from .conftest import trakt_app_entry, trakt_uuid
from .helpers import trakt_device_login

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator

    from .conftest import SteppedClock

pytestmark = pytest.mark.usefixtures("credentials", "current_request_with_host")


async def _refused_entry(hass: HomeAssistant, sim: Simulator, **standing: bool) -> MockConfigEntry:
    """A loaded Trakt entry on the "trakt_app" app, which Trakt then refuses (``standing``)."""
    assert await async_setup_component(hass, "repairs", {})
    entry = await trakt_app_entry(hass, sim, expired=False)
    hass.config_entries.async_update_entry(entry, unique_id=trakt_uuid())
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await sim.set_trakt_app(**standing)
    await _poll(entry)
    return entry


async def _poll(entry: MockConfigEntry) -> None:
    coordinator = entry.runtime_data.coordinator
    coordinator.data = None  # a fresh read, not the cached marker
    await coordinator.async_refresh()


def _issue(hass: HomeAssistant, key: str, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, app_issue_id(key, entry.entry_id))


async def _add_credential(
    hass: HomeAssistant, auth_domain: str, client_id: str, secret: str
) -> None:
    """What the user adds under Settings → Application credentials."""
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(client_id, secret, name=auth_domain), auth_domain
    )


async def _fix(hass: HomeAssistant, hass_client: Any, issue_id: str) -> dict[str, Any]:
    """Run the repair's fix flow as the frontend does; return the reauth it started."""
    client = await hass_client()
    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert resp.status == 200
    form = await resp.json()
    assert form["step_id"] == "confirm"
    assert form["description_placeholders"]["apps_url"] == APPS_URL
    resp = await client.post(f"/api/repairs/issues/fix/{form['flow_id']}", json={})
    assert resp.status == 200
    assert (await resp.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert reauth["context"]["source"] == SOURCE_REAUTH
    return reauth


async def _confirm(hass: HomeAssistant, flow_id: str) -> dict[str, Any]:
    """Submit the reauth's explanation."""
    return await hass.config_entries.flow.async_configure(flow_id, {})


async def _trakt_keys(sim: Simulator) -> set[str]:
    return {r["headers"].get("trakt-api-key", "") for r in await sim.requests("trakt")}


async def test_the_repair_signs_in_with_the_new_app_and_the_next_poll_uses_it(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, hass_client: Any
) -> None:
    entry = await _refused_entry(hass, sim_urls, removed=True)
    issue = _issue(hass, ISSUE_APP_REMOVED, entry)
    assert issue is not None
    assert issue.is_fixable
    old_token = entry.data["token"]["access_token"]
    # The user made a new app and added it under application credentials; the old one stays.
    await _add_credential(hass, "new_app", cred.TRAKT_CLIENT_ID_2, cred.TRAKT_CLIENT_SECRET_2)

    reauth = await _fix(hass, hass_client, issue.issue_id)
    result = await _confirm(hass, reauth["flow_id"])
    assert result["step_id"] == "auth"  # the only other app, picked without asking
    await sim_urls.clear_requests()
    result = await trakt_device_login(
        hass, sim_urls, clock, reauth["flow_id"], user=cred.TRAKT_USER
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert {r["body"]["client_id"] for r in await sim_urls.requests("trakt", "POST /oauth/*")} == {
        cred.TRAKT_CLIENT_ID_2
    }
    await hass.async_block_till_done()
    assert entry.data["auth_implementation"] == "new_app"
    assert entry.data["token"]["access_token"] != old_token
    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, ISSUE_APP_REMOVED, entry) is None
    # Every call since (the reload's first poll, and the next) goes through the new app.
    await _poll(entry)
    assert entry.runtime_data.coordinator.last_update_success
    assert await _trakt_keys(sim_urls) == {"", cred.TRAKT_CLIENT_ID_2}  # "": the OAuth calls


async def test_with_only_the_refused_app_the_sign_in_asks_for_a_new_one(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, hass_client: Any
) -> None:
    entry = await _refused_entry(hass, sim_urls, removed=True)
    issue = _issue(hass, ISSUE_APP_REMOVED, entry)
    assert issue is not None
    reauth = await _fix(hass, hass_client, issue.issue_id)
    result = await _confirm(hass, reauth["flow_id"])
    # Not the sign-in menu of the dead app: a form that says what to do.
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "trakt_new_app"
    assert result["description_placeholders"]["account"] == entry.title
    assert result["description_placeholders"]["apps_url"] == APPS_URL
    # The refused app again is refused here, before any sign-in.
    await sim_urls.clear_requests()
    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"],
        {"client_id": cred.TRAKT_CLIENT_ID, "client_secret": f" {cred.TRAKT_CLIENT_SECRET}"},
    )
    assert result["step_id"] == "trakt_new_app"
    assert result["errors"] == {"base": "same_app"}
    assert await sim_urls.requests("trakt") == []
    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"],
        {"client_id": cred.TRAKT_CLIENT_ID_2, "client_secret": cred.TRAKT_CLIENT_SECRET_2},
    )
    assert result["step_id"] == "auth"
    result = await trakt_device_login(
        hass, sim_urls, clock, reauth["flow_id"], user=cred.TRAKT_USER
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    new = entry.data["auth_implementation"]
    assert new.startswith(f"{DOMAIN}_")
    assert cred.TRAKT_CLIENT_ID_2 not in new  # a hash, not the client id
    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, ISSUE_APP_REMOVED, entry) is None


async def test_a_vip_only_app_offers_the_other_apps_and_checks_the_account(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, hass_client: Any
) -> None:
    entry = await _refused_entry(hass, sim_urls, owner_vip=False)
    issue = _issue(hass, ISSUE_VIP_REQUIRED, entry)
    assert issue is not None
    assert issue.is_fixable  # the same way out: an app owned by a VIP account
    await _add_credential(hass, "new_app", cred.TRAKT_CLIENT_ID_2, cred.TRAKT_CLIENT_SECRET_2)
    await _add_credential(hass, "spare_app", "spare-id", "spare-secret")

    reauth = await _fix(hass, hass_client, issue.issue_id)
    result = await _confirm(hass, reauth["flow_id"])
    assert result["step_id"] == "pick_implementation"
    [field] = result["data_schema"].schema
    assert set(result["data_schema"].schema[field].container) == {"new_app", "spare_app"}
    result = await hass.config_entries.flow.async_configure(
        reauth["flow_id"], {"implementation": "new_app"}
    )
    assert result["step_id"] == "auth"
    # Another Trakt user signing in through the new app does not take over the account.
    result = await trakt_device_login(
        hass, sim_urls, clock, reauth["flow_id"], user=cred.TRAKT_USER_2
    )
    assert result["reason"] == "wrong_account"
    assert entry.data["auth_implementation"] == "trakt_app"
    # Repairs closed the issue with its fix flow; the next poll raises it again.
    assert _issue(hass, ISSUE_VIP_REQUIRED, entry) is None
    await _poll(entry)
    assert _issue(hass, ISSUE_VIP_REQUIRED, entry) is not None

    reauth = await _fix(hass, hass_client, issue.issue_id)
    await _confirm(hass, reauth["flow_id"])
    await hass.config_entries.flow.async_configure(reauth["flow_id"], {"implementation": "new_app"})
    result = await trakt_device_login(
        hass, sim_urls, clock, reauth["flow_id"], user=cred.TRAKT_USER
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["auth_implementation"] == "new_app"
    assert entry.state is ConfigEntryState.LOADED
    assert _issue(hass, ISSUE_VIP_REQUIRED, entry) is None


async def test_a_reauth_while_the_app_works_keeps_it(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _refused_entry(hass, sim_urls)  # nothing refused
    await _add_credential(hass, "new_app", cred.TRAKT_CLIENT_ID_2, cred.TRAKT_CLIENT_SECRET_2)
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await _confirm(hass, reauth["flow_id"])
    assert result["step_id"] == "auth"
    await sim_urls.clear_requests()
    result = await trakt_device_login(
        hass, sim_urls, clock, reauth["flow_id"], user=cred.TRAKT_USER
    )
    assert result["reason"] == "reauth_successful"
    assert entry.data["auth_implementation"] == "trakt_app"


async def test_a_reauth_while_the_repair_is_open_asks_for_another_app(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = await _refused_entry(hass, sim_urls, removed=True)
    entry.async_start_reauth(hass)  # not from the repair: the open issue tells
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await _confirm(hass, reauth["flow_id"])
    assert result["step_id"] == "trakt_new_app"


async def test_a_reauth_that_meets_the_refused_app_asks_for_another(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, hass_ws_client: Any
) -> None:
    # Trakt deleted the app before any poll saw it: no repair, a plain reauth.
    entry = await _refused_entry(hass, sim_urls)
    await sim_urls.set_trakt_app(removed=True)
    # The user's other app is gone as well.
    await _add_credential(hass, "new_app", cred.TRAKT_CLIENT_ID_2, cred.TRAKT_CLIENT_SECRET_2)
    await sim_urls.set_trakt_app(client_id=cred.TRAKT_CLIENT_ID_2, removed=True)
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [reauth] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    flow_id = reauth["flow_id"]
    result = await _confirm(hass, flow_id)
    assert result["step_id"] == "auth"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_device"}
    )
    # The device code is refused for the app itself: the other app is tried...
    assert result["step_id"] == "auth"
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_device"}
    )
    # ... and refused too: neither is offered again, a new one is asked for.
    assert result["step_id"] == "trakt_new_app"
    for client_id, secret in (
        (cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET),
        (cred.TRAKT_CLIENT_ID_2, cred.TRAKT_CLIENT_SECRET_2),
    ):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"client_id": client_id, "client_secret": secret}
        )
        assert result["errors"] == {"base": "same_app"}
    # The second app's secret changed: HA imports one credential per client id, so the flow
    # cannot keep it; the user adds it in the Application credentials dialog, then submits again.
    rotated = {"client_id": cred.TRAKT_CLIENT_ID_2, "client_secret": "rotated"}
    result = await hass.config_entries.flow.async_configure(flow_id, rotated)
    assert result["errors"] == {"base": "secret_changed"}
    ws = await hass_ws_client(hass)
    await ws.send_json_auto_id(
        {"type": "application_credentials/create", "domain": DOMAIN, **rotated}
    )
    assert (await ws.receive_json())["success"]
    result = await hass.config_entries.flow.async_configure(flow_id, rotated)
    assert result["step_id"] == "auth"
    # Which app the flow signs in with: the new credential, not the stored one.
    flow = hass.config_entries.flow._progress[flow_id]
    assert (flow.flow_impl.client_id, flow.flow_impl.client_secret) == (
        cred.TRAKT_CLIENT_ID_2,
        "rotated",
    )


async def test_a_reconfigure_with_a_refused_app_says_so(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _refused_entry(hass, sim_urls)
    await sim_urls.set_trakt_app(removed=True)
    result = await entry.start_reconfigure_flow(hass)
    assert result["step_id"] == "auth"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "trakt_device"}
    )
    assert result["step_id"] == "trakt_device_retry"
    assert result["errors"] == {"base": "app_rejected"}


async def test_signing_in_through_an_app_without_a_vip_owner_aborts_with_why(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await sim_urls.set_trakt_app(owner_vip=False)  # sign-in works, every API call answers 426
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "trakt"}
    )
    result = await trakt_device_login(
        hass, sim_urls, clock, result["flow_id"], user=cred.TRAKT_USER
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "app_rejected"


@pytest.mark.parametrize("standing", [{"removed": True}, {"owner_vip": False}])
async def test_removing_the_account_removes_its_app_repairs(
    hass: HomeAssistant, sim_urls: Simulator, standing: dict[str, bool]
) -> None:
    entry = await _refused_entry(hass, sim_urls, **standing)
    keys = (ISSUE_APP_REMOVED, ISSUE_VIP_REQUIRED)
    assert [key for key in keys if _issue(hass, key, entry)] == [
        ISSUE_APP_REMOVED if "removed" in standing else ISSUE_VIP_REQUIRED
    ]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in keys if _issue(hass, key, entry)]
