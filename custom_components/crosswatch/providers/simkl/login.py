"""SIMKL sign-in: a PIN the user enters on SIMKL's site, with the user's own client id."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...api.errors import AuthError, InvalidResponseError, RequestRejectedError
from ..base import LoginExpiredError, get_clock
from .account import simkl_client
from .client import PinStatus

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

BAD_CLIENT_ID = 412  # SIMKL's answer to an unknown or blocked client id


@contextmanager
def _client_id_checked() -> Iterator[None]:
    """A client id SIMKL does not know is a refused sign-in, like a refused token."""
    try:
        yield
    except RequestRejectedError as err:
        if err.status != BAD_CLIENT_ID:
            raise
        raise AuthError(err.service, err.route, "client id refused") from err


@dataclass(frozen=True, slots=True)
class SimklPin:
    """A SIMKL PIN the user enters at ``verification_url``."""

    user_code: str
    verification_url: str
    interval: float
    expires_at: float


@dataclass(slots=True)
class SimklLogin:
    """SIMKL's PIN login with the user's own client id."""

    hass: HomeAssistant
    client_id: str
    token: str | None = None

    async def async_create_pin(self) -> SimklPin:
        """Ask SIMKL for a PIN."""
        with _client_id_checked():
            pin = await simkl_client(self.hass, self.client_id).pin_start()
        return SimklPin(
            user_code=pin.user_code,
            verification_url=pin.verification_url,
            interval=float(pin.interval),
            expires_at=get_clock(self.hass).time() + pin.expires_in,
        )

    async def async_check_pin(self, pin: SimklPin) -> str | None:
        """Return the token once approved, ``None`` while pending."""
        with _client_id_checked():
            poll = await simkl_client(self.hass, self.client_id).pin_poll(pin.user_code)
        if poll.status is PinStatus.GONE:  # SIMKL answers a gone code with a fresh PIN
            raise LoginExpiredError
        if poll.status is PinStatus.APPROVED:
            self.token = poll.access_token
        return self.token

    async def async_account(self) -> tuple[str, str]:
        """Return (account id, user name) of the signed-in user."""
        route = "POST /users/settings"
        with _client_id_checked():
            settings = await simkl_client(self.hass, self.client_id, self.token).settings()
        try:
            return str(settings["account"]["id"]), str(settings["user"]["name"])
        except (KeyError, TypeError) as err:
            raise InvalidResponseError("simkl", route, "settings without account") from err
