"""The aiohttp application: every service under its prefix, plus request log and faults."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

from aiohttp import web

from . import control, discover, plextv, pms, simkl, tmdb, tmdb_images, trakt
from .core import STATE, Abort, LogEntry, dumps

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

    from .core import Fault
    from .state import State

SERVICES = (
    "plex.tv",
    "plex-discover",
    "plex-metadata",
    "pms",
    "trakt",
    "simkl",
    "tmdb",
    "tmdb-image",
)
HTML_BODY = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>oops</body></html>"
)


def route_of(request: web.Request) -> tuple[str, str]:
    """``(service, "METHOD /pattern")`` with the service prefix stripped."""
    path = request.path
    service = path.split("/", 2)[1] if path.count("/") >= 1 else ""
    resource = request.match_info.route.resource
    pattern = resource.canonical if resource is not None else path
    return service, f"{request.method} {pattern[len(service) + 1 :] or '/'}"


def _token_of(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip()
    return (
        request.headers.get("X-Plex-Token")
        or request.query.get("X-Plex-Token")
        or request.query.get("api_key")
    )


async def _log_body(request: web.Request) -> object:
    if request.method in ("GET", "HEAD") or not request.body_exists:
        return None  # never read an upgrade request: its "body" is the websocket stream
    raw = await request.read()  # cached by aiohttp, handlers can read it again
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:2000]


async def _apply_fault(
    state: State, fault: Fault, request: web.Request, handler: Handler
) -> web.StreamResponse:
    if fault.latency:
        await asyncio.sleep(fault.latency)  # real time: only for concurrency/timeout tests
    kind = fault.kind
    if kind == "timeout":
        await state.release.wait()
        return web.Response(status=504)
    if kind == "drop":
        if request.transport is not None:
            request.transport.abort()  # RST, no reply
        return web.Response(status=499)
    if kind == "html":
        return web.Response(
            status=fault.status or 200,
            text=fault.body or HTML_BODY,
            content_type="text/html",
            headers=fault.headers,
        )
    if kind == "revoke":
        token = _token_of(request)
        if token:
            state.revoke_token(route_of(request)[0], token)
        return await handler(request)
    if kind == "truncated":
        response = await handler(request)
        # Our handlers answer with bytes bodies (text/JSON); streamed payloads are left whole.
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            raw = response.body
            response.body = raw[: max(1, len(raw) // 2)]
        return response
    if fault.status is None:  # latency only
        return await handler(request)
    body = fault.body
    text = body if isinstance(body, str) else ("" if body is None else dumps(body))
    ctype = "application/json" if body is not None and not isinstance(body, str) else "text/plain"
    return web.Response(status=fault.status, text=text, content_type=ctype, headers=fault.headers)


@web.middleware
async def sim_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    state = request.app[STATE]
    service, route = route_of(request)
    if service not in SERVICES:
        return await handler(request)
    entry = LogEntry(
        seq=len(state.log.entries) + 1,
        time=state.now(),
        service=service,
        route=route,
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=dict(request.headers),
        body=await _log_body(request),
    )
    state.log.add(entry)
    fault = state.take_fault(service, route)
    try:
        if fault is not None:
            entry.fault = fault.kind
            response = await _apply_fault(state, fault, request, handler)
        else:
            response = await handler(request)
    except Abort as abort:
        response = abort.response
    except web.HTTPException as exc:
        entry.status = exc.status
        raise
    entry.status = response.status
    return response


async def _on_shutdown(app: web.Application) -> None:
    state = app[STATE]
    state.release.set()
    await state.plex.close_sockets()


def build_app(state: State) -> web.Application:
    app = web.Application(middlewares=[sim_middleware], client_max_size=64 * 1024**2)
    app[STATE] = state
    for module in (plextv, discover, pms, trakt, simkl, tmdb, tmdb_images, control):
        module.setup(app)
    app.on_shutdown.append(_on_shutdown)
    return app
