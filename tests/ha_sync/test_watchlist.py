"""Watchlist pairs: Plex → Trakt one way, Trakt ↔ SIMKL two way."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir

from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.pairs import held_issue_id
from custom_components.crosswatch.repairs import async_create_fix_flow
from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, run_sync, runner, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


async def test_plex_to_trakt_watchlist(hass: HomeAssistant, sim_urls: Simulator) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, plex)
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    plex_titles = {i.title for i in sim.state.plex.watchlists["owner"]}
    missing = plex_titles - {i.title for i in trakt_user.watchlist}
    assert missing

    response = await run_sync(hass, pair=PAIR_ID)
    summary = response["pairs"][PAIR_ID]
    assert summary["result"] == "ok"
    assert summary["features"]["watchlist"]["adds"] == len(missing)
    assert plex_titles <= {i.title for i in trakt_user.watchlist}

    await sim.clear_requests()
    again = await run_sync(hass, pair=PAIR_ID)
    assert await sim.counts() == {
        "plex-discover": {"GET /library/sections/watchlist/all": 1},
        "trakt": {"GET /sync/last_activities": 1},
    }
    assert again["pairs"][PAIR_ID]["adds"] == 0
    assert await writes(sim, "trakt") == []


def _ids(item: object) -> dict[str, str]:
    return {"imdb": str(item.imdb)}  # type: ignore[attr-defined]


async def test_trakt_simkl_two_way_with_removal_on_each_side(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]

    def simkl_titles() -> set[str]:
        return {i.title for i, e in simkl_user.entries.items() if e.status == "plantowatch"}

    def trakt_titles() -> set[str]:
        return {i.title for i in trakt_user.watchlist}

    simkl = simkl_entry()
    trakt = with_pair(
        await trakt_entry(hass, sim), simkl, ["watchlist"], direction="two_way", removals="mirror"
    )
    await setup_entries(hass, simkl, trakt)
    assert trakt_titles() != simkl_titles()

    first = await run_sync(hass, pair=PAIR_ID)
    assert first["pairs"][PAIR_ID]["result"] == "ok"
    assert first["pairs"][PAIR_ID]["removals"] == 0
    synced = trakt_titles()
    assert synced == simkl_titles()
    assert len(synced) >= 4

    # One title leaves each side (through the watchlist actions).
    gone_on_trakt, gone_on_simkl = sorted((i for i in trakt_user.watchlist), key=lambda i: i.title)[
        :2
    ]
    await hass.services.async_call(
        "crosswatch",
        "watchlist_remove",
        {
            "config_entry_id": trakt.entry_id,
            "media_type": gone_on_trakt.kind,
            **_ids(gone_on_trakt),
        },
        blocking=True,
    )
    await hass.services.async_call(
        "crosswatch",
        "watchlist_remove",
        {
            "config_entry_id": simkl.entry_id,
            "media_type": gone_on_simkl.kind,
            **_ids(gone_on_simkl),
        },
        blocking=True,
    )
    assert gone_on_trakt.title not in trakt_titles()
    assert gone_on_simkl.title not in simkl_titles()

    # One removal per side is more than 10% of this small baseline: held, with a repair.
    held = await run_pair(hass, PAIR_ID)
    assert held["result"] == "held"
    assert held["removals"] == 0
    assert {t["title"] for t in held["features"]["watchlist"]["held_titles"]} == {
        gone_on_trakt.title,
        gone_on_simkl.title,
    }
    assert gone_on_simkl.title in trakt_titles()
    issue_id = held_issue_id(trakt.entry_id, PAIR_ID)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {"name": held["title"], "count": "2"}

    # Held again on the next run: nothing is removed until the user confirms.
    assert (await run_pair(hass, PAIR_ID))["result"] == "held"

    flow = await async_create_fix_flow(hass, issue_id, issue.data)
    flow.hass = hass
    form = await flow.async_step_init()
    assert form["type"] is FlowResultType.FORM
    assert form["description_placeholders"] == {"name": held["title"]}
    done = await flow.async_step_confirm({})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    expected = synced - {gone_on_trakt.title, gone_on_simkl.title}
    assert trakt_titles() == simkl_titles() == expected
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    # The confirmation was for once: the state no longer carries it, and all is in step.
    state = runner(trakt, PAIR_ID).state
    assert state.confirmed_plan is None
    assert state.last_run is not None
    assert state.last_run.counts["watchlist"]["removals"] == 2
    assert (await run_pair(hass, PAIR_ID))["result"] == "ok"


async def test_two_way_without_removals_deletes_nothing_on_either_side(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]

    def simkl_titles() -> set[str]:
        return {i.title for i, e in simkl_user.entries.items() if e.status == "plantowatch"}

    def trakt_titles() -> set[str]:
        return {i.title for i in trakt_user.watchlist}

    simkl = simkl_entry()
    # Two way, removals left at their default: off.
    trakt = with_pair(await trakt_entry(hass, sim), simkl, ["watchlist"], direction="two_way")
    await setup_entries(hass, simkl, trakt)
    first = await run_sync(hass, pair=PAIR_ID)
    assert first["pairs"][PAIR_ID]["result"] == "ok"
    synced = trakt_titles()
    assert synced == simkl_titles()

    gone_on_simkl = min(trakt_user.watchlist, key=lambda i: i.title)
    await hass.services.async_call(
        "crosswatch",
        "watchlist_remove",
        {
            "config_entry_id": simkl.entry_id,
            "media_type": gone_on_simkl.kind,
            **_ids(gone_on_simkl),
        },
        blocking=True,
    )
    await sim.clear_requests()
    # The removal is seen (and reported) once; it is neither carried over nor undone, then or later.
    for suppressed in (1, 0, 0):
        result = await run_pair(hass, PAIR_ID)
        assert result["result"] == "ok"
        assert (result["adds"], result["removals"]) == (0, 0)
        assert result["features"]["watchlist"]["suppressed_removals"] == suppressed
        assert trakt_titles() == synced
        assert simkl_titles() == synced - {gone_on_simkl.title}
    assert await writes(sim, "trakt") == []
    assert await writes(sim, "simkl") == []
