"""Trakt's sign-in steps: the app from application credentials (or asked for in the flow), the
device-code and redirect logins, reauth, and reconfigure (another app, the same user)."""

from __future__ import annotations

import gc
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.setup import async_setup_component
from yarl import URL

from custom_components.crosswatch.api.models import WatchlistEntry
from custom_components.crosswatch.const import DOMAIN, RECENT_TITLES
from simulator import credentials as cred

from .conftest import trakt_app_entry, trakt_uuid
from .helpers import trakt_device_login

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def _to_auth_menu(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "trakt"}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "auth"
    assert result["menu_options"] == ["trakt_device", "trakt_redirect"]
    return result["flow_id"]


async def test_device_login_creates_entry_and_sensor(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    credentials: None,
    current_request_with_host: None,
) -> None:
    trakt = sim_urls.state.trakt
    listed = trakt.users[cred.TRAKT_USER].watchlist
    more = [m for m in sim_urls.state.catalogue.movies if m not in listed][: RECENT_TITLES + 2]
    for age, movie in enumerate(more):  # more titles than the sensor shows
        listed[movie] = (trakt.next_id(), sim_urls.state.now() - 60 * age)
    flow_id = await _to_auth_menu(hass)
    result = await trakt_device_login(hass, sim_urls, clock, flow_id, user=cred.TRAKT_USER)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Trakt ({cred.TRAKT_USER})"
    entry = result["result"]
    assert entry.data["auth_implementation"] == "trakt_app"
    assert entry.data["token"]["refresh_token"]
    assert entry.data["account_name"] == cred.TRAKT_USER
    assert entry.unique_id == trakt_uuid()
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    state = hass.states.get(f"sensor.trakt_{cred.TRAKT_USER}_watchlist")
    assert state is not None
    assert int(state.state) == len(listed) > RECENT_TITLES
    recent = state.attributes["recent"]
    assert recent[0]["ids"]
    newest = sorted((at for _, at in listed.values()), reverse=True)[:RECENT_TITLES]
    assert [datetime.fromisoformat(r["listed_at"]).timestamp() for r in recent] == newest
    # Only those stay in memory between polls, not the whole list.
    gc.collect()
    assert sum(isinstance(o, WatchlistEntry) for o in gc.get_objects()) == RECENT_TITLES


async def test_denied_then_retry(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    credentials: None,
    current_request_with_host: None,
) -> None:
    flow_id = await _to_auth_menu(hass)
    clock.free_running = False
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_device"}
    )
    await clock.sleeping.wait()
    await sim_urls.approve_trakt_device(
        result["description_placeholders"]["code"], cred.TRAKT_USER, deny=True
    )
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["step_id"] == "trakt_device_retry"
    assert result["errors"] == {"base": "denied"}
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await clock.sleeping.wait()
    await sim_urls.approve_trakt_device(result["description_placeholders"]["code"])
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_expired_code_and_unreachable_trakt(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    credentials: None,
    current_request_with_host: None,
) -> None:
    flow_id = await _to_auth_menu(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_device"}
    )
    await hass.async_block_till_done()  # free-running clock: the code expires unapproved
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["errors"] == {"base": "expired"}
    await sim_urls.fault("trakt", "POST /oauth/device/code", status=503)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["step_id"] == "trakt_device_retry"
    assert result["errors"] == {"base": "cannot_connect"}


@pytest.mark.usefixtures("clock", "credentials", "current_request_with_host")
async def test_redirect_login(
    hass: HomeAssistant, sim_urls: Simulator, hass_client_no_auth: Any
) -> None:
    flow_id = await _to_auth_menu(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_redirect"}
    )
    assert result["type"] is FlowResultType.EXTERNAL_STEP
    authorize = URL(result["url"])
    assert str(authorize).startswith(f"{sim_urls.url('trakt')}/oauth/authorize")
    assert authorize.query["client_id"] == cred.TRAKT_CLIENT_ID
    # trakt.tv approves (the simulator as TRAKT_USER) and sends the browser back to HA.
    async with (
        aiohttp.ClientSession() as session,
        session.get(authorize, allow_redirects=False) as resp,
    ):
        assert resp.status == 302
        back = URL(resp.headers["Location"])
    assert back.query["state"] == authorize.query["state"]
    client = await hass_client_no_auth()
    resp = await client.get(f"{back.path}?{back.query_string}")
    assert resp.status == 200
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data["account_name"] == cred.TRAKT_USER


async def test_without_credentials_the_flow_asks_for_the_app_and_goes_on(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    current_request_with_host: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The app is entered in the flow itself, which then goes on to sign in (no restart)."""
    assert await async_setup_component(hass, "application_credentials", {})
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "trakt"})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "trakt_app"
    assert result["description_placeholders"]["app_url"].startswith("https://trakt.tv/")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {"client_id": f" {cred.TRAKT_CLIENT_ID} ", "client_secret": cred.TRAKT_CLIENT_SECRET},
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "auth"
    stored = hass.data["application_credentials"].async_client_credentials(DOMAIN)
    assert [(c.client_id, c.client_secret) for c in stored.values()] == [
        (cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET)
    ]
    assert cred.TRAKT_CLIENT_ID not in next(iter(stored))  # the implementation id is a hash
    # Offline, the device-code link opens the simulator's approve page instead of trakt.tv.
    monkeypatch.setenv("CROSSWATCH_TRAKT_ACTIVATE_URL", f"{sim_urls.base_url}/_sim/approve")
    clock.free_running = False
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"next_step_id": "trakt_device"}
    )
    assert result["description_placeholders"]["url"] == f"{sim_urls.base_url}/_sim/approve"
    await clock.sleeping.wait()
    await sim_urls.approve_trakt_device(result["description_placeholders"]["code"], cred.TRAKT_USER)
    clock.step()
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(flow_id)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["auth_implementation"] == next(iter(stored))


async def test_spent_refresh_token_starts_reauth_and_device_login_fixes_it(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    credentials: None,
    current_request_with_host: None,
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=True)
    # Use the refresh token once elsewhere: it rotates, ours is now spent.
    async with aiohttp.ClientSession() as session:
        await session.post(
            f"{sim_urls.url('trakt')}/oauth/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": entry.data["token"]["refresh_token"],
                "client_id": cred.TRAKT_CLIENT_ID,
                "client_secret": cred.TRAKT_CLIENT_SECRET,
            },
            headers={"User-Agent": "test"},
        )
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
    assert flow["context"]["source"] == "reauth"
    result = await hass.config_entries.flow.async_configure(flow["flow_id"], {})
    assert result["step_id"] == "auth"
    hass.config_entries.async_update_entry(entry, unique_id=trakt_uuid())
    result = await trakt_device_login(hass, sim_urls, clock, flow["flow_id"], user=cred.TRAKT_USER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def test_account_read_fails_after_login(
    hass: HomeAssistant,
    sim_urls: Simulator,
    clock: SteppedClock,
    credentials: None,
    current_request_with_host: None,
) -> None:
    flow_id = await _to_auth_menu(hass)
    await sim_urls.fault("trakt", "GET /users/settings", kind="html", status=200)
    result = await trakt_device_login(hass, sim_urls, clock, flow_id, user=cred.TRAKT_USER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_reconfigure_signs_in_again_as_the_same_user(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await trakt_app_entry(hass, sim_urls, expired=False)
    hass.config_entries.async_update_entry(entry, unique_id=trakt_uuid())
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "auth"
    result = await trakt_device_login(
        hass, sim_urls, clock, result["flow_id"], user=cred.TRAKT_USER_2
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_reconfigure_lets_the_user_pick_another_trakt_app(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    # The user has a second app (never signed in with here: only offered).
    config_entry_oauth2_flow.async_register_implementation(
        hass,
        DOMAIN,
        config_entry_oauth2_flow.LocalOAuth2Implementation(
            hass,
            "second_app",
            "second-id",
            "second-secret",
            "http://127.0.0.1:9/a",
            "http://127.0.0.1:9/t",
        ),
    )
    entry = await trakt_app_entry(hass, sim_urls, expired=False)
    hass.config_entries.async_update_entry(entry, unique_id=trakt_uuid())
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["step_id"] == "pick_implementation"
    schema = result["data_schema"].schema
    assert set(next(iter(schema.values())).container) == {"trakt_app", "second_app"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"implementation": "trakt_app"}
    )
    assert result["step_id"] == "auth"
    result = await trakt_device_login(
        hass, sim_urls, clock, result["flow_id"], user=cred.TRAKT_USER
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["auth_implementation"] == "trakt_app"
    assert entry.unique_id == trakt_uuid()


@pytest.mark.usefixtures("credentials", "current_request_with_host")
async def test_trakt_settings_without_ids(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    flow_id = await _to_auth_menu(hass)
    await sim_urls.fault(
        "trakt", "GET /users/settings", status=200, body={"user": {"username": "x"}}
    )
    result = await trakt_device_login(hass, sim_urls, clock, flow_id, user=cred.TRAKT_USER)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"
