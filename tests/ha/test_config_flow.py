"""The config flow's handler: the service menu from the registry, reauth and reconfigure sent to
the entry's service, the subentry types each account offers, and every message translated."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from homeassistant import config_entries
from homeassistant.data_entry_flow import FlowResultType

from custom_components.crosswatch.config_flow import CrosswatchConfigFlow
from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.providers.flow_steps import APP_REJECTED
from custom_components.crosswatch.providers.registry import PROVIDERS

from .conftest import plex_entry, simkl_entry, tmdb_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

PACKAGE = Path(__file__).parents[2] / "custom_components" / "crosswatch"
# Every module with config-flow steps, and those that name the errors a login shows.
FLOW_MODULES = (
    "config_flow.py",
    "subentry_flows.py",
    "providers/flow_steps.py",
    *(f"providers/{service}/flow.py" for service in PROVIDERS),
)
ERROR_MODULES = ("providers/base.py", *(f"providers/{service}/login.py" for service in PROVIDERS))


async def test_the_menu_offers_every_provider(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [service.value for service in PROVIDERS]
    assert result["menu_options"] == ["plex", "trakt", "simkl", "tmdb"]
    # Each option is the service's own sign-in step, which reauth and reconfigure reuse.
    for service in PROVIDERS:
        assert callable(getattr(CrosswatchConfigFlow, f"async_step_{service}"))


async def test_reauth_explains_then_signs_in_with_the_entry_service(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    entry = tmdb_entry()
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"]["account"] == "TMDb"
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "tmdb"


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


def _read(modules: tuple[str, ...]) -> str:
    return "\n".join((PACKAGE / module).read_text() for module in modules)


def test_every_flow_message_is_translated() -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    source = _read(FLOW_MODULES)
    config = strings["config"]
    subentry_errors = {
        key
        for sub in strings["config_subentries"].values()
        for key in (*sub["error"], *sub["abort"])
    }
    errors = set(re.findall(r'errors\[[^\]]+\] = "(\w+)"', source))
    errors |= set(re.findall(r'\{CONF_\w+: "(\w+)"\}', source))
    # What a failed login shows: error_key(), the sign-in errors' own keys, and "unknown".
    errors |= set(re.findall(r'^\s+return "(\w+)"$', source, re.MULTILINE))
    errors |= set(re.findall(r'^\s+key = "(\w+)"$', _read(ERROR_MODULES), re.MULTILINE))
    errors |= set(re.findall(r'LoginFailedError\("(\w+)"\)', source))
    errors.add(APP_REJECTED)  # error_key() names it by its constant
    reasons = set(re.findall(r'reason="(\w+)"', source))
    steps = set(re.findall(r'step_id="(\w+)"', source))
    steps |= {f"{s}_retry" for s in re.findall(r'_retry_(?:form|step)\(\s*"(\w+)"', source)}
    assert errors
    assert reasons
    assert errors <= set(config["error"]) | subentry_errors
    assert reasons <= set(config["abort"]) | subentry_errors
    # A reconfigure or the read after a Trakt login aborts with a failed call's own error.
    assert {"timeout", "invalid_auth", "cannot_connect", "unknown"} <= set(config["abort"])
    subentry_steps = {s for sub in strings["config_subentries"].values() for s in sub["step"]}
    for step in steps - {"user", "reconfigure"}:
        assert step in config["step"] or step in subentry_steps, step
    assert {"plex_retry", "simkl_retry", "trakt_device_retry"} <= steps
    actions = set(re.findall(r'_progress_result\("\w+", "(\w+)"', source))
    assert actions == {"plex_pin", "simkl_pin", "trakt_device"}
    assert actions <= set(config["progress"])
    assert {
        "timeout", "expired", "denied", "invalid_auth", "cannot_connect", "unknown",
        "wrong_server", "https_ip_address", "invalid_api_key", "invalid_client_id", "same_app",
    } <= errors  # fmt: skip
    # A Trakt login that reads the account through an app Trakt refuses aborts with it.
    assert APP_REJECTED in config["abort"]
