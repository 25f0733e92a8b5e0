"""TMDb's sign-in step: the key checked before it is saved, errors, reauth, reconfigure."""

from __future__ import annotations

from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from custom_components.crosswatch.config_flow import CrosswatchConfigFlow
from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.tmdb.login import tmdb_key_hash
from simulator import credentials as cred
from simulator.testing import Simulator

from .conftest import tmdb_entry


async def _start_tmdb(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["plex", "trakt", "simkl", "tmdb"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "tmdb"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "tmdb"
    return result["flow_id"]


async def test_v3_key_creates_entry_and_setup_polls(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    flow_id = await _start_tmdb(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"api_key": f" {cred.TMDB_V3_KEY} "}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "TMDb"
    entry = result["result"]
    assert entry.unique_id == tmdb_key_hash(cred.TMDB_V3_KEY)
    assert cred.TMDB_V3_KEY not in entry.unique_id
    assert entry.data["api_key"] == cred.TMDB_V3_KEY
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator.data.watchlist_size is None
    # TMDb has no watchlist: only its diagnostic cache sensor, disabled until the user wants it.
    assert hass.states.async_entity_ids("sensor") == []
    assert [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ] == ["sensor.tmdb_cached_tmdb_answers"]
    requests = await sim_urls.requests("tmdb")
    assert [r["route"] for r in requests] == ["GET /configuration", "GET /configuration"]
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED


async def test_v4_token_is_sent_as_bearer(hass: HomeAssistant, sim_urls: Simulator) -> None:
    flow_id = await _start_tmdb(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"api_key": cred.TMDB_V4_TOKEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    requests = await sim_urls.requests("tmdb")
    assert requests[0]["headers"].get("Authorization") == f"Bearer {cred.TMDB_V4_TOKEN}"
    assert "api_key" not in requests[0]["query"]


async def test_errors_then_recovery(hass: HomeAssistant, sim_urls: Simulator) -> None:
    flow_id = await _start_tmdb(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": "f" * 32})
    assert result["type"] is FlowResultType.FORM
    # Named on the field, and the refused key stays there to be corrected.
    assert result["errors"] == {"api_key": "invalid_api_key"}
    suggested = {str(k): k.description for k in result["data_schema"].schema}
    assert suggested["api_key"] == {"suggested_value": "f" * 32}

    await sim_urls.fault("tmdb", "*", status=503)
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": cred.TMDB_V3_KEY})
    assert result["errors"] == {"base": "cannot_connect"}
    await sim_urls.clear_faults()

    await sim_urls.fault("tmdb", "*", kind="html", status=200, count=1)
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": cred.TMDB_V3_KEY})
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": cred.TMDB_V3_KEY})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_timeout_then_recovery(hass: HomeAssistant, sim_urls: Simulator, monkeypatch) -> None:
    monkeypatch.setattr(CrosswatchConfigFlow, "validation_timeout", 0.2)
    flow_id = await _start_tmdb(hass)
    await sim_urls.fault("tmdb", "*", kind="timeout")
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": cred.TMDB_V3_KEY})
    assert result["errors"] == {"base": "timeout"}
    await sim_urls.clear_faults()
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": cred.TMDB_V3_KEY})
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_duplicate_aborts(hass: HomeAssistant, sim_urls: Simulator) -> None:
    tmdb_entry().add_to_hass(hass)
    flow_id = await _start_tmdb(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {"api_key": cred.TMDB_V3_KEY})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_revoked_key_starts_reauth_and_new_key_fixes_it(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = tmdb_entry(key="e" * 32)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    assert result["step_id"] == "tmdb"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": cred.TMDB_V3_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["api_key"] == cred.TMDB_V3_KEY
    assert entry.unique_id == tmdb_key_hash(cred.TMDB_V3_KEY)
    assert entry.state is ConfigEntryState.LOADED


async def test_reconfigure_to_a_key_already_used_aborts(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    tmdb_entry().add_to_hass(hass)
    other = tmdb_entry(key=cred.TMDB_V4_TOKEN)
    other.add_to_hass(hass)
    result = await other.start_reconfigure_flow(hass)
    assert result["step_id"] == "tmdb"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": cred.TMDB_V3_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
