"""Plex discover / metadata providers (``/plex-discover``, ``/plex-metadata``): the watchlist.

Both prefixes serve the same account-level data; ratingKeys are 24-hex discover keys.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from .catalogue import Movie, Show
from .core import Abort, state_of
from .plex import PlexUser, container, guid_list, page_params
from .plextv import account

PREFIXES = ("/plex-discover", "/plex-metadata")
HEX24 = re.compile(r"^[0-9a-f]{24}$")


def _meta(item: Movie | Show, *, guids: bool) -> dict[str, Any]:
    kind = item.kind
    out: dict[str, Any] = {
        "ratingKey": item.plex_hex,
        "key": f"/library/metadata/{item.plex_hex}",
        "guid": item.plex_guid,
        "type": kind,
        "title": item.title,
        "thumb": f"https://metadata-static.plex.tv/sim/{item.plex_hex}.jpg",
    }
    if item.year is not None:
        out["year"] = item.year
    released = item.released if isinstance(item, Movie) else item.first_aired
    if released:
        out["originallyAvailableAt"] = released
    if guids:
        out["Guid"] = guid_list(item)
    return out


def _known(request: web.Request, key: str) -> Movie | Show:
    item = state_of(request).catalogue.by_plex_hex.get(key)
    # Only titles with external ids exist on discover (a home video does not).
    if not isinstance(item, Movie | Show) or (isinstance(item, Movie) and not item.plex_guids):
        raise Abort(
            web.json_response(
                {"errors": [{"code": 404, "message": "Not Found", "status": 404}]}, status=404
            )
        )
    return item


def _wl(request: web.Request, user: PlexUser) -> dict[Movie | Show, float]:
    return state_of(request).plex.watchlists[user.key]


async def watchlist(request: web.Request) -> web.Response:
    user = account(request)
    entries = sorted(
        _wl(request, user).items(),
        key=lambda kv: kv[1],
        reverse=request.query.get("sort", "watchlistedAt:desc") != "watchlistedAt:asc",
    )
    wanted = request.query.get("type") or request.query.get("libtype")
    if wanted:
        kind = {"1": "movie", "2": "show"}.get(wanted, wanted)
        entries = [e for e in entries if e[0].kind == kind]
    start, size = page_params(request)
    page = entries[start : start + size] if size is not None else entries[start:]
    guids = request.query.get("includeGuids") == "1"
    rows = [_meta(item, guids=guids) | {"watchlistedAt": int(ts)} for item, ts in page]
    return container(
        request,
        {
            "MediaContainer": {
                "librarySectionID": "watchlist",
                "librarySectionTitle": "Watchlist",
                "offset": start,
                "totalSize": len(entries),
                "identifier": "tv.plex.provider.discover",
                "size": len(rows),
                "Metadata": rows,
            }
        },
    )


def _rating_key(request: web.Request) -> str:
    key = request.query.get("ratingKey", "")
    if not HEX24.match(key):
        raise Abort(
            web.json_response(
                {"errors": [{"code": 400, "message": "Bad ratingKey", "status": 400}]}, status=400
            )
        )
    return key


async def add(request: web.Request) -> web.Response:
    user = account(request)
    item = _known(request, _rating_key(request))
    wl = _wl(request, user)
    if item in wl:
        return web.json_response(
            {"errors": [{"code": 409, "message": "Already on watchlist", "status": 409}]},
            status=409,
        )
    wl[item] = state_of(request).now()
    return web.Response(status=200)


async def remove(request: web.Request) -> web.Response:
    user = account(request)
    item = _known(request, _rating_key(request))
    if _wl(request, user).pop(item, None) is None:
        return web.json_response(
            {"errors": [{"code": 404, "message": "Not on watchlist", "status": 404}]}, status=404
        )
    return web.Response(status=200)


async def metadata(request: web.Request) -> web.Response:
    account(request)
    item = _known(request, request.match_info["rk"])
    guids = request.query.get("includeGuids") == "1"
    return container(
        request,
        {
            "MediaContainer": {
                "size": 1,
                "identifier": "tv.plex.provider.metadata",
                "Metadata": [_meta(item, guids=guids)],
            }
        },
    )


async def user_state(request: web.Request) -> web.Response:
    user = account(request)
    item = _known(request, request.match_info["rk"])
    plex = state_of(request).plex
    listed = plex.watchlists[user.key].get(item)
    leaves = [e for e in item.episodes if e.season > 0] if isinstance(item, Show) else [item]
    views = sum((plex.peek(user, leaf) or plex.view(user, leaf)).view_count for leaf in leaves)
    body: dict[str, Any] = {
        "ratingKey": item.plex_hex,
        "type": item.kind,
        "viewCount": views,
        "viewState": "complete" if views else "unplayed",
    }
    if listed is not None:
        body["watchlistedAt"] = int(listed)
    return container(
        request,
        {
            "MediaContainer": {
                "size": 1,
                "identifier": "tv.plex.provider.metadata",
                "UserState": body,
            }
        },
    )


def _candidates(request: web.Request) -> list[Movie | Show]:
    cat = state_of(request).catalogue
    kind = {"1": "movie", "2": "show", "movie": "movie", "show": "show"}.get(
        request.query.get("type", ""), ""
    )
    pool: list[Movie | Show] = []
    if kind in ("", "movie"):
        pool.extend(m for m in cat.movies if m.plex_guids)
    if kind in ("", "show"):
        pool.extend(cat.shows)
    return pool


async def matches(request: web.Request) -> web.Response:
    """``?type=movie&title=tmdb-27205`` (CW) or ``?type=1&guid=tmdb://27205`` or a title."""
    account(request)
    q = request.query
    guid = q.get("guid") or ""
    title = q.get("title") or ""
    found = re.match(r"^(imdb|tmdb|tvdb)(?:://|-)(\w+)$", guid or title)
    year = q.get("year")
    rows = []
    for item in _candidates(request):
        if found:
            scheme, value = found.groups()
            if str(getattr(item, scheme)) != value:
                continue
        elif not title or item.title.casefold() != title.casefold():
            continue
        if year and not found and str(item.year) != year:
            continue
        rows.append(_meta(item, guids=q.get("includeGuids", "1") == "1"))
    return container(
        request,
        {
            "MediaContainer": {
                "size": len(rows),
                "identifier": "tv.plex.provider.metadata",
                "Metadata": rows,
            }
        },
    )


async def search(request: web.Request) -> web.Response:
    account(request)
    query = request.query.get("query", "").casefold().strip()
    types = request.query.get("searchTypes", "movies,tv")
    limit = int(request.query.get("limit", "25") or 25)
    rows = []
    for item in _candidates(request):
        if not query or query not in item.title.casefold():
            continue
        if (item.kind == "movie" and "movie" not in types) or (
            item.kind == "show" and "tv" not in types
        ):
            continue
        rows.append(
            {
                "score": 0.9 if item.title.casefold() == query else 0.5,
                "Metadata": _meta(item, guids=True),
            }
        )
    rows = rows[:limit]
    return container(
        request,
        {
            "MediaContainer": {
                "size": len(rows),
                "SearchResults": [
                    {
                        "id": "external",
                        "title": "More Ways To Watch",
                        "size": len(rows),
                        "SearchResult": rows,
                    }
                ],
            }
        },
    )


def setup(app: web.Application) -> None:
    r = app.router
    for p in PREFIXES:
        r.add_get(f"{p}/library/sections/watchlist/all", watchlist)
        r.add_put(f"{p}/actions/addToWatchlist", add)
        r.add_put(f"{p}/actions/removeFromWatchlist", remove)
        r.add_get(f"{p}/library/metadata/matches", matches)
        r.add_get(f"{p}/library/metadata/{{rk}}", metadata)
        r.add_get(f"{p}/library/metadata/{{rk}}/userState", user_state)
        r.add_get(f"{p}/library/search", search)
