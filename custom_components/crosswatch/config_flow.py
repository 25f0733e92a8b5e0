"""Config flow: one entry per connected account, plus sync pair and scrobble route subentries.

The handler offers every provider of the registry and sends a reauth or reconfigure to the
entry's service; the sign-in steps live with each provider (``providers/<service>/flow.py``), the
subentry flows in ``subentry_flows.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import probatio as vol
from homeassistant.config_entries import ConfigEntry, ConfigFlowResult, ConfigSubentryFlow
from homeassistant.core import callback

from .const import DOMAIN, SUBENTRY_SCROBBLE_ROUTE, SUBENTRY_SYNC_PAIR
from .import_flow import SUBENTRY_IMPORT_HISTORY, ImportHistoryFlow
from .providers.plex.flow import PlexSteps
from .providers.registry import PROVIDERS, provider_of
from .providers.simkl.flow import SimklSteps
from .providers.tmdb.flow import TmdbSteps
from .providers.trakt.flow import TraktSteps
from .subentry_flows import ScrobbleRouteFlow, SyncPairFlow

if TYPE_CHECKING:
    from .const import Service


class CrosswatchConfigFlow(PlexSteps, TraktSteps, SimklSteps, TmdbSteps, domain=DOMAIN):
    """Connect a Plex, Trakt, SIMKL or TMDb account."""

    DOMAIN = DOMAIN
    VERSION = 1

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Pairs and history imports where media state is held; routes on scrobble sources."""
        provider = provider_of(config_entry)
        types: dict[str, type[ConfigSubentryFlow]] = {}
        if provider.sync_features:
            types[SUBENTRY_SYNC_PAIR] = SyncPairFlow
            types[SUBENTRY_IMPORT_HISTORY] = ImportHistoryFlow
        if provider.scrobble_source:
            types[SUBENTRY_SCROBBLE_ROUTE] = ScrobbleRouteFlow
        return types

    def login_step(self, service: Service) -> Callable[[], Awaitable[ConfigFlowResult]]:
        """The service's sign-in step (its menu option); it also handles reauth and reconfigure."""
        step: Callable[[], Awaitable[ConfigFlowResult]] = getattr(self, f"async_step_{service}")
        return step

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask which service to connect."""
        return self.async_show_menu(step_id="user", menu_options=[s.value for s in PROVIDERS])

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Sign in again when a coordinator reported refused credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain, then run the service's login again."""
        entry = self._get_reauth_entry()
        if user_input is None:
            return self.async_show_form(
                step_id="reauth_confirm",
                description_placeholders={"account": entry.title},
                data_schema=vol.Schema({}),
            )
        return await self.login_step(provider_of(entry).service)()

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change an account's settings (Plex address, TMDb key, SIMKL or Trakt app)."""
        return await self.login_step(provider_of(self._get_reconfigure_entry()).service)()
