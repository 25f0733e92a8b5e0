"""SIMKL (``/simkl`` = ``https://api.simkl.com``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .seed import SeedPlan

PREFIX = "/simkl"


class SimklState:
    def __init__(self, cat: Catalogue, plan: SeedPlan, now: float) -> None:
        self.cat = cat
        self.tokens: dict[str, str] = {}


def setup(app: web.Application) -> None:
    del app


def approve_pin(state: object, user_code: str, user: str | None) -> bool:
    del state, user_code, user
    return False
