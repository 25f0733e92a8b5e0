"""Every repair issue CrossWatch raises, and the flows that fix them: one place for all of them.

Pair runners and the Plex scrobbler report what they saw through the helpers here; the ids,
their translation keys and their fix flows live nowhere else. This module imports no runtime
object: a pair's held removals are confirmed through the ``HeldRemovals`` registry the runners
join, so data flows one way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, Protocol

import probatio as vol
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.hass_dict import HassKey

from .const import (
    DOMAIN,
    PAIR_TARGET,
    ROUTE_TARGETS,
    SUBENTRY_SYNC_PAIR,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigEntry, ConfigSubentry

ISSUE_TARGET_REMOVED = "target_removed"
# Raised by earlier versions when a target lost its sign-in; Home Assistant's own reauth prompt
# says that already, so such issues are only deleted now.
ISSUE_TARGET_AUTH = "target_auth_lost"
# A run held mass removals (fixable: confirm them once).
ISSUE_SYNC_HELD = "sync_held"
# A target list is full.
ISSUE_SYNC_LIMIT = "sync_limit"
# Issues about one subentry, with ids ``<key>_<entry id>_<subentry id>``.
SUBENTRY_ISSUES = (ISSUE_TARGET_REMOVED, ISSUE_SYNC_HELD, ISSUE_SYNC_LIMIT)
# The Plex notification websocket has failed this many connects in a row (``<key>_<entry id>``).
ISSUE_LISTENER_DOWN: Final = "plex_listener_down"


class HeldRemovals(Protocol):
    """A sync pair whose held removals a fix flow can confirm (``pairs.PairRunner``)."""

    @property
    def title(self) -> str:
        """The pair's name."""

    async def async_confirm_removals(self, held_plan: str) -> dict[str, Any]:
        """Apply the held removals of ``held_plan`` once."""


# Running sync pairs by subentry id: they join on start and leave on unload.
PAIRS: HassKey[dict[str, HeldRemovals]] = HassKey(f"{DOMAIN}_held_removals")


@callback
def async_join_pair(
    hass: HomeAssistant, subentry_id: str, pair: HeldRemovals
) -> Callable[[], None]:
    """Make a running pair reachable by its fix flows; returns the remover."""
    pairs = hass.data.setdefault(PAIRS, {})
    pairs[subentry_id] = pair

    @callback
    def leave() -> None:
        if pairs.get(subentry_id) is pair:
            del pairs[subentry_id]

    return leave


def subentry_issue_id(key: str, entry_id: str, subentry_id: str) -> str:
    """The id of an issue about one subentry."""
    return f"{key}_{entry_id}_{subentry_id}"


@callback
def async_update_run_issues(
    hass: HomeAssistant,
    entry_id: str,
    subentry_id: str,
    title: str,
    *,
    held: int,
    held_plan: str | None,
    limit_hit: bool,
) -> None:
    """After a run: raise or clear the pair's held-removals and full-list issues."""
    placeholders = {"name": title}
    held_id = subentry_issue_id(ISSUE_SYNC_HELD, entry_id, subentry_id)
    if held:
        ir.async_create_issue(
            hass,
            DOMAIN,
            held_id,
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_SYNC_HELD,
            translation_placeholders={**placeholders, "count": str(held)},
            data={"entry_id": entry_id, "subentry_id": subentry_id, "plan": held_plan},
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, held_id)
    limit_id = subentry_issue_id(ISSUE_SYNC_LIMIT, entry_id, subentry_id)
    if limit_hit:
        ir.async_create_issue(
            hass,
            DOMAIN,
            limit_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_SYNC_LIMIT,
            translation_placeholders=placeholders,
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, limit_id)


@callback
def async_update_listener_issue(
    hass: HomeAssistant, entry: ConfigEntry, *, down: bool, error: str | None
) -> None:
    """Raise (``down``) or clear the issue that a Plex account's live connection is down."""
    issue_id = f"{ISSUE_LISTENER_DOWN}_{entry.entry_id}"
    if not down:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_LISTENER_DOWN,
        translation_placeholders={"account": entry.title, "error": error or ""},
    )


def _targets(subentry: ConfigSubentry) -> list[str]:
    """The other accounts a sync pair or scrobble route needs."""
    if subentry.subentry_type == SUBENTRY_SYNC_PAIR:
        return [subentry.data[PAIR_TARGET]]
    return list(subentry.data.get(ROUTE_TARGETS, ()))


def _subentry_of(issue_id: str) -> tuple[str, str] | None:
    """(entry id, subentry id) of a subentry's issue; ``None`` for other issues."""
    for key in SUBENTRY_ISSUES:
        if issue_id.startswith(f"{key}_"):
            entry_id, _, subentry_id = issue_id.removeprefix(f"{key}_").partition("_")
            return entry_id, subentry_id
    return None


@callback
def async_update_pair_issues(hass: HomeAssistant) -> None:
    """Keep the issues about sync pairs and scrobble routes true.

    A subentry whose other account is gone gets an issue; an issue whose subentry (or account)
    is gone goes with it, held removals and full lists included.
    """
    entries = {e.entry_id: e for e in hass.config_entries.async_entries(DOMAIN)}
    wanted: dict[str, dict[str, str]] = {}
    for entry in entries.values():
        for subentry in entry.subentries.values():
            if any(target_id not in entries for target_id in _targets(subentry)):
                issue_id = f"{ISSUE_TARGET_REMOVED}_{entry.entry_id}_{subentry.subentry_id}"
                wanted[issue_id] = {"name": subentry.title, "account": entry.title}
    registry = ir.async_get(hass)
    for domain, issue_id in list(registry.issues):
        if domain != DOMAIN or issue_id in wanted:
            continue
        owner = _subentry_of(issue_id)
        stale = issue_id.startswith(ISSUE_TARGET_AUTH) or (
            owner is not None
            and (
                issue_id.startswith(ISSUE_TARGET_REMOVED)
                or owner[0] not in entries
                or owner[1] not in entries[owner[0]].subentries
            )
        )
        if stale:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    for issue_id, placeholders in wanted.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_TARGET_REMOVED,
            translation_placeholders=placeholders,
        )


class SubentryRepairFlow(RepairsFlow):
    """A fix that acts on one subentry after the user confirms it."""

    def __init__(self, entry_id: str, subentry_id: str) -> None:
        """Remember which subentry the fix is about."""
        self._entry_id = entry_id
        self._subentry_id = subentry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Ask before acting."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Act on confirmation."""
        raise NotImplementedError


class RemoveSubentryFlow(SubentryRepairFlow):
    """Remove a sync pair or scrobble route whose other account no longer exists."""

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove on confirmation."""
        if user_input is None:
            return self.async_show_form(step_id="confirm", data_schema=vol.Schema({}))
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is not None and self._subentry_id in entry.subentries:
            self.hass.config_entries.async_remove_subentry(entry, self._subentry_id)
        return self.async_create_entry(data={})


class ConfirmHeldRemovalsFlow(SubentryRepairFlow):
    """Apply a sync pair's held removals once, on the user's confirmation.

    The confirmation names the held plan the issue showed: a run planning other removals does
    not use it.
    """

    def __init__(self, entry_id: str, subentry_id: str, held_plan: str) -> None:
        """Bind the pair and the held plan the issue was raised for."""
        super().__init__(entry_id, subentry_id)
        self._held_plan = held_plan

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Run the pair once with the removals confirmed."""
        runner = self.hass.data.get(PAIRS, {}).get(self._subentry_id)
        if runner is None:
            return self.async_abort(reason="pair_unavailable")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=vol.Schema({}),
                description_placeholders={"name": runner.title},
            )
        await runner.async_confirm_removals(self._held_plan)
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the flow that fixes ``issue_id`` (removed targets and held removals)."""
    if issue_id.startswith(f"{ISSUE_SYNC_HELD}_") and data is not None:
        return ConfirmHeldRemovalsFlow(
            str(data["entry_id"]), str(data["subentry_id"]), str(data.get("plan"))
        )
    entry_id, subentry_id = issue_id.removeprefix(f"{ISSUE_TARGET_REMOVED}_").split("_", 1)
    return RemoveSubentryFlow(entry_id, subentry_id)
