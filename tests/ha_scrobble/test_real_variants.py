"""Real Plex variants end to end (simulator -> HA -> Trakt), each as the corpus recorded it.

A client that moves its session to the next item without ``stopped``, a session that simply
vanishes, a webhook-only server whose webhooks carry no ``viewOffset``/``duration``, and a
``media.rate`` of a season (tests/fixtures/real/plex and SOURCES.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import homeassistant.util.dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.crosswatch.providers.plex.binder import (
    SESSION_GONE_SECONDS,
    SESSION_SWEEP_SECONDS,
)

from .conftest import until

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts

    Client = ClientSessionGenerator


async def _connected(accounts: Accounts) -> None:
    await accounts.add_plex()
    await until(lambda: accounts.scrobbler.listener.connected)


async def _scrobbles_settled(hass: HomeAssistant, accounts: Accounts) -> None:
    await accounts.scrobbler.pipeline.wait_idle()
    await hass.async_block_till_done()


def _trakt(sim: Simulator) -> list[dict[str, Any]]:
    """Every request Trakt has seen so far (read in place: the predicates poll it)."""
    return [entry.as_dict() for entry in sim.state.log.select("trakt", None)]


def _episode_scrobbles(sim: Simulator) -> list[tuple[str, float, int | None]]:
    """(endpoint, progress, the episode's tvdb id) of every Trakt scrobble, in order."""
    return [
        (r["path"].rsplit("/", 1)[-1], r["body"]["progress"], r["body"]["episode"]["ids"]["tvdb"])
        for r in _trakt(sim)
        if "/scrobble/" in r["path"]
    ]


async def test_next_episode_without_a_stop_ends_the_first_watched(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await _connected(accounts)
    first, second = sim.item("Breaking Bad", 1, 1), sim.item("Breaking Bad", 1, 2)
    await sim.play(sim.rating_key(first), offset_ms=270_000)  # 10 %
    sim_clock.advance(2400)
    await sim.seek(int(first.duration_ms * 0.9))
    sim_clock.advance(300)
    # The client autoplays the next episode in the same session and never says "stopped".
    await sim.play(sim.rating_key(second), keep_session=True, offset_ms=270_000)
    await until(lambda: len([s for s in _episode_scrobbles(sim) if s[0] == "start"]) == 2)
    await _scrobbles_settled(hass, accounts)
    assert _episode_scrobbles(sim) == [
        ("start", 10.0, first.tvdb),
        ("stop", 90.0, first.tvdb),  # the stop the client never sent, at its last offset: watched
        ("start", 10.0, second.tvdb),
    ]
    assert accounts.state("sensor", "now_watching_1").attributes["episode"] == 2


async def test_a_session_that_vanishes_is_stopped_at_its_last_offset(
    hass: HomeAssistant, accounts: Accounts, sim: Simulator, sim_clock: ManualClock
) -> None:
    await _connected(accounts)
    movie = sim.item("Inception")
    await sim.play(sim.rating_key(movie), offset_ms=888_000)  # 10 %
    sim_clock.advance(3000)
    await sim.seek(int(movie.duration_ms * 0.85))
    await until(lambda: accounts.state("sensor", "now_watching_1").attributes["progress"] == 85.0)
    await sim.vanish()  # gone from /status/sessions: no frame, no webhook
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=SESSION_SWEEP_SECONDS))
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]  # its stop may be late
    sim_clock.advance(SESSION_GONE_SECONDS)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=3 * SESSION_SWEEP_SECONDS))
    await until(lambda: accounts.state("sensor", "now_watching_1").state == "idle")
    await _scrobbles_settled(hass, accounts)
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201), ("stop", 85.0, 201)]


async def test_webhooks_without_view_offset_take_the_servers_progress(
    hass: HomeAssistant,
    accounts: Accounts,
    hook: tuple[Client, str],
    sim: Simulator,
    sim_clock: ManualClock,
) -> None:
    client, path = hook
    # A webhook-only setup: no playing frames, and webhooks as recorded without offsets.
    await sim.plex_quirks(playing_frames=False, webhook_offsets=False, webhook_guids=False)
    await sim.register_webhook(str(client.make_url(path)))
    movie = sim.item("Inception")
    await sim.play(sim.rating_key(movie), offset_ms=888_000)  # 10 %: media.play without offset
    await until(lambda: len(_trakt(sim)) > 0)
    await _scrobbles_settled(hass, accounts)
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]  # not a silent 0
    sim_clock.advance(3000)
    await sim.pause(offset_ms=int(movie.duration_ms * 0.5))
    await until(lambda: len(_trakt(sim)) > 1)
    await _scrobbles_settled(hass, accounts)
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201), ("stop", 50.0, 201)]


async def test_a_season_rating_reaches_trakt(
    hass: HomeAssistant,
    accounts: Accounts,
    hook: tuple[Client, str],
    sim: Simulator,
) -> None:
    client, path = hook
    await sim.register_webhook(str(client.make_url(path)))
    show = sim.item("Breaking Bad")
    season = show.season_items[2]
    await sim.rate(sim.state.plex.rating_key(season), 8)

    def rated() -> list[dict[str, object]]:
        return [r["body"] for r in _trakt(sim) if r["path"].endswith("/sync/ratings")]

    await until(lambda: bool(rated()))
    (body,) = rated()
    (entry,) = body["shows"]  # type: ignore[index]
    assert entry["ids"]["tvdb"] == show.tvdb
    assert entry["seasons"] == [{"number": 2, "rating": 8}]
