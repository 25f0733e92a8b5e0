"""Control API under ``/_sim/`` (used by ``testing.Simulator`` and by people in the dev setup)."""

from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from . import credentials as cred
from . import plex, pms, simkl, trakt
from .catalogue import Movie, Show
from .core import FAULT_KINDS, json_body, reply, state_of

P = "/_sim"


async def _body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="JSON object expected")
    return body


def _summary(request: web.Request) -> dict[str, Any]:
    state = state_of(request)
    return {
        "seed": state.seed,
        "counts": state.counts,
        "time": state.now(),
        "rate_limits": state.rate_limits,
        "movies": len(state.catalogue.movies),
        "shows": len(state.catalogue.shows),
        "episodes": len(state.catalogue.episodes),
    }


async def info(request: web.Request) -> web.Response:
    return reply(_summary(request))


async def reset(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        state_of(request).reset(body.get("seed", "tiny"))
    except (ValueError, TypeError) as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc
    return reply(_summary(request))


async def add_fault(request: web.Request) -> web.Response:
    body = await _body(request)
    spec = {
        k: body[k]
        for k in ("service", "route", "kind", "status", "count", "body", "headers", "latency")
        if body.get(k) is not None
    }
    if "service" not in spec or spec.get("kind", "status") not in FAULT_KINDS:
        raise web.HTTPBadRequest(text=f"service required; kind one of {FAULT_KINDS}")
    spec.setdefault("route", "*")
    state = state_of(request)
    fault = state.add_fault(**spec)
    if fault.kind == "drop" and fault.service in ("pms", "*"):
        await state.plex.close_sockets()  # the drop itself; count limits refused reconnects
    return reply(fault.as_dict(), 201)


async def list_faults(request: web.Request) -> web.Response:
    return reply([f.as_dict() for f in state_of(request).faults])


async def clear_faults(request: web.Request) -> web.Response:
    state_of(request).clear_faults()
    return reply({})


async def requests(request: web.Request) -> web.Response:
    q = request.query
    entries = state_of(request).log.select(q.get("service"), q.get("route"))
    return reply([e.as_dict() for e in entries])


async def clear_requests(request: web.Request) -> web.Response:
    state_of(request).log.clear()
    return reply({})


async def counts(request: web.Request) -> web.Response:
    return reply(state_of(request).log.counts)


async def clock(request: web.Request) -> web.Response:
    return reply({"time": state_of(request).now()})


async def advance(request: web.Request) -> web.Response:
    body = await _body(request)
    state = state_of(request)
    state.clock.advance(float(body.get("seconds", 0)))
    return reply({"time": state.now()})


async def rate_limits(request: web.Request) -> web.Response:
    body = await _body(request)
    state_of(request).rate_limits = bool(body.get("enabled", True))
    return reply({"enabled": state_of(request).rate_limits})


async def trakt_token(request: web.Request) -> web.Response:
    body = await _body(request)
    user = body.get("user", cred.TRAKT_USER)
    if user not in state_of(request).trakt.users:
        raise web.HTTPNotFound(text="unknown trakt user")
    return reply(trakt.mint_token(state_of(request), user))


async def trakt_headers(request: web.Request) -> web.Response:
    body = await _body(request)
    style = str(body.get("style", "canonical"))
    if style not in ("canonical", "lower", "no_page_count"):
        raise web.HTTPBadRequest(text="style is canonical, lower or no_page_count")
    state_of(request).trakt.header_style = style
    return reply({"style": style})


async def trakt_user(request: web.Request) -> web.Response:
    body = await _body(request)
    user = state_of(request).trakt.users.get(request.match_info["user"])
    if user is None:
        raise web.HTTPNotFound(text="unknown trakt user")
    user.vip = bool(body.get("vip", user.vip))
    user.watchlist_limit = int(body.get("watchlist_limit", user.watchlist_limit))
    return reply({"user": user.name, "vip": user.vip, "watchlist_limit": user.watchlist_limit})


async def trakt_app(request: web.Request) -> web.Response:
    """An API app's standing: ``removed`` (deleted by Trakt), ``owner_vip`` (426 when false).

    The app is ``client_id``, the first one by default.
    """
    body = await _body(request)
    app = state_of(request).trakt.apps.get(str(body.get("client_id", cred.TRAKT_CLIENT_ID)))
    if app is None:
        raise web.HTTPNotFound(text="unknown trakt app")
    app.removed = bool(body.get("removed", app.removed))
    app.owner_vip = bool(body.get("owner_vip", app.owner_vip))
    return reply({"removed": app.removed, "owner_vip": app.owner_vip})


async def trakt_approve(request: web.Request) -> web.Response:
    body = await _body(request)
    for code in state_of(request).trakt.devices.values():
        if code.user_code == body.get("user_code"):
            if body.get("deny"):
                code.denied = True
            else:
                code.user = body.get("user", cred.TRAKT_USER)
            return reply({"approved": not body.get("deny")})
    raise web.HTTPNotFound(text="unknown user_code")


async def simkl_approve(request: web.Request) -> web.Response:
    body = await _body(request)
    if not simkl.approve_pin(state_of(request), str(body.get("user_code")), body.get("user")):
        raise web.HTTPNotFound(text="unknown user_code")
    return reply({"approved": True})


async def plex_approve(request: web.Request) -> web.Response:
    body = await _body(request)
    pin_id = int(request.match_info["pin_id"])
    if not plex.approve_pin(state_of(request), pin_id, body.get("user")):
        raise web.HTTPNotFound(text="unknown pin")
    return reply({"approved": True})


async def playback(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        session = await pms.control_playback(
            state_of(request), request.match_info["action"], body, request.url.origin()
        )
    except LookupError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc
    return reply(session)


async def plex_quirks(request: web.Request) -> web.Response:
    """Switch the real-world variants of ``PlexQuirks`` on or off (unknown names: 400)."""
    quirks = state_of(request).plex.quirks
    for name, value in (await _body(request)).items():
        if name not in quirks.__dataclass_fields__ or not isinstance(value, bool):
            raise web.HTTPBadRequest(text=f"unknown quirk {name!r}")
        setattr(quirks, name, value)
    return reply({name: getattr(quirks, name) for name in quirks.__dataclass_fields__})


LEGACY_AGENTS = {"movie": {"imdb", "themoviedb"}, "show": set(pms.LEGACY_TV_AGENTS)}


async def plex_agent(request: web.Request) -> web.Response:
    """Give a title the guids of a legacy agent (``null``: the new Plex agent)."""
    body = await _body(request)
    cat = state_of(request).catalogue
    title, agent = body.get("title"), body.get("agent")
    titles: list[Movie | Show] = [*cat.movies, *cat.shows]
    for item in titles:
        if item.title == title:
            if agent is not None and agent not in LEGACY_AGENTS[item.kind]:
                raise web.HTTPBadRequest(text=f"no {item.kind} agent {agent!r}")
            item.legacy = agent
            return reply({"title": title, "agent": agent})
    raise web.HTTPNotFound(text=f"no title {title!r}")


async def webhooks(request: web.Request) -> web.Response:
    state = state_of(request)
    if request.method == "DELETE":
        state.webhooks.clear()
    else:
        url = (await _body(request)).get("url")
        if not url:
            raise web.HTTPBadRequest(text="url required")
        state.webhooks.append(str(url))
    return reply({"webhooks": state.webhooks})


async def notify(request: web.Request) -> web.Response:
    body = await _body(request)
    sent = await state_of(request).plex.broadcast(
        str(body["type"]), str(body["key"]), list(body.get("items", []))
    )
    return reply({"sent": sent})


async def raw_frame(request: web.Request) -> web.Response:
    body = await _body(request)
    text = body.get("text")
    if not isinstance(text, str):
        raise web.HTTPBadRequest(text="text (a string) required")
    return reply({"sent": await state_of(request).plex.send_frame(text)})


# -- the approve page ------------------------------------------------------------------------------
def _form(action: str, fields: dict[str, str], label: str) -> str:
    inputs = "".join(
        f'<input type="hidden" name="{k}" value="{html.escape(v)}">' for k, v in fields.items()
    )
    return (
        f'<form method="post" action="{P}/approve">{inputs}<input type="hidden" '
        f'name="what" value="{action}"><button>{html.escape(label)}</button></form>'
    )


async def approve_page(request: web.Request) -> web.Response:
    state = state_of(request)
    now = state.now()
    rows = []
    for pin in state.plex.pins.values():
        if pin.token is None and now < pin.created + pin.expires_in:
            rows.append(  # noqa: PERF401 - three kinds of rows, kept readable
                f"<li>Plex PIN <b>{pin.code}</b> ({html.escape(pin.product)}) "
                + _form("plex", {"id": str(pin.id)}, "Approve as owner")
                + _form("plex", {"id": str(pin.id), "user": "shared"}, "Approve as shared user")
                + "</li>"
            )
    for code in state.trakt.devices.values():
        if code.user is None and not code.denied and now < code.created + code.expires_in:
            rows.append(  # noqa: PERF401 - three kinds of rows, kept readable
                f"<li>Trakt code <b>{code.user_code}</b> "
                + _form("trakt", {"user_code": code.user_code}, "Approve")
                + "</li>"
            )
    for simkl_pin in state.simkl.pins.values():
        if simkl_pin.user is None and now < simkl_pin.created + simkl_pin.expires_in:
            rows.append(  # noqa: PERF401 - three kinds of rows, kept readable
                f"<li>SIMKL PIN <b>{simkl_pin.user_code}</b> "
                + _form("simkl", {"user_code": simkl_pin.user_code}, "Approve")
                + "</li>"
            )
    body = "".join(rows) or "<li>Nothing is waiting for approval.</li>"
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>CrossWatch simulator</title>"
        "</head><body><h1>Pending logins</h1><ul>" + body + "</ul>"
        "<p><a href=''>Refresh</a></p></body></html>"
    )
    return web.Response(text=page, content_type="text/html")


async def approve_post(request: web.Request) -> web.Response:
    form = await request.post()
    state = state_of(request)
    what = form.get("what")
    if what == "plex":
        user = "shared" if form.get("user") == "shared" else None
        plex.approve_pin(state, int(str(form.get("id", "0"))), user)
    elif what == "trakt":
        for code in state.trakt.devices.values():
            if code.user_code == form.get("user_code"):
                code.user = cred.TRAKT_USER
    elif what == "simkl":
        simkl.approve_pin(state, str(form.get("user_code")), None)
    raise web.HTTPSeeOther(f"{P}/approve")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{P}", info)
    r.add_post(f"{P}/reset", reset)
    r.add_post(f"{P}/faults", add_fault)
    r.add_get(f"{P}/faults", list_faults)
    r.add_delete(f"{P}/faults", clear_faults)
    r.add_get(f"{P}/requests", requests)
    r.add_delete(f"{P}/requests", clear_requests)
    r.add_get(f"{P}/counts", counts)
    r.add_get(f"{P}/clock", clock)
    r.add_post(f"{P}/clock/advance", advance)
    r.add_post(f"{P}/rate_limits", rate_limits)
    r.add_post(f"{P}/trakt/token", trakt_token)
    r.add_post(f"{P}/trakt/headers", trakt_headers)
    r.add_post(f"{P}/trakt/users/{{user}}", trakt_user)
    r.add_post(f"{P}/trakt/app", trakt_app)
    r.add_post(f"{P}/trakt/device/approve", trakt_approve)
    r.add_post(f"{P}/simkl/pin/approve", simkl_approve)
    r.add_post(f"{P}/plex/pins/{{pin_id}}/approve", plex_approve)
    r.add_post(f"{P}/plex/playback/{{action:play|pause|seek|stop|vanish|rate}}", playback)
    r.add_post(f"{P}/plex/quirks", plex_quirks)
    r.add_post(f"{P}/plex/agent", plex_agent)
    r.add_route("POST", f"{P}/plex/webhooks", webhooks)
    r.add_route("DELETE", f"{P}/plex/webhooks", webhooks)
    r.add_post(f"{P}/pms/notify", notify)
    r.add_post(f"{P}/pms/frame", raw_frame)
    r.add_get(f"{P}/approve", approve_page)
    r.add_post(f"{P}/approve", approve_post)
