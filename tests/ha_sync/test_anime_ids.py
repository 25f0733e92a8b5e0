"""SIMKL -> Trakt: anime known only by MyAnimeList/AniDB ids is reported unmatched, never guessed.

SIMKL's all-items example lists "Ajin 2" with only simkl/mal/anidb ids
(tests/fixtures/real/simkl/all_items.json); the simulator's catalogue has the same title.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import credentials as cred
from simulator.catalogue import Show
from simulator.simkl import Entry

from .conftest import PAIR_ID, simkl_entry, trakt_entry, with_pair
from .helpers import run_pair, setup_entries, writes

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator


async def test_anime_with_only_anime_database_ids_is_reported_unmatched(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    ajin = sim.item("Ajin 2")
    assert isinstance(ajin, Show)
    now = sim.state.now()
    simkl_user = sim.state.simkl.users[cred.SIMKL_USER]
    simkl_user.entries[ajin] = Entry("plantowatch", now - 60, now - 60)
    simkl_user.touch(now - 60, ajin, "plantowatch")
    trakt = await trakt_entry(hass, sim)
    await setup_entries(hass, trakt, with_pair(simkl_entry(), trakt, ["watchlist"]))

    result = await run_pair(hass, PAIR_ID)
    counts = result["features"]["watchlist"]
    assert result["result"] == "partial"
    assert counts["unmatched"] == 1
    [unmatched] = result["features"]["watchlist"]["unmatched_titles"]
    assert (unmatched["title"], unmatched["reason"]) == ("Ajin 2", "no_usable_id")
    sent = [r["body"] for r in await writes(sim, "trakt") if r["path"].endswith("/sync/watchlist")]
    assert all(
        "Ajin" not in str(body) and {"ids": {}} not in body.get("shows", []) for body in sent
    )
    assert ajin not in sim.state.trakt.users[cred.TRAKT_USER].watchlist
