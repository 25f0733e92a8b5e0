"""Subentry flows: a sync pair between two accounts, and a scrobble route from Plex users."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import probatio as vol
from homeassistant.config_entries import ConfigEntry, ConfigSubentryFlow, SubentryFlowResult
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
from homeassistant.helpers.translation import async_get_translations

from .api.errors import AuthError, CrosswatchApiError
from .api.models import Feature
from .const import (
    DEFAULT_PAIR_INTERVAL,
    DOMAIN,
    PAIR_DIRECTION,
    PAIR_FEATURES,
    PAIR_INTERVAL,
    PAIR_REMOVALS,
    PAIR_TARGET,
    ROUTE_ALL_USERS,
    ROUTE_PLEX_USERS,
    ROUTE_TARGETS,
    SUBENTRY_SCROBBLE_ROUTE,
    SUBENTRY_SYNC_PAIR,
    Direction,
    Removals,
)
from .providers.flow_steps import select
from .providers.plex.account import plex_server_users
from .providers.plex.webhook import ensure_webhook_id, webhook_url
from .providers.registry import provider_of

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry


def _translated_select(
    options: Iterable[str], translation_key: str, *, multiple: bool = False
) -> SelectSelector:
    """A choice among fixed values, labelled from ``selector.<translation_key>`` in strings."""
    return SelectSelector(
        SelectSelectorConfig(
            options=list(options),
            translation_key=translation_key,
            multiple=multiple,
            mode=SelectSelectorMode.LIST,
        )
    )


def _other_accounts(flow: ConfigSubentryFlow, entry: ConfigEntry) -> dict[str, ConfigEntry]:
    return {
        other.entry_id: other
        for other in flow.hass.config_entries.async_entries(DOMAIN)
        if other.entry_id != entry.entry_id
    }


class _SubentryFormFlow(ConfigSubentryFlow, ABC):
    """One form creates the subentry or changes it; the entry reloads with the change."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Create the subentry."""
        return await self._form(user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the subentry."""
        return await self._form(user_input, self._get_reconfigure_subentry())

    @abstractmethod
    async def _form(
        self, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        """The subentry's one form: shown, checked, then saved (``subentry``: the one changed)."""

    def _save(
        self, subentry: ConfigSubentry | None, title: str, data: dict[str, Any]
    ) -> SubentryFlowResult:
        if subentry is None:
            return self.async_create_entry(title=title, data=data)
        return self.async_update_and_abort(self._get_entry(), subentry, title=title, data=data)

    def _show(
        self,
        subentry: ConfigSubentry | None,
        schema: vol.Schema,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str] | None = None,
    ) -> SubentryFlowResult:
        suggested = user_input or (dict(subentry.data) if subentry else {})
        return self.async_show_form(
            step_id="reconfigure" if subentry else "user",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders=placeholders,
        )


class SyncPairFlow(_SubentryFormFlow):
    """A sync pair from this account to another: first the account, then what and how to sync.

    Two steps, so the second can name both accounts and offer only what both support.
    """

    _target: ConfigEntry | None = None
    _subentry: ConfigSubentry | None = None

    def _targets(self, entry: ConfigEntry) -> dict[str, ConfigEntry]:
        source_features = provider_of(entry).sync_features
        return {
            entry_id: other
            for entry_id, other in _other_accounts(self, entry).items()
            if provider_of(other).sync_features & source_features
        }

    async def _form(
        self, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        """The first step: the other account."""
        entry = self._get_entry()
        targets = self._targets(entry)
        if not targets:
            return self.async_abort(reason="no_targets")
        self._subentry = subentry
        errors: dict[str, str] = {}
        if user_input is not None:
            target = targets.get(user_input[PAIR_TARGET])
            taken = {
                sub.data[PAIR_TARGET]
                for sub in entry.subentries.values()
                if sub.subentry_type == SUBENTRY_SYNC_PAIR and sub is not subentry
            }
            if target is None:
                errors[PAIR_TARGET] = "target_missing"
            elif target.entry_id in taken:
                errors[PAIR_TARGET] = "pair_exists"
            else:
                self._target = target
                return await self.async_step_options()
        schema = vol.Schema(
            {
                vol.Required(PAIR_TARGET): select(
                    {entry_id: other.title for entry_id, other in targets.items()}
                ),
            }
        )
        return self._show(subentry, schema, user_input, errors, {"source": entry.title})

    async def async_step_options(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """The second step: features both accounts support, direction, removals, interval."""
        entry, target, subentry = self._get_entry(), self._target, self._subentry
        assert target is not None
        if self.hass.config_entries.async_get_entry(target.entry_id) is None:
            return self.async_abort(reason="target_removed")
        features = provider_of(entry).sync_features & provider_of(target).sync_features
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = {Feature(f) for f in user_input[PAIR_FEATURES]} & features
            if not chosen:
                errors[PAIR_FEATURES] = "no_features"
            else:
                data = {
                    PAIR_TARGET: target.entry_id,
                    PAIR_FEATURES: sorted(chosen),
                    PAIR_DIRECTION: user_input[PAIR_DIRECTION],
                    PAIR_REMOVALS: user_input[PAIR_REMOVALS],
                    PAIR_INTERVAL: int(user_input[PAIR_INTERVAL]),
                }
                return self._save(subentry, f"{entry.title} → {target.title}", data)
        schema = vol.Schema(
            {
                vol.Required(PAIR_FEATURES, default=[Feature.WATCHLIST.value]): _translated_select(
                    (f.value for f in Feature if f in features), "feature", multiple=True
                ),
                vol.Required(PAIR_DIRECTION, default=Direction.ONE_WAY.value): _translated_select(
                    (d.value for d in Direction), "direction"
                ),
                vol.Required(PAIR_REMOVALS, default=Removals.OFF.value): _translated_select(
                    (r.value for r in Removals), "removals"
                ),
                vol.Required(PAIR_INTERVAL, default=DEFAULT_PAIR_INTERVAL): NumberSelector(
                    NumberSelectorConfig(
                        min=5,
                        max=1440,
                        step=5,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                ),
            }
        )
        suggested = user_input or (dict(subentry.data) if subentry else {})
        return self.async_show_form(
            step_id="options",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
            description_placeholders={"source": entry.title, "target": target.title},
        )


class ScrobbleRouteFlow(_SubentryFormFlow):
    """Which Plex users scrobble to which Trakt/SIMKL accounts."""

    async def _all_users_label(self) -> str:
        """The form's own "All Plex users", in HA's language, to title a route of every user."""
        strings = await async_get_translations(
            self.hass, self.hass.config.language, "config_subentries", {DOMAIN}
        )
        key = f"component.{DOMAIN}.config_subentries.{SUBENTRY_SCROBBLE_ROUTE}.step.user.data"
        return strings.get(f"{key}.{ROUTE_ALL_USERS}", "All Plex users")

    async def _form(
        self, user_input: dict[str, Any] | None, subentry: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        targets = {
            entry_id: other
            for entry_id, other in _other_accounts(self, entry).items()
            if provider_of(other).scrobble_target
        }
        if not targets:
            return self.async_abort(reason="no_scrobble_targets")
        try:
            users = await plex_server_users(self.hass, entry)
        except AuthError:
            return self.async_abort(reason="reauth_required")
        except CrosswatchApiError, TimeoutError:
            return self.async_abort(reason="cannot_connect")
        errors: dict[str, str] = {}
        if user_input is not None:
            all_users = bool(user_input.get(ROUTE_ALL_USERS))
            chosen = [] if all_users else list(user_input.get(ROUTE_PLEX_USERS, []))
            chosen_targets = [t for t in user_input[ROUTE_TARGETS] if t in targets]
            if not all_users and not chosen:
                errors[ROUTE_PLEX_USERS] = "no_users"
            elif not chosen_targets:
                errors[ROUTE_TARGETS] = "no_targets"
            else:
                data = {
                    ROUTE_ALL_USERS: all_users,
                    ROUTE_PLEX_USERS: chosen,
                    ROUTE_TARGETS: chosen_targets,
                }
                who = (
                    await self._all_users_label()
                    if all_users
                    else ", ".join(users.get(u, u) for u in chosen)
                )
                title = f"{who} → {', '.join(targets[t].title for t in chosen_targets)}"
                return self._save(subentry, title, data)
        schema = vol.Schema(
            {
                vol.Required(ROUTE_ALL_USERS, default=True): BooleanSelector(),
                vol.Optional(ROUTE_PLEX_USERS): select(users, multiple=True),
                vol.Required(ROUTE_TARGETS): select(
                    {entry_id: other.title for entry_id, other in targets.items()}, multiple=True
                ),
            }
        )
        hook_url = webhook_url(self.hass, ensure_webhook_id(self.hass, entry))
        return self._show(subentry, schema, user_input, errors, {"webhook_url": hook_url or "-"})
