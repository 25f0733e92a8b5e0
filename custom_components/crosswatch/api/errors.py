"""One error taxonomy for every service.

The HA layer maps these to config-entry states and repair issues: ``AuthError`` starts reauth,
``RateLimitedError`` becomes ``UpdateFailed(retry_after=...)``, ``ServiceUnavailableError`` marks
entities unavailable. Messages never contain tokens.
"""

from __future__ import annotations


class CrosswatchApiError(Exception):
    """Base class: a request to ``service`` on ``route`` failed."""

    def __init__(self, service: str, route: str, message: str = "") -> None:
        """Store where the error happened."""
        self.service = service
        self.route = route
        super().__init__(f"{service} {route}: {message}" if message else f"{service} {route}")


class AuthError(CrosswatchApiError):
    """Credentials were refused (401/403): the user has to sign in again."""


# Why a service refuses an API app itself (``AppRejectedError.reason``).
APP_VIP_REQUIRED = "vip_required"
APP_REMOVED = "app_removed"


class AppRejectedError(CrosswatchApiError):
    """The service refuses the API app itself, whoever signs in: no sign-in can fix it.

    Trakt (mid-2026): an app whose owner is not VIP answers 426 ``APP_VIP_REQUIRED``; a deleted
    app is unknown, 403 on the API and ``invalid_client`` on OAuth (``APP_REMOVED``).
    """

    def __init__(self, service: str, route: str, reason: str, message: str = "") -> None:
        """Store why the app was refused."""
        self.reason = reason
        super().__init__(service, route, message or f"API app refused ({reason})")


class NotFoundError(CrosswatchApiError):
    """The resource does not exist (404)."""


class ConflictError(CrosswatchApiError):
    """The service reports a conflict (409), e.g. an already scrobbled item."""


class RateLimitedError(CrosswatchApiError):
    """Still rate limited (429) after the allowed retries."""

    def __init__(self, service: str, route: str, retry_after: float, message: str = "") -> None:
        """Store how long the service asked us to wait."""
        self.retry_after = retry_after
        super().__init__(service, route, message or f"rate limited, retry after {retry_after:g}s")


class AccountLimitError(CrosswatchApiError):
    """The account's list limit is reached (Trakt 420)."""

    def __init__(self, service: str, route: str, limit: int | None, message: str = "") -> None:
        """Store the limit the service reported, if any."""
        self.limit = limit
        super().__init__(service, route, message or f"account limit reached ({limit})")


class ServiceUnavailableError(CrosswatchApiError):
    """5xx, timeouts or connection errors that outlasted the retries."""


class InvalidResponseError(CrosswatchApiError):
    """The body was not what the service documents: HTML, truncated or malformed JSON."""


class RequestRejectedError(CrosswatchApiError):
    """Any other 4xx: the request itself was refused (bad body, unsupported, VIP only)."""

    def __init__(self, service: str, route: str, status: int, message: str = "") -> None:
        """Store the HTTP status the service answered with."""
        self.status = status
        super().__init__(service, route, message or f"request rejected ({status})")
