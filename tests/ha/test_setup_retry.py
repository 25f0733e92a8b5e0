"""Account setup that cannot finish yet retries instead of failing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntryState
from homeassistant.helpers import config_entry_oauth2_flow
from homeassistant.setup import async_setup_component

from tests.ha_scrobble.conftest import trakt_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock


async def test_trakt_setup_retries_while_its_credentials_are_unavailable(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    """A credentials provider that is down may come back: ConfigEntryNotReady, not an error."""
    assert await async_setup_component(hass, "application_credentials", {})

    async def provider_down(
        hass: HomeAssistant, domain: str
    ) -> list[config_entry_oauth2_flow.AbstractOAuth2Implementation]:
        raise config_entry_oauth2_flow.ImplementationUnavailableError("cloud unreachable")

    config_entry_oauth2_flow.async_add_implementation_provider(hass, "cloud", provider_down)
    entry = trakt_entry()
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert entry.reason is not None
    assert "credentials" in entry.reason.lower()
    assert await sim_urls.requests("trakt") == []
