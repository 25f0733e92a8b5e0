"""In-process harness for tests: ``async with Simulator() as sim: ...``.

The simulator binds 127.0.0.1 on a free port in the running event loop. Control helpers go
through the real ``/_sim/`` HTTP API; ``sim.state`` gives direct access for assertions.
Credentials (see ``simulator.credentials``) are re-exported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import aiohttp
from aiohttp import web

from .app import SERVICES, build_app
from .catalogue import Movie, Show
from .clock import ManualClock
from .credentials import *  # noqa: F403 - re-export the well-known credentials
from .credentials import PLAYER_TV, TRAKT_USER
from .state import State

if TYPE_CHECKING:
    from types import TracebackType

    from .catalogue import Item


class Simulator:
    def __init__(
        self,
        seed: str | dict[str, int] = "tiny",
        clock: ManualClock | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.clock = clock or ManualClock()
        self.state = State(self.clock, seed)
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""

    async def __aenter__(self) -> Self:
        self._runner = web.AppRunner(build_app(self.state), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://{self._host}:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, service: str) -> str:
        if service not in SERVICES:
            msg = f"unknown service {service!r}; one of {SERVICES}"
            raise ValueError(msg)
        return f"{self.base_url}/{service}"

    # -- control API ----------------------------------------------------------------------
    async def _call(self, method: str, path: str, body: object = None, **params: str) -> object:
        assert self._session is not None, "use Simulator as an async context manager"
        async with self._session.request(
            method, f"{self.base_url}/_sim/{path}", json=body, params=params or None
        ) as resp:
            if resp.status >= 400:
                msg = f"control call {method} {path} failed: {resp.status} {await resp.text()}"
                raise RuntimeError(msg)
            out: object = await resp.json()
            return out

    async def _object(
        self, method: str, path: str, body: object = None, **params: str
    ) -> dict[str, Any]:
        """A control call answered with a JSON object."""
        out = await self._call(method, path, body, **params)
        if not isinstance(out, dict):
            msg = f"control call {method} {path} answered {out!r}, not an object"
            raise TypeError(msg)
        return out

    async def reset(self, seed: str | dict[str, int] = "tiny") -> dict[str, Any]:
        return await self._object("POST", "reset", {"seed": seed})

    async def fault(
        self,
        service: str,
        route_pattern: str = "*",
        *,
        status: int | None = None,
        count: int | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        latency: float | None = None,
        kind: str = "status",
    ) -> dict[str, Any]:
        """Inject a fault; ``route_pattern`` is an fnmatch over ``"METHOD /route/{pattern}"``."""
        spec = {
            "service": service,
            "route": route_pattern,
            "status": status,
            "count": count,
            "body": body,
            "headers": headers,
            "latency": latency,
            "kind": kind,
        }
        return await self._object("POST", "faults", spec)

    async def clear_faults(self) -> None:
        await self._call("DELETE", "faults")

    async def requests(
        self, service: str | None = None, route: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("service", service), ("route", route)) if v}
        rows = await self._call("GET", "requests", **params)
        if not isinstance(rows, list):
            msg = f"control call GET requests answered {rows!r}, not a list"
            raise TypeError(msg)
        return rows

    async def clear_requests(self) -> None:
        await self._call("DELETE", "requests")

    async def counts(self) -> dict[str, dict[str, int]]:
        return await self._object("GET", "counts")

    async def advance(self, seconds: float) -> float:
        return float((await self._object("POST", "clock/advance", {"seconds": seconds}))["time"])

    async def set_rate_limits(self, *, enabled: bool) -> None:
        await self._call("POST", "rate_limits", {"enabled": enabled})

    async def set_trakt_headers(self, style: str) -> None:
        """Spell Trakt's headers ``canonical``, ``lower`` (HTTP/2) or ``no_page_count``."""
        await self._call("POST", "trakt/headers", {"style": style})

    async def trakt_token(self, user: str = TRAKT_USER) -> dict[str, Any]:
        """A valid Trakt token body (access + refresh) for ``user``, no device dance."""
        return await self._object("POST", "trakt/token", {"user": user})

    async def set_trakt_user(self, user: str = TRAKT_USER, **settings: Any) -> dict[str, Any]:
        """``vip=`` / ``watchlist_limit=`` for a Trakt user."""
        return await self._object("POST", f"trakt/users/{user}", settings)

    async def set_trakt_app(
        self,
        *,
        removed: bool | None = None,
        owner_vip: bool | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Trakt deleted an API app (``removed``), or it needs a VIP owner (``owner_vip``).

        The app is ``TRAKT_CLIENT_ID`` unless ``client_id`` names another.
        """
        settings = {"removed": removed, "owner_vip": owner_vip, "client_id": client_id}
        return await self._object(
            "POST", "trakt/app", {k: v for k, v in settings.items() if v is not None}
        )

    async def approve_plex_pin(self, pin_id: int, user: str | None = None) -> None:
        """Approve as the owner (default) or ``user="shared"``."""
        await self._call("POST", f"plex/pins/{pin_id}/approve", {"user": user})

    async def approve_trakt_device(
        self, user_code: str, user: str = TRAKT_USER, *, deny: bool = False
    ) -> None:
        await self._call(
            "POST", "trakt/device/approve", {"user_code": user_code, "user": user, "deny": deny}
        )

    async def approve_simkl_pin(self, user_code: str, user: str | None = None) -> None:
        await self._call("POST", "simkl/pin/approve", {"user_code": user_code, "user": user})

    async def register_webhook(self, url: str) -> None:
        await self._call("POST", "plex/webhooks", {"url": url})

    async def clear_webhooks(self) -> None:
        await self._call("DELETE", "plex/webhooks")

    async def notify(self, type_: str, key: str, items: list[dict[str, Any]]) -> int:
        """Send a raw ``NotificationContainer`` frame to every PMS websocket."""
        body = {"type": type_, "key": key, "items": items}
        return int((await self._object("POST", "pms/notify", body))["sent"])

    async def raw_frame(self, text: str) -> int:
        """Send ``text`` as one websocket frame to every PMS websocket, as is."""
        return int((await self._object("POST", "pms/frame", {"text": text}))["sent"])

    # -- playback (as a Plex user on a player) ----------------------------------------------
    async def _playback(self, action: str, **body: Any) -> dict[str, Any]:
        body = {k: v for k, v in body.items() if v is not None}
        return await self._object("POST", f"plex/playback/{action}", body)

    async def play(
        self,
        rating_key: str,
        *,
        user: str = "owner",
        player: str = PLAYER_TV,
        offset_ms: int | None = None,
        keep_session: bool | None = None,
    ) -> dict[str, Any]:
        """Start (or resume) ``rating_key`` for ``user`` ("owner", "shared") on ``player``.

        ``keep_session``: a playing session moves to this item without a ``stopped`` frame.
        """
        return await self._playback(
            "play",
            rating_key=rating_key,
            user=user,
            player=player,
            offset_ms=offset_ms,
            keep_session=keep_session,
        )

    async def vanish(self, *, user: str = "owner", player: str = PLAYER_TV) -> dict[str, Any]:
        """The session leaves ``/status/sessions`` with no frame and no webhook."""
        return await self._playback("vanish", user=user, player=player)

    async def rate(self, rating_key: str, rating: float, *, user: str = "owner") -> dict[str, Any]:
        """The user rates in a Plex app (``-1`` clears): ``media.rate`` goes to the webhooks."""
        return await self._playback("rate", rating_key=rating_key, rating=rating, user=user)

    async def plex_quirks(self, **quirks: bool) -> dict[str, Any]:
        """Switch real-world variants (``simulator.plex.PlexQuirks``)."""
        return await self._object("POST", "plex/quirks", quirks)

    async def plex_agent(self, title: str, agent: str | None) -> None:
        """Give ``title`` a legacy agent's guids (hama, xbmcnfotv, themoviedb, thetvdb, imdb)."""
        await self._call("POST", "plex/agent", {"title": title, "agent": agent})

    async def pause(
        self, *, user: str = "owner", player: str = PLAYER_TV, offset_ms: int | None = None
    ) -> dict[str, Any]:
        return await self._playback("pause", user=user, player=player, offset_ms=offset_ms)

    async def seek(
        self, offset_ms: int, *, user: str = "owner", player: str = PLAYER_TV
    ) -> dict[str, Any]:
        return await self._playback("seek", user=user, player=player, offset_ms=offset_ms)

    async def stop(
        self,
        *,
        user: str = "owner",
        player: str = PLAYER_TV,
        offset_ms: int | None = None,
        new_session_key: bool | None = None,
    ) -> dict[str, Any]:
        """Stop; ``new_session_key``: the ``stopped`` frame comes under a fresh session key."""
        return await self._playback(
            "stop",
            user=user,
            player=player,
            offset_ms=offset_ms,
            new_session_key=new_session_key,
        )

    # -- catalogue helpers (direct, no HTTP) ------------------------------------------------
    def item(self, title: str, season: int | None = None, number: int | None = None) -> Item:
        """A catalogue title by exact name (an episode with ``season``/``number``)."""
        cat = self.state.catalogue
        titles: list[Movie | Show] = [*cat.movies, *cat.shows]
        for item in titles:
            if item.title == title:
                if season is None or number is None or isinstance(item, Movie):
                    return item
                ep = cat.episode(item, season, number)
                if ep is not None:
                    return ep
        raise KeyError(title)

    def rating_key(self, item: Item | str) -> str:
        """The PMS ratingKey of a catalogue item (or title)."""
        target = self.item(item) if isinstance(item, str) else item
        return self.state.plex.rating_key(target)
