"""The flow's shared pieces: the login poll and the error messages."""

from __future__ import annotations

import pytest

from custom_components.crosswatch.api.errors import (
    AuthError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.config_flow import error_key, poll_login
from custom_components.crosswatch.providers.base import LoginDeniedError, LoginExpiredError
from simulator.clock import ManualClock


async def test_poll_gives_up_at_the_deadline_without_sleeping_for_real() -> None:
    clock = ManualClock()
    start = clock.time()
    calls = 0

    async def pending() -> str | None:
        nonlocal calls
        calls += 1
        return None

    with pytest.raises(LoginExpiredError):
        await poll_login(pending, clock=clock, interval=5, until=start + 60)
    assert calls == 13  # at 0, 5, ..., 60 s
    assert clock.time() - start == 60


async def test_poll_returns_the_first_answer() -> None:
    clock = ManualClock()
    answers = iter([None, None, "token"])

    async def check() -> str | None:
        return next(answers)

    assert await poll_login(check, clock=clock, interval=1, until=clock.time() + 10) == "token"


@pytest.mark.parametrize(
    ("err", "key"),
    [
        (TimeoutError(), "timeout"),
        (LoginExpiredError(), "expired"),
        (LoginDeniedError(), "denied"),
        (AuthError("trakt", "GET /x"), "invalid_auth"),
        (RequestRejectedError("simkl", "GET /x", 412), "invalid_auth"),
        (RequestRejectedError("simkl", "GET /x", 400), "cannot_connect"),
        (RateLimitedError("trakt", "GET /x", 10), "cannot_connect"),
        (ServiceUnavailableError("plex.tv", "GET /x"), "cannot_connect"),
        (ValueError("boom"), "unknown"),
    ],
)
def test_error_keys(err: Exception, key: str) -> None:
    assert error_key(err) == key
