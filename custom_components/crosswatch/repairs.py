"""Every repair issue CrossWatch raises, and the flows that fix them: one place for all of them.

Pair runners and the Plex scrobbler report what they saw through the helpers here; the ids,
their translation keys and their fix flows live nowhere else. This module imports no runtime
object: a pair's held removals are confirmed through the ``HeldRemovals`` registry the runners
join, so data flows one way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, Protocol

import probatio as vol
from homeassistant.components.repairs import RepairsFlow, RepairsFlowResult
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.util.hass_dict import HassKey

from .api.errors import APP_REMOVED, APP_VIP_REQUIRED, AppRejectedError, CrosswatchApiError
from .api.models import STRONG_ID_TYPES, MediaItem, MediaKind
from .const import (
    DOMAIN,
    PAIR_TARGET,
    ROUTE_TARGETS,
    SUBENTRY_SYNC_PAIR,
)
from .posters import metadata_client
from .sync.titles import Override, UnmatchedTitle

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from homeassistant.config_entries import ConfigEntry, ConfigSubentry

    from .providers.base import TitleSearch
    from .sync.plan import Side
    from .sync.state import PairState

ISSUE_TARGET_REMOVED = "target_removed"
# Raised by earlier versions when a target lost its sign-in; Home Assistant's own reauth prompt
# says that already, so such issues are only deleted now.
ISSUE_TARGET_AUTH = "target_auth_lost"
# A run held mass removals (fixable: confirm them once).
ISSUE_SYNC_HELD = "sync_held"
# A target list is full.
ISSUE_SYNC_LIMIT = "sync_limit"
# Issues about one subentry, with ids ``<key>_<entry id>_<subentry id>``.
# A pair has titles it could not sync (fixable: pick the right title, or ignore it).
ISSUE_UNMATCHED: Final = "sync_unmatched"
SUBENTRY_ISSUES = (ISSUE_TARGET_REMOVED, ISSUE_SYNC_HELD, ISSUE_SYNC_LIMIT, ISSUE_UNMATCHED)
# Trakt refuses an account's API app itself (``<key>_<entry id>``): its owner has no VIP (426),
# or the app is gone (403 API key, ``invalid_client``). Both fixable: sign in with another app.
ISSUE_VIP_REQUIRED: Final = "vip_required"
ISSUE_APP_REMOVED: Final = "app_removed"
APP_ISSUES: Final = {APP_VIP_REQUIRED: ISSUE_VIP_REQUIRED, APP_REMOVED: ISSUE_APP_REMOVED}
# What the fix flow adds to the reauth's data: Repairs deletes the issue once its fix flow ends,
# so the reauth learns that the app is refused from this.
REAUTH_NEW_APP: Final = "new_app"
VIP_URL: Final = "https://trakt.tv/vip"
APPS_URL: Final = "https://app.trakt.tv/settings/apps/api"
# The Plex notification websocket has failed this many connects in a row (``<key>_<entry id>``).
ISSUE_LISTENER_DOWN: Final = "plex_listener_down"


class HeldRemovals(Protocol):
    """A sync pair whose held removals a fix flow can confirm (``pairs.PairRunner``)."""

    @property
    def title(self) -> str:
        """The pair's name."""

    async def async_confirm_removals(self, held_plan: str) -> dict[str, Any]:
        """Apply the held removals of ``held_plan`` once."""

    @property
    def state(self) -> PairState:
        """The pair's sync state (its unsynced titles and the user's fixes)."""

    async def async_set_override(self, key: str, override: Override | None) -> None:
        """Keep the user's fix of unsynced title ``key``."""

    def async_schedule_run(self) -> None:
        """Run soon, in the background."""

    def clock_time(self) -> float:
        """Now, on the clock runs use."""

    def title_search(self, side: Side) -> TitleSearch | None:
        """The search of the pair's account on ``side`` (``None``: it has none)."""


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
            translation_placeholders={**placeholders, "vip_url": VIP_URL},
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


# -- unsynced titles -------------------------------------------------------------------------
# How many titles the issue's text names (the fix flow lists them all).
LISTED: Final = 10
# How many search answers the fix flow offers.
CHOICES: Final = 10
IGNORE: Final = "ignore"
_IMDB = re.compile(r"tt\d{1,10}")
_DIGITS = re.compile(r"\d{1,12}")


def describe(title: UnmatchedTitle) -> str:
    """One line for a title: name, year, what it is and why it did not sync."""
    name = title.title or ", ".join(f"{k} {v}" for k, v in sorted(title.ids.items())) or title.key
    year = f" ({title.year})" if title.year is not None else ""
    return f"{name}{year} · {title.kind} · {title.reason}"


@callback
def async_update_unmatched_issue(
    hass: HomeAssistant,
    entry_id: str,
    subentry_id: str,
    name: str,
    unmatched: Mapping[str, UnmatchedTitle],
) -> None:
    """Raise the pair's unsynced-titles issue while it has any; delete it when none are left."""
    issue_id = subentry_issue_id(ISSUE_UNMATCHED, entry_id, subentry_id)
    titles = list(unmatched.values())
    if not titles:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    lines = "\n".join(f"- {describe(t)}" for t in titles[:LISTED])
    if len(titles) > LISTED:
        lines += f"\n- … (+{len(titles) - LISTED})"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_UNMATCHED,
        translation_placeholders={"name": name, "count": str(len(titles)), "titles": lines},
        data={"entry_id": entry_id, "subentry_id": subentry_id},
    )


def _strong(item: MediaItem) -> dict[str, str]:
    """The ids of a search answer that identify it across services."""
    return {k: v for k, v in item.ids.items() if k in STRONG_ID_TYPES and v}


def _choice_label(item: MediaItem) -> str:
    """``The Matrix (1999) · imdb tt0133093``: a search answer as the pick step lists it."""
    ids = _strong(item)
    shown = next((f"{k} {ids[k]}" for k in ("imdb", "tmdb", "trakt", "simkl") if k in ids), "")
    return f"{item.title or '?'} ({item.year or '?'}) · {shown}"


def parse_id(text: str) -> dict[str, str] | None:
    """An IMDb id (``tt0133093``) or a TMDb id (``603``) the user typed, as ids."""
    text = text.strip()
    if _IMDB.fullmatch(text):
        return {"imdb": text}
    if _DIGITS.fullmatch(text):
        return {"tmdb": text}
    return None


class FixTitlesFlow(RepairsFlow):
    """Pick an unsynced title, then its right match (a search or an id), or ignore it.

    The search is TMDb's when a TMDb account is connected, else that of the account the title
    should be found on (Trakt, SIMKL; the same searches an import's title look-ups use). The
    choice becomes the pair's id override (``sync/titles.py``); the pair runs again at once.
    """

    def __init__(self, subentry_id: str) -> None:
        """Bind the pair."""
        self._subentry_id = subentry_id
        self._title: UnmatchedTitle | None = None
        self._found: dict[str, MediaItem] = {}

    def _pair(self) -> HeldRemovals | None:
        return self.hass.data.get(PAIRS, {}).get(self._subentry_id)

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Choose the title to fix."""
        pair = self._pair()
        if pair is None:
            return self.async_abort(reason="pair_unavailable")
        titles = pair.state.unmatched
        if not titles:
            return self.async_abort(reason="nothing_unmatched")
        if user_input is not None and user_input.get("title") in titles:
            self._title = titles[user_input["title"]]
            return await self.async_step_fix()
        options = [SelectOptionDict(value=key, label=describe(t)) for key, t in titles.items()]
        schema = vol.Schema(
            {
                vol.Required("title"): SelectSelector(
                    SelectSelectorConfig(options=options, mode=SelectSelectorMode.DROPDOWN)
                )
            }
        )
        return self.async_show_form(
            step_id="init",
            data_schema=schema,
            description_placeholders={"name": pair.title, "count": str(len(titles))},
        )

    async def async_step_fix(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Search for the title (or give its id), or ignore it."""
        title = self._title
        assert title is not None  # set by the step before
        searchable = self._searcher(title) is not None
        errors: dict[str, str] = {}
        if user_input is not None:
            if user_input.get("action") == IGNORE:
                return await self._save(Override(ids={}, ignore=True, set_at=self._now()))
            query = str(user_input.get("query", "")).strip()
            ids = parse_id(query)
            if ids is not None:
                return await self._save(Override.fix(title, ids, name=None, now=self._now()))
            if not searchable or not query:
                errors["query"] = "id_expected"
            else:
                try:
                    self._found = await self._search(query, title)
                except CrosswatchApiError:
                    errors["base"] = "search_failed"
                else:
                    if self._found:
                        return await self.async_step_pick()
                    errors["query"] = "nothing_found"
        actions = [
            SelectOptionDict(value="search", label="search"),
            SelectOptionDict(value=IGNORE, label=IGNORE),
        ]
        schema = vol.Schema(
            {
                vol.Required("action", default="search"): SelectSelector(
                    SelectSelectorConfig(options=actions, translation_key="fix_action")
                ),
                vol.Optional("query", default=title.title or ""): TextSelector(),
            }
        )
        return self.async_show_form(
            step_id="fix" if searchable else "fix_by_id",
            data_schema=schema,
            errors=errors,
            description_placeholders={"title": describe(title)},
        )

    async def async_step_fix_by_id(
        self, user_input: dict[str, Any] | None = None
    ) -> RepairsFlowResult:
        """Without a TMDb account: the same step, asking for an id."""
        return await self.async_step_fix(user_input)

    def _searcher(self, title: UnmatchedTitle) -> TitleSearch | None:
        """TMDb when connected, else the search of the account the title should be on."""
        tmdb = metadata_client(self.hass)
        if tmdb is not None:
            return tmdb
        pair = self._pair()
        return None if pair is None else pair.title_search(title.side)

    async def _search(self, query: str, title: UnmatchedTitle) -> dict[str, MediaItem]:
        searcher = self._searcher(title)
        assert searcher is not None  # checked by the caller
        kind = MediaKind.SHOW if title.kind is MediaKind.SHOW else MediaKind.MOVIE
        found = await searcher.search_title(kind, query, title.year)
        if not found and title.year is not None:  # years differ between services
            found = await searcher.search_title(kind, query)
        choices: dict[str, MediaItem] = {}
        for item in found:
            ids = _strong(item)
            if ids and len(choices) < CHOICES:
                choices[",".join(f"{k}:{v}" for k, v in ids.items())] = item
        return choices

    async def async_step_pick(self, user_input: dict[str, Any] | None = None) -> RepairsFlowResult:
        """Pick the right title from what TMDb found."""
        title = self._title
        assert title is not None  # set by the step before
        if user_input is not None:
            picked = self._found.get(str(user_input.get("match")))
            if picked is None:
                return await self.async_step_fix()
            return await self._save(
                Override.fix(title, _strong(picked), name=picked.title, now=self._now())
            )
        options = [
            SelectOptionDict(value=value, label=_choice_label(item))
            for value, item in self._found.items()
        ]
        options.append(SelectOptionDict(value="none", label="—"))
        schema = vol.Schema(
            {
                vol.Required("match"): SelectSelector(
                    SelectSelectorConfig(options=options, mode=SelectSelectorMode.LIST)
                )
            }
        )
        return self.async_show_form(
            step_id="pick", data_schema=schema, description_placeholders={"title": describe(title)}
        )

    def _now(self) -> float:
        pair = self._pair()
        return 0.0 if pair is None else pair.clock_time()

    async def _save(self, override: Override) -> RepairsFlowResult:
        pair = self._pair()
        title = self._title
        if pair is None or title is None:
            return self.async_abort(reason="pair_unavailable")
        await pair.async_set_override(title.key, override)
        if not override.ignore:
            pair.async_schedule_run()
        return self.async_create_entry(data={})


# -- Trakt's walls around API apps ---------------------------------------------------------------
def app_issue_id(key: str, entry_id: str) -> str:
    """The id of an app repair of one account."""
    return f"{key}_{entry_id}"


@callback
def async_app_rejected(hass: HomeAssistant, entry: ConfigEntry, err: AppRejectedError) -> None:
    """Raise the repair that says why the service refuses the app itself and what to do.

    Since mid-2026 only VIP accounts may own a Trakt API app, and Trakt deletes the apps of
    accounts without VIP and apps without active sign-ins. Signing in again with the same app
    cannot help; both repairs sign in with another app (``NewAppFlow``).
    """
    key = APP_ISSUES.get(err.reason, ISSUE_APP_REMOVED)
    for other in APP_ISSUES.values():
        if other != key:
            ir.async_delete_issue(hass, DOMAIN, app_issue_id(other, entry.entry_id))
    ir.async_create_issue(
        hass,
        DOMAIN,
        app_issue_id(key, entry.entry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.ERROR,
        translation_key=key,
        translation_placeholders={
            "account": entry.title,
            "service": err.service,
            "vip_url": VIP_URL,
            "apps_url": APPS_URL,
        },
        learn_more_url=VIP_URL if key == ISSUE_VIP_REQUIRED else APPS_URL,
        data={"entry_id": entry.entry_id},
    )


@callback
def async_delete_app_issues(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """The app works (again), or the account is gone: its app repairs go."""
    for key in APP_ISSUES.values():
        ir.async_delete_issue(hass, DOMAIN, app_issue_id(key, entry.entry_id))


@callback
def app_refused(hass: HomeAssistant, entry: ConfigEntry, reauth_data: Any) -> bool:
    """Whether a reauth of ``entry`` must sign in with another app than the entry's.

    Yes when an app repair's fix flow started it (``reauth_data``), or an app repair is open.
    """
    if isinstance(reauth_data, dict) and reauth_data.get(REAUTH_NEW_APP):
        return True
    issues = ir.async_get(hass)
    return any(
        issues.async_get_issue(DOMAIN, app_issue_id(key, entry.entry_id)) is not None
        for key in APP_ISSUES.values()
    )


class NewAppFlow(RepairsFlow):
    """Sign the account in again with another app than the one the service refuses.

    The re-authentication it starts knows (``app_refused``) and offers the other apps of
    application credentials, or asks for a new one: the refused app stays stored (Home Assistant
    keeps credentials an entry uses), so signing in again would pick it once more.
    """

    def __init__(self, entry_id: str) -> None:
        """Bind the account."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Repairs starts here with the issue as input: show the explanation."""
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Explain, then start the account's re-authentication."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="account_gone")
        if user_input is None:
            return self.async_show_form(
                step_id="confirm",
                data_schema=vol.Schema({}),
                description_placeholders={
                    "account": entry.title,
                    "apps_url": APPS_URL,
                    "vip_url": VIP_URL,
                },
            )
        entry.async_start_reauth(self.hass, data={REAUTH_NEW_APP: True})
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Create the flow that fixes ``issue_id`` (removed targets and held removals)."""
    if issue_id.startswith((f"{ISSUE_APP_REMOVED}_", f"{ISSUE_VIP_REQUIRED}_")) and data:
        return NewAppFlow(str(data["entry_id"]))
    if issue_id.startswith(f"{ISSUE_UNMATCHED}_") and data is not None:
        return FixTitlesFlow(str(data["subentry_id"]))
    if issue_id.startswith(f"{ISSUE_SYNC_HELD}_") and data is not None:
        return ConfirmHeldRemovalsFlow(
            str(data["entry_id"]), str(data["subentry_id"]), str(data.get("plan"))
        )
    entry_id, subentry_id = issue_id.removeprefix(f"{ISSUE_TARGET_REMOVED}_").split("_", 1)
    return RemoveSubentryFlow(entry_id, subentry_id)
