"""SIMKL (``/simkl`` = ``https://api.simkl.com``). Ids of tmdb/tvdb/mal go out as strings."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import credentials as cred
from .catalogue import Catalogue, Episode, Ids, Item, Movie, Show
from .clock import iso_ms, iso_offset, iso_s, parse_iso
from .core import (
    Abort,
    abort_json,
    as_int,
    bearer,
    json_body,
    paginate,
    query_time,
    reply,
    state_of,
)

if TYPE_CHECKING:
    from .seed import SeedPlan
    from .state import State

PREFIX = "/simkl"
MATCH_ORDER = ("simkl", "imdb", "tmdb", "tvdb", "mal", "anidb", "slug")
STATUSES = ("plantowatch", "watching", "completed", "hold", "dropped")
SCROBBLE_WINDOW = 3600
GROUPS = {"movies": "movies", "shows": "tv_shows", "anime": "anime"}
_SHOW_ACTIVITIES = (
    "all",
    "rated_at",
    "playback",
    "plantowatch",
    "watching",
    "completed",
    "hold",
    "dropped",
    "removed_from_list",
)
ACTIVITY_KEYS = {
    "tv_shows": _SHOW_ACTIVITIES,
    "anime": _SHOW_ACTIVITIES,
    # Movies have no "watching" or "hold" status.
    "movies": tuple(k for k in _SHOW_ACTIVITIES if k not in ("watching", "hold")),
}


@dataclass
class Entry:
    status: str
    added_at: float
    updated_at: float
    rating: int | None = None
    rated_at: float | None = None


@dataclass
class Pin:
    user_code: str
    created: float
    expires_in: int = 900
    interval: int = 5
    user: str | None = None
    last_poll: float | None = None


@dataclass
class User:
    name: str
    id: int
    entries: dict[Movie | Show, Entry] = field(default_factory=dict)
    watched: dict[Movie | Episode, float] = field(default_factory=dict)
    scrobbled: dict[Movie | Episode, float] = field(default_factory=dict)
    playback: dict[int, tuple[Movie | Episode, float, float]] = field(default_factory=dict)
    activities: dict[str, float | None] = field(default_factory=dict)

    def touch(self, now: float, item: Item, key: str) -> None:
        group = GROUPS[section(item)]
        if key in ACTIVITY_KEYS[group]:
            self.activities[f"{group}.{key}"] = now
        self.activities[f"{group}.all"] = now
        self.activities["all"] = now


def section(item: Item) -> str:
    if isinstance(item, Episode):
        item = item.show
    if item.anime:
        return "anime"
    return "movies" if isinstance(item, Movie) else "shows"


def anime_type(item: Movie | Show) -> str | None:
    """SIMKL's ``anime_type``: ``movie`` for an anime film, ``tv`` for a series, else none."""
    if not item.anime:
        return None
    return "movie" if isinstance(item, Movie) else "tv"


class SimklState:
    def __init__(self, cat: Catalogue, plan: SeedPlan, now: float) -> None:
        self.cat = cat
        self.users = {
            cred.SIMKL_USER: User(cred.SIMKL_USER, cred.SIMKL_USER_ID),
            cred.SIMKL_USER_2: User(cred.SIMKL_USER_2, cred.SIMKL_USER_ID + 1),
        }
        self.tokens = {cred.SIMKL_TOKEN: cred.SIMKL_USER, cred.SIMKL_TOKEN_2: cred.SIMKL_USER_2}
        self.pins: dict[str, Pin] = {}
        self.ids = 7_000_000_000
        user = self.users[cred.SIMKL_USER]
        for watched, ts in plan.simkl_plays:
            user.watched[watched] = max(ts, user.watched.get(watched, 0.0))
            title = watched.show if isinstance(watched, Episode) else watched
            status = "watching" if isinstance(watched, Episode) else "completed"
            entry = user.entries.setdefault(title, Entry(status, ts, ts))
            entry.updated_at = max(entry.updated_at, ts)
        for listed, ts in plan.simkl_watchlist:
            user.entries.setdefault(listed, Entry("plantowatch", ts, ts))
        for rated, rating, ts in plan.simkl_ratings:
            entry = user.entries.setdefault(rated, Entry("completed", ts, ts))
            entry.rating, entry.rated_at = rating, ts
        for show in cat.shows:
            if show.anime and show.in_seed:  # SIMKL users keep anime too; under "anime"
                ts = now - 10 * 86400
                user.entries[show] = Entry("completed", ts, ts, 10, ts)
                for ep in show.episodes:
                    user.watched[ep] = ts
        for users in self.users.values():
            for group, keys in ACTIVITY_KEYS.items():
                for key in keys:
                    users.activities[f"{group}.{key}"] = now - 86400
            users.activities["all"] = users.activities["settings.all"] = now - 86400

    def next_id(self) -> int:
        self.ids += 1
        return self.ids

    def find(self, kind: str, ids: Ids) -> Movie | Show | None:
        """A movie (``kind`` "movies") or a show/anime by ids; SIMKL knows only titles."""
        if kind == "movies":
            return self.find_as(Movie, ids)
        return self.find_as(Show, ids)

    def find_as[T: (Movie, Show)](self, cls: type[T], ids: Ids) -> T | None:
        item = self.cat.find_as(cls, ids, MATCH_ORDER)
        return item if item is not None and item.simkl is not None else None


# -- checks --------------------------------------------------------------------------------------
def _error(status: int, error: str, message: str) -> Abort:
    return abort_json({"error": error, "code": status, "message": message}, status)


def check(request: web.Request) -> None:
    """Required ``client_id`` (or ``simkl-api-key``), ``app-name``, ``app-version``, UA."""
    client = request.query.get("client_id") or request.headers.get("simkl-api-key")
    if client != cred.SIMKL_CLIENT_ID:
        raise _error(412, "client_id_failed", "Your client_id is wrong or your app is blocked")
    for name in ("app-name", "app-version"):
        if not request.query.get(name):
            raise _error(400, "empty_field", f"Parameter {name} is required")
    if not request.headers.get("User-Agent"):
        raise _error(400, "empty_field", "User-Agent header is required")


def authed(request: web.Request) -> User:
    check(request)
    simkl = state_of(request).simkl
    name = simkl.tokens.get(bearer(request) or "")
    if name is None:
        raise _error(401, "user_token_failed", "Your token is wrong or has been revoked")
    return simkl.users[name]


# -- serialisation -------------------------------------------------------------------------------
def ids_json(item: Movie | Show, *, simkl_only: bool = False) -> dict[str, Any]:
    if simkl_only:
        return {"simkl": item.simkl}
    ids: dict[str, Any] = {
        "simkl": item.simkl,
        "slug": item.slug,
        "imdb": item.imdb,
        "tmdb": item.tmdb,
        "tvdb": item.tvdb,
    }
    if isinstance(item, Show) and item.mal is not None:
        ids["mal"] = item.mal
    if isinstance(item, Show) and item.anidb is not None:
        ids["anidb"] = item.anidb
    return {
        k: (str(v) if k in ("tmdb", "tvdb", "mal", "anidb") else v)
        for k, v in ids.items()
        if v is not None
    }


def media_json(item: Movie | Show, extended: str = "full") -> dict[str, Any]:
    if extended in ("ids_only", "simkl_ids_only"):
        return {"ids": ids_json(item, simkl_only=extended == "simkl_ids_only")}
    out: dict[str, Any] = {
        "title": item.title,
        "poster": f"{item.simkl % 100:02d}/{item.simkl}p" if item.simkl is not None else None,
        "year": item.year,
        "runtime": item.runtime,
        "ids": ids_json(item),
    }
    return out


def _row(user: User, item: Movie | Show, entry: Entry, request: web.Request) -> dict[str, Any]:
    # Watched episodes come with ``extended=full`` only (the docs' parameter table: "adds a list
    # of episodes user have watched"; the docs' first all-items example, asked without it, has
    # no ``seasons``).
    extended = request.query.get("extended", "")
    key = "movie" if isinstance(item, Movie) else "show"
    watched_at = [user.watched[w] for w in _watchables(item) if w in user.watched]
    last = max(watched_at) if watched_at else None
    row: dict[str, Any] = {
        "added_to_watchlist_at": iso_s(entry.added_at),
        "last_watched_at": iso_s(last) if last else None,
        "user_rated_at": iso_s(entry.rated_at) if entry.rated_at else None,
        "user_rating": entry.rating,
        "status": entry.status,
    }
    if isinstance(item, Show):
        # Counts and the next episode are of aired episodes; the rest are "not aired"
        # (tests/fixtures/real/simkl/all_items.json: not_aired_episodes_count).
        now = state_of(request).now()
        episodes = _eps(item)
        aired = [e for e in episodes if e.first_aired <= now]
        seen = [e for e in aired if e in user.watched]
        unseen = [e for e in aired if e not in user.watched]
        row |= {
            "last_watched": f"S{seen[-1].season:02d}E{seen[-1].number:02d}" if seen else None,
            "next_to_watch": f"S{unseen[0].season:02d}E{unseen[0].number:02d}" if unseen else None,
            "watched_episodes_count": len(seen),
            "total_episodes_count": len(aired),
            "not_aired_episodes_count": len(episodes) - len(aired),
        }
        if item.anime:
            row["anime_type"] = "tv"
        if extended.startswith("full"):
            seasons: dict[int, list[dict[str, Any]]] = {}
            for e in seen:
                watched: dict[str, int | str] = {"number": e.number}
                if request.query.get("episode_watched_at") == "yes":
                    watched["watched_at"] = iso_s(user.watched[e])
                seasons.setdefault(e.season, []).append(watched)
            row["seasons"] = [{"number": n, "episodes": eps} for n, eps in seasons.items()]
    elif item.anime:
        # An anime film is listed under "anime" like the series, with ``anime_type: movie`` and
        # its object under "show" (tests/fixtures/real/simkl/all_items_anime_movie_ova.json).
        row["anime_type"] = "movie"
        key = "show"
    row[key] = media_json(item, extended)
    return row


def _eps(show: Show) -> list[Episode]:
    """A show's regular episodes (SIMKL leaves specials out of its counts)."""
    return [e for e in show.episodes if e.season > 0]


def _watchables(title: Movie | Show) -> list[Movie | Episode]:
    """What is watched of a title: a movie itself, a show's regular episodes."""
    return [title] if isinstance(title, Movie) else list(_eps(title))


def _time(value: object, now: float) -> float:
    """A body time (``watched_at``/``rated_at``): absent means now, unreadable is a 400."""
    if value in (None, ""):
        return now
    try:
        return parse_iso(str(value))
    except ValueError:
        raise _error(400, "wrong_parameter", "times must be ISO 8601") from None


# -- auth ----------------------------------------------------------------------------------------
def _new_pin(state: State) -> dict[str, Any]:
    n = len(state.simkl.pins)
    code = hashlib.sha256(f"simkl{n}{state.now()}".encode()).hexdigest()[:5].upper()
    pin = Pin(f"{code}{n % 10}", state.now())
    state.simkl.pins[pin.user_code] = pin
    return {
        "result": "OK",
        "device_code": "DEVICE_CODE",
        "user_code": pin.user_code,
        "verification_uri": "https://simkl.com/pin",
        "verification_url": "https://simkl.com/pin",
        "expires_in": pin.expires_in,
        "interval": pin.interval,
    }


async def pin_create(request: web.Request) -> web.Response:
    check(request)
    return reply(_new_pin(state_of(request)))


async def pin_poll(request: web.Request) -> web.Response:
    check(request)
    state = state_of(request)
    now = state.now()
    pin = state.simkl.pins.get(request.match_info["user_code"])
    if pin is None or now >= pin.created + pin.expires_in:
        return reply(_new_pin(state))  # unknown/consumed/expired: a fresh init body
    too_fast = pin.last_poll is not None and now - pin.last_poll < pin.interval
    pin.last_poll = now
    if too_fast:
        return reply({"result": "KO", "message": "Slow down"})
    if pin.user is None:
        return reply({"result": "KO", "message": "Authorization pending"})
    del state.simkl.pins[pin.user_code]
    token = hashlib.sha256(f"simkl-token{pin.user_code}{now}".encode()).hexdigest()
    state.simkl.tokens[token] = pin.user
    return reply({"result": "OK", "access_token": token})


def approve_pin(state: State, user_code: str, user: str | None) -> bool:
    pin = state.simkl.pins.get(user_code)
    if pin is None:
        return False
    pin.user = user or cred.SIMKL_USER
    return True


# -- sync ----------------------------------------------------------------------------------------
async def settings(request: web.Request) -> web.Response:
    user = authed(request)
    return reply(
        {
            "user": {
                "name": user.name,
                "joined_at": "2020-01-01T00:00:00Z",
                "gender": "",
                "avatar": "",
                "bio": "",
                "loc": "",
                "age": "",
            },
            "account": {"id": user.id, "timezone": "UTC", "type": "free"},
            "connections": {"facebook": False},
        }
    )


async def activities(request: web.Request) -> web.Response:
    user = authed(request)
    acts = user.activities

    def fmt(value: float | None) -> str | None:
        return iso_s(value) if value else None

    out: dict[str, Any] = {"all": fmt(acts["all"]), "settings": {"all": fmt(acts["settings.all"])}}
    for group, keys in ACTIVITY_KEYS.items():
        out[group] = {key: fmt(acts.get(f"{group}.{key}")) for key in keys}
    return reply(out)


def _date_from(request: web.Request) -> float | None:
    """``date_from``: rows changed at or after it (SIMKL's own times have whole seconds)."""
    invalid = _error(400, "wrong_parameter", "date_from must be an ISO 8601 time")
    return query_time(request, "date_from", invalid)


async def all_items(request: web.Request) -> web.Response:
    user = authed(request)
    kind = request.match_info.get("type")
    status = request.match_info.get("status")
    if (kind and kind not in GROUPS) or (status and status not in STATUSES):
        raise _error(400, "wrong_parameter", "Unknown type or status")
    since = _date_from(request)
    out: dict[str, list[Any]] = {}
    for item, entry in user.entries.items():
        sec = section(item)
        if (kind and sec != kind) or (status and entry.status != status):
            continue
        if since is not None and entry.updated_at < since:
            continue
        out.setdefault(sec, []).append(_row(user, item, entry, request))
    return reply(out)


def _status_response(item: Movie | Show, status: str) -> dict[str, Any]:
    return {
        "status": status,
        "simkl_type": "anime" if item.anime else ("movie" if isinstance(item, Movie) else "tv"),
        "anime_type": anime_type(item),
    }


async def _body(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise _error(400, "wrong_parameter", "JSON object expected")
    return body


def _entries(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (kind, entry)
        for kind in ("movies", "shows", "anime")
        for entry in body.get(kind) or []
        if isinstance(entry, dict)
    ]


def _set_status(user: User, item: Movie | Show, status: str, now: float) -> None:
    entry = user.entries.get(item)
    if entry is None:
        user.entries[item] = Entry(status, now, now)
    else:
        entry.status, entry.updated_at = status, now
    user.touch(now, item, status)


async def add_to_list(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    now = state.now()
    body = await _body(request)
    added: dict[str, list[Any]] = {"movies": [], "shows": []}
    missing: dict[str, list[Any]] = {"movies": [], "shows": []}
    for kind, entry in _entries(body):
        key = "movies" if kind == "movies" else "shows"
        item = state.simkl.find(kind, entry.get("ids") or {})
        to = entry.get("to")
        if to not in STATUSES or (to == "watching" and isinstance(item, Movie)):
            raise _error(400, "wrong_parameter", f"'to' must be one of {STATUSES}")
        if item is None:
            missing[key].append({"ids": entry.get("ids") or {}})
            continue
        _set_status(user, item, to, now)
        if to == "completed":
            ts = _time(entry.get("watched_at"), now)
            for watched in _watchables(item):
                user.watched.setdefault(watched, ts)
        added[key].append({"to": to, "ids": entry.get("ids") or {}})
    return reply({"added": added, "not_found": missing}, 201)


def _mark(user: User, item: Movie | Episode, ts: float) -> None:
    user.watched[item] = max(ts, user.watched.get(item, 0.0))


async def history_add(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    now = state.now()
    body = await _body(request)
    counts = {"movies": 0, "shows": 0, "episodes": 0}
    statuses: list[dict[str, Any]] = []
    missing: dict[str, list[Any]] = {"movies": [], "shows": [], "episodes": []}
    for kind, entry in _entries(body):
        item = state.simkl.find(kind, entry.get("ids") or {})
        if item is None:
            missing["movies" if kind == "movies" else "shows"].append(entry)
            continue
        ts = _time(entry.get("watched_at"), now)
        if isinstance(item, Movie):
            _mark(user, item, ts)
            counts["movies"] += 1
            status = entry.get("status", "completed")
        else:
            eps = _pick_episodes(item, entry, missing)
            for ep, when in eps:
                _mark(user, ep, _time(when, ts))
            counts["shows"] += 1
            counts["episodes"] += len(eps)
            done = all(e in user.watched for e in _eps(item)) and item.status == "ended"
            status = entry.get("status", "completed" if done else "watching")
        _set_status(user, item, status, now)
        statuses.append({"request": entry, "response": _status_response(item, status)})
    for entry in body.get("episodes") or []:
        ids = entry.get("ids") if isinstance(entry, dict) else None
        episode = state.catalogue.find_as(Episode, ids, ("tvdb", "imdb")) if ids else None
        if episode is None:
            missing["episodes"].append(entry)
            continue
        _mark(user, episode, _time(entry.get("watched_at"), now))
        counts["episodes"] += 1
        _set_status(user, episode.show, "watching", now)
    return reply({"added": {**counts, "statuses": statuses}, "not_found": missing}, 201)


def _episode_by_ids(show: Show, ids: dict[str, Any]) -> Episode | None:
    """The show's episode named by its own ``tvdb`` id (SIMKL also takes ``anidb``)."""
    tvdb = as_int(ids.get("tvdb"))
    return next((e for e in show.episodes if tvdb is not None and e.tvdb == tvdb), None)


def _pick_episodes(
    show: Show, entry: dict[str, Any], missing: dict[str, list[Any]]
) -> list[tuple[Episode, str | None]]:
    seasons = entry.get("seasons")
    if not seasons:
        return [(e, None) for e in _eps(show)]
    picked: list[tuple[Episode, str | None]] = []
    for season in seasons:
        eps = show.seasons.get(int(season.get("number", -1)), [])
        wanted = season.get("episodes")
        if not wanted:
            picked.extend((e, season.get("watched_at")) for e in eps)
            continue
        for want in wanted:
            # "Episode-Level External IDs ... take priority over season/episode number for
            # matching" (SIMKL's apiary.apib, Add Items to the history).
            ids = want.get("ids") if isinstance(want.get("ids"), dict) else None
            own = _episode_by_ids(show, ids) if ids else None
            match = [own] if own else [e for e in eps if e.number == want.get("number")]
            if match:
                picked.append((match[0], want.get("watched_at") or season.get("watched_at")))
            else:
                missing["episodes"].append(want)
    return picked


async def history_remove(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    now = state.now()
    body = await _body(request)
    deleted = {"movies": 0, "shows": 0, "episodes": 0}
    missing: dict[str, list[Any]] = {"movies": [], "shows": [], "episodes": []}
    for kind, entry in _entries(body):
        key = "movies" if kind == "movies" else "shows"
        item = state.simkl.find(kind, entry.get("ids") or {})
        if item is None or (item not in user.entries and item not in user.watched):
            missing[key].append(entry)
            continue
        if isinstance(item, Show) and entry.get("seasons"):
            for ep, _ in _pick_episodes(item, entry, missing):
                if user.watched.pop(ep, None) is not None:
                    deleted["episodes"] += 1
            user.touch(now, item, "all")
            if item in user.entries:
                user.entries[item].updated_at = now
            continue
        # Whole title: watched state, list entry and rating all go (as SIMKL does).
        for watched in _watchables(item):
            if user.watched.pop(watched, None) is not None and isinstance(watched, Episode):
                deleted["episodes"] += 1
        user.entries.pop(item, None)
        deleted[key] += 1
        user.touch(now, item, "removed_from_list")
    return reply({"deleted": deleted, "not_found": missing})


async def ratings_get(request: web.Request) -> web.Response:
    user = authed(request)
    kind = request.match_info.get("type")
    wanted = request.match_info.get("rating")
    allowed = {int(r) for r in wanted.split(",") if r.isdigit()} if wanted else None
    since = _date_from(request)
    out: dict[str, list[Any]] = {}
    for item, entry in user.entries.items():
        sec = section(item)
        if (
            entry.rating is None
            or (kind and sec != kind)
            or (allowed and entry.rating not in allowed)
        ):
            continue
        if since is not None and (entry.rated_at or 0) < since:
            continue
        out.setdefault(sec, []).append(_row(user, item, entry, request))
    return reply(out)


async def ratings_add(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    now = state.now()
    body = await _body(request)
    counts = {"movies": 0, "shows": 0}
    statuses: list[dict[str, Any]] = []
    missing: dict[str, list[Any]] = {"movies": [], "shows": []}
    for kind, entry in _entries(body):
        key = "movies" if kind == "movies" else "shows"
        item = state.simkl.find(kind, entry.get("ids") or {})
        rating = entry.get("rating")
        if item is None or not isinstance(rating, int) or not 1 <= rating <= 10:
            missing[key].append(entry)
            continue
        if item not in user.entries:  # rating auto-adds: movies completed, shows watching
            _set_status(user, item, "completed" if isinstance(item, Movie) else "watching", now)
        record = user.entries[item]
        record.rating = rating
        record.rated_at = _time(entry.get("rated_at"), now)
        record.updated_at = now
        user.touch(now, item, "rated_at")
        counts[key] += 1
        statuses.append({"request": entry, "response": {"status": record.status}})
    return reply({"added": {**counts, "statuses": statuses}, "not_found": missing}, 201)


async def ratings_remove(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    body = await _body(request)
    deleted = {"movies": 0, "shows": 0}
    missing: dict[str, list[Any]] = {"movies": [], "shows": []}
    for kind, entry in _entries(body):
        key = "movies" if kind == "movies" else "shows"
        item = state.simkl.find(kind, entry.get("ids") or {})
        record = user.entries.get(item) if item is not None else None
        if item is None or record is None or record.rating is None:
            missing[key].append(entry)
            continue
        record.rating = record.rated_at = None
        record.updated_at = state.now()
        user.touch(state.now(), item, "rated_at")
        deleted[key] += 1
    return reply({"deleted": deleted, "not_found": missing})


async def watched(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    body = await json_body(request)
    if not isinstance(body, list):
        raise _error(400, "wrong_parameter", "a JSON array is expected")
    limit = 100 if request.query.get("extended") else 1000
    out = []
    for query in body[:limit]:
        ids = {k: v for k, v in query.items() if k != "type"}
        kind = "movies" if query.get("type") == "movie" else "shows"
        item = state.simkl.find(kind, ids)
        row = dict(query)
        if item is None:
            row["result"] = "not_found"
        else:
            entry = user.entries.get(item)
            times = [user.watched[w] for w in _watchables(item) if w in user.watched]
            row |= {
                "result": bool(times),
                "list": entry.status if entry else None,
                "last_watched_at": iso_s(max(times)) if times else None,
            }
        out.append(row)
    return reply(out)


# -- scrobble ------------------------------------------------------------------------------------
def _scrobble_target(state: State, body: dict[str, Any]) -> tuple[Movie | Episode, Movie | Show]:
    movie = body.get("movie")
    if isinstance(movie, dict):
        found = state.simkl.find_as(Movie, movie.get("ids") or {})
        if found is None:
            raise _error(404, "id_err", "Item not found")
        return found, found
    show_body = body.get("show") or body.get("anime")
    if not isinstance(show_body, dict):
        raise _error(400, "empty_field", "movie, show or anime is required")
    episode = body.get("episode")
    if body.get("anime") is not None and not isinstance(episode, dict):
        # A bare {"anime": {...}} names an anime film (SIMKL's "Start watching an anime movie
        # using MAL ID" example, tests/fixtures/real/simkl/scrobble_start_anime_movie_201.json).
        film = state.simkl.find_as(Movie, show_body.get("ids") or {})
        if film is not None and film.anime:
            return film, film
    show = state.simkl.find_as(Show, show_body.get("ids") or {})
    if show is None:
        raise _error(404, "id_err", "Item not found")
    # Undocumented: a show (or TV anime) without an episode names nothing to play. SIMKL's
    # documented 400 "empty_field" fits best; a 404 would send clients hunting for other ids.
    number = as_int(episode.get("number")) if isinstance(episode, dict) else None
    if not isinstance(episode, dict) or number is None:
        raise _error(400, "empty_field", "episode number is required for shows and anime")
    ids = episode.get("ids")
    own = _episode_by_ids(show, ids) if isinstance(ids, dict) else None
    if own is not None:
        return own, show
    season = as_int(episode.get("season", 1))
    ep = state.catalogue.episode(show, season, number) if season is not None else None
    if ep is None:
        raise _error(404, "id_err", "Episode not found")
    return ep, show


async def scrobble(request: web.Request) -> web.Response:
    user = authed(request)
    state = state_of(request)
    now = state.now()
    action = request.match_info["action"]
    body = await _body(request)
    try:
        progress = float(body.get("progress", 0))
    except TypeError, ValueError:
        raise _error(400, "wrong_parameter", "progress must be a number") from None
    item, top = _scrobble_target(state, body)
    out_action, out_id = action, 0
    if action != "start":
        out_id = state.simkl.next_id()
    if action == "stop":
        if progress >= 80:
            last = user.scrobbled.get(item)
            if last is not None and now < last + SCROBBLE_WINDOW:
                return reply(
                    {"watched_at": iso_ms(last), "expires_at": iso_ms(last + SCROBBLE_WINDOW)}, 409
                )
            user.scrobbled[item] = now
            _mark(user, item, now)
            status = "completed" if isinstance(item, Movie) else "watching"
            _set_status(user, top, status, now)
            out_action = "scrobble"
        else:
            out_action = "pause"
    if out_action == "pause":
        # "Simkl stores only one active scrobble session per show/movie/anime": a pause
        # replaces the title's earlier one (SIMKL/API apiary.apib@a1cabfd7, "Scrobble").
        for pid, (held, _, _) in list(user.playback.items()):
            if (held.show if isinstance(held, Episode) else held) is top:
                del user.playback[pid]
        user.playback[out_id] = (item, progress, now)
        user.touch(now, item, "playback")
    out: dict[str, Any] = {"id": out_id, "action": out_action, "progress": progress}
    key = "anime" if top.anime else ("movie" if isinstance(top, Movie) else "show")
    out[key] = {**media_json(top), "anime_type": anime_type(top)}
    if isinstance(item, Episode):
        out["episode"] = {"season": item.season, "number": item.number, "title": item.title}
        if top.anime:
            # Anime answers echo the numbers in TVDB order beside SIMKL's (AniDB) ones
            # (tests/fixtures/real/simkl/scrobble_start_anime_episode_201.json); the catalogue
            # keeps one numbering, so both agree here.
            out["episode"] |= {"tvdb_season": item.season, "tvdb_number": item.number}
    return reply(out, 201)


async def playback_get(request: web.Request) -> web.Response:
    """Paused sessions, newest first (tests/fixtures/real/simkl/sync_playback.json).

    An episode is named ``season``/``episode`` (no ``number``) and ``tvdb_season``/``tvdb_number``;
    ``hide_watched`` (default true) drops items watched after the pause; ``date_from``/``date_to``
    bound ``paused_at``; ``limit`` slices.
    """
    user = authed(request)
    kind = request.match_info.get("type")
    invalid = _error(400, "bad_request", "Invalid date")
    date_from = query_time(request, "date_from", invalid)
    date_to = query_time(request, "date_to", invalid)
    hide_watched = request.query.get("hide_watched", "true") != "false"
    limit = as_int(request.query.get("limit")) or 10_000
    rows = []
    ordered = sorted(user.playback.items(), key=lambda pair: pair[1][2], reverse=True)
    for pid, (item, progress, paused_at) in ordered:
        if kind in ("movie", "movies") and not isinstance(item, Movie):
            continue
        if kind in ("episode", "episodes") and not isinstance(item, Episode):
            continue
        if hide_watched and user.watched.get(item, float("-inf")) > paused_at:
            continue
        if (date_from is not None and paused_at < date_from) or (
            date_to is not None and paused_at > date_to
        ):
            continue
        row: dict[str, Any] = {"id": pid, "progress": progress, "paused_at": iso_ms(paused_at)}
        if isinstance(item, Movie):
            row |= {"type": "movie", "movie": media_json(item)}
        else:
            row |= {
                "type": "episode",
                "episode": {
                    "season": item.season,
                    "episode": item.number,
                    "title": item.title,
                    "tvdb_season": item.season,
                    "tvdb_number": item.number,
                },
                "show": media_json(item.show),
            }
        rows.append(row)
    return reply(rows[:limit])


async def playback_delete(request: web.Request) -> web.Response:
    user = authed(request)
    if user.playback.pop(int(request.match_info["id"]), None) is None:
        raise _error(404, "not_found", "Playback not found")
    return web.Response(status=204)


async def search_id(request: web.Request) -> web.Response:
    check(request)
    state = state_of(request)
    ids = {k: v for k, v in request.query.items() if k in ("simkl", "imdb", "tmdb", "tvdb", "mal")}
    wanted = request.query.get("type")
    rows = []
    for kind in ("movies", "shows"):
        if (wanted == "movie" and kind == "shows") or (
            wanted in ("show", "tv") and kind == "movies"
        ):
            continue
        item = state.simkl.find(kind, ids)
        if item is not None:
            rows.append(
                {
                    "type": section(item).rstrip("s") if kind == "shows" else "movie",
                    **media_json(item),
                }
            )
    return reply(rows)


def _episode_row(ep: Episode, now: float) -> dict[str, Any]:
    """One row of ``/tv/episodes/{id}`` or ``/anime/episodes/{id}``.

    tests/fixtures/real/simkl/tv_episodes.json and anime_episodes.json (SIMKL's doc examples):
    ``date`` in the broadcaster's offset, ``aired``, ``type`` "episode"/"special"; anime rows
    have no ``season``. Episode SIMKL ids are our own numbers here.
    """
    row: dict[str, Any] = {
        "title": ep.title,
        "description": None,
        "episode": ep.number,
        "type": "episode" if ep.season > 0 else "special",
        "aired": ep.first_aired <= now,
        "img": None,
        "date": iso_offset(ep.first_aired, hours=-5),
        "ids": {"simkl_id": 9_000_000 + ep.trakt},
    }
    if not ep.show.anime:
        row["season"] = ep.season
    if ep.season == 0:  # a special has no number on SIMKL
        del row["episode"]
        row.pop("season", None)
    return row


async def episodes(request: web.Request) -> web.Response:
    """``/tv/episodes/{id}``, ``/anime/episodes/{id}``: every episode of one title, no token."""
    check(request)
    state = state_of(request)
    wanted = request.match_info["type"]
    show = state.simkl.find_as(Show, {"simkl": request.match_info["id"]})
    if show is None or show.anime != (wanted == "anime"):
        raise _error(404, "not_found", "Not found")
    now = state.now()
    return reply([_episode_row(ep, now) for ep in show.episodes])


RATING_TYPES = {"movies": "movies", "tv": "shows", "anime": "anime"}
RATING_LINKS = {"movie": "movies", "tv": "tv", "anime": "anime"}


def release_status(item: Movie | Show, now: float) -> str:
    """SIMKL's ``release_status``: a film with a release date to come is ``upcoming``."""
    if isinstance(item, Movie):
        if not item.released:
            return "planned"
        return "released" if parse_iso(f"{item.released}T00:00:00Z") <= now else "upcoming"
    if item.anime:
        return "ongoing" if item.status == "returning series" else item.status
    return item.status


async def ratings_by_watchlist(request: web.Request) -> web.Response:
    """``/ratings/{type}?user_watchlist=&fields=``: one row per title on the user's lists.

    tests/fixtures/real/simkl/ratings_by_watchlist.json: ``id``, ``type``, then the fields asked
    for (``link``, ``release_status``, ``release_year``, ``rank``, ``simkl``...). The ratings
    themselves are not modelled; rank and ratings fields are left out.
    """
    user = authed(request)
    wanted = RATING_TYPES.get(request.match_info.get("type", ""), "")
    lists = set(request.query.get("user_watchlist", "all").split(","))
    fields = set(request.query.get("fields", "").split(","))
    now = state_of(request).now()
    rows = []
    for item, entry in user.entries.items():
        if item.simkl is None or (wanted and section(item) != wanted):
            continue
        if "all" not in lists and entry.status not in lists:
            continue
        kind = "movie" if isinstance(item, Movie) else "anime" if item.anime else "tv"
        row: dict[str, Any] = {"id": item.simkl, "type": kind}
        if "link" in fields:
            row["link"] = f"https://simkl.com/{RATING_LINKS[kind]}/{item.simkl}/{item.slug}"
        if "release_status" in fields:
            row["release_status"] = release_status(item, now)
        if "year" in fields:
            row["release_year"] = item.year
        rows.append(row)
    return reply(rows)


async def movie_summary(request: web.Request) -> web.Response:
    """``/movies/{id}``: short info, or with ``extended=full`` the release day and overview.

    tests/fixtures/real/simkl/movie_summary_full.json (SIMKL's doc example); the budget, genres,
    trailers and release dates per country are not modelled.
    """
    check(request)
    state = state_of(request)
    movie = state.simkl.find_as(Movie, {"simkl": request.match_info["id"]})
    if movie is None:
        raise _error(404, "not_found", "Not found")
    body: dict[str, Any] = {
        "title": movie.title,
        "year": movie.year,
        "type": "movie",
        "ids": {"simkl": movie.simkl, "slug": movie.slug},
    }
    if request.query.get("extended") == "full":
        body["ids"] = ids_json(movie)
        body |= {
            "poster": media_json(movie)["poster"],
            "released": movie.released,
            "runtime": movie.runtime,
            "overview": f"The story of {movie.title}.",
        }
    return reply(body)


SEARCH_ENDPOINTS = {"movie": "movies", "tv": "tv", "anime": "anime"}


def _search_row(item: Movie | Show) -> dict[str, Any]:
    """A standard media object as text search answers it (simkl_id, slug and tmdb only)."""
    ids = ids_json(item)
    row: dict[str, Any] = {
        "title": item.title,
        "year": item.year,
        "poster": media_json(item)["poster"],
        "endpoint_type": "anime"
        if item.anime
        else SEARCH_ENDPOINTS["movie" if isinstance(item, Movie) else "tv"],
        "ids": {"simkl_id": ids["simkl"]}
        | {key: ids[key] for key in ("slug", "tmdb") if key in ids},
    }
    if item.anime:
        row["type"] = anime_type(item)
    return row


async def search_text(request: web.Request) -> web.Response:
    """``/search/{movie|tv|anime}?q=``: titles holding ``q`` (any case), paginated.

    tests/fixtures/real/simkl/search_text_movie.json and search_text_anime_by_url.json: standard
    media objects whose ids are ``simkl_id``/``slug``/``tmdb``; ``movie`` finds films (an anime
    film too), ``tv`` series, ``anime`` anime of either kind. The order here is ours.
    """
    check(request)
    wanted = request.match_info["type"]
    query = request.query.get("q", "").casefold().strip()
    if not query:
        raise _error(400, "empty_field", "Parameter q is required")
    cat = state_of(request).simkl.cat
    titles: list[Movie | Show] = [
        *(cat.movies if wanted in ("movie", "anime") else ()),
        *(cat.shows if wanted in ("tv", "anime") else ()),
    ]
    rows = [
        _search_row(title)
        for title in titles
        if title.simkl is not None
        and query in title.title.casefold()
        and (wanted != "anime" or title.anime)
        and (wanted != "tv" or not title.anime)
    ]
    rows.sort(key=lambda row: row["title"].casefold() != query)
    page, headers = paginate(request, rows)
    return reply(list(page), headers=headers)


async def not_found(request: web.Request) -> web.Response:
    check(request)
    raise _error(404, "not_found", "Method not found")


def setup(app: web.Application) -> None:
    r, p = app.router, PREFIX
    r.add_get(f"{p}/oauth/pin", pin_create)
    r.add_get(f"{p}/oauth/pin/{{user_code}}", pin_poll)
    r.add_post(f"{p}/users/settings", settings)
    r.add_get(f"{p}/sync/activities", activities)
    r.add_post(f"{p}/sync/activities", activities)
    r.add_get(f"{p}/sync/all-items", all_items)
    r.add_get(f"{p}/sync/all-items/{{type}}", all_items)
    r.add_get(f"{p}/sync/all-items/{{type}}/{{status}}", all_items)
    r.add_post(f"{p}/sync/add-to-list", add_to_list)
    r.add_post(f"{p}/sync/history", history_add)
    r.add_post(f"{p}/sync/history/remove", history_remove)
    # SIMKL's docs give the ratings read as POST /sync/ratings/{type}/{rating} ("Get all user's
    # ratings [POST]"); a plain POST /sync/ratings adds ratings.
    r.add_post(f"{p}/sync/ratings/{{type:movies|shows|anime}}", ratings_get)
    r.add_post(f"{p}/sync/ratings/{{type:movies|shows|anime}}/{{rating}}", ratings_get)
    r.add_post(f"{p}/sync/ratings", ratings_add)
    r.add_post(f"{p}/sync/ratings/remove", ratings_remove)
    r.add_post(f"{p}/sync/watched", watched)
    r.add_get(f"{p}/sync/playback", playback_get)
    r.add_get(f"{p}/sync/playback/{{type}}", playback_get)
    r.add_delete(f"{p}/sync/playback/{{id:\\d+}}", playback_delete)
    r.add_post(f"{p}/scrobble/{{action:start|pause|stop}}", scrobble)
    r.add_get(f"{p}/search/id", search_id)
    r.add_get(f"{p}/{{type:tv|anime}}/episodes/{{id:\\d+}}", episodes)
    r.add_get(f"{p}/ratings/{{type:movies|tv|anime}}", ratings_by_watchlist)
    r.add_get(f"{p}/movies/{{id:\\d+}}", movie_summary)
    r.add_get(f"{p}/search/{{type:movie|tv|anime}}", search_text)
    r.add_route("*", f"{p}/{{tail:.*}}", not_found)
