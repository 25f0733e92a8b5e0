"""plex.tv (``/plex.tv``): PIN login, ``/api/v2/user``, ``/api/v2/resources``."""

from __future__ import annotations

import hashlib
import string
from typing import Any

from aiohttp import web

from . import credentials as cred
from .clock import iso_s
from .core import Abort, state_of
from .plex import PLAYERS, PMS_VERSION, Pin, PlexUser, container

PREFIX = "/plex.tv"


def _error(status: int, code: int, message: str) -> Abort:
    body = {"errors": [{"code": code, "message": message, "status": status}]}
    return Abort(web.json_response(body, status=status))


def account(request: web.Request) -> PlexUser:
    """The plex.tv account behind the token (server tokens are not account tokens)."""
    token = request.headers.get("X-Plex-Token") or request.query.get("X-Plex-Token")
    found = state_of(request).plex.user_for(token)
    if found is None or found[1] != "account":
        raise _error(401, 1001, "User could not be authenticated")
    return found[0]


def _client_id(request: web.Request) -> str:
    value = request.headers.get("X-Plex-Client-Identifier") or request.query.get(
        "X-Plex-Client-Identifier"
    )
    if not value:
        raise _error(400, 1000, "X-Plex-Client-Identifier is missing")
    return value


def _pin_json(pin: Pin) -> dict[str, Any]:
    return {
        "id": pin.id,
        "code": pin.code,
        "product": pin.product,
        "trusted": False,
        "qr": f"https://plex.tv/api/v2/pins/qr/{pin.code}",
        "clientIdentifier": pin.client_id,
        "location": {
            "code": "DE",
            "european_union_member": True,
            "continent_code": "EU",
            "country": "Germany",
            "city": "Berlin",
            "time_zone": "Europe/Berlin",
            "postal_code": "10115",
            "in_privacy_restricted_country": False,
            "subdivisions": "Berlin",
            "coordinates": "52.5, 13.4",
        },
        "expiresIn": pin.expires_in,
        "createdAt": iso_s(pin.created),
        "expiresAt": iso_s(pin.created + pin.expires_in),
        "authToken": pin.token,
        "newRegistration": None,
    }


async def pin_create(request: web.Request) -> web.Response:
    client = _client_id(request)
    state = state_of(request)
    plex = state.plex
    strong = request.query.get("strong") in ("true", "1")
    pin_id = 1272322473 + len(plex.pins)
    digest = hashlib.sha256(f"pin{pin_id}".encode()).digest()
    alphabet = (
        string.ascii_lowercase + string.digits if strong else string.ascii_uppercase + string.digits
    )
    code = "".join(alphabet[b % len(alphabet)] for b in digest[: 25 if strong else 4])
    pin = Pin(
        pin_id,
        code,
        client,
        request.headers.get("X-Plex-Product", "Plex App"),
        state.now(),
        1800 if strong else 900,
    )
    plex.pins[pin_id] = pin
    return (
        container(request, {"pin": _pin_json(pin)}, 201)
        if not _json(request)
        else web.json_response(_pin_json(pin), status=201)
    )


def _json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


async def pin_poll(request: web.Request) -> web.Response:
    client = _client_id(request)
    state = state_of(request)
    raw = request.match_info["pin_id"]
    pin = state.plex.pins.get(int(raw)) if raw.isdigit() else None
    if pin is None or pin.client_id != client or state.now() >= pin.created + pin.expires_in:
        raise _error(404, 1020, "Code not found or expired")
    body = _pin_json(pin)
    return web.json_response(body) if _json(request) else container(request, {"pin": body})


async def user(request: web.Request) -> web.Response:
    acct = account(request)
    token = request.headers.get("X-Plex-Token") or request.query.get("X-Plex-Token")
    body = {
        "id": acct.plex_id,
        "uuid": acct.uuid,
        "username": acct.username,
        "title": acct.username,
        "email": f"{acct.username}@example.invalid",
        "friendlyName": acct.username.title(),
        "locale": None,
        "confirmed": True,
        "joinedAt": 1500000000,
        "protected": False,
        "thumb": acct.thumb,
        "authToken": token,
        "subscription": {"active": True, "status": "Active", "plan": "lifetime"},
        "restricted": False,
        "home": acct.owner,
        "homeAdmin": acct.owner,
        "homeSize": 1,
        "maxHomeSize": 15,
        "rememberExpiresAt": 1893456000,
    }
    return web.json_response(body) if _json(request) else container(request, {"user": body})


def _server(origin: str, acct: PlexUser) -> dict[str, Any]:
    owned = acct.owner
    token = cred.PLEX_SERVER_TOKEN if owned else cred.PLEX_SHARED_SERVER_TOKEN
    host, _, port = origin.removeprefix("http://").partition(":")
    return {
        "name": cred.PMS_NAME,
        "product": "Plex Media Server",
        "productVersion": PMS_VERSION,
        "platform": "Linux",
        "platformVersion": "6.1",
        "device": "PC",
        "clientIdentifier": cred.PMS_MACHINE_ID,
        "createdAt": "2016-09-04T19:10:07Z",
        "lastSeenAt": "2026-11-01T11:59:00Z",
        "provides": "server",
        "ownerId": None if owned else cred.PLEX_OWNER_ID,
        "sourceTitle": None if owned else cred.PLEX_OWNER_NAME,
        "publicAddress": "203.0.113.7",
        "accessToken": token,
        "owned": owned,
        "home": False,
        "synced": False,
        "relay": True,
        "presence": True,
        "httpsRequired": False,
        "publicAddressMatches": True,
        "dnsRebindingProtection": False,
        "natLoopbackSupported": True,
        "connections": [
            {
                "protocol": "http",
                "address": host,
                "port": int(port or 80),
                "uri": f"{origin}/pms",
                "local": True,
                "relay": False,
                "IPv6": False,
            }
        ],
    }


async def resources(request: web.Request) -> web.Response:
    acct = account(request)
    origin = str(request.url.origin())
    out = [_server(origin, acct)]
    if acct.owner:
        # Someone else's server shared with the owner: not reachable from here, on purpose.
        out.append(
            {
                "name": "Neighbour's Server",
                "product": "Plex Media Server",
                "productVersion": PMS_VERSION,
                "platform": "Linux",
                "device": "PC",
                "clientIdentifier": cred.SHARED_PMS_MACHINE_ID,
                "provides": "server",
                "ownerId": 3000003,
                "sourceTitle": "neighbour",
                "accessToken": "plex-neighbour-server-token",
                "owned": False,
                "home": False,
                "presence": False,
                "httpsRequired": True,
                "connections": [
                    {
                        "protocol": "https",
                        "address": "10.0.0.9",
                        "port": 32400,
                        "uri": "https://10-0-0-9.0f9e8d7c.plex.direct:32400",
                        "local": False,
                        "relay": False,
                        "IPv6": False,
                    }
                ],
            }
        )
        for ident, player in PLAYERS.items():
            out.append(
                {
                    "name": player["title"],
                    "product": player["product"],
                    "platform": player["platform"],
                    "clientIdentifier": ident,
                    "provides": "client,player,pubsub-player",
                    "owned": True,
                    "presence": True,
                    "connections": [],
                }
            )
    return web.json_response(out)


def setup(app: web.Application) -> None:
    r, p = app.router, PREFIX
    r.add_post(f"{p}/api/v2/pins", pin_create)
    r.add_get(f"{p}/api/v2/pins/{{pin_id}}", pin_poll)
    r.add_get(f"{p}/api/v2/user", user)
    r.add_get(f"{p}/api/v2/resources", resources)
