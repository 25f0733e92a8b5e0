"""A show whose Plex order is not Trakt's (Firefly: DVD vs aired) scrobbles the episode played.

Plex files "Serenity" as S1E1 (DVD order); Trakt's S1E1 is "The Train Job" (aired order). Show ids
+ S1E1 would mark The Train Job on Trakt and still be answered 201.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from custom_components.crosswatch.providers.plex.scrobbler import IDLE
from simulator import credentials as cred
from simulator.catalogue import Episode, Show

from .conftest import OWNER, until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts


def firefly(sim: Simulator, title: str) -> Episode:
    show = sim.item("Firefly")
    assert isinstance(show, Show)
    return next(e for e in show.episodes if e.title == title)


async def test_dvd_ordered_episode_scrobbles_the_episode_played(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    serenity = firefly(sim, "Serenity")
    assert (serenity.plex_index, serenity.number) == (1, 3)  # Plex S1E1, Trakt S1E3
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.play(sim.rating_key(serenity), offset_ms=270_000)  # 10 % of 45 min
    sensor_id = accounts.entity_id("sensor", f"now_watching_{OWNER}")
    await until(lambda: hass.states.get(sensor_id).state != IDLE)  # type: ignore[union-attr]
    sim_clock.advance(2400)
    await sim.stop(offset_ms=2_600_000)  # 96 %
    await until(lambda: len(sim.state.trakt.users[cred.TRAKT_USER].scrobbled) == 1)
    await accounts.scrobbler.pipeline.wait_idle()
    [scrobbled] = sim.state.trakt.users[cred.TRAKT_USER].scrobbled
    assert scrobbled is serenity
    assert scrobbled is not firefly(sim, "The Train Job")
    bodies = [r["body"] for r in await sim.requests("trakt") if "/scrobble/" in r["path"]]
    assert all("show" not in body for body in bodies)
