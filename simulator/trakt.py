"""Trakt API v2 (``/trakt``), including ``/trakt/oauth/*`` (serves both api. and auth. hosts)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from yarl import URL

from . import credentials as cred
from .catalogue import DAY, Catalogue, Episode, Ids, Kind, Media, Movie, Season, Show
from .clock import iso_ms, ms_floor, parse_iso
from .core import (
    Abort,
    abort_json,
    as_int,
    bearer,
    dumps,
    empty,
    json_body,
    paginate,
    query_time,
    reply,
    state_of,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .seed import SeedPlan
    from .state import State

PREFIX = "/trakt"
TOKEN_TTL = 604800  # 7 days
SCROBBLE_WINDOW = 3600
GET_LIMIT, GET_PERIOD = 1000, 300
KINDS = ("movies", "shows", "seasons", "episodes")
KIND_OF_GROUP: dict[str, Kind] = {
    "movies": "movie",
    "shows": "show",
    "seasons": "season",
    "episodes": "episode",
}
MATCH_ORDER = ("trakt", "imdb", "tmdb", "tvdb", "slug")
ACTIVITY_KEYS: dict[str, tuple[str, ...]] = {
    "movies": (
        "watched_at",
        "collected_at",
        "rated_at",
        "watchlisted_at",
        "favorited_at",
        "commented_at",
        "paused_at",
        "hidden_at",
    ),
    "episodes": (
        "watched_at",
        "collected_at",
        "rated_at",
        "watchlisted_at",
        "commented_at",
        "paused_at",
    ),
    "shows": (
        "rated_at",
        "watchlisted_at",
        "favorited_at",
        "commented_at",
        "hidden_at",
        "dropped_at",
    ),
    "seasons": ("rated_at", "watchlisted_at", "commented_at", "hidden_at"),
    "comments": ("liked_at", "reacted_at", "blocked_at"),
    "lists": ("liked_at", "reacted_at", "updated_at", "commented_at"),
    "watchlist": ("updated_at",),
    "favorites": ("updated_at",),
    "account": ("settings_at", "followed_at", "following_at", "pending_at", "requested_at"),
    "saved_filters": ("updated_at",),
    "notes": ("updated_at",),
}


def _hex64(*parts: object) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()


@dataclass
class Token:
    access: str
    refresh: str
    user: str
    created_at: int
    expires_in: int = TOKEN_TTL
    revoked: bool = False
    # The app the token was issued to: a refresh token is bound to it (RFC 6749, section 6).
    client_id: str = cred.TRAKT_CLIENT_ID

    def body(self) -> dict[str, Any]:
        return {
            "access_token": self.access,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh,
            "scope": "public",
            "created_at": self.created_at,
        }


@dataclass
class App:
    """An API app's standing (the VIP walls of mid-2026).

    ``removed``: Trakt deleted the app (its owner is not VIP, or it looked inactive: trakt-api
    #691, #897, #902), so its client id is unknown everywhere. ``owner_vip`` False: the app works
    only for a VIP owner, and every API call answers 426 VIP Only (shortlist #73, Trakt's docs).
    """

    secret: str
    removed: bool = False
    owner_vip: bool = True


@dataclass
class Play:
    id: int
    item: Movie | Episode
    watched_at: float
    action: str = "watch"

    def __post_init__(self) -> None:
        # Trakt keeps milliseconds: what a client reads back is exactly what filters compare.
        self.watched_at = ms_floor(self.watched_at)


@dataclass
class DeviceCode:
    device_code: str
    user_code: str
    created: float
    expires_in: int = 600
    interval: int = 5
    user: str | None = None
    denied: bool = False
    used: bool = False
    last_poll: float | None = None


@dataclass
class User:
    name: str
    vip: bool = False
    watchlist_limit: int = 250
    watchlist: dict[Media, tuple[int, float]] = field(default_factory=dict)
    history: list[Play] = field(default_factory=list)
    ratings: dict[Media, tuple[int, float]] = field(default_factory=dict)
    playback: dict[Movie | Episode, tuple[int, float, float]] = field(default_factory=dict)
    scrobbled: dict[Movie | Episode, float] = field(default_factory=dict)
    activities: dict[str, float] = field(default_factory=dict)

    def touch(self, now: float, *keys: str) -> None:
        for key in keys:
            self.activities[key] = now
        self.activities["all"] = now


class TraktState:
    def __init__(self, cat: Catalogue, plan: SeedPlan, now: float) -> None:
        self.cat = cat
        self.users = {
            cred.TRAKT_USER: User(cred.TRAKT_USER),
            cred.TRAKT_USER_2: User(cred.TRAKT_USER_2),
        }
        self.tokens: dict[str, Token] = {}
        self.refresh_tokens: dict[str, Token] = {}
        self.devices: dict[str, DeviceCode] = {}
        self.auth_codes: dict[str, tuple[str, str]] = {}  # code -> (user, client id)
        self.ids = 3_373_536_000  # beyond 32 bits, like real history ids
        # How response headers are spelled: "canonical" (X-Pagination-Page-Count), "lower" (as
        # Trakt's HTTP/2 answers send them, trakt-api #896: x-pagination-page-count), or
        # "no_page_count" (X-Pagination-Page/-Limit only, trakt-api #198).
        self.header_style = "canonical"
        # The users' API apps by client id. A bearer token is not checked against the calling
        # app (no source says how Trakt treats that); a refresh token and a code are.
        self.apps = {
            cred.TRAKT_CLIENT_ID: App(cred.TRAKT_CLIENT_SECRET),
            cred.TRAKT_CLIENT_ID_2: App(cred.TRAKT_CLIENT_SECRET_2),
        }
        # Rate-limit bookkeeping: key -> last write / (window start, count) for GETs.
        self.last_write: dict[str, float] = {}
        self.get_window: dict[str, tuple[float, int]] = {}
        user = self.users[cred.TRAKT_USER]
        for watched, ts in reversed(plan.trakt_plays):
            user.history.append(Play(self.next_id(), watched, ts, "scrobble"))
        for listed, ts in reversed(plan.trakt_watchlist):
            user.watchlist[listed] = (self.next_id(), ts)
        for rated, rating, ts in plan.trakt_ratings:
            user.ratings[rated] = (rating, ts)
        for group, keys in ACTIVITY_KEYS.items():
            for key in keys:
                user.activities[f"{group}.{key}"] = now - DAY
        self.users[cred.TRAKT_USER_2].activities = dict(user.activities)
        user.activities["all"] = now - DAY
        self.users[cred.TRAKT_USER_2].activities["all"] = now - DAY
        self.add_token(cred.TRAKT_USER, int(now), cred.TRAKT_ACCESS_TOKEN, cred.TRAKT_REFRESH_TOKEN)

    def next_id(self) -> int:
        self.ids += 1
        return self.ids

    def add_token(
        self,
        user: str,
        now: int,
        access: str = "",
        refresh: str = "",
        client_id: str = cred.TRAKT_CLIENT_ID,
    ) -> Token:
        n = len(self.tokens)
        token = Token(
            access or _hex64("a", user, now, n),
            refresh or _hex64("r", user, now, n),
            user,
            now,
            client_id=client_id,
        )
        self.tokens[token.access] = token
        self.refresh_tokens[token.refresh] = token
        return token

    def revoke(self, access_or_refresh: str) -> None:
        token = self.tokens.get(access_or_refresh) or self.refresh_tokens.get(access_or_refresh)
        if token is not None:
            token.revoked = True

    def find(self, kind: Kind, ids: Ids) -> Media | None:
        """Trakt's match order; titles without a Trakt id (Plex-only ones) are unknown here."""
        item = self.cat.find(kind, ids, MATCH_ORDER)
        return item if item is not None and item.trakt is not None else None

    def find_as[M: Media](self, cls: type[M], ids: Ids) -> M | None:
        item = self.cat.find_as(cls, ids, MATCH_ORDER)
        return item if item is not None and item.trakt is not None else None


# -- serialisation -------------------------------------------------------------------------------
def movie_json(m: Movie) -> dict[str, Any]:
    return {
        "title": m.title,
        "year": m.year,
        "ids": {"trakt": m.trakt, "slug": m.slug, "imdb": m.imdb, "tmdb": m.tmdb},
    }


def show_json(s: Show) -> dict[str, Any]:
    return {
        "title": s.title,
        "year": s.year,
        "ids": {"trakt": s.trakt, "slug": s.slug, "tvdb": s.tvdb, "imdb": s.imdb, "tmdb": s.tmdb},
    }


def season_json(s: Season) -> dict[str, Any]:
    return {"number": s.number, "ids": {"trakt": s.trakt, "tvdb": s.tvdb, "tmdb": s.tmdb}}


def episode_json(e: Episode) -> dict[str, Any]:
    return {
        "season": e.season,
        "number": e.number,
        "title": e.title,
        "ids": {"trakt": e.trakt, "tvdb": e.tvdb, "imdb": e.imdb, "tmdb": e.tmdb},
    }


def media_json(item: Media) -> dict[str, Any]:
    """``{"type": ..., "movie": ...}``; a season or an episode comes with its show."""
    if isinstance(item, Movie):
        return {"type": "movie", "movie": movie_json(item)}
    if isinstance(item, Show):
        return {"type": "show", "show": show_json(item)}
    if isinstance(item, Season):
        return {"type": "season", "season": season_json(item), "show": show_json(item.show)}
    return {"type": "episode", "episode": episode_json(item), "show": show_json(item.show)}


# -- checks --------------------------------------------------------------------------------------
CLOUDFLARE_BLOCK = (
    "<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
    "<body><h1>Sorry, you have been blocked</h1></body></html>"
)


def _check_headers(request: web.Request, *, oauth: bool = False) -> None:
    if not request.headers.get("User-Agent"):
        raise Abort(web.Response(status=403, text=CLOUDFLARE_BLOCK, content_type="text/html"))
    if request.method in ("POST", "PUT") and request.body_exists:
        ctype = request.headers.get("Content-Type", "")
        if not ctype.startswith("application/json"):
            raise Abort(empty(412))
    if oauth:
        return
    app = state_of(request).trakt.apps.get(request.headers.get("trakt-api-key", ""))
    if app is None or app.removed:
        raise Abort(empty(403))  # "Forbidden - invalid API key or unapproved app"
    if not app.owner_vip:
        raise Abort(empty(426, {"X-Upgrade-URL": "https://trakt.tv/vip"}))
    if request.headers.get("trakt-api-version") != "2":
        raise Abort(empty(400))


def _rate_limit(request: web.Request, key: str, *, authed: bool) -> None:
    state = state_of(request)
    if not state.rate_limits:
        return
    trakt, now = state.trakt, state.now()
    if request.method in ("POST", "PUT", "DELETE"):
        last = trakt.last_write.get(key)
        # A microsecond of slack: a client that paces exactly 1 s may land a float ulp short.
        if last is not None and now + 1e-6 < last + 1:
            _too_many("AUTHED_API_POST_LIMIT", 1, 1, last + 1, now)
        trakt.last_write[key] = now
        return
    start, count = trakt.get_window.get(key, (now, 0))
    if now >= start + GET_PERIOD:
        start, count = now, 0
    if count >= GET_LIMIT:
        name = "AUTHED_API_GET_LIMIT" if authed else "UNAUTHED_API_GET_LIMIT"
        _too_many(name, GET_PERIOD, GET_LIMIT, start + GET_PERIOD, now)
    trakt.get_window[key] = (start, count + 1)


def _too_many(name: str, period: int, limit: int, until: float, now: float) -> None:
    info = {"name": name, "period": period, "limit": limit, "remaining": 0, "until": iso_ms(until)}
    headers = {"Retry-After": str(max(1, math.ceil(until - now))), "X-Ratelimit": dumps(info)}
    raise Abort(empty(429, headers))


def authed(request: web.Request) -> User:
    """Header checks, OAuth bearer, per-user rate limit; returns the user."""
    _check_headers(request)
    state = state_of(request)
    token = state.trakt.tokens.get(bearer(request) or "")
    if token is None or token.revoked or state.now() >= token.created_at + token.expires_in:
        raise Abort(empty(401, {"WWW-Authenticate": 'Bearer realm="trakt", error="invalid_token"'}))
    _rate_limit(request, token.user, authed=True)
    return state.trakt.users[token.user]


def public(request: web.Request) -> User | None:
    """Endpoints that work without OAuth (a valid bearer still identifies the user)."""
    if bearer(request):
        return authed(request)
    _check_headers(request)
    _rate_limit(request, "app:" + request.headers["trakt-api-key"], authed=False)
    return None


# -- OAuth ---------------------------------------------------------------------------------------
INVALID_GRANT = {
    "error": "invalid_grant",
    "error_description": "The provided authorization grant is invalid, expired, revoked, does "
    "not match the redirection URI used in the authorization request, or was issued to "
    "another client.",
}


def _client_ok(request: web.Request, body: dict[str, Any], *, secret: bool = True) -> bool:
    app = state_of(request).trakt.apps.get(str(body.get("client_id")))
    if app is None or app.removed:
        return False  # a deleted app's client id is unknown
    return not secret or body.get("client_secret") == app.secret


async def _oauth_body(request: web.Request, *, secret: bool = True) -> dict[str, Any]:
    _check_headers(request, oauth=True)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Abort(empty(400))
    if not _client_ok(request, body, secret=secret):
        # A deleted app's client id: the answer trakt-api #902 quotes (2026-08-05).
        app = state_of(request).trakt.apps.get(str(body.get("client_id")))
        removed = app is not None and app.removed
        description = (
            "client_id is required"
            if removed
            else "Client authentication failed due to unknown client."
        )
        raise abort_json({"error": "invalid_client", "error_description": description}, 401)
    return body


async def device_code(request: web.Request) -> web.Response:
    body = await _oauth_body(request, secret=False)
    state = state_of(request)
    n = len(state.trakt.devices)
    code = DeviceCode(_hex64("device", n, state.now()), f"{0x5055CC52 + n * 7919:08X}", state.now())
    state.trakt.devices[code.device_code] = code
    del body
    return reply(
        {
            "device_code": code.device_code,
            "user_code": code.user_code,
            "verification_url": "https://trakt.tv/activate",
            "expires_in": code.expires_in,
            "interval": code.interval,
        }
    )


async def device_token(request: web.Request) -> web.Response:
    body = await _oauth_body(request)
    state = state_of(request)
    now = state.now()
    code = state.trakt.devices.get(str(body.get("code", "")))
    if code is None:
        return empty(404)
    if code.used:
        return empty(409)
    if now >= code.created + code.expires_in:
        return empty(410)
    if code.denied:
        return empty(418)
    too_fast = code.last_poll is not None and now - code.last_poll < code.interval
    code.last_poll = now
    if too_fast:
        return empty(429)
    if code.user is None:
        return empty(400)
    code.used = True
    return reply(
        state.trakt.add_token(code.user, int(now), client_id=str(body["client_id"])).body()
    )


async def token(request: web.Request) -> web.Response:
    body = await _oauth_body(request)
    trakt = state_of(request).trakt
    now = int(state_of(request).now())
    grant = body.get("grant_type")
    if grant == "refresh_token":
        old = trakt.refresh_tokens.get(str(body.get("refresh_token", "")))
        if old is None or old.revoked or old.client_id != str(body["client_id"]):
            return reply(INVALID_GRANT, 400)
        # Single use: the old pair dies with the refresh.
        old.revoked = True
        return reply(trakt.add_token(old.user, now, client_id=old.client_id).body())
    if grant == "authorization_code":
        issued = trakt.auth_codes.pop(str(body.get("code", "")), None)
        if issued is None or issued[1] != str(body["client_id"]):
            return reply(INVALID_GRANT, 400)
        return reply(trakt.add_token(issued[0], now, client_id=issued[1]).body())
    return reply(
        {
            "error": "unsupported_grant_type",
            "error_description": "The authorization "
            "grant type is not supported by the authorization server.",
        },
        400,
    )


async def revoke(request: web.Request) -> web.Response:
    body = await _oauth_body(request)
    state_of(request).trakt.revoke(str(body.get("token", "")))
    return reply({})


async def authorize(request: web.Request) -> web.StreamResponse:
    """Auto-approves as ``TRAKT_USER`` (or ``?sim_user=``) and redirects back with a code."""
    q = request.query
    trakt = state_of(request).trakt
    app = trakt.apps.get(q.get("client_id", ""))
    if app is None or app.removed or not q.get("redirect_uri"):
        return web.Response(status=400, text="invalid client or redirect_uri")
    code = _hex64("code", len(trakt.auth_codes), state_of(request).now())[:32]
    trakt.auth_codes[code] = (q.get("sim_user", cred.TRAKT_USER), q["client_id"])
    location = URL(q["redirect_uri"]).update_query(code=code, state=q.get("state", ""))
    raise web.HTTPFound(location)


# -- users / activities --------------------------------------------------------------------------
async def settings(request: web.Request) -> web.Response:
    user = authed(request)
    return reply(
        {
            "user": {
                "username": user.name,
                "private": False,
                "name": user.name.title(),
                "vip": user.vip,
                "vip_ep": False,
                "ids": {"slug": user.name, "uuid": _hex64("uuid", user.name)[:40]},
            },
            "account": {"timezone": "Europe/Berlin"},
            "limits": {
                "list": {"count": 2, "item_count": 100},
                "watchlist": {"item_count": user.watchlist_limit},
                "favorites": {"item_count": 100},
                "collection": {"item_count": 100},
                "notes": {"item_count": 100},
            },
        }
    )


async def last_activities(request: web.Request) -> web.Response:
    user = authed(request)
    acts = user.activities
    out: dict[str, Any] = {"all": iso_ms(acts["all"])}
    for group, keys in ACTIVITY_KEYS.items():
        out[group] = {key: iso_ms(acts[f"{group}.{key}"]) for key in keys}
    return reply(out)


# -- body parsing --------------------------------------------------------------------------------
Found = list[tuple[Media, dict[str, Any]]]
Missing = dict[str, list[Any]]
# A nested season or episode takes its parent's time unless it names its own; never its rating.
INHERITED = ("watched_at", "rated_at", "collected_at")


def _ts(value: object, now: float, item: Media | None = None) -> float:
    if value in (None, ""):
        return now
    if value in ("released", "unknown"):
        if isinstance(item, Episode):
            return item.first_aired
        if isinstance(item, Movie) and item.released:
            return datetime.fromisoformat(item.released).replace(tzinfo=UTC).timestamp()
        return 0.0
    try:
        return parse_iso(str(value))
    except ValueError:
        raise Abort(empty(400)) from None


def _objects(value: object) -> list[dict[str, Any]]:
    """A list of JSON objects from a sync body, or 400 (as Trakt answers a malformed body)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Abort(empty(400))
    return value


def _resolve(trakt: TraktState, body: dict[str, Any], *, expand: bool) -> tuple[Found, Missing]:
    """Items named in a sync body, ``shows[].seasons[].episodes[]`` nesting included.

    ``expand`` (history): a show or season stands for its episodes (a bare show for every
    regular season). Otherwise (watchlist, ratings) each entry stands for itself; a show or
    season with nested entries stands for itself too only when it carries its own ``rating``.
    """
    walk = _Walk(trakt, expand=expand)
    for group, kind in KIND_OF_GROUP.items():
        for entry in _objects(body.get(group)):
            ids = entry.get("ids")
            item = trakt.find(kind, ids) if isinstance(ids, dict) else None
            if item is None:
                walk.missing[group].append({"ids": ids or {}})
            else:
                walk.visit(item, entry, {})
    return walk.found, walk.missing


class _Walk:
    def __init__(self, trakt: TraktState, *, expand: bool) -> None:
        self.trakt = trakt
        self.expand = expand
        self.found: Found = []
        self.missing: Missing = {group: [] for group in KINDS}

    def visit(self, item: Media, entry: dict[str, Any], inherited: dict[str, Any]) -> None:
        merged = {**inherited, **entry}
        group = "seasons" if isinstance(item, Show) else "episodes"
        children = _objects(entry.get(group)) if isinstance(item, Show | Season) else []
        if not children:
            if self.expand and isinstance(item, Show):
                self.found.extend((ep, merged) for ep in item.episodes if ep.season > 0)
            elif self.expand and isinstance(item, Season):
                self.found.extend((ep, merged) for ep in item.episodes)
            else:
                self.found.append((item, merged))
            return
        if not self.expand and "rating" in entry:
            self.found.append((item, merged))
        passed = {key: merged[key] for key in INHERITED if key in merged}
        for child in children:
            number = as_int(child.get("number"))
            sub: Season | Episode | None = None
            if number is not None and isinstance(item, Show):
                sub = item.season_items.get(number)
            elif number is not None and isinstance(item, Season):
                sub = self.trakt.cat.episode(item.show, item.number, number)
            if sub is None:
                self.missing[group].append(child)
            else:
                self.visit(sub, child, passed)


def _plays_of(found: Found) -> list[tuple[Movie | Episode, dict[str, Any]]]:
    """The watchable part of an expanded body (expansion leaves only movies and episodes)."""
    return [(item, entry) for item, entry in found if isinstance(item, Movie | Episode)]


def _echo(entry: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A ``not_found`` row: the entry's ids (or its season/episode number) and ``keys``."""
    if "ids" in entry or "number" not in entry:
        out = {"ids": entry.get("ids", {})}
    else:
        out = {"number": entry["number"]}
    return out | {key: entry.get(key) for key in keys}


def _drop[V](store: dict[Media, V], found: Found, missing: Missing) -> list[Media]:
    """Removes every found item from ``store``; what ``store`` lacks goes to ``not_found``."""
    deleted: list[Media] = []
    for item, entry in found:
        if store.pop(item, None) is None:
            missing[item.kind + "s"].append(_echo(entry))
        else:
            deleted.append(item)
    return deleted


async def _sync_body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Abort(empty(400))
    return body


def _counts(items: Iterable[Media], keys: tuple[str, ...] = KINDS) -> dict[str, int]:
    out = dict.fromkeys(keys, 0)
    for item in items:
        out[item.kind + "s"] = out.get(item.kind + "s", 0) + 1
    return out


# -- watchlist -----------------------------------------------------------------------------------
async def watchlist_get(request: web.Request) -> web.Response:
    user = authed(request)
    kind = request.match_info.get("type", "all")
    how = request.match_info.get("how", "asc")
    sort_by = request.match_info.get("sort_by", "rank")
    rows = []
    for rank, (item, (list_id, listed_at)) in enumerate(user.watchlist.items(), start=1):
        if kind not in ("all", item.kind + "s"):
            continue
        rows.append(
            {
                "rank": rank,
                "id": list_id,
                "listed_at": iso_ms(listed_at),
                "notes": None,
                **media_json(item),
            }
        )
    if sort_by == "added":
        rows.sort(key=lambda r: str(r["listed_at"]))
    elif sort_by == "title":
        rows.sort(key=_title_of)
    if how == "desc":
        rows.reverse()
    page, headers = paginate(request, rows, optional=True)
    headers |= {"X-Sort-By": sort_by, "X-Sort-How": how, "X-List-ID": "1"}
    return reply(list(page), headers=headers)


def _title_of(row: dict[str, Any]) -> str:
    """A watchlist row's sort title: the show's for seasons and episodes."""
    media = row["show"] if row["type"] in ("season", "episode") else row[row["type"]]
    return str(media["title"])


async def watchlist_add(request: web.Request) -> web.Response:
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    found, missing = _resolve(trakt, await _sync_body(request), expand=False)
    new = list(dict.fromkeys(i for i, _ in found if i not in user.watchlist))
    existing = [i for i, _ in found if i in user.watchlist]
    if len(user.watchlist) + len(new) > user.watchlist_limit:
        return empty(
            420,
            {
                "X-Upgrade-URL": "https://trakt.tv/vip",
                "X-VIP-User": str(user.vip).lower(),
                "X-Account-Limit": str(user.watchlist_limit),
            },
        )
    for item in new:
        user.watchlist[item] = (trakt.next_id(), now)
    if new:
        user.touch(now, "watchlist.updated_at", *{f"{i.kind}s.watchlisted_at" for i in new})
    return reply(
        {
            "added": _counts(new),
            "existing": _counts(existing),
            "not_found": missing,
            "list": {
                "updated_at": iso_ms(user.activities["watchlist.updated_at"]),
                "item_count": len(user.watchlist),
            },
        },
        201,
    )


async def watchlist_remove(request: web.Request) -> web.Response:
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    found, missing = _resolve(trakt, await _sync_body(request), expand=False)
    deleted = _drop(user.watchlist, found, missing)
    if deleted:
        user.touch(now, "watchlist.updated_at")
    return reply(
        {
            "deleted": _counts(deleted),
            "not_found": missing,
            "list": {
                "updated_at": iso_ms(user.activities["watchlist.updated_at"]),
                "item_count": len(user.watchlist),
            },
        }
    )


# -- history -------------------------------------------------------------------------------------
HISTORY_TYPES = ("movies", "shows", "seasons", "episodes")


def _play_json(play: Play, *, full: bool = False) -> dict[str, Any]:
    """A history row; ``full`` (``extended=full``): the movie or episode with its runtime."""
    row = {"id": play.id, "watched_at": iso_ms(play.watched_at), "action": play.action}
    item = play.item
    if full and isinstance(item, Movie):
        return row | {"type": "movie", "movie": _movie_full(item)}
    if full and isinstance(item, Episode):
        return row | {
            "type": "episode",
            "episode": _episode_full(item),
            "show": _show_full(item.show),
        }
    return row | media_json(item)


def _add_plays(user: User, plays: list[Play], now: float) -> None:
    user.history.extend(plays)
    for play in plays:
        # Watching removes the title from the watchlist: the episode, its season and its show.
        item = play.item
        listed: list[Media] = [item]
        if isinstance(item, Episode):
            listed += [item.show, item.show.season_items[item.season]]
        if [i for i in listed if user.watchlist.pop(i, None) is not None]:
            user.touch(now, "watchlist.updated_at")
    user.touch(now, *{f"{p.item.kind}s.watched_at" for p in plays})


def _play_matches(play: Play, kind: str | None, trakt_id: str | None) -> bool:
    """``/sync/history/{kind}/{trakt_id}``: a movie, a show, a season or an episode's plays."""
    item = play.item
    if kind is None:
        return True
    if kind == "movies":
        target: Media | None = item if isinstance(item, Movie) else None
    elif not isinstance(item, Episode):
        target = None
    elif kind == "shows":
        target = item.show
    elif kind == "seasons":
        target = item.show.season_items[item.season]
    else:
        target = item
    return target is not None and (trakt_id is None or str(target.trakt) == trakt_id)


async def history_get(request: web.Request) -> web.Response:
    """Newest first; ``start_at``/``end_at`` both inclusive (Trakt compares whole milliseconds)."""
    user = authed(request)
    kind = request.match_info.get("type")
    if kind is not None and kind not in HISTORY_TYPES:
        return empty(404)
    trakt_id = request.match_info.get("id")
    start = query_time(request, "start_at", Abort(empty(400)))
    end = query_time(request, "end_at", Abort(empty(400)))
    plays = [
        play
        for play in user.history
        if _play_matches(play, kind, trakt_id)
        and (start is None or play.watched_at >= start)
        and (end is None or play.watched_at <= end)
    ]
    plays.sort(key=lambda p: (p.watched_at, p.id), reverse=True)
    page, headers = paginate(request, plays)
    full = request.query.get("extended") == "full"
    return reply([_play_json(p, full=full) for p in page], headers=headers)


async def history_add(request: web.Request) -> web.Response:
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    found, missing = _resolve(trakt, await _sync_body(request), expand=True)
    plays = [
        Play(trakt.next_id(), item, _ts(entry.get("watched_at"), now, item), "watch")
        for item, entry in _plays_of(found)
    ]
    if plays:
        _add_plays(user, plays, now)
    added = _counts([p.item for p in plays], ("movies", "episodes"))
    return reply({"added": added, "not_found": missing}, 201)


def _history_ids(body: dict[str, Any]) -> list[object]:
    ids = body.get("ids")
    if ids is None:
        return []
    if not isinstance(ids, list) or not all(isinstance(i, int | str) for i in ids):
        raise Abort(empty(400))
    return list(dict.fromkeys(ids))  # as given, once each


async def history_remove(request: web.Request) -> web.Response:
    """Removes every play of the named items, and exactly the plays listed in ``ids``."""
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    body = await _sync_body(request)
    found, missing = _resolve(trakt, body, expand=True)
    targets = {id(item) for item, _ in _plays_of(found)}
    wanted = _history_ids(body)
    ids = {as_int(i) for i in wanted} - {None}
    keep: list[Play] = []
    gone: list[Play] = []
    for play in user.history:
        (gone if id(play.item) in targets or play.id in ids else keep).append(play)
    user.history = keep
    removed = {p.id for p in gone}
    not_found: dict[str, Any] = {
        "ids": [i for i in wanted if as_int(i) not in removed],
        **missing,
    }
    if gone:
        user.touch(now, *{f"{p.item.kind}s.watched_at" for p in gone})
    return reply(
        {"deleted": _counts([p.item for p in gone], ("movies", "episodes")), "not_found": not_found}
    )


async def watched(request: web.Request) -> web.Response:
    user = authed(request)
    kind = request.match_info["type"]
    if kind not in ("movies", "shows"):
        return empty(404)
    rows: dict[Any, dict[str, Any]] = {}
    for play in sorted(user.history, key=lambda p: p.watched_at):
        item = play.item
        if kind == "movies" and isinstance(item, Movie):
            row = rows.setdefault(item, {"plays": 0, "movie": movie_json(item)})
        elif kind == "shows" and isinstance(item, Episode):
            row = rows.setdefault(item.show, {"plays": 0, "show": show_json(item.show), "eps": {}})
            row["eps"].setdefault((item.season, item.number), []).append(play.watched_at)
        else:
            continue
        row["plays"] += 1
        row["last_watched_at"] = row["last_updated_at"] = iso_ms(play.watched_at)
    out = []
    for row in rows.values():
        eps = row.pop("eps", None)
        if eps is not None and request.query.get("extended") != "noseasons":
            seasons: dict[int, list[dict[str, Any]]] = {}
            for (season, number), times in sorted(eps.items()):
                seasons.setdefault(season, []).append(
                    {"number": number, "plays": len(times), "last_watched_at": iso_ms(times[-1])}
                )
            row["seasons"] = [{"number": s, "episodes": e} for s, e in seasons.items()]
        out.append(
            {
                "plays": row.pop("plays"),
                "last_watched_at": row.pop("last_watched_at"),
                "last_updated_at": row.pop("last_updated_at"),
                **row,
            }
        )
    return reply(out)


# -- ratings -------------------------------------------------------------------------------------
async def ratings_get(request: web.Request) -> web.Response:
    user = authed(request)
    kind = request.match_info.get("type", "all")
    wanted = request.match_info.get("rating")
    allowed = {int(r) for r in wanted.split(",") if r.isdigit()} if wanted else None
    rows = []
    for item, (rating, rated_at) in sorted(user.ratings.items(), key=lambda kv: -kv[1][1]):
        if kind not in ("all", item.kind + "s") or (allowed and rating not in allowed):
            continue
        rows.append({"rated_at": iso_ms(rated_at), "rating": rating, **media_json(item)})
    page, headers = paginate(request, rows, optional=True)
    return reply(list(page), headers=headers)


async def ratings_add(request: web.Request) -> web.Response:
    """Movies, shows, seasons and episodes, top level or nested under their show."""
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    found, missing = _resolve(trakt, await _sync_body(request), expand=False)
    added = []
    for item, entry in found:
        rating = entry.get("rating")
        if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 10:
            missing[item.kind + "s"].append(_echo(entry, "rating"))
            continue
        user.ratings[item] = (rating, _ts(entry.get("rated_at"), now))
        added.append(item)
    if added:
        user.touch(now, *{f"{i.kind}s.rated_at" for i in added})
    return reply({"added": _counts(added), "not_found": missing}, 201)


async def ratings_remove(request: web.Request) -> web.Response:
    """The named levels lose their rating (a show entry with ``seasons``: only those seasons)."""
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    body = await _sync_body(request)
    found, missing = _resolve(trakt, _unrated(body), expand=False)
    deleted = _drop(user.ratings, found, missing)
    if deleted:
        user.touch(now, *{f"{i.kind}s.rated_at" for i in deleted})
    return reply({"deleted": _counts(deleted), "not_found": missing})


def _unrated(body: dict[str, Any]) -> dict[str, Any]:
    """A removal body without ``rating`` keys: a removal names levels, it does not rate them."""

    def strip(entry: object) -> object:
        if not isinstance(entry, dict):
            return entry
        return {
            key: ([strip(v) for v in value] if isinstance(value, list) else value)
            for key, value in entry.items()
            if key != "rating"
        }

    return {
        key: [strip(v) for v in value] if isinstance(value, list) else value
        for key, value in body.items()
    }


# -- scrobble ------------------------------------------------------------------------------------
def _scrobble_item(trakt: TraktState, body: dict[str, Any]) -> Movie | Episode | None:
    movie = body.get("movie")
    if isinstance(movie, dict):
        return trakt.find_as(Movie, movie.get("ids") or {})
    episode = body.get("episode")
    if not isinstance(episode, dict):
        return None
    ids = episode.get("ids")
    found = trakt.find_as(Episode, ids) if isinstance(ids, dict) else None
    if found is not None:
        return found
    show_body = body.get("show")
    season, number = as_int(episode.get("season")), as_int(episode.get("number"))
    if isinstance(show_body, dict) and season is not None and number is not None:
        show = trakt.find_as(Show, show_body.get("ids") or {})
        return trakt.cat.episode(show, season, number) if show is not None else None
    return None


async def scrobble(request: web.Request) -> web.Response:
    user = authed(request)
    action = request.match_info["action"]
    trakt, now = state_of(request).trakt, state_of(request).now()
    body = await _sync_body(request)
    try:
        progress = float(body.get("progress", 0))
    except TypeError, ValueError:
        return empty(400)
    item = _scrobble_item(trakt, body)
    if item is None:
        return empty(404)
    out_action, out_id = action, 0
    if action == "pause" and progress >= 80:
        # As Trakt answers it (Taxel/PlexTraktSync #2394, tests/fixtures/real/trakt/
        # scrobble_pause_422.json).
        return reply({"message": f"Progress is {progress}%. Use stop to scrobble."}, 422)
    if action == "stop":
        if progress < 1:
            return empty(422)
        if progress >= 80:
            last = user.scrobbled.get(item)
            if last is not None and now < last + SCROBBLE_WINDOW:
                return reply(
                    {"watched_at": iso_ms(last), "expires_at": iso_ms(last + SCROBBLE_WINDOW)}, 409
                )
            play = Play(trakt.next_id(), item, now, "scrobble")
            _add_plays(user, [play], now)
            user.scrobbled[item] = now
            user.playback.pop(item, None)
            out_action, out_id = "scrobble", play.id
        else:
            out_action = "pause"
    if out_action == "pause":
        out_id = trakt.next_id()
        user.playback[item] = (out_id, progress, now)
        user.touch(now, f"{item.kind}s.paused_at")
    out: dict[str, Any] = {
        "id": out_id,
        "action": out_action,
        "progress": progress,
        "sharing": {"twitter": False, "mastodon": False, "tumblr": False},
    }
    out |= {k: v for k, v in media_json(item).items() if k != "type"}
    return reply(out, 201)


# -- search / calendars --------------------------------------------------------------------------
async def search(request: web.Request) -> web.Response:
    public(request)
    id_type, value = request.match_info["id_type"], request.match_info["id"]
    if id_type not in ("trakt", "imdb", "tmdb", "tvdb"):
        return empty(400)
    types = request.query.get("type", "movie,show,episode").split(",")
    trakt = state_of(request).trakt
    rows = []
    for kind in ("movie", "show", "episode"):
        if kind in types:
            item = trakt.find(kind, {id_type: value})
            if item is not None:
                rows.append({"score": None, **media_json(item)})
    page, headers = paginate(request, rows)
    return reply(list(page), headers=headers)


def _years(text: str) -> tuple[int, int] | None:
    """Trakt's ``years`` filter: ``2014`` or ``2010-2014``."""
    low, _, high = text.partition("-")
    try:
        return int(low), int(high or low)
    except ValueError:
        raise Abort(empty(400)) from None


async def search_text(request: web.Request) -> web.Response:
    """``/search/{type}?query=``: titles holding the query (any case), best first, paginated.

    tests/fixtures/real/trakt/search_text_movie.json: rows ``{type, score, movie}`` by score;
    ``years`` filters (Trakt's common filters). The score here is ours: an exact title first.
    """
    public(request)
    types = request.match_info["type"].split(",")
    query = request.query.get("query", "").casefold().strip()
    if not query or not set(types) <= {"movie", "show", "episode", "person", "list"}:
        return empty(400)
    years = _years(request.query["years"]) if request.query.get("years") else None
    cat = state_of(request).trakt.cat
    titles: list[Movie | Show] = []
    if "movie" in types:
        titles.extend(cat.movies)
    if "show" in types:
        titles.extend(cat.shows)
    rows = []
    for title in titles:
        name = title.title.casefold()
        if title.trakt is None or query not in name:
            continue
        if years is not None and not (title.year and years[0] <= title.year <= years[1]):
            continue
        rows.append({"score": 1000.0 if name == query else 10.0, **media_json(title)})
    rows.sort(key=lambda row: -row["score"])
    page, headers = paginate(request, rows)
    return reply(list(page), headers=headers)


def _calendar_window(request: web.Request) -> tuple[float, float, dict[str, str]]:
    """``{start_date}/{days}`` (at most 33) and the ``X-Start-Date``/``X-End-Date`` headers.

    Trakt spells both as HTTP dates, the end as the last second of the last day
    (tests/fixtures/real/trakt/calendars_my_shows.json).
    """
    try:
        start = datetime.strptime(request.match_info["date"], "%Y-%m-%d").replace(tzinfo=UTC)
        days = min(33, max(1, int(request.match_info.get("days", "7"))))
    except ValueError:
        raise Abort(empty(400)) from None
    begin = start.timestamp()
    end = begin + days * DAY
    http_date = "%a, %d %b %Y %H:%M:%S GMT"
    headers = {
        "X-Start-Date": start.strftime(http_date),
        "X-End-Date": datetime.fromtimestamp(end - 1, UTC).strftime(http_date),
    }
    return begin, end, headers


def _episode_full(ep: Episode) -> dict[str, Any]:
    """An episode as ``extended=full`` gives it (real: trakt/episode_extended_full.json)."""
    return episode_json(ep) | {
        "number_abs": None,
        "overview": f"{ep.show.title}: {ep.title}.",
        "first_aired": iso_ms(ep.first_aired),
        "runtime": ep.runtime,
    }


def _movie_full(movie: Movie) -> dict[str, Any]:
    """A movie as ``extended=full`` gives it (real: trakt/sync_history_extended_full.json)."""
    return movie_json(movie) | {
        "overview": f"{movie.title}.",
        "released": movie.released or None,
        "runtime": movie.runtime,
    }


def _show_full(show: Show) -> dict[str, Any]:
    """A show as ``extended=full`` gives it: its usual episode runtime among the details."""
    return show_json(show) | {"overview": f"{show.title}.", "runtime": show.runtime}


def _followed_shows(user: User) -> dict[Show, None]:
    """The shows "my" calendars cover: watched ones and watchlisted ones."""
    mine: dict[Show, None] = {}
    for play in user.history:
        if isinstance(play.item, Episode):
            mine[play.item.show] = None
    mine.update((i, None) for i in user.watchlist if isinstance(i, Show))
    return mine


async def calendar(request: web.Request) -> web.Response:
    user = authed(request)
    begin, end, headers = _calendar_window(request)
    full = request.query.get("extended") == "full"
    airing = sorted(
        (
            ep
            for show in _followed_shows(user)
            for ep in show.episodes
            if begin <= ep.first_aired < end
        ),
        key=lambda ep: ep.first_aired,
    )
    rows = [
        {
            "first_aired": iso_ms(ep.first_aired),
            "episode": _episode_full(ep) if full else episode_json(ep),
            "show": show_json(ep.show),
        }
        for ep in airing
    ]
    return reply(rows, headers=headers)


def _released(movie: Movie) -> float | None:
    if not movie.released:
        return None
    try:
        return datetime.fromisoformat(movie.released).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


async def calendar_movies(request: web.Request) -> web.Response:
    """Movies released in the window that the user has on the watchlist (a date, no time)."""
    user = authed(request)
    begin, end, headers = _calendar_window(request)
    full = request.query.get("extended") == "full"
    found = []
    for item in user.watchlist:
        when = _released(item) if isinstance(item, Movie) else None
        if isinstance(item, Movie) and when is not None and begin <= when < end:
            found.append((when, item))
    rows = []
    for _, movie in sorted(found, key=lambda pair: pair[0]):
        body = _movie_full(movie) if full else movie_json(movie)
        rows.append({"released": movie.released, "movie": body})
    return reply(rows, headers=headers)


# -- playback / progress -------------------------------------------------------------------------
async def playback_get(request: web.Request) -> web.Response:
    """Paused resume points, newest first (tests/fixtures/real/trakt/sync_playback.json)."""
    user = authed(request)
    kind = request.match_info.get("type")
    if kind not in (None, "movies", "episodes"):
        return empty(404)
    invalid = Abort(empty(400))
    start_at = query_time(request, "start_at", invalid)
    end_at = query_time(request, "end_at", invalid)
    rows = []
    ordered = sorted(user.playback.items(), key=lambda pair: pair[1][2], reverse=True)
    for item, (pid, progress, paused_at) in ordered:
        if kind == "movies" and not isinstance(item, Movie):
            continue
        if kind == "episodes" and not isinstance(item, Episode):
            continue
        if (start_at is not None and paused_at < start_at) or (
            end_at is not None and paused_at > end_at
        ):
            continue
        rows.append(
            {"progress": progress, "paused_at": iso_ms(paused_at), "id": pid, **media_json(item)}
        )
    page, headers = paginate(request, rows, optional=True)
    return reply(list(page), headers=headers)


async def playback_remove(request: web.Request) -> web.Response:
    """``DELETE /sync/playback/{id}``: 204, or 404 for an id the user does not have."""
    user = authed(request)
    wanted = as_int(request.match_info["id"])
    for item, (pid, _, _) in list(user.playback.items()):
        if pid == wanted:
            del user.playback[item]
            return empty(204)
    return empty(404)


def _progress_episode(ep: Episode | None) -> dict[str, Any] | None:
    return None if ep is None else episode_json(ep)


async def show_progress(request: web.Request) -> web.Response:
    """``GET /shows/{id}/progress/watched`` (tests/fixtures/real/trakt/shows_progress_watched.json).

    Only aired episodes count; specials only with ``specials=true``. ``next_episode`` follows the
    last *aired-order* episode watched (Trakt's default ``last_activity=aired``), null when done.
    """
    user = authed(request)
    trakt, now = state_of(request).trakt, state_of(request).now()
    key = request.match_info["id"]
    # Trakt ID, Trakt slug, or IMDB ID (the documented forms of ``{id}``)
    id_type = "trakt" if key.isdigit() else "imdb" if key.startswith("tt") else "slug"
    show = trakt.find_as(Show, {id_type: key})
    if show is None:
        return empty(404)
    specials = request.query.get("specials") == "true"
    seen: dict[Episode, float] = {}
    for play in user.history:
        if isinstance(play.item, Episode) and play.item.show is show:
            seen[play.item] = max(seen.get(play.item, 0.0), play.watched_at)
    aired = [
        ep
        for ep in sorted(show.episodes, key=lambda e: (e.season, e.number))
        if ep.first_aired <= now and (specials or ep.season > 0)
    ]
    seasons: dict[int, list[Episode]] = {}
    for ep in aired:
        seasons.setdefault(ep.season, []).append(ep)
    watched_order = [i for i, ep in enumerate(aired) if ep in seen]
    last = aired[watched_order[-1]] if watched_order else None
    after = watched_order[-1] + 1 if watched_order else 0
    upcoming = next((ep for ep in aired[after:] if ep not in seen), None)
    body = {
        "aired": len(aired),
        "completed": sum(1 for ep in aired if ep in seen),
        "last_watched_at": iso_ms(max(seen.values())) if seen else None,
        "reset_at": None,
        "seasons": [
            {
                "number": number,
                "aired": len(eps),
                "completed": sum(1 for ep in eps if ep in seen),
                "episodes": [
                    {
                        "number": ep.number,
                        "completed": ep in seen,
                        "last_watched_at": iso_ms(seen[ep]) if ep in seen else None,
                    }
                    for ep in eps
                ],
            }
            for number, eps in seasons.items()
        ],
        "hidden_seasons": [],
        "next_episode": _progress_episode(upcoming),
        "last_episode": _progress_episode(last),
    }
    return reply(body)


async def _style_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Spell Trakt's own headers the way ``header_style`` says (see ``TraktState``).

    Real examples: tests/fixtures/real/trakt/history_page_headers_lowercase.json and
    history_page_headers_mixedcase.json.
    """
    if not request.path.startswith(PREFIX + "/"):
        return
    style = state_of(request).trakt.header_style
    if style == "no_page_count":
        for name in ("X-Pagination-Page-Count", "X-Pagination-Item-Count"):
            response.headers.popall(name, None)
    elif style == "lower":
        for name in [n for n in response.headers if n.lower().startswith(("x-", "retry-after"))]:
            value = response.headers.pop(name)
            response.headers[name.lower()] = value


def setup(app: web.Application) -> None:
    app.on_response_prepare.append(_style_headers)
    r = app.router
    p = PREFIX
    r.add_post(f"{p}/oauth/device/code", device_code)
    r.add_post(f"{p}/oauth/device/token", device_token)
    r.add_post(f"{p}/oauth/token", token)
    r.add_post(f"{p}/oauth/revoke", revoke)
    r.add_get(f"{p}/oauth/authorize", authorize)
    r.add_get(f"{p}/users/settings", settings)
    r.add_get(f"{p}/sync/last_activities", last_activities)
    r.add_get(f"{p}/sync/watchlist", watchlist_get)
    r.add_get(f"{p}/sync/watchlist/{{type}}", watchlist_get)
    r.add_get(f"{p}/sync/watchlist/{{type}}/{{sort_by}}/{{how}}", watchlist_get)
    r.add_post(f"{p}/sync/watchlist", watchlist_add)
    r.add_post(f"{p}/sync/watchlist/remove", watchlist_remove)
    r.add_get(f"{p}/sync/history", history_get)
    r.add_get(f"{p}/sync/history/{{type}}", history_get)
    r.add_get(f"{p}/sync/history/{{type}}/{{id}}", history_get)
    r.add_post(f"{p}/sync/history", history_add)
    r.add_post(f"{p}/sync/history/remove", history_remove)
    r.add_get(f"{p}/sync/watched/{{type}}", watched)
    r.add_get(f"{p}/sync/ratings", ratings_get)
    r.add_get(f"{p}/sync/ratings/{{type}}", ratings_get)
    r.add_get(f"{p}/sync/ratings/{{type}}/{{rating}}", ratings_get)
    r.add_post(f"{p}/sync/ratings", ratings_add)
    r.add_post(f"{p}/sync/ratings/remove", ratings_remove)
    r.add_post(f"{p}/scrobble/{{action:start|pause|stop}}", scrobble)
    r.add_get(f"{p}/search/{{id_type}}/{{id}}", search)
    r.add_get(f"{p}/search/{{type}}", search_text)
    r.add_get(f"{p}/calendars/my/shows/{{date}}/{{days}}", calendar)
    r.add_get(f"{p}/calendars/my/movies/{{date}}/{{days}}", calendar_movies)
    r.add_get(f"{p}/sync/playback", playback_get)
    r.add_get(f"{p}/sync/playback/{{type}}", playback_get)
    r.add_delete(f"{p}/sync/playback/{{id:\\d+}}", playback_remove)
    r.add_get(f"{p}/shows/{{id}}/progress/watched", show_progress)


def mint_token(state: State, user: str = cred.TRAKT_USER) -> dict[str, Any]:
    """A fresh token pair for ``user`` without the device dance (control API)."""
    return state.trakt.add_token(user, int(state.now())).body()
