"""Plex: plex.tv, discover/metadata providers and the Plex Media Server (``/pms``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .seed import SeedPlan


class PlexState:
    def __init__(self, cat: Catalogue, plan: SeedPlan, now: float) -> None:
        self.cat = cat
        self.sockets: set[web.WebSocketResponse] = set()

    def revoke(self, token: str) -> None:
        del token

    async def close_sockets(self) -> None:
        for ws in list(self.sockets):
            await ws.close()


def setup(app: web.Application) -> None:
    del app
