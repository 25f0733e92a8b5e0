"""One client per account: sync runs and scrobbles to one Trakt account share its pacing."""

from __future__ import annotations

import asyncio
import itertools
from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import ConfigSubentryData

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.pairs import create_side
from custom_components.crosswatch.providers.plex.side import PlexSide
from custom_components.crosswatch.providers.trakt.side import TraktSide
from custom_components.crosswatch.scrobble.events import (
    PlexPlayer,
    PlexUser,
    Scrobble,
    ScrobbleAction,
    ScrobbleCall,
)
from simulator import credentials as cred
from tests.ha.conftest import tmdb_entry
from tests.ha_sync.conftest import plex_entry, trakt_entry
from tests.ha_sync.helpers import setup_entries

from .conftest import OWNER, route

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from custom_components.crosswatch.pairs import PairRunner
    from custom_components.crosswatch.providers.plex.scrobbler import PlexScrobbler
    from simulator.testing import Simulator

WRITES = frozenset({"POST", "PUT", "DELETE"})


def _pair(target: MockConfigEntry) -> ConfigSubentryData:
    return ConfigSubentryData(
        subentry_type="sync_pair",
        title="Plex → Trakt",
        unique_id=None,
        data={
            "target_entry_id": target.entry_id,
            "features": ["watchlist", "history", "ratings"],
            "direction": "one_way",
            "removals": "off",
            "interval_minutes": 60,
        },
    )


def _scrobble(
    sim: Simulator, call: ScrobbleCall, action: ScrobbleAction, progress: float
) -> Scrobble:
    movie = next(m for m in sim.state.catalogue.movies if m.imdb)
    return Scrobble(
        call=call,
        action=action,
        progress=progress,
        watched=call is ScrobbleCall.STOP and action is ScrobbleAction.STOP,
        item=MediaItem(kind=MediaKind.MOVIE, ids={"imdb": str(movie.imdb)}, title=movie.title),
        user=PlexUser(id=OWNER, title=cred.PLEX_OWNER_NAME),
        player=PlexPlayer(id="player-1", title="Living room"),
        server_id=cred.PMS_MACHINE_ID,
        rating_key="1",
        timestamp=sim.state.now(),
    )


async def _plex_with_pair_and_route(
    hass: HomeAssistant, sim: Simulator
) -> tuple[MockConfigEntry, MockConfigEntry]:
    trakt = await trakt_entry(hass, sim)
    plex = plex_entry(sim, subentries_data=[_pair(trakt), route([OWNER], [trakt.entry_id])])
    await setup_entries(hass, trakt, plex)
    return plex, trakt


async def test_sides_and_sinks_use_the_accounts_own_clients(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    plex, trakt = await _plex_with_pair_and_route(hass, sim_urls)
    trakt_side = create_side(trakt.runtime_data.account)
    assert isinstance(trakt_side, TraktSide)
    assert trakt_side.client is trakt.runtime_data.account.client
    plex_side = create_side(plex.runtime_data.account)
    assert isinstance(plex_side, PlexSide)
    assert plex_side.tv is plex.runtime_data.account.client
    assert plex_side.server is plex.runtime_data.account.server
    scrobbler: PlexScrobbler | None = plex.runtime_data.scrobble
    assert scrobbler is not None
    target = scrobbler.sinks[trakt.entry_id]._resolve()
    assert target.ratings is trakt.runtime_data.account.client
    assert target.sink.sink_id == trakt.entry_id


async def test_a_sync_run_and_scrobbles_to_one_trakt_account_are_paced_together(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    sim = sim_urls
    trakt_user = sim.state.trakt.users[cred.TRAKT_USER]
    # Trakt lacks Plex's watchlist, plays and ratings: the run writes every feature.
    trakt_user.watchlist.clear()
    trakt_user.ratings.clear()
    trakt_user.history.clear()
    plex, trakt = await _plex_with_pair_and_route(hass, sim)
    pair_runner: PairRunner = next(iter(plex.runtime_data.pair_runners.values()))
    scrobbler: PlexScrobbler | None = plex.runtime_data.scrobble
    assert scrobbler is not None
    sink = scrobbler.sinks[trakt.entry_id]
    await sim.clear_requests()

    async def scrobbles() -> None:
        await sink.deliver(_scrobble(sim, ScrobbleCall.START, ScrobbleAction.START, 5.0))
        await sink.deliver(_scrobble(sim, ScrobbleCall.STOP, ScrobbleAction.PAUSE, 40.0))
        await sink.deliver(_scrobble(sim, ScrobbleCall.STOP, ScrobbleAction.STOP, 95.0))

    summary, _ = await asyncio.gather(pair_runner.async_run(), scrobbles())

    # Everything is written: the seed's plex-only show (Odd Anthology) gets its ids from
    # Plex's metadata provider, so Trakt can be told about it too.
    assert summary["result"] == "ok", summary
    assert [c["failed"] for c in summary["counts"].values()] == [0, 0, 0]
    assert sum(c["unmatched"] for c in summary["counts"].values()) == 0
    writes = [r for r in await sim.requests("trakt") if r["method"] in WRITES]
    scrobble_writes = [r for r in writes if "/scrobble/" in r["path"]]
    sync_writes = [r for r in writes if "/sync/" in r["path"]]
    assert len(scrobble_writes) == 3, [(r["path"], r["status"], r["time"]) for r in writes]
    assert len(sync_writes) >= 3  # watchlist, history and ratings batches
    assert [r["status"] for r in writes if r["status"] == 429] == []
    times = sorted(r["time"] for r in writes)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= 1.0 - 1e-6, gaps


async def test_a_tmdb_account_has_no_sync_side(hass: HomeAssistant, sim_urls: Simulator) -> None:
    tmdb = tmdb_entry()
    await setup_entries(hass, tmdb)
    with pytest.raises(ValueError, match="cannot be synced"):
        create_side(tmdb.runtime_data.account)
