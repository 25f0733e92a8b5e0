"""The shared HTTP core against scripted servers: retries, pacing, errors and telemetry."""

from __future__ import annotations

import json
import logging
import random
import re
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING

import aiohttp
import pytest
from aiohttp import web

from custom_components.crosswatch.api import http as http_module
from custom_components.crosswatch.api import json_rows
from custom_components.crosswatch.api.errors import (
    AccountLimitError,
    AuthError,
    ConflictError,
    InvalidResponseError,
    NotFoundError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.api.http import (
    LARGE_BODY,
    RateLimiter,
    RetryPolicy,
    ServiceHttp,
    Telemetry,
    parse_retry_after,
    redact,
)

from .conftest import ScriptedServer

if TYPE_CHECKING:
    from simulator.clock import ManualClock

SECRET = "sekret-token-1234567890"


def make_http(
    session: aiohttp.ClientSession,
    server: ScriptedServer,
    clock: ManualClock,
    **kwargs: object,
) -> ServiceHttp:
    async def auth() -> dict[str, str]:
        return {"Authorization": f"Bearer {SECRET}"}

    kwargs.setdefault("policy", RetryPolicy(timeout=0.3))
    return ServiceHttp(
        session,
        service="svc",
        base_url=server.url + "/",
        clock=clock,
        auth_headers=auth,
        params={"client_id": "abc"},
        secrets=lambda: [SECRET],
        rng=random.Random(7),  # noqa: S311
        **kwargs,  # type: ignore[arg-type]
    )


def json_reply(data: object, status: int = 200, **headers: str):
    return lambda _r: web.json_response(data, status=status, headers=headers)


async def test_success_sends_headers_params_and_body(session, scripted, clock) -> None:
    scripted.then(json_reply({"ok": True}, 201))
    http = make_http(session, scripted, clock, headers={"trakt-api-version": "2"})
    response = await http.request(
        "POST", "/sync/x", params={"page": 2}, json_body={"a": [1]}, route="POST /sync/x"
    )
    assert response.status == 201
    assert response.data == {"ok": True}
    seen = scripted.seen[0]
    assert seen["path"] == "/sync/x"
    assert seen["query"] == {"client_id": "abc", "page": "2"}
    assert seen["headers"]["User-Agent"].startswith("CrossWatch-HA/")
    assert seen["headers"]["Accept"] == "application/json"
    assert seen["headers"]["Authorization"] == f"Bearer {SECRET}"
    assert seen["headers"]["trakt-api-version"] == "2"
    assert seen["headers"]["Content-Type"] == "application/json"
    assert seen["body"] == '{"a":[1]}'
    assert http.telemetry.as_dict()["svc"]["POST /sync/x"]["requests"] == 1


async def test_empty_body_is_none_and_get_helpers(session, scripted, clock) -> None:
    scripted.then(lambda _r: web.Response(status=204), json_reply([1, 2]))
    http = make_http(session, scripted, clock)
    assert await http.post("/empty") is None
    assert await http.get("/list") == [1, 2]
    assert http.telemetry.total() == 2
    assert http.telemetry.total("other") == 0


async def test_429_storm_is_paced_then_succeeds(session, scripted, clock) -> None:
    scripted.then(
        json_reply({}, 429, **{"Retry-After": "10"}),
        json_reply({}, 429, **{"Retry-After": "5"}),
        json_reply({"done": 1}),
    )
    http = make_http(session, scripted, clock)
    start = clock.time()
    assert await http.get("/x", route="GET /x") == {"done": 1}
    assert clock.time() - start == pytest.approx(15)
    stats = http.telemetry.as_dict()["svc"]["GET /x"]
    assert stats == {
        "requests": 3,
        "retries": 2,
        "rate_limited": 2,
        "errors": 0,
        "paced_seconds": 0.0,
        "backoff_seconds": 15.0,
    }


async def test_429_persisting_raises_with_retry_after(session, scripted, clock) -> None:
    scripted.then(*[json_reply({}, 429, **{"Retry-After": "3"})] * 4)
    http = make_http(session, scripted, clock)
    with pytest.raises(RateLimitedError) as info:
        await http.get("/x")
    assert info.value.retry_after == 3
    assert info.value.route == "GET /x"
    assert len(scripted.seen) == 4


async def test_429_without_header_uses_default_and_long_wait_is_surfaced(
    session, scripted, clock
) -> None:
    scripted.then(json_reply({}, 429), json_reply({}, 429, **{"Retry-After": "3600"}))
    http = make_http(session, scripted, clock)
    start = clock.time()
    with pytest.raises(RateLimitedError) as info:
        await http.get("/x")
    assert info.value.retry_after == 3600
    assert clock.time() - start == pytest.approx(10)  # the default, the hour is not slept
    assert len(scripted.seen) == 2


async def test_429_allowed_is_returned(session, scripted, clock) -> None:
    scripted.then(json_reply({"slow": 1}, 429))
    http = make_http(session, scripted, clock)
    response = await http.request("POST", "/poll", allow=(429,))
    assert (response.status, response.data) == (429, {"slow": 1})


async def test_5xx_backoff_is_bounded_then_unavailable(session, scripted, clock) -> None:
    scripted.then(*[json_reply({}, 503)] * 4)
    http = make_http(session, scripted, clock, policy=RetryPolicy(attempts=4, backoff_base=1))
    start = clock.time()
    with pytest.raises(ServiceUnavailableError, match="server error 503 after 4 tries"):
        await http.get("/x")
    waited = clock.time() - start
    # 1 + 2 + 4 seconds, each with up to 50% jitter.
    assert 7 <= waited <= 10.5
    stats = http.telemetry.route("svc", "GET /x")
    assert (stats.requests, stats.retries, stats.errors) == (4, 3, 1)


async def test_5xx_recovers(session, scripted, clock) -> None:
    scripted.then(json_reply({}, 502), json_reply({"ok": 1}))
    http = make_http(session, scripted, clock)
    assert await http.get("/x") == {"ok": 1}


async def test_non_idempotent_post_is_not_retried_on_5xx(session, scripted, clock) -> None:
    scripted.then(json_reply({}, 500), json_reply({"added": 1}))
    http = make_http(session, scripted, clock)
    with pytest.raises(ServiceUnavailableError):
        await http.post("/sync/history")
    assert len(scripted.seen) == 1
    # An explicitly idempotent POST is retried.
    assert await http.post("/sync/watchlist", idempotent=True) == {"added": 1}


async def test_timeouts_are_retried_then_unavailable(session, scripted, clock) -> None:
    scripted.then(scripted.hang, scripted.hang)
    http = make_http(session, scripted, clock, policy=RetryPolicy(attempts=2, timeout=0.1))
    with pytest.raises(ServiceUnavailableError, match="timeout after 2 tries"):
        await http.get("/slow", route="GET /slow")
    assert http.telemetry.route("svc", "GET /slow").retries == 1


async def test_connection_refused_is_unavailable(session, clock) -> None:
    server = ScriptedServer(url="http://127.0.0.1:9")  # discard port: nothing listens
    http = make_http(session, server, clock, policy=RetryPolicy(attempts=2))
    with pytest.raises(ServiceUnavailableError, match="connect after 2 tries"):
        await http.post("/sync/history")  # refused connections are retried even for POSTs


async def test_dropped_connection_is_unavailable(session, scripted, clock) -> None:
    def drop(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=500)

    scripted.then(*[drop] * 6)
    http = make_http(session, scripted, clock, policy=RetryPolicy(attempts=2))
    with pytest.raises(ServiceUnavailableError, match="connection lost"):
        await http.get("/x")


async def test_html_is_invalid_response_naming_route(session, scripted, clock) -> None:
    scripted.then(
        lambda _r: web.Response(text="<html>blocked</html>", content_type="text/html"),
        lambda _r: web.Response(text="<!DOCTYPE html>", content_type="application/json"),
    )
    http = make_http(session, scripted, clock)
    with pytest.raises(InvalidResponseError, match=r"svc GET /users/\{id\}: HTML"):
        await http.get("/users/5", route="GET /users/{id}")
    with pytest.raises(InvalidResponseError, match="HTML"):
        await http.get("/users/5")


async def test_malformed_json_is_invalid_response(session, scripted, clock) -> None:
    scripted.then(lambda _r: web.Response(text='{"a": [1, 2', content_type="application/json"))
    http = make_http(session, scripted, clock)
    with pytest.raises(InvalidResponseError, match="malformed or truncated JSON"):
        await http.get("/x")


async def test_a_large_answer_decodes_as_json_loads_does_and_a_broken_one_is_refused(
    session, scripted, clock, monkeypatch
) -> None:
    """Past LARGE_BODY the answer is decoded in the executor, element by element."""
    library = {
        "shows": [{"show": {"ids": {"simkl": n}}, "seasons": [{"number": 1}]} for n in range(9000)],
        "movies": [{"movie": {"title": "M\u00e9"}}],
        "total": 9001,
    }
    text = json.dumps(library)
    assert len(text) > LARGE_BODY
    rows_decoded: list[int] = []
    real = json_rows.loads_by_rows
    monkeypatch.setattr(
        http_module,
        "loads_by_rows",
        lambda raw, rows: rows_decoded.append(len(raw)) or real(raw, rows),
    )
    scripted.then(
        lambda _r: web.Response(text=text, content_type="application/json"),
        lambda _r: web.Response(text=text, content_type="application/json"),
        lambda _r: web.Response(text=text[:-40], content_type="application/json"),
    )
    http = make_http(session, scripted, clock)
    assert await http.get("/sync/all-items") == library
    simkl_ids = await http.get(
        "/sync/all-items",
        rows=lambda name, row: row["show"]["ids"]["simkl"] if name == "shows" else None,
    )
    assert simkl_ids == {"shows": list(range(9000)), "movies": [], "total": 9001}
    assert rows_decoded == [len(text), len(text)]
    with pytest.raises(InvalidResponseError, match="malformed or truncated JSON"):
        await http.get("/sync/all-items")


async def test_truncated_transfer_is_invalid_response(session, scripted, clock) -> None:
    async def cut(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        response.content_length = 1000
        await response.prepare(request)
        await response.write(b'{"items": [1, 2')
        assert request.transport is not None
        request.transport.close()
        return response

    scripted.then(cut)
    http = make_http(session, scripted, clock)
    with pytest.raises(InvalidResponseError, match="truncated body"):
        await http.get("/x", route="GET /x")
    assert http.telemetry.route("svc", "GET /x").errors == 1


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (401, AuthError, "credentials refused"),
        (403, AuthError, "credentials refused"),
        (423, AuthError, "locked"),
        (404, NotFoundError, "not found"),
        (409, ConflictError, "conflict"),
        (400, RequestRejectedError, r"rejected \(400\)"),
        (422, RequestRejectedError, r"rejected \(422\)"),
    ],
)
async def test_status_taxonomy(session, scripted, clock, status, error, text) -> None:  # noqa: PLR0917
    scripted.then(json_reply({"error": SECRET}, status))
    http = make_http(session, scripted, clock)
    with pytest.raises(error, match=text) as info:
        await http.get("/x")
    assert SECRET not in str(info.value)
    if isinstance(info.value, RequestRejectedError):
        assert info.value.status == status


async def test_account_limit_reads_header(session, scripted, clock) -> None:
    scripted.then(json_reply({}, 420, **{"X-Account-Limit": "250"}), json_reply({}, 420))
    http = make_http(session, scripted, clock)
    with pytest.raises(AccountLimitError) as info:
        await http.post("/sync/watchlist")
    assert info.value.limit == 250
    with pytest.raises(AccountLimitError) as info:
        await http.post("/sync/watchlist")
    assert info.value.limit is None


async def test_allowed_statuses_are_returned(session, scripted, clock) -> None:
    scripted.then(lambda _r: web.Response(status=400), json_reply({"watched_at": "x"}, 409))
    http = make_http(session, scripted, clock)
    assert (await http.request("POST", "/poll", allow=(400,))).status == 400
    response = await http.request("POST", "/scrobble", allow=(409,))
    assert response.data == {"watched_at": "x"}


async def test_base_url_override(session, scripted, clock) -> None:
    http = ServiceHttp(session, service="svc", base_url="http://127.0.0.1:9", clock=clock)
    assert await http.get("/alt", base_url=scripted.url) == {}
    assert scripted.seen[0]["path"] == "/alt"


async def test_secrets_never_in_errors_or_logs(session, scripted, clock, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    scripted.then(json_reply({}, 500), json_reply({}, 500), *[json_reply({}, 429)] * 4)
    http = make_http(session, scripted, clock, policy=RetryPolicy(attempts=2, timeout=0.3))
    # A route that (wrongly) embeds the secret is still redacted.
    with pytest.raises(ServiceUnavailableError) as info:
        await http.get(f"/u/{SECRET}", route=f"GET /u/{SECRET}")
    assert SECRET not in str(info.value)
    assert "***" in str(info.value)
    with pytest.raises(RateLimitedError) as limited:
        await http.get("/x", params={"api_key": SECRET})
    assert SECRET not in str(limited.value)
    assert SECRET not in caplog.text
    assert "rate limited" in caplog.text


def test_redact_ignores_short_and_empty_secrets() -> None:
    assert redact("abc token abc", ["abc", None, "", "token"]) == "abc *** abc"


def test_parse_retry_after() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    later = format_datetime(datetime(2026, 11, 1, 0, 0, 30, tzinfo=UTC), usegmt=True)
    assert parse_retry_after("12", now) == 12
    assert parse_retry_after(" 1.5 ", now) == 1.5
    assert parse_retry_after("-3", now) == 0
    assert parse_retry_after(later, now) == 30
    assert parse_retry_after("garbage", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("", now) is None
    # A year, a date in 2100 or "inf" would stop polling until a restart: an hour at most.
    far = format_datetime(datetime(2100, 1, 1, tzinfo=UTC), usegmt=True)
    assert parse_retry_after("31536000", now) == 3600
    assert parse_retry_after(far, now) == 3600
    assert parse_retry_after("inf", now) is None
    assert parse_retry_after("nan", now) is None


async def test_rate_limiter_paces_after_burst(clock) -> None:
    limiter = RateLimiter(3, 3.0, clock)
    start = clock.time()
    waits = [await limiter.acquire() for _ in range(6)]
    assert waits == [0, 0, 0, 3, 0, 0]
    assert clock.time() - start == pytest.approx(3.0)
    writes = RateLimiter(1, 1.0, clock)
    start = clock.time()
    for _ in range(5):
        await writes.acquire()
    assert clock.time() - start == pytest.approx(4.0)
    with pytest.raises(ValueError, match="rate limit"):
        RateLimiter(0, 1, clock)


async def test_rate_limiter_refills_over_time(clock) -> None:
    limiter = RateLimiter(2, 10.0, clock)
    await limiter.acquire()
    await limiter.acquire()
    clock.advance(10)
    assert await limiter.acquire() == 0
    assert await limiter.acquire() == 0
    assert await limiter.acquire() == pytest.approx(10.0)  # strict: a full window later


async def test_limiters_apply_by_method_and_count_pacing(session, scripted, clock) -> None:
    http = make_http(
        session,
        scripted,
        clock,
        read_limiter=RateLimiter(1000, 300, clock),
        write_limiter=RateLimiter(1, 1, clock),
    )
    start = clock.time()
    for _ in range(3):
        await http.post("/w", route="POST /w")
    await http.get("/r", route="GET /r")
    assert clock.time() - start == pytest.approx(2.0)
    assert http.telemetry.route("svc", "POST /w").paced_seconds == pytest.approx(2.0)
    telemetry = http.telemetry
    assert isinstance(telemetry, Telemetry)
    telemetry.reset()
    assert telemetry.as_dict() == {}


async def test_debug_logs_every_request_once_without_secrets(
    session, scripted, clock, caplog
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.crosswatch.api.http")
    scripted.then(json_reply({}, 503), json_reply({"a": 1}), json_reply({}, 404))
    http = make_http(session, scripted, clock)
    await http.request(
        "GET", "/library/metadata/7", route="GET /library/metadata/{id}", params={"t": SECRET}
    )
    with pytest.raises(NotFoundError):
        await http.request("GET", "/x/2", route="GET /x/{id}")
    lines = [r.getMessage() for r in caplog.records if " -> " in r.getMessage()]
    assert len(lines) == len(scripted.seen) == 3  # every request sent, retries included, once
    patterns = [
        r"svc GET /library/metadata/\{id\} -> 503 in \d+ ms",
        r"svc GET /library/metadata/\{id\} -> 200 in \d+ ms",
        r"svc GET /x/\{id\} -> 404 in \d+ ms",
    ]
    for line, pattern in zip(lines, patterns, strict=True):
        assert re.fullmatch(pattern, line), line
    assert SECRET not in caplog.text
    assert "client_id" not in caplog.text
    assert "/library/metadata/7" not in caplog.text  # the route, not the path with its ids


async def test_no_request_log_without_debug(session, scripted, clock, caplog) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.crosswatch.api.http")
    scripted.then(json_reply({}))
    await make_http(session, scripted, clock).request("GET", "/a", route="GET /a")
    assert not [r for r in caplog.records if " -> " in r.getMessage()]


async def test_a_redirect_is_not_followed(session, scripted, clock) -> None:
    """aiohttp would carry the key and token headers to the host the answer names."""
    scripted.then(lambda _r: web.Response(status=302, headers={"Location": "/elsewhere"}))
    http = make_http(session, scripted, clock)
    with pytest.raises(InvalidResponseError, match=r"redirected \(302\)"):
        await http.get("/x", route="GET /x")
    assert [seen["path"] for seen in scripted.seen] == ["/x"]


async def test_an_answer_http_cannot_read_is_named_without_its_url(
    session, scripted, clock, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp's own error names the URL, query string (a client id, a key) included."""
    scripted.then(json_reply({}, **{"X-Huge": "a" * 9000}))
    http = make_http(session, scripted, clock)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(InvalidResponseError, match="unreadable answer") as err:
        await http.get("/x", route="GET /x")
    assert "client_id" not in str(err.value)
    assert "abc" not in str(err.value)
    assert "client_id" not in caplog.text


async def test_an_answer_over_the_size_cap_is_refused(
    session, scripted, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_module, "MAX_BODY", 1000)
    scripted.then(json_reply(["x" * 2000]), json_reply(["y" * 10]))
    http = make_http(session, scripted, clock)
    with pytest.raises(InvalidResponseError, match="answer over"):
        await http.get("/x", route="GET /x")
    assert await http.get("/x", route="GET /x") == ["y" * 10]
