"""Each service's side: history mirrors with removals, refused Plex writes, broken answers."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from simulator import credentials as cred

from .conftest import PAIR_ID, plex_entry, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, run_sync, runner, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from simulator.testing import Simulator


def _forget_a_plex_movie(sim: Simulator) -> object:
    """Remove every owner play of one watched movie from the Plex server, as a user would."""
    plex = sim.state.plex
    owner = plex.users["owner"]
    rows = [r for r in plex.history if r.account_id == owner.account_id]
    movie = next(r.item for r in rows if r.item.kind == "movie" and r.item.trakt)
    plex.history[:] = [
        r for r in plex.history if not (r.item is movie and r.account_id == owner.account_id)
    ]
    return movie


async def _mirror(hass: HomeAssistant, sim: Simulator, target: MockConfigEntry) -> None:
    plex = with_pair(plex_entry(sim), target, ["watchlist", "history"], removals="mirror")
    await setup_entries(hass, target, plex)
    first = await run_pair(hass, PAIR_ID)
    assert first["result"] == "ok", first
    assert first["features"]["history"]["adds"] > 0


async def test_plex_to_trakt_mirror_removes_a_forgotten_play(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await _mirror(hass, sim, await trakt_entry(hass, sim))
    movie = _forget_a_plex_movie(sim)
    result = await run_pair(hass, PAIR_ID)
    assert result["features"]["history"]["removals"] >= 1, result
    history = sim.state.trakt.users[cred.TRAKT_USER].history
    assert all(p.item is not movie for p in history)


async def test_plex_to_simkl_mirror_removes_a_forgotten_play(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await _mirror(hass, sim, simkl_entry())
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]
    movie = _forget_a_plex_movie(sim)
    assert movie in simkl_user.watched
    result = await run_pair(hass, PAIR_ID)
    assert result["features"]["history"]["removals"] == 1, result
    assert movie not in simkl_user.watched


async def test_titles_plex_cannot_find_fail_and_are_retried(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    plex = sim.state.plex
    listed = next(m for m in sim.state.catalogue.movies if m not in plex.watchlists["owner"])
    trakt_user.watchlist[listed] = (sim.state.trakt.next_id(), sim.state.now())
    target = plex_entry(sim)
    trakt = with_pair(await trakt_entry(hass, sim), target, ["watchlist", "ratings"])
    await setup_entries(hass, target, trakt)
    # Plex's metadata search knows nothing, and the server's library is empty.
    empty = {"MediaContainer": {"size": 0, "totalSize": 0, "Metadata": []}}
    await sim.fault("plex-metadata", "GET /library/metadata/matches", status=200, body=empty)
    await sim.fault("pms", "GET /library/sections", status=200, body={"MediaContainer": {}})
    result = await run_pair(hass, PAIR_ID)
    assert result["result"] == "failed"
    counts = result["counts"]
    assert counts["watchlist"]["failed"] >= 1
    assert counts["ratings"]["failed"] >= 1
    assert listed not in plex.watchlists["owner"]


@pytest.mark.parametrize(
    ("service", "route", "body"),
    [
        ("trakt", "GET /sync/last_activities", {}),
        ("simkl", "GET /sync/activities", {}),
        ("plex-discover", "GET /library/sections/watchlist/all", {"errors": []}),
    ],
)
async def test_broken_activity_answers_fail_the_run(
    hass: HomeAssistant, sim_urls: Simulator, service: str, route: str, body: object
) -> None:
    sim = sim_urls
    simkl = simkl_entry()
    trakt = await trakt_entry(hass, sim)
    plex = with_pair(plex_entry(sim), trakt, ["watchlist"])
    simkl_pair = with_pair(trakt, simkl, ["watchlist"])
    source = plex if service != "simkl" else simkl_pair
    entries = (trakt, plex) if service != "simkl" else (simkl, simkl_pair)
    await setup_entries(hass, *entries)
    await sim.fault(service, route, status=200, body=body)
    if service == "plex-discover":  # discover's fallback answers the same way
        await sim.fault("plex-metadata", route, status=200, body=body)
    with pytest.raises(HomeAssistantError) as failed:
        await run_sync(hass, config_entry_id=source.entry_id)
    assert failed.value.translation_key == "run_failed"
    result = runner(source, PAIR_ID).last_summary
    assert result is not None
    assert result["result"] == "failed"
    assert service.split("-", maxsplit=1)[0] in result["error"]


async def test_titles_trakt_does_not_know_fail_then_park(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    plex = sim.state.plex
    known = next(m for m in plex.watchlists["owner"] if m.kind == "movie")
    # A title Plex lists with ids Trakt has never heard of.
    stranger = dataclasses.replace(
        known, title="Nobody Knows", imdb="tt9999991", tmdb=9999991, plex_hex="f" * 24
    )
    plex.watchlists["owner"][stranger] = sim.state.now()
    trakt = await trakt_entry(hass, sim)
    source = with_pair(plex_entry(sim), trakt, ["watchlist"])
    await setup_entries(hass, trakt, source)
    results = [(await run_pair(hass, PAIR_ID)) for _ in range(4)]
    assert [r["result"] for r in results[:3]] == ["partial", "failed", "failed"]
    assert all(r["counts"]["watchlist"]["failed"] == 1 for r in results[:3])
    # After three failures the title is parked: the fourth run leaves it alone.
    assert results[3]["result"] == "partial"  # a parked title is left unsynced
    assert results[3]["features"]["watchlist"]["parked"] == 1


async def test_watchlist_action_with_an_unknown_id(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, trakt)
    with pytest.raises(ServiceValidationError) as unknown:
        await hass.services.async_call(
            "crosswatch",
            "watchlist_add",
            {"config_entry_id": trakt.entry_id, "media_type": "movie", "imdb": "tt9999992"},
            blocking=True,
        )
    assert unknown.value.translation_key == "unknown_title"
