"""What every service's sign-in steps share.

The progress step a PIN or device-code login waits in, its retry form, the errors a login shows,
and how the entry is made or updated.

Each service's steps are a mixin in ``providers/<service>/flow.py``; ``config_flow.py`` combines
them into the one handler. A failure the user can act on is caught by type and shown as a
translated error; anything else is a bug, logged once here and shown as ``unknown``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import probatio as vol
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
)
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from ..api.errors import AppRejectedError, AuthError, CrosswatchApiError
from .base import LoginExpiredError, SignInError, get_clock

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from ..api.clock import Clock

_LOGGER = logging.getLogger(__name__)

# What a login can fail with that the user can act on; ``error_key`` names each.
LOGIN_ERRORS = (TimeoutError, SignInError, CrosswatchApiError)


# The service refuses the API app itself (Trakt: unknown or deleted app, or no VIP owner).
APP_REJECTED = "app_rejected"


class LoginFailedError(Exception):
    """A login call failed; ``key`` is the translated error the step shows."""

    def __init__(self, key: str) -> None:
        """Keep the error key."""
        super().__init__(key)
        self.key = key


def error_key(err: TimeoutError | SignInError | CrosswatchApiError) -> str:
    """The translated error shown for a failed login or validation."""
    if isinstance(err, TimeoutError):
        return "timeout"
    if isinstance(err, SignInError):
        return err.key
    if isinstance(err, AppRejectedError):
        return APP_REJECTED
    if isinstance(err, AuthError):
        return "invalid_auth"
    return "cannot_connect"


async def attempt[T](call: Awaitable[T], limit: float | None) -> T:
    """Await a login call (at most ``limit`` seconds); a failure becomes ``LoginFailedError``."""
    try:
        async with asyncio.timeout(limit):
            return await call
    except LOGIN_ERRORS as err:
        raise LoginFailedError(error_key(err)) from err
    except Exception as err:
        # The one boundary, as Home Assistant's own flows have it: a bug is logged, the user
        # sees "unknown" and can try again.
        _LOGGER.exception("Unexpected error while connecting an account")
        raise LoginFailedError("unknown") from err


async def poll_login[T](
    check: Callable[[], Awaitable[T | None]],
    *,
    clock: Clock,
    interval: float,
    until: float,
) -> T:
    """Call ``check`` every ``interval`` seconds until it answers or ``until`` has passed."""
    while True:
        result = await check()
        if result is not None:
            return result
        if clock.time() + interval > until:
            raise LoginExpiredError
        await clock.sleep(interval)


def select(options: Mapping[str, str], *, multiple: bool = False) -> SelectSelector:
    """A choice among ``options`` (value: label)."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=k, label=v) for k, v in options.items()],
            multiple=multiple,
            mode=SelectSelectorMode.DROPDOWN if not multiple else SelectSelectorMode.LIST,
        )
    )


def secret_field() -> TextSelector:
    """A password field."""
    return TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


class LoginSteps(ConfigFlow):
    """The state and steps every service's login shares."""

    validation_timeout: float = 30.0

    def __init__(self) -> None:
        """Start with no login in progress."""
        super().__init__()
        self._task: asyncio.Task[Any] | None = None
        self._error: str | None = None
        self._placeholders: dict[str, str] = {}

    def _existing_entry(self) -> ConfigEntry | None:
        """The entry being re-authenticated or reconfigured (``None``: a new one)."""
        if self.source == SOURCE_REAUTH:
            return self._get_reauth_entry()
        if self.source == SOURCE_RECONFIGURE:
            return self._get_reconfigure_entry()
        return None

    async def _finish(
        self, unique_id: str, title: str, data: dict[str, Any], *, same_account: bool = True
    ) -> ConfigFlowResult:
        """Create the entry, or update the one being re-authenticated or reconfigured.

        ``same_account=False`` lets a reconfigure move the entry to a new unique id (another
        TMDb key) as long as no other entry has it.
        """
        await self.async_set_unique_id(unique_id)
        entry = self._existing_entry()
        if entry is None:
            self._abort_if_unique_id_configured()
            return self.async_create_entry(title=title, data=data)
        if same_account:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        elif unique_id != entry.unique_id:
            self._abort_if_unique_id_configured()
        return self.async_update_reload_and_abort(
            entry, unique_id=unique_id, title=title, data_updates=data
        )

    async def _validate[T](self, call: Awaitable[T]) -> T:
        """A login call with the flow's timeout (raises ``LoginFailedError``)."""
        return await attempt(call, self.validation_timeout)

    def _start_login(
        self,
        check: Callable[[], Awaitable[Any]],
        interval: float,
        until: float,
        service: str,
    ) -> None:
        """Poll ``check`` in a task the progress step waits for."""
        poll = poll_login(check, clock=get_clock(self.hass), interval=interval, until=until)
        self._task = self.hass.async_create_task(
            attempt(poll, None), f"crosswatch {service} login", eager_start=False
        )

    def _progress_result(self, step_id: str, action: str, next_step_id: str) -> ConfigFlowResult:
        """Show the login as a progress step until its task ends, then move on."""
        task = self._task
        assert task is not None
        if not task.done():
            return self.async_show_progress(
                step_id=step_id,
                progress_action=action,
                description_placeholders=self._placeholders,
                progress_task=task,
            )
        self._task = None
        try:
            task.result()
        except LoginFailedError as err:
            self._error = err.key
            return self.async_show_progress_done(next_step_id=f"{step_id}_retry")
        return self.async_show_progress_done(next_step_id=next_step_id)

    def _retry_form(self, step_id: str, error: LoginFailedError | None = None) -> ConfigFlowResult:
        """A form that shows what went wrong (``error``, or the last); submitting retries."""
        if error is not None:
            self._error = error.key
        return self.async_show_form(
            step_id=f"{step_id}_retry",
            data_schema=vol.Schema({}),
            errors={"base": self._error or "unknown"},
        )

    async def _retry_step(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        restart: Callable[[], Awaitable[ConfigFlowResult]],
    ) -> ConfigFlowResult:
        """The ``<step>_retry`` step: the retry form, then ``restart`` once it is submitted."""
        if user_input is None:
            return self._retry_form(step_id)
        return await restart()
