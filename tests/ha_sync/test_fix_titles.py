"""Unsynced titles end to end: the repair lists them, its fix flow fixes one, the next run syncs it.

SIMKL -> Trakt: "Ajin 2" is known to SIMKL only by its MyAnimeList/AniDB ids (the row of SIMKL's
all-items example), so it cannot be written to Trakt. TMDb and Trakt know the show by another
name ("Ajin: Demi-Human"): the user finds it with a search from the repair (TMDb's, or without
a TMDb account Trakt's own), and the pair writes it by the ids found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.repairs import (
    ISSUE_UNMATCHED,
    async_create_fix_flow,
    subentry_issue_id,
)
from simulator import credentials as cred
from simulator.catalogue import Show
from simulator.simkl import Entry
from tests.ha.conftest import tmdb_entry

from .conftest import PAIR_ID, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, runner, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

AJIN_TMDB = 65942


async def _setup(hass: HomeAssistant, sim: Simulator, *, with_tmdb: bool = True):
    cat = sim.state.catalogue
    ajin = sim.item("Ajin 2")
    assert isinstance(ajin, Show)
    demi = cat.add_show(
        Show("Ajin: Demi-Human", 2016, 9_200_001, None, None, AJIN_TMDB, 9_200_001, "2016-01-16"),
        {1: 2},
        sim.state.now() - 3000 * 86400,
    )
    now = sim.state.now()
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]
    simkl_user.entries[ajin] = Entry("plantowatch", now - 60, now - 60)
    simkl_user.touch(now - 60, ajin, "plantowatch")
    trakt = await trakt_entry(hass, sim)
    simkl = with_pair(simkl_entry(), trakt, ["watchlist"])
    entries = [trakt, simkl] + ([tmdb_entry()] if with_tmdb else [])
    await setup_entries(hass, *entries)
    return simkl, demi


async def _flow(hass: HomeAssistant, entry_id: str):
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, subentry_issue_id(ISSUE_UNMATCHED, entry_id, PAIR_ID)
    )
    assert issue is not None
    flow = await async_create_fix_flow(hass, issue.issue_id, issue.data)
    flow.hass = hass
    return issue, flow


async def test_an_unmatched_title_fixed_from_the_repair_syncs_on_the_next_run(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    simkl, demi = await _setup(hass, sim)
    first = await run_pair(hass, PAIR_ID)
    assert first["result"] == "partial"

    issue, flow = await _flow(hass, simkl.entry_id)
    assert issue.translation_placeholders is not None
    assert issue.translation_placeholders["count"] == "1"
    assert "Ajin 2 (2016) · show · no_usable_id" in issue.translation_placeholders["titles"]
    [key] = runner(simkl, PAIR_ID).state.unmatched
    form = await flow.async_step_init()
    assert form["type"] is FlowResultType.FORM
    form = await flow.async_step_init({"title": key})
    assert form["step_id"] == "fix"
    # The default search ("Ajin 2") finds nothing: TMDb calls the show otherwise.
    form = await flow.async_step_fix({"action": "search", "query": "Ajin 2"})
    assert form["errors"] == {"query": "nothing_found"}
    form = await flow.async_step_fix({"action": "search", "query": "Ajin"})
    assert form["step_id"] == "pick"
    assert _options(form) == {f"tmdb:{AJIN_TMDB}": f"Ajin: Demi-Human (2016) · tmdb {AJIN_TMDB}"}
    done = await flow.async_step_pick({"match": f"tmdb:{AJIN_TMDB}"})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    pair = runner(simkl, PAIR_ID)
    assert pair.state.overrides[key].ids == {"tmdb": str(AJIN_TMDB)}
    assert pair.diagnostics()["overrides"][key]["title"] == "Ajin: Demi-Human"

    second = await run_pair(hass, PAIR_ID)
    assert second["result"] == "ok", second
    assert demi in sim.state.trakt.users[cred.TRAKT_USER].watchlist
    assert pair.state.unmatched == {}
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
    # And it stays in step: the next run has nothing to do.
    third = await run_pair(hass, PAIR_ID)
    assert (third["result"], third["adds"]) == ("ok", 0)


def _options(form: Any) -> dict[str, str]:
    """The pick step's choices: value -> label."""
    [field] = form["data_schema"].schema.values()
    return {o["value"]: o["label"] for o in field.config["options"] if o["value"] != "none"}


async def test_without_tmdb_the_fix_searches_the_account_the_title_should_be_on(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    simkl, demi = await _setup(hass, sim, with_tmdb=False)
    await run_pair(hass, PAIR_ID)
    _issue, flow = await _flow(hass, simkl.entry_id)
    [key] = runner(simkl, PAIR_ID).state.unmatched
    form = await flow.async_step_init({"title": key})
    assert form["step_id"] == "fix"  # Trakt (where it should be) has a search
    await sim.clear_requests()
    form = await flow.async_step_fix({"action": "search", "query": "Ajin"})
    assert form["step_id"] == "pick"
    [search] = [r for r in await sim.requests("trakt") if r["route"] == "GET /search/{type}"]
    assert search["path"].split("?")[0].endswith("/search/show")
    [(value, label)] = _options(form).items()
    assert label.startswith("Ajin: Demi-Human (2016) · ")
    done = await flow.async_step_pick({"match": value})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    pair = runner(simkl, PAIR_ID)
    assert pair.state.overrides[key].ids["trakt"] == str(demi.trakt)
    second = await run_pair(hass, PAIR_ID)
    assert second["result"] == "ok", second
    assert demi in sim.state.trakt.users[cred.TRAKT_USER].watchlist


async def test_an_ignored_title_is_not_reported_again(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    simkl, _demi = await _setup(hass, sim, with_tmdb=False)
    await run_pair(hass, PAIR_ID)
    issue, flow = await _flow(hass, simkl.entry_id)
    [key] = runner(simkl, PAIR_ID).state.unmatched
    # Trakt unloaded and no TMDb: nothing to search with, so an id, or ignore
    [trakt] = [e for e in hass.config_entries.async_entries(DOMAIN) if e.title.startswith("Trakt")]
    assert await hass.config_entries.async_unload(trakt.entry_id)
    form = await flow.async_step_init({"title": key})
    assert form["step_id"] == "fix_by_id"
    form = await flow.async_step_fix_by_id({"action": "search", "query": "Ajin"})
    assert form["errors"] == {"query": "id_expected"}
    done = await flow.async_step_fix_by_id({"action": "ignore", "query": ""})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None
    assert await hass.config_entries.async_setup(trakt.entry_id)
    await hass.async_block_till_done()
    again = await run_pair(hass, PAIR_ID)
    assert again["result"] == "ok"
    assert runner(simkl, PAIR_ID).state.unmatched == {}
    _issue, aborted = None, await async_create_fix_flow(hass, issue.issue_id, issue.data)
    aborted.hass = hass
    assert (await aborted.async_step_init())["reason"] == "nothing_unmatched"
