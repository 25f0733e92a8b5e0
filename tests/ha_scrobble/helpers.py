"""Webhook bodies, queue steps and client types shared by the scrobbling tests."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator import credentials as cred

from .conftest import OWNER, until

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from aiohttp import web
    from aiohttp.test_utils import TestClient
    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts


def payload(
    event: str, *, offset: int, account: str = OWNER, rating_key: str = "", **extra: Any
) -> dict[str, Any]:
    """A Plex webhook payload for Inception (148 min) as PMS sends it."""
    return {
        "event": event,
        "user": True,
        "owner": True,
        "Account": {"id": int(account), "title": "simowner"},
        "Server": {"title": cred.PMS_NAME, "uuid": cred.PMS_MACHINE_ID},
        "Player": {"local": True, "title": "SHIELD", "uuid": cred.PLAYER_TV},
        "Metadata": {
            "ratingKey": rating_key,
            "type": "movie",
            "title": "Inception",
            "year": 2010,
            "guid": "plex://movie/5d7768ba96b655001fdc0408",
            "Guid": [{"id": "imdb://tt1375666"}, {"id": "tmdb://27205"}],
            "duration": 8_880_000,
            "viewOffset": offset,
            **extra,
        },
    }


def multipart(data: dict[str, Any], *, thumb: bool = True) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)
    form.add_field("payload", json.dumps(data))
    if thumb:
        form.add_field("thumb", b"\xff\xd8\xff\xe0jpeg\xff\xd9", filename="thumb.jpg")
    return form


async def play_then_stop(accounts: Accounts, sim: Simulator) -> None:
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=888_000)
    await until(lambda: OWNER in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()
    await sim.stop(offset_ms=8_880_000)
    await until(lambda: OWNER not in accounts.scrobbler.pipeline.now_watching)
    await accounts.scrobbler.pipeline.wait_idle()


async def run_queue(
    hass: HomeAssistant, accounts: Accounts, sim_clock: ManualClock, seconds: float
) -> None:
    """Let ``seconds`` pass on both clocks so the queue's timer fires and the entry is due."""
    sim_clock.advance(seconds)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds + 1))
    await hass.async_block_till_done()
    await accounts.scrobbler.async_drained()


# Home Assistant's HTTP test client, and what makes one (``hass_client_no_auth``).
type Client = TestClient[web.Request, web.Application]
type ClientFactory = Callable[[], Awaitable[Client]]
