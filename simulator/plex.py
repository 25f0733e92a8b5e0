"""Plex state shared by plex.tv, discover/metadata and the PMS: users, tokens, library, history."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from aiohttp import web

from . import credentials as cred
from .catalogue import Catalogue, Episode, Media, Movie, Season, Show
from .core import dumps

if TYPE_CHECKING:
    from .seed import SeedPlan
    from .state import State

SECTIONS = {"1": ("movie", "Movies"), "2": ("show", "TV Shows")}
PMS_VERSION = "1.41.0.8992-8463ad060"
PLAYERS: dict[str, dict[str, str]] = {
    cred.PLAYER_TV: {
        "title": "SHIELD Android TV",
        "product": "Plex for Android (TV)",
        "platform": "Android",
        "address": "192.168.1.31",
    },
    cred.PLAYER_WEB: {
        "title": "Plex Web (Chrome)",
        "product": "Plex Web",
        "platform": "Chrome",
        "address": "192.168.1.32",
    },
}


@dataclass
class PlexUser:
    key: str  # "owner" / "shared"
    plex_id: int
    username: str
    account_id: int  # PMS-local id: the owner is 1, shared users use their plex.tv id
    uuid: str

    @property
    def owner(self) -> bool:
        return self.key == "owner"

    @property
    def thumb(self) -> str:
        return f"https://plex.tv/users/{self.uuid}/avatar?c=1"


@dataclass
class Pin:
    id: int
    code: str
    client_id: str
    product: str
    created: float
    expires_in: int
    token: str | None = None


@dataclass
class View:
    """Per-account state of one item on the PMS."""

    view_count: int = 0
    last_viewed_at: float | None = None
    view_offset: int = 0
    rating: float | None = None
    rated_at: float | None = None


@dataclass
class HistoryRow:
    id: int
    item: Movie | Episode
    account_id: int
    viewed_at: float
    device_id: int = 7


@dataclass
class Session:
    key: int
    user: PlexUser
    player: str
    item: Movie | Episode
    offset: int
    rk: str
    state: str = "playing"
    scrobbled: bool = False


@dataclass(slots=True)
class PlexQuirks:
    """Variants real servers and clients show, switched on by tests (``/_sim/plex/quirks``).

    Each default is the common shape; each ``False`` is a recorded one
    (tests/fixtures/real/plex): webhooks without ``viewOffset``/``duration`` or without
    ``Guid[]``, frames without ``clientIdentifier``, a server whose listener gets no frames.
    """

    webhook_offsets: bool = True
    webhook_guids: bool = True
    frame_client_identifier: bool = True
    playing_frames: bool = True


class PlexState:
    def __init__(self, cat: Catalogue, plan: SeedPlan, now: float) -> None:
        self.cat = cat
        self.quirks = PlexQuirks()
        self.users = {
            "owner": PlexUser(
                "owner", cred.PLEX_OWNER_ID, cred.PLEX_OWNER_NAME, 1, "a1b2c3d4e5f60718"
            ),
            "shared": PlexUser(
                "shared",
                cred.PLEX_SHARED_ID,
                cred.PLEX_SHARED_NAME,
                cred.PLEX_SHARED_ID,
                "f1e2d3c4b5a69788",
            ),
        }
        # token -> (user, "account" | "server")
        self.tokens: dict[str, tuple[PlexUser, str]] = {
            cred.PLEX_OWNER_TOKEN: (self.users["owner"], "account"),
            cred.PLEX_SERVER_TOKEN: (self.users["owner"], "server"),
            cred.PLEX_SHARED_TOKEN: (self.users["shared"], "account"),
            cred.PLEX_SHARED_SERVER_TOKEN: (self.users["shared"], "server"),
        }
        self.pins: dict[int, Pin] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.sessions: dict[tuple[str, str], Session] = {}
        self.session_ids = 100
        self.views: dict[tuple[int, Any], View] = {}
        self.history: list[HistoryRow] = []
        self.history_ids = 0
        self.watchlists: dict[str, dict[Movie | Show, float]] = {"owner": {}, "shared": {}}
        self.created = now
        # Library: PMS ratingKeys are small integers (as strings on the wire).
        self.keys: dict[int, Media] = {}
        self.key_of: dict[int, int] = {}  # id(object) -> ratingKey
        self.seasons: dict[tuple[int, int], Season] = {}
        self.added_at: dict[int, float] = {}
        next_key = 1000
        for movie in cat.movies:
            next_key = self._assign(movie, next_key, now)
        for show in cat.shows:
            next_key = self._assign(show, next_key, now)
            for number, eps in show.seasons.items():
                season = show.season_items[number]
                self.seasons[(id(show), number)] = season
                next_key = self._assign(season, next_key, now)
                for ep in eps:
                    next_key = self._assign(ep, next_key, now)
        owner, shared = self.users["owner"], self.users["shared"]
        for watched, ts in reversed(plan.plex_plays):
            self.mark_watched(owner, watched, ts)
        for watched, ts in reversed(plan.friend_plays):
            self.mark_watched(shared, watched, ts)
        for rated, rating, ts in plan.plex_ratings:
            view = self.view(owner, rated)
            view.rating, view.rated_at = float(rating), ts
        for listed, ts in reversed(plan.plex_watchlist):
            self.watchlists["owner"][listed] = ts

    def _assign(self, obj: Media, key: int, now: float) -> int:
        self.keys[key] = obj
        self.key_of[id(obj)] = key
        self.added_at[key] = now - 86400 * 30 - key
        return key + 1

    # -- lookups --------------------------------------------------------------------------
    def rating_key(self, obj: Media) -> str:
        return str(self.key_of[id(obj)])

    def by_key(self, key: str) -> Media | None:
        return self.keys.get(int(key)) if key.isdigit() else None

    def season_of(self, ep: Episode) -> Season:
        return self.seasons[(id(ep.show), ep.season)]

    def user_for(self, token: str | None) -> tuple[PlexUser, str] | None:
        return self.tokens.get(token or "")

    def find_user(self, name: str | None) -> PlexUser:
        for user in self.users.values():
            if name in (user.key, user.username, str(user.plex_id), str(user.account_id)):
                return user
        raise LookupError(f"unknown plex user {name!r}")

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def mint_token(self, user: PlexUser) -> str:
        token = hashlib.sha256(f"plex{user.key}{len(self.tokens)}".encode()).hexdigest()[:20]
        self.tokens[token] = (user, "account")
        return token

    # -- per-user state -------------------------------------------------------------------
    def view(self, user: PlexUser, obj: Media) -> View:
        key = (user.account_id, id(obj))
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = View()
        return view

    def peek(self, user: PlexUser, obj: Media) -> View | None:
        return self.views.get((user.account_id, id(obj)))

    def leave_offset(self, user: PlexUser, item: Movie | Episode, offset: int, ts: float) -> None:
        """A playback stopped short of watched: the resume point, and ``lastViewedAt`` moves.

        ``lastViewedAt`` is the item's "last consumption time" (LukeHagar/plex-api-spec
        ``plex-api-spec.yaml``@ae9507ea, schema ``lastViewedAt``): a partial view is one.
        """
        view = self.view(user, item)
        view.view_offset = offset
        view.last_viewed_at = max(ts, view.last_viewed_at or 0)

    def mark_watched(self, user: PlexUser, item: Movie | Episode, ts: float) -> HistoryRow:
        view = self.view(user, item)
        view.view_count += 1
        view.last_viewed_at = max(ts, view.last_viewed_at or 0)
        view.view_offset = 0
        self.history_ids += 1
        row = HistoryRow(self.history_ids, item, user.account_id, ts)
        self.history.append(row)
        return row

    async def close_sockets(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        self.sockets.clear()

    async def broadcast(self, type_: str, key: str, items: list[dict[str, Any]]) -> int:
        """Send one ``NotificationContainer`` frame to every connected websocket."""
        frame = dumps({"NotificationContainer": {"type": type_, "size": len(items), key: items}})
        return await self.send_frame(frame)

    async def send_frame(self, frame: str) -> int:
        """Send one text frame as is (a fault: what a broken or hostile server might send)."""
        sent = 0
        for ws in list(self.sockets):
            if ws.closed:
                self.sockets.discard(ws)
                continue
            await ws.send_str(frame)
            sent += 1
        return sent


def approve_pin(state: State, pin_id: int, user: str | None) -> bool:
    pin = state.plex.pins.get(pin_id)
    if pin is None:
        return False
    pin.token = state.plex.mint_token(state.plex.find_user(user or "owner"))
    return True


# -- responses ---------------------------------------------------------------------------------
def wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _xml(name: str, value: dict[str, Any]) -> str:
    attrs: list[str] = []
    children: list[str] = []
    for key, val in value.items():
        if val is None:
            continue
        if isinstance(val, list):
            children.extend(_xml(key, v) for v in val if isinstance(v, dict))
        elif isinstance(val, dict):
            children.append(_xml(key, val))
        else:
            text = ("1" if val else "0") if isinstance(val, bool) else str(val)
            attrs.append(f"{key}={quoteattr(text)}")
    head = f"<{name}{' ' if attrs else ''}{' '.join(attrs)}"
    return f"{head}>{''.join(children)}</{name}>" if children else f"{head} />"


def container(
    request: web.Request,
    data: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """JSON with ``Accept: application/json``, XML otherwise (as Plex does)."""
    if wants_json(request):
        return web.Response(
            text=dumps(data), status=status, headers=headers, content_type="application/json"
        )
    (root, body), *_ = data.items()
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + _xml(
        root, body if isinstance(body, dict) else {}
    )
    return web.Response(text=xml, status=status, headers=headers, content_type="application/xml")


def page_params(request: web.Request) -> tuple[int, int | None]:
    def get(name: str) -> str | None:
        return request.query.get(name) or request.headers.get(name)

    start = get("X-Plex-Container-Start")
    size = get("X-Plex-Container-Size")
    return (
        int(start) if start and start.isdigit() else 0,
        int(size) if size and size.isdigit() else None,
    )


def guid_list(item: Movie | Show | Episode) -> list[dict[str, str]]:
    out = []
    if item.imdb:
        out.append({"id": f"imdb://{item.imdb}"})
    if item.tmdb is not None:
        out.append({"id": f"tmdb://{item.tmdb}"})
    if item.tvdb is not None:
        out.append({"id": f"tvdb://{item.tvdb}"})
    return out
