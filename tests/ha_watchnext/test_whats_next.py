"""What to watch next in Home Assistant: the Trakt calendar, the up-next sensor and play next."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.components.media_player import MediaPlayerEntity, MediaPlayerEntityFeature
from homeassistant.config_entries import ConfigFlow
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    MockPlatform,
    mock_config_flow,
    mock_integration,
    mock_platform,
)
from yarl import URL

from custom_components.crosswatch.const import DOMAIN
from simulator import credentials as cred
from simulator.catalogue import Episode, Show
from simulator.simkl import Entry as SimklEntry
from simulator.trakt import Play as TraktPlay

from .conftest import plex_entry, simkl_entry, trakt_entry

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from simulator.testing import Simulator


class StandInFlow(ConfigFlow):
    """The stand-in integrations' entries are made by the tests, not by a flow."""


class PlexClientStandIn(MediaPlayerEntity):
    """A player as HA's Plex integration provides it (``plexapi`` is not installed here).

    It reads ``media_content_id`` as the integration's ``process_plex_payload`` does:
    ``plex://{server machine id}/{ratingKey}``, options in the query.
    """

    _attr_supported_features = MediaPlayerEntityFeature.PLAY_MEDIA

    def __init__(self, server_id: str, name: str) -> None:
        self._attr_unique_id = f"{server_id}:{name}"
        self._attr_name = name
        self.server_id = server_id
        self.played: list[tuple[str, str]] = []

    async def async_play_media(self, media_type: str, media_id: str, **kwargs: Any) -> None:
        url = URL(media_id)
        if url.scheme != "plex" or url.host != self.server_id or not url.name.isdigit():
            raise HomeAssistantError(f"not a media id of this server: {media_id}")
        self.played.append((media_type, media_id))


async def add_player(hass: HomeAssistant, domain: str, server_id: str) -> PlexClientStandIn:
    """A player of integration ``domain`` whose config entry is named by ``server_id``."""
    player = PlexClientStandIn(server_id, f"{domain} living room")

    async def setup_entry(
        hass: HomeAssistant, entry: ConfigEntry, add: AddConfigEntryEntitiesCallback
    ) -> None:
        add([player])

    async def forward(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, ["media_player"])
        return True

    mock_integration(hass, MockModule(domain, async_setup_entry=forward))
    mock_platform(hass, f"{domain}.media_player", MockPlatform(async_setup_entry=setup_entry))
    mock_platform(hass, f"{domain}.config_flow", None)
    entry = MockConfigEntry(domain=domain, unique_id=server_id)
    entry.add_to_hass(hass)
    with mock_config_flow(domain, StandInFlow):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return player


@pytest.fixture
async def trakt_loaded(hass: HomeAssistant, sim_urls: Simulator) -> MockConfigEntry:
    """A loaded Trakt account that also follows "Odd Anthology" (airing weekly)."""
    odd = sim_urls.item("Odd Anthology")
    assert isinstance(odd, Show)
    user = sim_urls.state.trakt.users[cred.TRAKT_USER]
    user.watchlist[odd] = (sim_urls.state.trakt.next_id(), sim_urls.clock.time() - 86400)
    # ... and watched its first episode (Plex knows the show only by its plex:// guid)
    first = sim_urls.item("Odd Anthology", 1, 1)
    assert isinstance(first, Episode)
    user.history.append(
        TraktPlay(sim_urls.state.trakt.next_id(), first, sim_urls.clock.time() - 3600)
    )
    entry = await trakt_entry(hass, sim_urls)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def calendar_events(
    hass: HomeAssistant, entity_id: str, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """What ``calendar.get_events`` answers for ``entity_id`` between ``start`` and ``end``."""
    answer = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": entity_id, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    return list(answer[entity_id]["events"])  # type: ignore[index]


def _entity(hass: HomeAssistant, platform: str, entry: MockConfigEntry, key: str) -> str:
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(platform, DOMAIN, f"{entry.entry_id}_{key}")
    assert entity_id is not None
    return entity_id


async def test_calendar_next_episode_and_windows(
    hass: HomeAssistant, sim_urls: Simulator, trakt_loaded: MockConfigEntry
) -> None:
    entity_id = _entity(hass, "calendar", trakt_loaded, "upcoming")
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "off"  # nothing airing right now
    assert state.attributes["message"] == "Odd Anthology S01E03 · Chapter 3"
    now = datetime.fromtimestamp(sim_urls.clock.time(), UTC)
    await sim_urls.clear_requests()
    events = await calendar_events(hass, entity_id, now, now + timedelta(days=15))
    odd = [e["summary"] for e in events if e["summary"].startswith("Odd Anthology")]
    assert odd == [
        "Odd Anthology S01E03 · Chapter 3",
        "Odd Anthology S01E04 · Chapter 4",
        "Odd Anthology S01E05 · Chapter 5",
    ]
    assert await sim_urls.requests("trakt") == []  # answered from the poll's window
    later = now + timedelta(days=200)
    await calendar_events(hass, entity_id, later, later + timedelta(days=90))
    paths = [r["path"] for r in await sim_urls.requests("trakt")]
    start = later.date().isoformat()
    assert paths == [
        f"/trakt/calendars/my/shows/{start}/33",
        f"/trakt/calendars/my/movies/{start}/33",
    ]


@pytest.fixture
async def plex_loaded(hass: HomeAssistant, sim_urls: Simulator) -> MockConfigEntry:
    entry = plex_entry(sim_urls)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_play_next_starts_the_episode_on_the_plex_player(
    hass: HomeAssistant,
    sim_urls: Simulator,
    trakt_loaded: MockConfigEntry,
    plex_loaded: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, "media_player", {})
    player = await add_player(hass, "plex", cred.PMS_MACHINE_ID)
    entity_id = _entity_of(hass, "plex", player)
    coordinator = trakt_loaded.runtime_data.watch_next
    assert coordinator is not None
    assert coordinator.data is not None
    # a show the Plex server has by its ids (not Odd Anthology, known by its plex:// guid only)
    first = next(
        e for e in coordinator.data.up_next if e.show.title != "Odd Anthology"
    ).attributes()
    answer = await hass.services.async_call(
        DOMAIN,
        "play_next",
        {"media_player": entity_id, "show": first["show"]},
        blocking=True,
        return_response=True,
    )
    assert answer is not None
    assert answer["episode"] == first["label"]
    episode = sim_urls.item(first["show"], first["season"], first["episode"])
    rating_key = sim_urls.rating_key(episode)
    media_id = f"plex://{cred.PMS_MACHINE_ID}/{rating_key}?resume=1"
    assert answer["media_content_id"] == media_id
    assert player.played == [("episode", media_id)]


async def test_play_next_errors(
    hass: HomeAssistant,
    sim_urls: Simulator,
    trakt_loaded: MockConfigEntry,
    plex_loaded: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, "media_player", {})
    other = await add_player(hass, "kodi", cred.PMS_MACHINE_ID)
    elsewhere = await add_player(hass, "plex", "another-server")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "play_next", {"media_player": _entity_of(hass, "kodi", other)}, blocking=True
        )
    assert err.value.translation_key == "not_a_plex_player"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "play_next",
            {"media_player": _entity_of(hass, "plex", elsewhere)},
            blocking=True,
        )
    assert err.value.translation_key == "plex_server_not_connected"
    # the player of the connected server, a show nobody is watching
    mock_plex = hass.config_entries.async_entries("plex")[0]
    hass.config_entries.async_update_entry(mock_plex, unique_id=cred.PMS_MACHINE_ID)
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "play_next",
            {"media_player": _entity_of(hass, "plex", elsewhere), "show": "No Such Show"},
            blocking=True,
        )
    assert err.value.translation_key == "show_not_up_next"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN,
            "play_next",
            {"media_player": _entity_of(hass, "plex", elsewhere), "show": "odd anthology"},
            blocking=True,
        )
    assert err.value.translation_key == "episode_not_on_plex"
    assert err.value.translation_placeholders == {"episode": "Odd Anthology S01E02"}
    assert elsewhere.played == []


def _entity_of(hass: HomeAssistant, domain: str, player: PlexClientStandIn) -> str:
    entity_id = er.async_get(hass).async_get_entity_id(
        "media_player", domain, str(player.unique_id)
    )
    assert entity_id is not None
    return entity_id


async def test_calendar_view_that_cannot_be_read_fails_clearly(
    hass: HomeAssistant, sim_urls: Simulator, trakt_loaded: MockConfigEntry
) -> None:
    entity_id = _entity(hass, "calendar", trakt_loaded, "upcoming")
    await sim_urls.fault("trakt", "GET /calendars/*", status=503)
    later = datetime.fromtimestamp(sim_urls.clock.time(), UTC) + timedelta(days=300)
    with pytest.raises(HomeAssistantError) as err:
        await calendar_events(hass, entity_id, later, later + timedelta(days=5))
    assert err.value.translation_key == "service_unavailable"


async def test_a_failed_refresh_keeps_the_last_list_and_a_refused_token_asks_to_sign_in(
    hass: HomeAssistant, sim_urls: Simulator, trakt_loaded: MockConfigEntry
) -> None:
    coordinator = trakt_loaded.runtime_data.watch_next
    assert coordinator is not None
    assert coordinator.data is not None
    before = coordinator.data.up_next
    assert before
    user = sim_urls.state.trakt.users[cred.TRAKT_USER]
    user.touch(sim_urls.clock.time() + 1, "episodes.watched_at")  # the stamp moved
    sim_urls.clock.advance(120)  # older than what the poll may reuse
    await sim_urls.fault("trakt", "GET /sync/watched/*", status=503)
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    assert coordinator.data.up_next == before  # what the sensor shows stays
    await sim_urls.clear_faults()
    sim_urls.clock.advance(120)
    await sim_urls.fault("trakt", "GET /sync/last_activities", status=401)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert not coordinator.last_update_success
    flows = hass.config_entries.flow.async_progress()
    assert any(f["context"].get("source") == "reauth" for f in flows)


async def test_simkl_account_has_an_up_next_list_and_a_calendar(
    hass: HomeAssistant, sim_urls: Simulator
) -> None:
    odd = sim_urls.item("Odd Anthology")
    assert isinstance(odd, Show)
    moment = sim_urls.clock.time()
    sim_urls.state.simkl.users[cred.SIMKL_USER].entries[odd] = SimklEntry(
        "watching", moment - 86400, moment - 86400
    )
    entry = simkl_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    entity_id = _entity(hass, "calendar", entry, "upcoming")
    now = datetime.fromtimestamp(sim_urls.clock.time(), UTC)
    coming = [
        f"Odd Anthology S01E{ep.number:02d} · Chapter {ep.number}"
        for ep in odd.episodes
        if ep.first_aired + odd.runtime * 60 > now.timestamp()
    ]
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.attributes["message"] == coming[0]
    await sim_urls.clear_requests()
    events = await calendar_events(hass, entity_id, now, now + timedelta(days=90))
    assert [e["summary"] for e in events] == coming
    assert await sim_urls.requests("simkl") == []  # SIMKL's lists hold every episode to come
    # after the account's own poll, what's next reuses its /sync/activities answer
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    routes = [r["route"] for r in await sim_urls.requests("simkl")]
    assert routes.count("GET /sync/activities") == 1


async def test_play_next_without_anything_up_next(
    hass: HomeAssistant, sim_urls: Simulator, plex_loaded: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "media_player", {})
    player = await add_player(hass, "plex", cred.PMS_MACHINE_ID)
    target = {"media_player": _entity_of(hass, "plex", player)}
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "play_next", target, blocking=True)
    assert err.value.translation_key == "nothing_up_next"  # no Trakt or SIMKL account
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, "play_next", {**target, "config_entry_id": "nope"}, blocking=True
        )
    assert err.value.translation_key == "unknown_entry"


async def test_play_next_when_the_plex_server_fails(
    hass: HomeAssistant,
    sim_urls: Simulator,
    trakt_loaded: MockConfigEntry,
    plex_loaded: MockConfigEntry,
) -> None:
    assert await async_setup_component(hass, "media_player", {})
    player = await add_player(hass, "plex", cred.PMS_MACHINE_ID)
    await sim_urls.fault("pms", "GET /library/sections", status=500)
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            DOMAIN,
            "play_next",
            {
                "media_player": _entity_of(hass, "plex", player),
                "config_entry_id": trakt_loaded.entry_id,
            },
            blocking=True,
        )
    assert err.value.translation_key == "service_unavailable"
    assert player.played == []
