"""What every sign-in shares: the login poll, the errors a failed login shows, and the one place
an unexpected error is caught (logged, shown as "unknown")."""

from __future__ import annotations

import asyncio

import pytest

from custom_components.crosswatch.api.errors import (
    AuthError,
    RateLimitedError,
    RequestRejectedError,
    ServiceUnavailableError,
)
from custom_components.crosswatch.providers.base import LoginDeniedError, LoginExpiredError
from custom_components.crosswatch.providers.flow_steps import (
    LoginFailedError,
    attempt,
    error_key,
    poll_login,
)
from custom_components.crosswatch.providers.plex.login import (
    UnverifiableAddressError,
    WrongServerError,
)
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
        (WrongServerError(), "wrong_server"),
        (UnverifiableAddressError(), "https_ip_address"),
        (AuthError("trakt", "GET /x"), "invalid_auth"),
        (RequestRejectedError("simkl", "GET /x", 400), "cannot_connect"),
        (RateLimitedError("trakt", "GET /x", 10), "cannot_connect"),
        (ServiceUnavailableError("plex.tv", "GET /x"), "cannot_connect"),
    ],
)
async def test_a_failed_login_shows_its_error(err: Exception, key: str) -> None:
    assert error_key(err) == key  # type: ignore[arg-type]

    async def fails() -> None:
        raise err

    with pytest.raises(LoginFailedError) as failed:
        await attempt(fails(), None)
    assert failed.value.key == key
    assert failed.value.__cause__ is err


async def test_a_call_that_outlasts_its_limit_is_a_timeout() -> None:
    with pytest.raises(LoginFailedError) as failed:
        await attempt(asyncio.Event().wait(), 0)
    assert failed.value.key == "timeout"


async def test_an_unexpected_error_is_logged_and_shown_as_unknown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def bug() -> None:
        raise ValueError("boom")

    with pytest.raises(LoginFailedError) as failed:
        await attempt(bug(), None)
    assert failed.value.key == "unknown"
    assert "Unexpected error while connecting an account" in caplog.text
    assert "ValueError: boom" in caplog.text


async def test_a_successful_call_answers() -> None:
    async def answer() -> str:
        return "token"

    assert await attempt(answer(), 1) == "token"
