"""Contract tests: Trakt's VIP walls of mid-2026 as the simulator serves them.

An app Trakt deleted (its owner is not VIP, or it looked inactive) is unknown everywhere: API
calls answer 403 and the OAuth endpoints ``invalid_client`` (trakt-api #691, #897, #902). An app
that works only for a VIP owner answers 426 with ``X-Upgrade-URL`` (Trakt's docs, "VIP Methods";
shortlist #73). See tests/fixtures/real/SOURCES.md.
"""

from __future__ import annotations

import aiohttp
import pytest

from simulator import credentials as cred
from simulator.testing import Simulator

from .helpers import UA, trakt_headers


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_deleted_app_is_refused_everywhere(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base = sim.url("trakt")
    assert await sim.set_trakt_app(removed=True) == {"removed": True, "owner_vip": True}
    async with http.get(f"{base}/sync/last_activities", headers=trakt_headers()) as resp:
        assert resp.status == 403
        assert await resp.read() == b""
    refresh = {
        "refresh_token": cred.TRAKT_REFRESH_TOKEN,
        "client_id": cred.TRAKT_CLIENT_ID,
        "client_secret": cred.TRAKT_CLIENT_SECRET,
        "grant_type": "refresh_token",
    }
    async with http.post(f"{base}/oauth/token", json=refresh, headers=UA) as resp:
        assert resp.status == 401
        assert await resp.json() == {
            "error": "invalid_client",
            "error_description": "client_id is required",
        }
    code = {"client_id": cred.TRAKT_CLIENT_ID}
    async with http.post(f"{base}/oauth/device/code", json=code, headers=UA) as resp:
        assert resp.status == 401
    # A new app (the user's own, once VIP) works again: here, the same one restored.
    await sim.set_trakt_app(removed=False)
    async with http.get(f"{base}/sync/last_activities", headers=trakt_headers()) as resp:
        assert resp.status == 200


async def test_an_app_of_a_non_vip_owner_answers_vip_only(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base = sim.url("trakt")
    await sim.set_trakt_app(owner_vip=False)
    for path in ("/sync/last_activities", "/sync/watchlist", "/users/settings"):
        async with http.get(base + path, headers=trakt_headers()) as resp:
            assert resp.status == 426
            assert resp.headers["X-Upgrade-URL"] == "https://trakt.tv/vip"
    # A wrong key is still a wrong key.
    bad = {**trakt_headers(), "trakt-api-key": "nope"}
    async with http.get(f"{base}/sync/watchlist", headers=bad) as resp:
        assert resp.status == 403
    assert await sim.set_trakt_app(owner_vip=True) == {"removed": False, "owner_vip": True}
    async with http.get(f"{base}/sync/watchlist", headers=trakt_headers()) as resp:
        assert resp.status == 200


async def test_a_new_app_signs_the_same_user_in_while_the_old_one_is_gone(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    base = sim.url("trakt")
    await sim.set_trakt_app(removed=True)
    code = {"client_id": cred.TRAKT_CLIENT_ID_2}
    async with http.post(f"{base}/oauth/device/code", json=code, headers=UA) as resp:
        assert resp.status == 200
    new_app = {**trakt_headers(), "trakt-api-key": cred.TRAKT_CLIENT_ID_2}
    # A refresh token belongs to the app it was issued to (RFC 6749, section 6).
    refresh = {
        "refresh_token": cred.TRAKT_REFRESH_TOKEN,
        "client_id": cred.TRAKT_CLIENT_ID_2,
        "client_secret": cred.TRAKT_CLIENT_SECRET_2,
        "grant_type": "refresh_token",
    }
    async with http.post(f"{base}/oauth/token", json=refresh, headers=UA) as resp:
        assert resp.status == 400
        assert (await resp.json())["error"] == "invalid_grant"
    wrong_secret = {**refresh, "client_secret": cred.TRAKT_CLIENT_SECRET}
    async with http.post(f"{base}/oauth/token", json=wrong_secret, headers=UA) as resp:
        assert resp.status == 401
        assert (await resp.json())["error_description"].endswith("unknown client.")
    # Each app's standing is its own.
    assert await sim.set_trakt_app(client_id=cred.TRAKT_CLIENT_ID_2, owner_vip=False) == {
        "removed": False,
        "owner_vip": False,
    }
    async with http.get(f"{base}/sync/last_activities", headers=new_app) as resp:
        assert resp.status == 426
