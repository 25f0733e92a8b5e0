"""What every provider offers the Home Assistant glue: its declared capabilities and its account.

A ``Provider`` (one per service, in ``providers/<service>/provider.py``) says what the service can
do: which sync features it carries, whether it sends or takes scrobbles, whether it serves
metadata, how it signs in and how often it is polled. ``providers/registry.py`` lists them; the glue
asks the registry and the loaded ``Account``, never the type of an account.

An ``Account`` is one connected account while its config entry is loaded
(``entry.runtime_data.account``). Its clients are shared by polls, sync runs and scrobbles, so one
rate limiter paces them all. Methods a service has no use for keep the defaults of ``BaseAccount``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.util.hass_dict import HassKey

from ..api.clock import Clock, SystemClock
from ..api.models import Feature
from ..const import DOMAIN, Service

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from ..api.http import ServiceHttp
    from ..api.models import MediaItem, MediaKind, Rating, WatchlistEntry
    from ..scrobble.sinks import ScrobbleSink
    from ..sync.side import SyncSide
    from .tmdb.client import TmdbClient


# Tests put the simulator's clock here so PIN and device-code polls never really sleep.
CLOCK_KEY: HassKey[Clock] = HassKey(f"{DOMAIN}_clock")


def get_clock(hass: HomeAssistant) -> Clock:
    """The clock logins and clients use."""
    return hass.data.get(CLOCK_KEY) or SystemClock()


class SignInError(Exception):
    """A sign-in failed in a way the user can act on; ``key`` names the flow's translated error."""

    key: ClassVar[str]


class LoginExpiredError(SignInError):
    """The PIN or device code expired (or is gone) before the user approved it."""

    key = "expired"


class LoginDeniedError(SignInError):
    """The user refused the PIN or device code."""

    key = "denied"


class HttpClient(Protocol):
    """Any of our API clients; each counts its requests per service and route."""

    @property
    def http(self) -> ServiceHttp:
        """Return the client's HTTP core."""


class RatingsApi(Protocol):
    """Setting and clearing ratings (``TraktClient``, ``SimklClient``)."""

    async def ratings_add(self, ratings: Sequence[Rating]) -> Any:
        """Rate titles."""

    async def ratings_remove(self, items: Sequence[MediaItem]) -> Any:
        """Clear the ratings of titles."""


@dataclass(frozen=True, slots=True)
class ScrobbleTarget:
    """What an account that takes scrobbles offers the scrobble pipeline."""

    sink: ScrobbleSink
    ratings: RatingsApi


class SignIn(StrEnum):
    """How a service signs in (the config flow's steps live with each provider)."""

    PIN = "pin"  # a code the user approves on the service's site (Plex, SIMKL)
    OAUTH = "oauth"  # the user's own API app, device code or redirect (Trakt)
    API_KEY = "api_key"  # a key typed into the form (TMDb)


class TitleSearch(Protocol):
    """A service's search for movies or shows by title (and year, where it filters by one)."""

    async def search_title(
        self, kind: MediaKind, title: str, year: int | None = None
    ) -> list[MediaItem]:
        """Titles of ``kind`` found for ``title``, best first."""
        ...


class BaseAccount(ABC):
    """Defaults for what a service does not do; each account overrides what it does."""

    __slots__ = ()

    service: Service

    @property
    @abstractmethod
    def clients(self) -> tuple[HttpClient, ...]:
        """Every client of the account (their request counts go to diagnostics)."""

    async def async_activity_marker(self) -> str | None:
        """A stamp that changes when the watchlist changes (``None``: no such stamp).

        What "the watchlist moved" means is the account's sync side's to say, so polls and sync
        runs agree on it; an account without a side has no watchlist to watch.
        """
        if (side := self.sync_side()) is None:
            return None
        return (await side.markers([Feature.WATCHLIST]))[Feature.WATCHLIST]

    async def async_watchlist(self) -> Sequence[WatchlistEntry] | None:
        """The watchlist (``None`` for accounts without one)."""
        return None

    async def async_moved(self) -> dict[str, Any] | None:
        """Entry data to update when the account now answers elsewhere (``None``: it did not)."""
        return None

    def sync_side(self) -> SyncSide | None:
        """The account as one side of a sync pair (``None``: it cannot be synced)."""
        return None

    def scrobble_target(self, sink_id: str) -> ScrobbleTarget | None:
        """The account as a scrobble target (``None``: it takes no scrobbles)."""
        del sink_id
        return None

    @property
    def metadata(self) -> TmdbClient | None:
        """The client that serves posters and title look-ups (``None``: none here)."""
        return None

    def title_search(self) -> TitleSearch | None:
        """The account's own search by title (``None``: it has none to offer)."""
        return None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values besides the entry's tokens that diagnostics must scrub (a Trakt client id)."""
        return ()


# The accounts of loaded entries, by entry id: what a sync pair, a scrobble route or a poster
# look-up reaches another account through. An entry joins at the end of its setup and leaves
# when it unloads.
LOADED_ACCOUNTS: HassKey[dict[str, BaseAccount]] = HassKey(f"{DOMAIN}_accounts")


@callback
def async_join_loaded(hass: HomeAssistant, entry_id: str, account: BaseAccount) -> CALLBACK_TYPE:
    """Make a loaded entry's account reachable; returns the remover (for ``async_on_unload``)."""
    accounts = hass.data.setdefault(LOADED_ACCOUNTS, {})
    accounts[entry_id] = account

    @callback
    def leave() -> None:
        if accounts.get(entry_id) is account:
            del accounts[entry_id]

    return leave


def loaded_account(hass: HomeAssistant, entry_id: str) -> BaseAccount | None:
    """The account of the loaded entry ``entry_id``, if it is loaded."""
    return hass.data.get(LOADED_ACCOUNTS, {}).get(entry_id)


def loaded_accounts(hass: HomeAssistant) -> list[BaseAccount]:
    """The accounts of every loaded entry, in the order they loaded."""
    return list(hass.data.get(LOADED_ACCOUNTS, {}).values())


def account_requests(account: BaseAccount) -> dict[str, dict[str, dict[str, float]]]:
    """Requests per service and route the account's clients made since setup."""
    counted: dict[str, dict[str, dict[str, float]]] = {}
    for client in account.clients:
        counted.update(client.http.telemetry.as_dict())
    return counted


@dataclass(frozen=True, slots=True, kw_only=True)
class Provider:
    """One service as CrossWatch knows it: what it can do and how its account is built."""

    service: Service
    # Shown as the device's manufacturer.
    name: str
    sign_in: SignIn
    # What a sync pair can carry to and from the service (empty: it cannot be paired).
    sync_features: frozenset[Feature]
    # Plays on it are scrobbled (Plex), or it takes scrobbles (Trakt, SIMKL).
    scrobble_source: bool = False
    scrobble_target: bool = False
    # It serves posters and title look-ups (TMDb).
    metadata: bool = False
    poll_minutes: int
    # The account loads even when its first poll fails (Plex: the watchlist lives on plex.tv,
    # apart from the server that scrobbles); a refused sign-in still stops the setup.
    loads_without_first_poll: bool = False
    create_account: Callable[[HomeAssistant, ConfigEntry], Awaitable[BaseAccount]]
    # Called when the entry is removed (Trakt: revoke the token).
    async_remove: Callable[[HomeAssistant, ConfigEntry], Awaitable[None]] | None = None
