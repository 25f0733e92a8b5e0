"""Plumbing shared by the service modules: replies, auth helpers, pagination, the request log."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import parse_iso

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .state import State

STATE: web.AppKey[State] = web.AppKey("sim_state")


class Abort(Exception):  # noqa: N818 - it carries a reply, it is not an error of ours
    """Raised by handlers to answer with ``response`` at once."""

    def __init__(self, response: web.StreamResponse) -> None:
        super().__init__(response.status)
        self.response = response


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def reply(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=dumps(data), status=status, headers=headers, content_type="application/json"
    )


def empty(status: int, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, headers=headers)


def abort_json(data: Any, status: int, headers: dict[str, str] | None = None) -> Abort:
    return Abort(reply(data, status, headers))


def state_of(request: web.Request) -> State:
    return request.app[STATE]


async def json_body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


def bearer(request: web.Request) -> str | None:
    auth = request.headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    return None


def as_int(value: object) -> int | None:
    """An integer as clients send one: a JSON number, or its digits in a string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def int_param(request: web.Request, name: str, default: int, low: int = 0) -> int:
    try:
        return max(low, int(request.query.get(name, default)))
    except ValueError:
        return default


def query_time(request: web.Request, name: str, invalid: Abort) -> float | None:
    """An ISO time query parameter (``Z`` or offset, any precision); ``invalid`` if unreadable."""
    value = request.query.get(name)
    if not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        raise invalid from None


def paginate(
    request: web.Request, items: Sequence[Any], *, default_limit: int = 10, optional: bool = False
) -> tuple[Sequence[Any], dict[str, str]]:
    """Trakt-style ``?page=&limit=`` with ``X-Pagination-*`` headers.

    ``optional``: endpoints that return everything when no ``page``/``limit`` is given.
    """
    if optional and "page" not in request.query and "limit" not in request.query:
        return items, {}
    page = int_param(request, "page", 1, low=1)
    limit = int_param(request, "limit", default_limit, low=1)
    start = (page - 1) * limit
    headers = {
        "X-Pagination-Page": str(page),
        "X-Pagination-Limit": str(limit),
        # An empty list has 0 pages (not 1): clients looping "until page == count" must cope.
        "X-Pagination-Page-Count": str(math.ceil(len(items) / limit)),
        "X-Pagination-Item-Count": str(len(items)),
    }
    return items[start : start + limit], headers


# -- request log and counters ----------------------------------------------------------------
@dataclass(slots=True)
class LogEntry:
    seq: int
    time: float
    service: str
    route: str
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None
    status: int | None = None
    fault: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "service": self.service,
            "route": self.route,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "body": self.body,
            "status": self.status,
            "fault": self.fault,
        }


@dataclass
class RequestLog:
    entries: list[LogEntry] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, entry: LogEntry) -> None:
        self.entries.append(entry)
        per_service = self.counts.setdefault(entry.service, {})
        per_service[entry.route] = per_service.get(entry.route, 0) + 1

    def clear(self) -> None:
        self.entries.clear()
        self.counts.clear()

    def select(self, service: str | None = None, route: str | None = None) -> list[LogEntry]:
        return [
            e
            for e in self.entries
            if (service is None or e.service == service)
            and (route is None or fnmatchcase(e.route, route))
        ]


# -- faults ------------------------------------------------------------------------------------
FAULT_KINDS = ("status", "timeout", "truncated", "html", "drop", "revoke")


@dataclass
class Fault:
    id: int
    service: str
    route: str  # fnmatch pattern over "METHOD /path/{pattern}", e.g. "POST /sync/*"
    kind: str = "status"
    status: int | None = None
    count: int | None = None  # None: until cleared
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    latency: float = 0.0
    hits: int = 0

    def matches(self, service: str, route: str) -> bool:
        if self.count is not None and self.hits >= self.count:
            return False
        return (self.service in ("*", service)) and fnmatchcase(route, self.route)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "route": self.route,
            "kind": self.kind,
            "status": self.status,
            "count": self.count,
            "hits": self.hits,
            "latency": self.latency,
        }
