"""Every platform on one scene: Plex (a sync pair and a scrobble route to Trakt), Trakt, TMDb.

Entry, subentry and webhook ids are fixed so snapshots hold the same unique ids every run; the
pair has run once (on the simulator's manual clock), and the owner's listener is connected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from unittest.mock import PropertyMock, patch

import pytest
from homeassistant.components.application_credentials import (
    ClientCredential,
    async_import_client_credential,
)
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryDataWithId
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension

from custom_components.crosswatch.const import (
    CONF_WEBHOOK_ID,
    DOMAIN,
    SUBENTRY_SCROBBLE_ROUTE,
    SUBENTRY_SYNC_PAIR,
)
from simulator import credentials as cred
from simulator.pytest_plugin import sim, sim_clock  # noqa: F401
from tests.ha.conftest import clock, sim_urls, tmdb_entry  # noqa: F401
from tests.ha_scrobble.conftest import trakt_entry, until
from tests.ha_sync.conftest import plex_entry

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.const import Platform
    from homeassistant.core import HomeAssistant
    from syrupy.assertion import SnapshotAssertion

    from custom_components.crosswatch.pairs import PairRunner
    from custom_components.crosswatch.providers.plex.scrobbler import PlexScrobbler
    from simulator.testing import Simulator

PLEX_ID = "plex0000000000000000000001"
TRAKT_ID = "trakt000000000000000000001"
TMDB_ID = "tmdb0000000000000000000001"
PAIR_ID = "pair0000000000000000000001"
ROUTE_ID = "route000000000000000000001"
WEBHOOK_ID = "webhook0000000000000000000000001"


@dataclass(frozen=True, slots=True)
class Scene:
    """The loaded entries."""

    plex: MockConfigEntry
    trakt: MockConfigEntry
    tmdb: MockConfigEntry

    @property
    def runner(self) -> PairRunner:
        runner: PairRunner = self.plex.runtime_data.pair_runners[PAIR_ID]
        return runner

    @property
    def scrobbler(self) -> PlexScrobbler:
        scrobbler: PlexScrobbler | None = self.plex.runtime_data.scrobble
        assert scrobbler is not None
        return scrobbler


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Registry entries and states in Home Assistant's snapshot form (random ids and times out).

    The plugin's own fixture of that name loses to syrupy's here, as it does in core's tests.
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def enable_all_entities() -> Iterator[None]:
    """Register entities disabled by default (the TMDb cache sensor) as enabled."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


def _plex_entry(simulator: Simulator) -> MockConfigEntry:
    return plex_entry(
        simulator,
        entry_id=PLEX_ID,
        subentries_data=[
            ConfigSubentryDataWithId(
                subentry_id=PAIR_ID,
                subentry_type=SUBENTRY_SYNC_PAIR,
                title="Plex → Trakt",
                unique_id=None,
                data={
                    "target_entry_id": TRAKT_ID,
                    "features": ["watchlist"],
                    "direction": "one_way",
                    "removals": "off",
                    "interval_minutes": 60,
                },
            ),
            ConfigSubentryDataWithId(
                subentry_id=ROUTE_ID,
                subentry_type=SUBENTRY_SCROBBLE_ROUTE,
                title="Owner → Trakt",
                unique_id=None,
                data={"plex_users": ["1"], "all_users": False, "target_entry_ids": [TRAKT_ID]},
            ),
        ],
    )


@pytest.fixture
async def scene(
    hass: HomeAssistant,
    sim_urls: Simulator,  # noqa: F811
    platforms: list[Platform],
    enable_all_entities: None,
) -> Scene:
    """Load the three accounts with only ``platforms``, run the pair once, connect the listener.

    ``platforms`` is each test module's own fixture (the platform it snapshots).
    """
    assert await async_setup_component(hass, "application_credentials", {})
    await async_import_client_credential(
        hass, DOMAIN, ClientCredential(cred.TRAKT_CLIENT_ID, cred.TRAKT_CLIENT_SECRET), DOMAIN
    )
    scene = Scene(
        plex=_plex_entry(sim_urls),
        trakt=trakt_entry(entry_id=TRAKT_ID),
        tmdb=tmdb_entry(entry_id=TMDB_ID),
    )
    with patch("custom_components.crosswatch.PLATFORMS", platforms):
        # One after the other: TMDb first, so the others' first polls find posters.
        for entry in (scene.tmdb, scene.trakt, scene.plex):
            entry.add_to_hass(hass)
            if entry is scene.plex:
                # Given up front: otherwise the scrobbler draws a random webhook id (shown).
                hass.config_entries.async_update_entry(
                    entry, data={**entry.data, CONF_WEBHOOK_ID: WEBHOOK_ID}
                )
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
    for entry in (scene.trakt, scene.tmdb, scene.plex):
        assert entry.state is ConfigEntryState.LOADED, entry.title
    await scene.runner.async_run()
    await until(lambda: scene.scrobbler.listener.connected)
    await hass.async_block_till_done()
    return scene
