"""Entities and routing details: posters from TMDb, users, SIMKL targets, stop, diagnostics."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import TYPE_CHECKING

import pytest
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event

from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.const import CONF_WEBHOOK_ID, DOMAIN
from custom_components.crosswatch.diagnostics import async_get_config_entry_diagnostics
from custom_components.crosswatch.providers.plex import scrobbler as scrobbling
from custom_components.crosswatch.providers.plex.listener import ListenerState
from custom_components.crosswatch.providers.plex.scrobbler import (
    IDLE,
    display_title,
    scrobble_routes,
)
from custom_components.crosswatch.scrobble.events import PlexPlayer, PlexUser
from custom_components.crosswatch.scrobble.pipeline import NowWatching
from simulator import credentials as cred
from tests.ha.conftest import simkl_entry, tmdb_entry

from .conftest import OWNER, SHARED, plex_entry, route, until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import Accounts


async def test_poster_comes_from_tmdb_and_is_looked_up_once(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    tmdb = tmdb_entry()
    tmdb.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tmdb.entry_id)
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    sensor_id = accounts.entity_id("sensor", f"now_watching_{OWNER}")
    image_id = accounts.entity_id("image", f"now_watching_poster_{OWNER}")
    rating_key = sim.rating_key("Inception")
    expected = f"https://image.tmdb.org/t/p/w500/simm{sim.item('Inception').tmdb}p.jpg"

    def poster() -> object:
        state = hass.states.get(sensor_id)
        return None if state is None else state.attributes.get("poster_url")

    await sim.play(rating_key, offset_ms=888_000)
    await until(lambda: poster() == expected)
    sensor = hass.states.get(sensor_id)
    assert sensor is not None
    assert sensor.attributes["entity_picture"] == expected
    image = hass.states.get(image_id)
    assert image is not None
    assert image.attributes["entity_picture"].startswith(f"/api/image_proxy/{image_id}")
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: poster() is None)
    image_after_stop = hass.states.get(image_id)
    assert image_after_stop is not None
    assert image_after_stop.state != image.state  # image_last_updated moved: no poster now
    # No picture to ask for while idle: HA would answer the image URL with a 500.
    assert "entity_picture" not in image_after_stop.attributes
    await sim.play(rating_key, offset_ms=888_000)
    await until(lambda: poster() == expected)
    inception = f"/movie/{sim.item('Inception').tmdb}"
    details = [r for r in await sim.requests("tmdb") if r["path"].endswith(inception)]
    assert len(details) == 1  # the second play used the cached poster


async def test_episode_title_and_show_poster(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    tmdb = tmdb_entry()
    tmdb.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tmdb.entry_id)
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    sensor_id = accounts.entity_id("sensor", f"now_watching_{OWNER}")
    episode = sim.item("Breaking Bad", 1, 1)
    await sim.play(sim.rating_key(episode), offset_ms=270_000)

    def shown() -> bool:
        state = hass.states.get(sensor_id)
        return state is not None and state.attributes.get("poster_url") is not None

    await until(shown)
    state = hass.states.get(sensor_id)
    assert state is not None
    assert state.state == f"Breaking Bad S01E01 · {episode.title}"
    assert state.attributes["media_type"] == "episode"
    assert state.attributes["show"] == "Breaking Bad"
    assert (state.attributes["season"], state.attributes["episode"]) == (1, 1)
    assert state.attributes["progress"] == 10
    assert isinstance(state.attributes["progress"], int)  # whole percent: fewer state writes
    assert state.attributes["show_ids"]["tvdb"] == "81189"
    show_tmdb = sim.item("Breaking Bad").tmdb
    assert state.attributes["poster_url"].endswith(f"/simt{show_tmdb}p.jpg")
    # The sensor may update before the sink's request goes out: wait for the delivery.
    await accounts.scrobbler.pipeline.wait_idle()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]
    [start] = [r for r in await sim.requests("trakt") if "/scrobble/" in r["path"]]
    # The episode's own ids (Trakt's docs: show + S/E only "if you don't have episode ids").
    assert "show" not in start["body"]
    assert start["body"]["episode"]["ids"]["tvdb"] == episode.tvdb


async def test_every_user_route_names_users_from_the_server(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await accounts.add_plex(routes=[route(None, [accounts.trakt.entry_id])])
    assert set(accounts.scrobbler.users) == {OWNER, SHARED}
    assert accounts.scrobbler.users[SHARED] == cred.PLEX_SHARED_NAME
    await until(lambda: accounts.scrobbler.listener.connected)
    await hass.async_block_till_done()
    shared = accounts.state("sensor", f"now_watching_{SHARED}")
    assert shared.state == IDLE
    await sim.play(sim.rating_key("Inception"), user="shared", offset_ms=888_000)
    await until(lambda: accounts.state("sensor", f"now_watching_{SHARED}").state == "Inception")


async def test_users_seen_later_get_their_entities(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await sim.fault("pms", "GET /accounts", status=500)
    await accounts.add_plex(routes=[route(None, [accounts.trakt.entry_id])])
    assert accounts.scrobbler.users == {}
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.clear_faults()
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    registry = er.async_get(hass)
    assert accounts.plex is not None
    unique_id = f"{accounts.plex.entry_id}_now_watching_{OWNER}"
    await until(lambda: registry.async_get_entity_id("sensor", DOMAIN, unique_id) is not None)
    await hass.async_block_till_done()
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception"
    assert accounts.state("image", f"now_watching_poster_{OWNER}") is not None


async def test_unrouted_user_is_ignored(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    await accounts.add_plex([OWNER])
    await until(lambda: accounts.scrobbler.listener.connected)
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, user="shared", offset_ms=888_000)
    await sim.stop(user="shared", offset_ms=8_880_000)
    await sim.play(rating_key, offset_ms=888_000)  # the routed owner: proves frames flow
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    assert list(accounts.scrobbler.pipeline.now_watching) == [OWNER]
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]
    assert SHARED not in accounts.scrobbler.users


async def test_simkl_target_gets_scrobbles(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    simkl = simkl_entry()
    simkl.add_to_hass(hass)
    assert await hass.config_entries.async_setup(simkl.entry_id)
    await accounts.add_plex(routes=[route([OWNER], [simkl.entry_id, accounts.trakt.entry_id])])
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    simkl_calls = [r for r in await sim.requests("simkl") if "/scrobble/" in r["path"]]
    assert [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in simkl_calls] == [("start", 201)]
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]


async def test_a_tmdb_route_target_is_rejected(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    tmdb = tmdb_entry()
    tmdb.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tmdb.entry_id)
    await accounts.add_plex(routes=[route([OWNER], [tmdb.entry_id])])
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: accounts.scrobbler.last_report is not None)
    report = accounts.scrobbler.last_report
    assert report is not None
    assert report.rejected == (tmdb.entry_id,)


async def test_no_routes_no_scrobbling(hass: HomeAssistant, accounts: Accounts) -> None:
    entry = await accounts.add_plex(routes=[])
    assert entry.runtime_data.scrobble is None
    assert CONF_WEBHOOK_ID not in entry.data
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("binary_sensor", DOMAIN, f"{entry.entry_id}_plex_listener")
        is None
    )


async def test_home_assistant_stop_closes_the_listener(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert accounts.scrobbler.listener.state is ListenerState.STOPPED
    assert accounts.plex is not None
    assert await hass.config_entries.async_unload(accounts.plex.entry_id)
    assert accounts.plex.state is ConfigEntryState.NOT_LOADED


async def test_diagnostics_show_the_scrobbler_without_secrets(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    entry = await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    scrobble = diagnostics["scrobble"]
    assert scrobble["listener"]["state"] == "connected"
    assert scrobble["queue_size"] == 0
    assert scrobble["routes"] == [{"users": "**REDACTED**", "targets": [accounts.trakt.entry_id]}]
    assert scrobble["webhook_url"] == "**REDACTED**"
    text = json.dumps(diagnostics)
    assert entry.data[CONF_WEBHOOK_ID] not in text
    assert cred.PLEX_SERVER_TOKEN not in text


async def test_tmdb_failure_leaves_no_poster(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    tmdb = tmdb_entry()
    tmdb.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tmdb.entry_id)
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)
    await sim.fault("tmdb", "GET /movie/*", status=404)
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)

    inception = f"/movie/{sim.item('Inception').tmdb}"

    async def movie_lookups() -> list[int]:
        return [r["status"] for r in await sim.requests("tmdb") if r["path"].endswith(inception)]

    async with asyncio.timeout(5):
        while not await movie_lookups():  # noqa: ASYNC110 - polling the simulator's log
            await asyncio.sleep(0.01)
    assert await movie_lookups() == [404]
    await sim.pause(offset_ms=3_552_000)  # a later update: still no poster
    await until(lambda: accounts.scrobbler.pipeline.now_watching[OWNER].paused)
    await hass.async_block_till_done()
    sensor = accounts.state("sensor", f"now_watching_{OWNER}")
    assert sensor.state == "Inception"
    assert sensor.attributes["poster_url"] is None


def test_routes_come_only_from_scrobble_route_subentries(sim: Simulator) -> None:
    pair = ConfigSubentryData(
        subentry_type="sync_pair", title="Pair", unique_id=None, data={"target_entry_id": "t"}
    )
    entry = plex_entry(sim, [pair, route(["1", "2"], ["trakt-id"])])
    [only] = scrobble_routes(entry)
    assert only.user_ids == frozenset({"1", "2"})
    assert only.sink_ids == ("trakt-id",)
    assert only.server_id == cred.PMS_MACHINE_ID


def test_display_titles_fit_a_state() -> None:
    watching = NowWatching(
        user=PlexUser(id=OWNER),
        title="x" * 400,
        kind=MediaKind.MOVIE,
        show_title=None,
        season=None,
        number=None,
        progress=10.0,
        player=PlexPlayer(id="p"),
        paused=False,
        rating_key="42",
    )
    assert display_title(watching) == "x" * 255
    untitled = replace(watching, title=None, kind=MediaKind.EPISODE, show_title="Show", season=2)
    assert display_title(untitled) == "Show S02E00 · 42"


async def test_a_server_slow_to_list_its_users_does_not_hold_up_setup(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scrobbling, "USERS_LOOKUP_SECONDS", 0.2)
    await sim.fault("pms", "GET /accounts", kind="timeout")
    await accounts.add_plex([OWNER])
    assert accounts.scrobbler.users == {OWNER: OWNER}  # named by id until the server answers
    await until(lambda: accounts.scrobbler.listener.connected)
    await hass.async_block_till_done()
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == IDLE


async def _add_route(hass: HomeAssistant, entry_id: str, users: list[str], target: str) -> None:
    """Add a scrobble route through its subentry flow, as the frontend does."""
    subentries = hass.config_entries.subentries
    result = await subentries.async_init((entry_id, "scrobble_route"), context={"source": "user"})
    result = await subentries.async_configure(
        result["flow_id"], {"all_users": False, "plex_users": users, "target_entry_ids": [target]}
    )
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()


async def test_adding_scrobble_routes_never_reloads_the_plex_account(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator
) -> None:
    """The account's entities stay available while routes are added; new users get entities."""
    entry = await accounts.add_plex(routes=[])
    coordinator = entry.runtime_data.coordinator
    watchlist_id = accounts.entity_id("sensor", "watchlist")
    states: list[str] = []
    entry.async_on_unload(
        async_track_state_change_event(
            hass, [watchlist_id], lambda event: states.append(event.data["new_state"].state)
        )
    )

    await _add_route(hass, entry.entry_id, [OWNER], accounts.trakt.entry_id)
    scrobbler = accounts.scrobbler
    assert entry.runtime_data.coordinator is coordinator  # the same setup: no reload
    await until(lambda: scrobbler.listener.connected)
    await until(lambda: accounts.state("sensor", f"now_watching_{OWNER}").state == IDLE)
    # The poster follows the play feed too, though no poster changed.
    await until(
        lambda: accounts.state("image", f"now_watching_poster_{OWNER}").state != "unavailable"
    )
    await sim.play(sim.rating_key("Inception"), offset_ms=888_000)
    await until(lambda: accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception")

    await _add_route(hass, entry.entry_id, [SHARED], accounts.trakt.entry_id)
    assert accounts.scrobbler is scrobbler
    assert len(scrobbler.routes) == 2
    assert accounts.state("sensor", f"now_watching_{SHARED}").state == IDLE
    # Idle with the play feed up: available, with no picture to fetch.
    idle_poster = accounts.state("image", f"now_watching_poster_{SHARED}")
    assert idle_poster.state != "unavailable"
    assert "entity_picture" not in idle_poster.attributes
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception"
    assert entry.runtime_data.coordinator is coordinator

    # Removing the second route takes its user's entities away, still without a reload.
    shared_route = next(
        sid for sid, sub in entry.subentries.items() if sub.data["plex_users"] == [SHARED]
    )
    assert hass.config_entries.async_remove_subentry(entry, shared_route)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_now_watching_{SHARED}")
        is None
    )
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == "Inception"
    assert entry.runtime_data.coordinator is coordinator
    assert "unavailable" not in states
