"""The HTTP core every client shares: pacing, retries, the error taxonomy and telemetry.

One ``ServiceHttp`` per service and account. It never logs or raises anything containing the
request URL (query strings carry keys and tokens), and every error message passes through
``redact`` with the credentials it knows about.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Final

import aiohttp
from multidict import CIMultiDict

from .errors import (
    APP_REMOVED,
    APP_VIP_REQUIRED,
    AccountLimitError,
    AppRejectedError,
    AuthError,
    ConflictError,
    CrosswatchApiError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from .ids import digits
from .json_rows import RowConvert, loads_by_rows

if TYPE_CHECKING:
    from .clock import Clock

_LOGGER = logging.getLogger(__name__)

USER_AGENT: Final = "CrossWatch-HA/0.1 (+https://github.com/crosswatch/crosswatch-ha)"
WRITE_METHODS: Final = frozenset({"POST", "PUT", "DELETE", "PATCH"})
# An answer this large is decoded in the executor, list element by list element: SIMKL's whole
# library (a dict per watched episode) took 40-60 ms of the event loop in one ``json.loads``.
LARGE_BODY: Final = 256 * 1024

type Params = Mapping[str, str | int | float]
type Json = Any  # a parsed JSON document
type HeaderFactory = Callable[[], Awaitable[Mapping[str, str]]]


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """Replace every known secret in ``text`` (belt and braces: messages avoid them anyway)."""
    for secret in secrets:
        if secret and len(secret) >= 4:  # noqa: PLR2004 - shorter strings are not secrets
            text = text.replace(secret, "***")
    return text


class RateLimiter:
    """At most ``calls`` in any ``period``-long window (a sliding log of send times).

    Strict rather than average pacing: fixed-window limiters on the service side count a
    burst plus its paced tail in one window. Sleeps go through the injected clock, so simulated
    time shows the wall time real pacing costs.
    """

    def __init__(self, calls: int, period: float, clock: Clock) -> None:
        """Allow ``calls`` per ``period`` seconds."""
        if calls < 1 or period <= 0:
            msg = "a rate limit needs calls >= 1 and period > 0"
            raise ValueError(msg)
        self.calls = calls
        self.period = period
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> float:
        """Wait until a call is allowed; return the seconds waited."""
        async with self._lock:
            now = self._clock.time()
            while self._sent and self._sent[0] <= now - self.period:
                self._sent.popleft()
            wait = 0.0
            if len(self._sent) >= self.calls:
                wait = self._sent.popleft() + self.period - now
                await self._clock.sleep(wait)
                now = max(self._clock.time(), now + wait)
            self._sent.append(now)
            return wait


@dataclass(slots=True)
class RouteStats:
    """Counters for one route of one service."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    errors: int = 0
    paced_seconds: float = 0.0
    backoff_seconds: float = 0.0


@dataclass(slots=True)
class Telemetry:
    """Requests per service and route, retries, 429s; plain dicts for diagnostics."""

    routes: dict[str, dict[str, RouteStats]] = field(default_factory=dict)

    def route(self, service: str, route: str) -> RouteStats:
        """Return the counters of ``route`` (created on first use)."""
        return self.routes.setdefault(service, {}).setdefault(route, RouteStats())

    def as_dict(self) -> dict[str, dict[str, dict[str, float]]]:
        """Return a JSON-ready copy: ``{service: {route: {counter: value}}}``."""
        return {
            service: {
                route: {
                    "requests": s.requests,
                    "retries": s.retries,
                    "rate_limited": s.rate_limited,
                    "errors": s.errors,
                    "paced_seconds": round(s.paced_seconds, 3),
                    "backoff_seconds": round(s.backoff_seconds, 3),
                }
                for route, s in routes.items()
            }
            for service, routes in self.routes.items()
        }

    def total(self, service: str | None = None) -> int:
        """Count the requests sent (to ``service`` or to all)."""
        return sum(
            s.requests
            for name, routes in self.routes.items()
            if service is None or name == service
            for s in routes.values()
        )

    def reset(self) -> None:
        """Forget every counter."""
        self.routes.clear()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try before giving up; all waits go through the clock."""

    attempts: int = 4  # total tries on 5xx / timeouts / connection errors
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    rate_limit_attempts: int = 4  # total tries while the service answers 429
    retry_after_default: float = 10.0
    retry_after_cap: float = 120.0  # longer waits are surfaced, not slept
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class Response:
    """A successful (or explicitly allowed) answer: status, headers and parsed JSON body."""

    status: int
    headers: Mapping[str, str]
    data: Any


# The longest wait a ``Retry-After`` asks that is honoured; asked again after it if need be.
RETRY_AFTER_MAX: Final = 3600.0


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(text).timestamp() - now
        except TypeError, ValueError:
            return None
    if not math.isfinite(seconds):
        return None
    # A wait of a year (or "inf") would stop polling until Home Assistant restarts.
    return min(max(0.0, seconds), RETRY_AFTER_MAX)


# The largest answer read: SIMKL's whole library with every episode is a few megabytes (its
# docs), a Plex page of 100 rows far less; a body past this is refused, not held in memory.
MAX_BODY: Final = 64 * 1024 * 1024
_LEADING_ANGLE = re.compile(rb"\s*<")
_BLANK = re.compile(rb"\s*")


class _HtmlError(Exception):
    """Internal: an HTML page (an error page, a login portal) where JSON was expected."""


def _parse(raw: bytes, rows: RowConvert | None, *, html: bool) -> Json:
    """The JSON of ``raw`` (``None`` for a blank body); ``rows`` as in ``loads_by_rows``."""
    if _BLANK.fullmatch(raw):
        return None
    if html or _LEADING_ANGLE.match(raw):
        raise _HtmlError
    if rows is None and len(raw) < LARGE_BODY:
        return json.loads(raw)
    return loads_by_rows(raw.decode(), rows)


async def _read_capped(resp: aiohttp.ClientResponse) -> bytes:
    """The body, refused past ``MAX_BODY`` (a length announced or the bytes that came)."""
    if (resp.content_length or 0) > MAX_BODY:
        raise _UnreadableError(f"answer over {MAX_BODY // 2**20} MiB")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(256 * 1024):
        body += chunk
        if len(body) > MAX_BODY:
            raise _UnreadableError(f"answer over {MAX_BODY // 2**20} MiB")
    return bytes(body)


class _RetryableError(Exception):
    """Internal: a transient failure worth another try."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _UnreadableError(Exception):
    """Internal: an answer that cannot be read (truncated, too large, malformed by HTTP's rules).

    Its ``reason`` never holds the URL: aiohttp's own errors name it, query string included,
    where SIMKL's client id and TMDb's key travel.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# Statuses that map to one error with a fixed message.
_SIMPLE_ERRORS: dict[int, tuple[type[CrosswatchApiError], str]] = {
    401: (AuthError, "credentials refused ({status})"),
    403: (AuthError, "credentials refused ({status})"),
    404: (NotFoundError, "not found ({status})"),
    409: (ConflictError, "conflict ({status})"),
    423: (AuthError, "account locked ({status})"),
}


class ServiceHttp:
    """Requests to one service: base URL, headers, pacing, retries, errors, telemetry."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        service: str,
        base_url: str,
        clock: Clock,
        telemetry: Telemetry | None = None,
        read_limiter: RateLimiter | None = None,
        write_limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        auth_headers: HeaderFactory | None = None,
        params: Params | None = None,
        secrets: Callable[[], Iterable[str | None]] = tuple,
        user_agent: str = USER_AGENT,
        rng: random.Random | None = None,
        app_refused: int | None = None,
    ) -> None:
        """Bind a session, base URL and clock to a service name used in errors and telemetry.

        ``app_refused``: the status with which the service refuses the API app itself rather
        than the user's sign-in (Trakt's 403: "invalid API key or unapproved app").
        """
        self.session = session
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.telemetry = telemetry if telemetry is not None else Telemetry()
        self.read_limiter = read_limiter
        self.write_limiter = write_limiter
        self.policy = policy or RetryPolicy()
        self._headers = {"User-Agent": user_agent, "Accept": "application/json", **(headers or {})}
        self._auth_headers = auth_headers
        self._params = dict(params or {})
        self._secrets = secrets
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self._app_refused = app_refused
        # Answers of ``get_recent``, by path: when each was read, and the object.
        self._recent: dict[str, tuple[float, dict[str, Any]]] = {}

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets())

    # -- errors ---------------------------------------------------------------------------
    def _error[E: CrosswatchApiError](self, cls: Callable[..., E], route: str, *args: object) -> E:
        error = cls(self.service, route, *args)
        error.args = (self._redact(str(error)),)
        return error

    def _status_error(
        self, status: int, route: str, headers: Mapping[str, str]
    ) -> CrosswatchApiError:
        html = "html" in headers.get("Content-Type", "").lower()
        if status == self._app_refused and not html:  # an HTML 403 is a proxy's block page
            return self._error(AppRejectedError, route, APP_REMOVED, f"API key refused ({status})")
        if status == 420:  # noqa: PLR2004
            raw = headers.get("X-Account-Limit", "")
            limit = digits(raw)
            return self._error(AccountLimitError, route, limit)
        if status == 426:  # noqa: PLR2004
            return self._error(AppRejectedError, route, APP_VIP_REQUIRED, "VIP only (426)")
        simple = _SIMPLE_ERRORS.get(status)
        if simple is not None:
            return self._error(simple[0], route, simple[1].format(status=status))
        return self._error(RequestRejectedError, route, status)

    # -- requests -------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        route: str | None = None,
        params: Params | None = None,
        json_body: Json = None,
        headers: Mapping[str, str] | None = None,
        allow: Iterable[int] = (),
        idempotent: bool | None = None,
        base_url: str | None = None,
        rows: RowConvert | None = None,
    ) -> Response:
        """Send one request and return its parsed answer, or raise a taxonomy error.

        ``rows`` converts each element of the answer's top-level object's lists as it is decoded
        (``json_rows.loads_by_rows``): a large answer is never held whole as raw JSON.

        ``route`` names the endpoint in telemetry and errors (a template such as
        ``GET /library/metadata/{id}``; never the raw URL). ``allow`` lists non-2xx statuses the
        caller handles itself (a device-code poll's 400, a scrobble's 409). Non-idempotent
        writes are only retried when the service cannot have processed them (429, refused
        connections): a retried Trakt history POST would add duplicate plays.
        """
        method = method.upper()
        route = route or f"{method} {path}"
        if idempotent is None:
            idempotent = method not in WRITE_METHODS or method in {"PUT", "DELETE"}
        allowed = frozenset(allow)
        stats = self.telemetry.route(self.service, route)
        limiter = self.write_limiter if method in WRITE_METHODS else self.read_limiter
        url = f"{base_url.rstrip('/') if base_url else self.base_url}{path}"
        transient_tries = 0
        limited_tries = 0
        while True:
            if limiter is not None:
                stats.paced_seconds += await limiter.acquire()
            stats.requests += 1
            started = time.perf_counter()
            try:
                status, resp_headers, raw = await self._send(
                    method, url, params, json_body, headers
                )
            except _UnreadableError as err:
                self._log_request(route, err.reason, started)
                stats.errors += 1
                raise self._error(InvalidResponseError, route, err.reason) from None
            except _RetryableError as err:
                self._log_request(route, err.reason, started)
                transient_tries += 1
                retry = idempotent or err.reason == "connect"
                await self._transient(stats, route, err.reason, transient_tries, retry=retry)
                continue
            self._log_request(route, status, started)
            if status == 429 and 429 not in allowed:  # noqa: PLR2004
                limited_tries += 1
                await self._rate_limited(stats, route, resp_headers, limited_tries)
                continue
            if status >= 500 and status not in allowed:  # noqa: PLR2004
                transient_tries += 1
                reason = f"server error {status}"
                await self._transient(stats, route, reason, transient_tries, retry=idempotent)
                continue
            if status >= 400 and status not in allowed:  # noqa: PLR2004
                stats.errors += 1
                raise self._status_error(status, route, resp_headers)
            if status >= 300 and status not in allowed:  # noqa: PLR2004
                # Redirects are not followed: aiohttp would carry the services' key and token
                # headers to whatever host the answer names.
                stats.errors += 1
                raise self._error(InvalidResponseError, route, f"redirected ({status})")
            data = await self._decode(route, raw, resp_headers, rows)
            return Response(status, resp_headers, data)

    def _log_request(self, route: str, outcome: int | str, started: float) -> None:
        """One debug line per request sent: method and route (a template, no query), status, ms."""
        if _LOGGER.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            _LOGGER.debug(
                "%s %s -> %s in %.0f ms", self.service, self._redact(route), outcome, elapsed
            )

    async def _transient(
        self, stats: RouteStats, route: str, reason: str, tries: int, *, retry: bool
    ) -> None:
        """Back off before another try, or raise once retrying is pointless or exhausted."""
        policy = self.policy
        if not retry or tries >= policy.attempts:
            stats.errors += 1
            _LOGGER.debug("%s %s failed: %s", self.service, self._redact(route), reason)
            raise self._error(ServiceUnavailableError, route, f"{reason} after {tries} tries")
        delay = min(policy.backoff_max, policy.backoff_base * 2 ** (tries - 1))
        delay += self._rng.uniform(0, delay / 2)
        stats.retries += 1
        stats.backoff_seconds += delay
        await self.clock.sleep(delay)

    async def _rate_limited(
        self, stats: RouteStats, route: str, headers: Mapping[str, str], tries: int
    ) -> None:
        """Sleep out a 429's ``Retry-After``, or raise when it is too long or keeps coming."""
        policy = self.policy
        stats.rate_limited += 1
        wait = parse_retry_after(headers.get("Retry-After"), self.clock.time())
        wait = policy.retry_after_default if wait is None else wait
        if tries >= policy.rate_limit_attempts or wait > policy.retry_after_cap:
            stats.errors += 1
            raise self._error(RateLimitedError, route, wait)
        stats.retries += 1
        stats.backoff_seconds += wait
        _LOGGER.debug("%s %s rate limited, waiting %.1fs", self.service, self._redact(route), wait)
        await self.clock.sleep(wait)

    async def get(self, path: str, **kwargs: Any) -> Json:
        """GET and return the parsed body."""
        return (await self.request("GET", path, **kwargs)).data

    async def get_recent(self, path: str, *, route: str, max_age: float = 0.0) -> dict[str, Any]:
        """GET a JSON object (``{}`` for any other answer), or reuse one read ``max_age`` s ago.

        For the "what moved" reads that several users of one account make within moments (the
        account's poll, a pair run, what-to-watch-next): one request serves them all.
        """
        now = self.clock.time()
        kept = self._recent.get(path)
        if kept is not None and max_age > 0 and now - kept[0] <= max_age:
            return dict(kept[1])
        body = await self.get(path, route=route)
        answer = dict(body) if isinstance(body, Mapping) else {}
        self._recent[path] = (now, answer)
        return dict(answer)

    async def post(self, path: str, **kwargs: Any) -> Json:
        """POST and return the parsed body."""
        return (await self.request("POST", path, **kwargs)).data

    async def _send(
        self,
        method: str,
        url: str,
        params: Params | None,
        json_body: Json,
        headers: Mapping[str, str] | None,
    ) -> tuple[int, CIMultiDict[str], bytes]:
        merged = dict(self._headers)
        if self._auth_headers is not None:
            merged.update(await self._auth_headers())
        if headers:
            merged.update(headers)
        query = {k: str(v) for k, v in {**self._params, **(params or {})}.items()}
        data = None
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":"))
            merged["Content-Type"] = "application/json"
        timeout = aiohttp.ClientTimeout(total=self.policy.timeout)
        try:
            async with self.session.request(
                method,
                url,
                params=query,
                data=data,
                headers=merged,
                timeout=timeout,
                allow_redirects=False,
            ) as resp:
                try:
                    raw = await _read_capped(resp)
                except aiohttp.ClientPayloadError:
                    raise _UnreadableError("truncated body") from None
                # Header names are case-insensitive (Trakt's HTTP/2 answers send them in lower
                # case, tests/fixtures/real/trakt/history_page_headers_lowercase.json).
                return resp.status, CIMultiDict(resp.headers), raw
        except TimeoutError:
            raise _RetryableError("timeout") from None
        except aiohttp.ClientConnectorError:
            raise _RetryableError("connect") from None
        except aiohttp.ClientConnectionError, aiohttp.ClientPayloadError:
            raise _RetryableError("connection lost") from None
        except aiohttp.ClientError as err:
            # Headers too large, an invalid answer line...: named by type alone (see above).
            raise _UnreadableError(f"unreadable answer ({type(err).__name__})") from None

    async def _decode(
        self, route: str, raw: bytes, headers: Mapping[str, str], rows: RowConvert | None
    ) -> Json:
        html = "html" in headers.get("Content-Type", "").lower()
        try:
            if len(raw) < LARGE_BODY:
                return _parse(raw, rows, html=html)
            # Off the loop, all of it (even the checks that copy a body) and element by element
            # (see ``loads_by_rows``).
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, partial(_parse, raw, rows, html=html))
        except _HtmlError:
            raise self._error(InvalidResponseError, route, "HTML instead of JSON") from None
        except ValueError:
            raise self._error(InvalidResponseError, route, "malformed or truncated JSON") from None
