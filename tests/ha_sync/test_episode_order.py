"""Plex -> Trakt history for a show whose Plex order is not Trakt's (Firefly: DVD vs aired).

Plex's S1E1 is "Serenity"; Trakt's S1E1 is "The Train Job". The play must land on Serenity, and
Trakt's own play of The Train Job must not pass for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import credentials as cred
from simulator.catalogue import Episode, Show

from .conftest import PAIR_ID, plex_entry, trakt_entry, with_pair
from .helpers import run_sync, setup_entries

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


def firefly(sim: Simulator, title: str) -> Episode:
    show = sim.item("Firefly")
    assert isinstance(show, Show)
    return next(e for e in show.episodes if e.title == title)


async def test_dvd_ordered_play_syncs_to_the_right_trakt_episode(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    await sim.reset("tiny")
    serenity, train_job = firefly(sim, "Serenity"), firefly(sim, "The Train Job")
    now = sim.state.now()
    plex = sim.state.plex
    plex.mark_watched(plex.users["owner"], serenity, now - 3600)
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, trakt, with_pair(plex_entry(sim), trakt, ["history"]))

    result = (await run_sync(hass, pair=PAIR_ID))["pairs"][PAIR_ID]
    assert result["result"] == "ok"
    played = [p.item for p in trakt_user.history if p.item in (serenity, train_job)]
    assert played == [serenity]
