"""The Plex Media Server (``/pms``): library, metadata, sessions, history, actions, websocket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from . import credentials as cred
from .catalogue import Episode, Media, Movie, Season, Show
from .core import Abort, dumps, state_of
from .plex import (
    PLAYERS,
    PMS_VERSION,
    SECTIONS,
    PlexUser,
    Session,
    container,
    guid_list,
    page_params,
)

if TYPE_CHECKING:
    from .plex import HistoryRow, PlexState
    from .state import State

PREFIX = "/pms"
WATCHED_AT = 0.9  # Plex marks an item watched once playback passes 90%
UNAUTHORIZED = (
    "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)
_LOG = logging.getLogger(__name__)


def auth(request: web.Request, *, admin: bool = False) -> PlexUser:
    token = request.headers.get("X-Plex-Token") or request.query.get("X-Plex-Token")
    found = state_of(request).plex.user_for(token)
    if found is None or (admin and not found[0].owner):
        raise Abort(web.Response(status=401, text=UNAUTHORIZED, content_type="text/html"))
    return found[0]


# -- metadata -------------------------------------------------------------------------------------
# Legacy TV agents name a show by one id and its seasons/episodes as ``<show>/<season>[/<episode>]``
# (tests/fixtures/real/plex/pms_*_legacy_thetvdb.json, guids_legacy_agents.json: HAMA's
# ``tvdb-<id>``, xbmcnfotv's bare tvdb id with ``lang=xn``, the TMDb TV agent's tmdb id).
LEGACY_TV_AGENTS = _LEGACY_SHOW = {
    "thetvdb": ("com.plexapp.agents.thetvdb://{tvdb}", "en"),
    "xbmcnfotv": ("com.plexapp.agents.xbmcnfotv://{tvdb}", "xn"),
    "hama": ("com.plexapp.agents.hama://tvdb-{tvdb}", "en"),
    "themoviedb": ("com.plexapp.agents.themoviedb://{tmdb}", "en"),
}


def _legacy_guid(obj: Media) -> str | None:
    show = obj.show if isinstance(obj, Episode | Season) else obj
    if isinstance(show, Show):
        if show.legacy not in _LEGACY_SHOW:
            return None
        base, lang = _LEGACY_SHOW[show.legacy]
        path = base.format(tvdb=show.tvdb, tmdb=show.tmdb)
        if isinstance(obj, Season):
            path += f"/{obj.number}"
        elif isinstance(obj, Episode):
            path += f"/{obj.season}/{obj.number}"
        return f"{path}?lang={lang}"
    if not isinstance(obj, Movie):
        return None
    if obj.legacy == "imdb":
        return f"com.plexapp.agents.imdb://{obj.imdb}?lang=en"
    if obj.legacy == "themoviedb":
        return f"com.plexapp.agents.themoviedb://{obj.tmdb}?lang=en"
    return None


def metadata(plex: PlexState, obj: Media, user: PlexUser, *, guids: bool) -> dict[str, Any]:
    """One ``Metadata`` entry as the PMS sends it (movie, show, season or episode)."""
    rk = plex.rating_key(obj)
    out: dict[str, Any] = {"ratingKey": rk, "key": f"/library/metadata/{rk}"}
    if isinstance(obj, Season):
        show_rk = plex.rating_key(obj.show)
        rated = plex.peek(user, obj)
        if rated and rated.rating is not None:  # a season can be rated (media.rate of a season)
            out |= {"userRating": rated.rating, "lastRatedAt": int(rated.rated_at or 0)}
        return out | {
            "guid": _legacy_guid(obj) or f"plex://season/{obj.show.plex_hex[:6]}{int(rk):018x}",
            "parentGuid": _legacy_guid(obj.show) or obj.show.plex_guid,
            "type": "season",
            "title": f"Season {obj.number}" if obj.number else "Specials",
            "index": obj.number,
            "parentRatingKey": show_rk,
            "parentKey": f"/library/metadata/{show_rk}",
            "parentTitle": obj.show.title,
            "librarySectionID": 2,
            "leafCount": len(obj.show.seasons[obj.number]),
        }
    legacy = _legacy_guid(obj)
    section = "1" if isinstance(obj, Movie) else "2"
    out |= {
        "guid": legacy or obj.plex_guid,
        "type": obj.kind,
        "title": obj.title,
        "librarySectionID": int(section),
        "librarySectionTitle": SECTIONS[section][1],
        "librarySectionKey": f"/library/sections/{section}",
        "addedAt": int(plex.added_at[int(rk)]),
    }
    if obj.year is not None:
        out["year"] = obj.year
    if isinstance(obj, Episode):
        season, show = plex.season_of(obj), obj.show
        srk, grk = plex.rating_key(season), plex.rating_key(show)
        out |= {
            "index": obj.plex_index,  # Plex's own order (DVD for Firefly)
            "parentIndex": obj.season,
            "parentRatingKey": srk,
            "parentKey": f"/library/metadata/{srk}",
            "parentTitle": f"Season {obj.season}",
            "parentGuid": _legacy_guid(season)
            or f"plex://season/{show.plex_hex[:6]}{int(srk):018x}",
            "grandparentRatingKey": grk,
            "grandparentKey": f"/library/metadata/{grk}",
            "grandparentTitle": show.title,
            "grandparentGuid": _legacy_guid(show) or show.plex_guid,
            "originallyAvailableAt": _date(obj.first_aired),
        }
    if isinstance(obj, Movie) and obj.released:
        out["originallyAvailableAt"] = obj.released
    if isinstance(obj, Show):
        eps = [e for e in obj.episodes if e.season > 0]
        seen = sum(1 for e in eps if (v := plex.peek(user, e)) and v.view_count)
        out |= {"childCount": len(obj.seasons), "leafCount": len(eps), "viewedLeafCount": seen}
    else:
        out["duration"] = obj.duration_ms
        view = plex.peek(user, obj)
        if view and view.view_count:
            out["viewCount"] = view.view_count
        if view and view.last_viewed_at:
            out["lastViewedAt"] = int(view.last_viewed_at)
        if view and view.view_offset:
            out["viewOffset"] = view.view_offset
    view = plex.peek(user, obj)
    if view and view.rating is not None:
        out |= {"userRating": view.rating, "lastRatedAt": int(view.rated_at or 0)}
    # Legacy-agent items and plex://-only items carry no Guid[]; episodes carry their own ids.
    has_guids = legacy is None and (isinstance(obj, Episode) or obj.plex_guids)
    if guids and has_guids:
        out["Guid"] = guid_list(obj)
    return out


def _date(ts: float) -> str:
    from .clock import iso_s  # noqa: PLC0415

    return iso_s(ts)[:10]


def _slice(request: web.Request, rows: list[Any]) -> tuple[list[Any], dict[str, Any]]:
    start, size = page_params(request)
    page = rows[start : start + size] if size is not None else rows[start:]
    return page, {"size": len(page), "totalSize": len(rows), "offset": start}


# -- handlers -------------------------------------------------------------------------------------
async def identity(request: web.Request) -> web.Response:
    return container(
        request,
        {
            "MediaContainer": {
                "size": 0,
                "claimed": True,
                "machineIdentifier": cred.PMS_MACHINE_ID,
                "version": PMS_VERSION,
            }
        },
    )


async def sections(request: web.Request) -> web.Response:
    auth(request)
    dirs = [
        {
            "key": key,
            "type": kind,
            "title": title,
            "agent": f"tv.plex.agents.{kind}",
            "scanner": "Plex Movie" if kind == "movie" else "Plex TV Series",
            "language": "en-US",
            "uuid": f"41a28495-0000-4000-8000-00000000000{key}",
            "Location": [{"id": int(key), "path": f"/storage/{title.lower().replace(' ', '')}"}],
        }
        for key, (kind, title) in SECTIONS.items()
    ]
    return container(
        request,
        {
            "MediaContainer": {
                "size": len(dirs),
                "allowSync": False,
                "title1": "Plex Library",
                "Directory": dirs,
            }
        },
    )


async def section_all(request: web.Request) -> web.Response:
    user = auth(request)
    plex = state_of(request).plex
    section = request.match_info["section"]
    if section not in SECTIONS:
        return web.Response(status=404)
    wanted = request.query.get("type")
    kind = {"1": "movie", "2": "show", "3": "season", "4": "episode"}.get(wanted or "")
    cat = plex.cat
    if section == "1":
        objs: list[Any] = list(cat.movies) if kind in (None, "movie") else []
    elif kind == "episode":
        objs = list(cat.episodes)
    elif kind == "season":
        objs = list(plex.seasons.values())
    else:
        objs = list(cat.shows) if kind in (None, "show") else []
    if request.query.get("sort") == "lastViewedAt:desc":
        # The media query's sort (LukeHagar/plex-api-spec ``plex-api-spec.yaml``@ae9507ea,
        # ``MediaQuery.sort``, "field:desc"); never viewed items last.
        def viewed(obj: Any) -> float:
            view = plex.peek(user, obj)
            return -(view.last_viewed_at or 0) if view else 0

        objs.sort(key=viewed)
    guids = request.query.get("includeGuids") == "1"
    page, meta = _slice(request, objs)
    rows = [metadata(plex, o, user, guids=guids) for o in page]
    return container(
        request,
        {
            "MediaContainer": {
                **meta,
                "librarySectionID": int(section),
                "librarySectionTitle": SECTIONS[section][1],
                "Metadata": rows,
            }
        },
    )


def _lookup(request: web.Request) -> Media:
    obj = state_of(request).plex.by_key(request.match_info["rk"])
    if obj is None:
        raise Abort(web.Response(status=404))
    return obj


async def item(request: web.Request) -> web.Response:
    user = auth(request)
    obj = _lookup(request)
    row = metadata(state_of(request).plex, obj, user, guids=True)
    section = 1 if isinstance(obj, Movie) else 2
    return container(
        request, {"MediaContainer": {"size": 1, "librarySectionID": section, "Metadata": [row]}}
    )


async def children(request: web.Request) -> web.Response:
    user = auth(request)
    plex = state_of(request).plex
    obj = _lookup(request)
    leaves = request.path.endswith("/allLeaves")
    if isinstance(obj, Show):
        objs: list[Any] = (
            obj.episodes if leaves else [plex.seasons[(id(obj), n)] for n in obj.seasons]
        )
    elif isinstance(obj, Season):
        objs = list(obj.show.seasons[obj.number])
    else:
        return web.Response(status=400)
    guids = request.query.get("includeGuids") == "1"
    page, meta = _slice(request, objs)
    rows = [metadata(plex, o, user, guids=guids) for o in page]
    return container(request, {"MediaContainer": {**meta, "Metadata": rows}})


def session_json(plex: PlexState, s: Session) -> dict[str, Any]:
    player = PLAYERS[s.player]
    row = metadata(plex, s.item, s.user, guids=False)
    row |= {
        "sessionKey": str(s.key),
        "viewOffset": s.offset,
        "User": {"id": str(s.user.account_id), "title": s.user.username, "thumb": s.user.thumb},
        "Player": {
            "machineIdentifier": s.player,
            "title": player["title"],
            "product": player["product"],
            "platform": player["platform"],
            "address": player["address"],
            "state": s.state,
            "local": True,
            "userID": s.user.account_id,
        },
        "Session": {"id": f"session_{s.key}", "bandwidth": 7000, "location": "lan"},
    }
    return row


async def sessions(request: web.Request) -> web.Response:
    auth(request, admin=True)
    plex = state_of(request).plex
    rows = [session_json(plex, s) for s in plex.sessions.values()]
    return container(request, {"MediaContainer": {"size": len(rows), "Metadata": rows}})


def _num(request: web.Request, *names: str) -> float | None:
    for name in names:
        value = request.query.get(name)
        if value is not None:
            try:
                return float(value)
            except ValueError:
                raise Abort(web.Response(status=400)) from None
    return None


async def history(request: web.Request) -> web.Response:
    user = auth(request)
    plex = state_of(request).plex
    # "viewedAt>=X" arrives as the key "viewedAt>" (the query splits at the first "=").
    since = _num(request, "viewedAt>", "viewedAt>=")
    until = _num(request, "viewedAt<", "viewedAt<=")
    account = _num(request, "accountID")
    section = request.query.get("librarySectionID")
    item_id = request.query.get("metadataItemID")
    if not user.owner:
        account = float(user.account_id)  # non-admins only see their own history
    rows = [
        r
        for r in plex.history
        if (since is None or r.viewed_at >= since)
        and (until is None or r.viewed_at <= until)
        and (account is None or r.account_id == int(account))
        and (section is None or section == ("1" if isinstance(r.item, Movie) else "2"))
        and (item_id is None or plex.rating_key(r.item) == item_id)
    ]
    rows.sort(
        key=lambda r: (r.viewed_at, r.id),
        reverse=request.query.get("sort", "viewedAt:desc") != "viewedAt:asc",
    )
    page, meta = _slice(request, rows)
    return container(
        request, {"MediaContainer": {**meta, "Metadata": [_history_json(plex, r) for r in page]}}
    )


def _history_json(plex: PlexState, row: HistoryRow) -> dict[str, Any]:
    obj = row.item
    rk = plex.rating_key(obj)
    out: dict[str, Any] = {
        "historyKey": f"/status/sessions/history/{row.id}",
        "key": f"/library/metadata/{rk}",
        "ratingKey": rk,
        "librarySectionID": "1" if isinstance(obj, Movie) else "2",
        "title": obj.title,
        "type": obj.kind,
    }
    if isinstance(obj, Episode):
        out |= {
            "parentKey": f"/library/metadata/{plex.rating_key(plex.season_of(obj))}",
            "grandparentKey": f"/library/metadata/{plex.rating_key(obj.show)}",
            "grandparentTitle": obj.show.title,
            "index": obj.plex_index,  # Plex's own order (DVD for Firefly)
            "parentIndex": obj.season,
            "originallyAvailableAt": _date(obj.first_aired),
        }
    return out | {
        "viewedAt": int(row.viewed_at),
        "accountID": row.account_id,
        "deviceID": row.device_id,
    }


async def accounts(request: web.Request) -> web.Response:
    auth(request, admin=True)
    rows = [
        {
            "id": 0,
            "key": "/accounts/0",
            "name": "",
            "defaultAudioLanguage": "en",
            "autoSelectAudio": True,
            "defaultSubtitleLanguage": "en",
            "subtitleMode": 0,
            "thumb": "",
        }
    ]
    for user in state_of(request).plex.users.values():
        rows.append(  # noqa: PERF401
            {
                "id": user.account_id,
                "key": f"/accounts/{user.account_id}",
                "name": user.username,
                "defaultAudioLanguage": "en",
                "autoSelectAudio": True,
                "defaultSubtitleLanguage": "en",
                "subtitleMode": 0,
                "thumb": user.thumb,
            }
        )
    return container(
        request,
        {
            "MediaContainer": {
                "size": len(rows),
                "identifier": "com.plexapp.system.accounts",
                "Account": rows,
            }
        },
    )


def _target(request: web.Request) -> Media:
    key = request.query.get("key") or request.query.get("ratingKey") or ""
    obj = state_of(request).plex.by_key(key.rsplit("/", 1)[-1])
    if obj is None:
        raise Abort(web.Response(status=404))
    return obj


def _leaves(obj: Media) -> list[Movie | Episode]:
    if isinstance(obj, Show):
        return [e for e in obj.episodes if e.season > 0]
    if isinstance(obj, Season):
        return list(obj.show.seasons[obj.number])
    return [obj]


async def scrobble_action(request: web.Request) -> web.Response:
    user = auth(request)
    state = state_of(request)
    for leaf in _leaves(_target(request)):
        state.plex.mark_watched(user, leaf, state.now())
        await _timeline(state, leaf)
    return web.Response(status=200)


async def unscrobble_action(request: web.Request) -> web.Response:
    user = auth(request)
    state = state_of(request)
    for leaf in _leaves(_target(request)):
        view = state.plex.view(user, leaf)
        view.view_count, view.last_viewed_at, view.view_offset = 0, None, 0
        await _timeline(state, leaf)
    return web.Response(status=200)


async def rate_action(request: web.Request) -> web.Response:
    user = auth(request)
    state = state_of(request)
    obj = _target(request)
    rating = _num(request, "rating")
    if rating is None or not (rating == -1 or 0 <= rating <= 10):
        return web.Response(status=400)
    view = state.plex.view(user, obj)
    view.rating, view.rated_at = (None, None) if rating == -1 else (rating, state.now())
    return web.Response(status=200)


async def timeline(request: web.Request) -> web.Response:
    user = auth(request)
    state = state_of(request)
    obj = _target(request)
    if not isinstance(obj, Movie | Episode):
        return web.Response(status=400)  # only movies and episodes play
    time_ms = _num(request, "time") or 0
    duration = _num(request, "duration") or obj.duration_ms
    if duration and time_ms / duration >= WATCHED_AT:
        state.plex.mark_watched(user, obj, state.now())
    elif time_ms:
        state.plex.leave_offset(user, obj, int(time_ms), state.now())
    # time=0 changes nothing ("setting the time to 0 will not work": pkkid/python-plexapi
    # plexapi/base.py@f62dcbc5, Playable.updateProgress)
    return container(request, {"MediaContainer": {"size": 0}})


async def _timeline(state: State, leaf: Movie | Episode) -> None:
    plex = state.plex
    await plex.broadcast(
        "timeline",
        "TimelineEntry",
        [
            {
                "identifier": "com.plexapp.plugins.library",
                "sectionID": "1" if isinstance(leaf, Movie) else "2",
                "itemID": plex.rating_key(leaf),
                "type": 1 if isinstance(leaf, Movie) else 4,
                "title": leaf.title,
                "state": 5,
                "updatedAt": int(state.now()),
            }
        ],
    )


async def websocket(request: web.Request) -> web.StreamResponse:
    auth(request)
    plex = state_of(request).plex
    ws = web.WebSocketResponse(autoping=True)
    await ws.prepare(request)
    plex.sockets.add(ws)
    try:
        async for _msg in ws:
            pass  # clients only listen
    finally:
        plex.sockets.discard(ws)
    return ws


# -- playback control (driven through /_sim/plex/playback/{action}) -------------------------------
def _frame(plex: PlexState, s: Session, session_key: int | None = None) -> dict[str, Any]:
    key = s.key if session_key is None else session_key
    frame: dict[str, Any] = {
        "sessionKey": str(key),
        "clientIdentifier": s.player,
        "guid": "",
        "ratingKey": s.rk,
        "url": "",
        "key": f"/library/metadata/{s.rk}",
        "viewOffset": s.offset,
        "playQueueItemID": 4800 + key,
        "state": s.state,
        "transcodeSession": f"sim{key:022d}",
    }
    if not plex.quirks.frame_client_identifier:
        # Older PMS and some clients send none (tests/fixtures/real/plex/ws_playing_*.json).
        del frame["clientIdentifier"]
    return frame


async def _frames(plex: PlexState, session: Session, session_key: int | None = None) -> None:
    if plex.quirks.playing_frames:
        await plex.broadcast(
            "playing", "PlaySessionStateNotification", [_frame(plex, session, session_key)]
        )


async def control_playback(
    state: State, action: str, body: dict[str, Any], origin: Any
) -> dict[str, Any]:
    """Play / pause / seek / stop as a Plex user on a player; drives frames, sessions, webhooks."""
    del origin
    plex = state.plex
    user = plex.find_user(body.get("user", "owner"))
    player = body.get("player", cred.PLAYER_TV)
    if player not in PLAYERS:
        raise LookupError(f"unknown player {player!r}; one of {sorted(PLAYERS)}")
    events: list[str] = []
    session = plex.sessions.get((user.key, player))
    if action == "rate":
        return await _rate(state, user, body)
    if action == "play":
        obj = plex.by_key(str(body.get("rating_key", "")))
        if not isinstance(obj, Movie | Episode):
            raise LookupError("rating_key must name a movie or an episode")
        if session is not None and session.item is not obj and body.get("keep_session"):
            # A client that moves its session to the next item and never says "stopped" for
            # the first (Tautulli, plexpy/activity_handler.py: "I'm looking at you PHT!").
            session.item, session.rk, session.scrobbled = obj, plex.rating_key(obj), False
            session.offset = int(body.get("offset_ms", 0))
            events.append("media.play")
        elif session is not None and session.item is not obj:
            await _stop(state, session, session.offset)
            session = None
        if session is None:
            plex.session_ids += 1
            view = plex.peek(user, obj)
            start = body.get("offset_ms", view.view_offset if view else 0)
            session = Session(plex.session_ids, user, player, obj, int(start), plex.rating_key(obj))
            plex.sessions[(user.key, player)] = session
            events.append("media.play")
        else:
            events.append("media.resume" if session.state == "paused" else "")
        session.state = "playing"
    elif session is None:
        raise LookupError(f"no session for {user.key} on {player}")
    elif action == "vanish":
        # The session just leaves /status/sessions: no frame, no webhook (a client that never
        # sends its stop; croneter/PlexKodiConnect#2247).
        plex.sessions.pop((session.user.key, session.player), None)
        return {"sessionKey": str(session.key), "state": "gone", "viewOffset": session.offset}
    elif action == "pause":
        session.state = "paused"
        events.append("media.pause")
    elif action == "stop":
        rekeyed = bool(body.get("new_session_key"))
        await _stop(state, session, int(body.get("offset_ms", session.offset)), rekeyed=rekeyed)
        return {
            "sessionKey": str(session.key),
            "state": "stopped",
            "viewOffset": session.offset,
            "watched": session.scrobbled,
        }
    if "offset_ms" in body:
        session.offset = int(body["offset_ms"])
    await _frames(plex, session)
    for event in filter(None, events):
        await _webhook(state, event, session)
    await _maybe_scrobble(state, session)
    return {
        "sessionKey": str(session.key),
        "ratingKey": session.rk,
        "state": session.state,
        "viewOffset": session.offset,
        "watched": session.scrobbled,
    }


async def _maybe_scrobble(state: State, session: Session) -> None:
    if session.scrobbled or session.offset < session.item.duration_ms * WATCHED_AT:
        return
    session.scrobbled = True
    state.plex.mark_watched(session.user, session.item, state.now())
    await _webhook(state, "media.scrobble", session)
    await _timeline(state, session.item)


async def _stop(state: State, session: Session, offset: int, *, rekeyed: bool = False) -> None:
    plex = state.plex
    session.offset = offset
    await _maybe_scrobble(state, session)
    plex.sessions.pop((session.user.key, session.player), None)
    session.state = "stopped"
    if not session.scrobbled:
        plex.leave_offset(session.user, session.item, offset, state.now())
    new_key = None
    if rekeyed:
        # The PMS can report the stop under a fresh sessionKey (phillipj/node-plex-api#80).
        plex.session_ids += 1
        new_key = plex.session_ids
    await _frames(plex, session, new_key)
    await _webhook(state, "media.stop", session)


async def _rate(state: State, user: PlexUser, body: dict[str, Any]) -> dict[str, Any]:
    """The user rates an item in a Plex app: ``userRating`` changes and ``media.rate`` fires.

    Shape: tests/fixtures/real/plex/webhook_movie_rate_user_rating_and_top_level_string.json
    (``Metadata.userRating`` plus a top-level ``rating`` as a string); a cleared rating sends
    ``-1``, what ``PUT /:/rate`` takes to clear.
    """
    plex = state.plex
    obj = plex.by_key(str(body.get("rating_key", "")))
    if obj is None:
        raise LookupError("rating_key names nothing")
    rating = float(body["rating"])
    view = plex.view(user, obj)
    view.rating, view.rated_at = (None, None) if rating < 0 else (rating, state.now())
    payload = _hook_payload(state, "media.rate", user, obj, player=cred.PLAYER_TV)
    payload["rating"] = f"{rating:g}"
    await _post_webhook(state, "media.rate", payload)
    return {"ratingKey": plex.rating_key(obj), "rating": rating}


def _hook_payload(
    state: State, event: str, user: PlexUser, obj: Media, *, player: str
) -> dict[str, Any]:
    plex = state.plex
    quirks = plex.quirks
    meta = metadata(plex, obj, user, guids=quirks.webhook_guids)
    meta["librarySectionType"] = "movie" if isinstance(obj, Movie) else "show"
    if not quirks.webhook_offsets:
        # Real webhooks often carry neither (tests/fixtures/real/plex/webhook_*hama*,
        # webhook_*_without_view_offset.json).
        meta.pop("viewOffset", None)
        meta.pop("duration", None)
    return {
        "event": event,
        "user": True,
        "owner": user.owner,
        "Account": {"id": user.account_id, "thumb": user.thumb, "title": user.username},
        "Server": {"title": cred.PMS_NAME, "uuid": cred.PMS_MACHINE_ID},
        "Player": {
            "local": True,
            "publicAddress": "203.0.113.7",
            "title": PLAYERS[player]["title"],
            "uuid": player,
        },
        "Metadata": meta,
    }


def webhook_payload(state: State, event: str, s: Session) -> dict[str, Any]:
    payload = _hook_payload(state, event, s.user, s.item, player=s.player)
    if state.plex.quirks.webhook_offsets:
        payload["Metadata"]["viewOffset"] = s.offset
    return payload


async def _webhook(state: State, event: str, session: Session) -> None:
    if state.webhooks:
        await _post_webhook(state, event, webhook_payload(state, event, session))


async def _post_webhook(state: State, event: str, data: dict[str, Any]) -> None:
    if not state.webhooks:
        return
    payload = dumps(data)
    timeout = aiohttp.ClientTimeout(total=5)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        for url in list(state.webhooks):
            form = aiohttp.FormData(default_to_multipart=True)
            form.add_field("payload", payload)  # a plain text part, as Plex sends it
            if event in ("media.play", "media.rate"):
                form.add_field(
                    "thumb",
                    b"\xff\xd8\xff\xe0sim\xff\xd9",
                    filename="thumb.jpg",
                    content_type="image/jpeg",
                )
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with http.post(
                    url, data=form, headers={"User-Agent": "PlexMediaServer/" + PMS_VERSION}
                ) as resp:
                    await resp.read()
                    _LOG.debug("webhook %s -> %s: %s", event, url, resp.status)


def setup(app: web.Application) -> None:
    r, p = app.router, PREFIX
    r.add_get(f"{p}/identity", identity)
    r.add_get(f"{p}/library/sections", sections)
    r.add_get(f"{p}/library/sections/{{section}}/all", section_all)
    r.add_get(f"{p}/library/metadata/{{rk:\\d+}}", item)
    r.add_get(f"{p}/library/metadata/{{rk:\\d+}}/children", children)
    r.add_get(f"{p}/library/metadata/{{rk:\\d+}}/allLeaves", children)
    r.add_get(f"{p}/status/sessions", sessions)
    r.add_get(f"{p}/status/sessions/history/all", history)
    r.add_get(f"{p}/accounts", accounts)
    r.add_get(f"{p}/:/scrobble", scrobble_action)
    r.add_get(f"{p}/:/unscrobble", unscrobble_action)
    r.add_put(f"{p}/:/rate", rate_action)
    r.add_get(f"{p}/:/timeline", timeline)
    r.add_get(f"{p}/:/websockets/notifications", websocket)
