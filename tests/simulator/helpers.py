"""Small request helpers shared by the simulator contract tests."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from simulator import credentials as cred

UA = {"User-Agent": "crosswatch-tests/1.0"}


def trakt_headers(token: str | None = cred.TRAKT_ACCESS_TOKEN) -> dict[str, str]:
    headers = {
        **UA,
        "trakt-api-key": cred.TRAKT_CLIENT_ID,
        "trakt-api-version": "2",
        "Content-Type": "application/json",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


SIMKL_PARAMS = {"client_id": cred.SIMKL_CLIENT_ID, "app-name": "crosswatch", "app-version": "1.0"}


def simkl_headers(token: str | None = cred.SIMKL_TOKEN) -> dict[str, str]:
    headers = {**UA, "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def plex_headers(token: str | None = cred.PLEX_OWNER_TOKEN, **extra: Any) -> dict[str, str]:
    headers = {
        "Accept": "application/json",
        "X-Plex-Client-Identifier": "cw-test-client",
        "X-Plex-Product": "CrossWatch",
        "X-Plex-Version": "1.0",
        **extra,
    }
    if token:
        headers["X-Plex-Token"] = token
    return headers


async def next_frame(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type == aiohttp.WSMsgType.TEXT
    return json.loads(msg.data)["NotificationContainer"]
