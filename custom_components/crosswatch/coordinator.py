"""One coordinator per connected account: cheap polls, the watchlist only when it moved."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api.errors import AppRejectedError, AuthError, CrosswatchApiError, RateLimitedError
from .const import DOMAIN, RECENT_TITLES
from .posters import async_poster_urls
from .providers.registry import provider_of
from .repairs import async_app_rejected, async_delete_app_issues

if TYPE_CHECKING:
    from collections.abc import Iterable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .api.models import WatchlistEntry
    from .providers.base import BaseAccount

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSnapshot:
    """What the last successful poll saw.

    ``marker`` is the service's activity stamp for the watchlist (``None`` when the service has
    none); ``watchlist_size`` is ``None`` for accounts without one (TMDb). Of the list itself
    only the most recently listed titles are kept (``recent``, newest first: what the sensor
    shows): thousands of entries would sit in Home Assistant's heap between polls, and every full
    garbage collection walks them with the event loop held.
    """

    marker: str | None
    watchlist_size: int | None
    recent: tuple[WatchlistEntry, ...] = ()
    posters: Mapping[str, str] = field(default_factory=dict)


class AccountCoordinator(DataUpdateCoordinator[AccountSnapshot]):
    """Polls one account and maps API errors to what Home Assistant expects."""

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, account: BaseAccount) -> None:
        """Poll at the service's interval."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {account.service} {entry.title}",
            update_interval=timedelta(minutes=provider_of(entry).poll_minutes),
        )
        self.account = account
        self.watchlist_fetches = 0

    async def _async_update_data(self) -> AccountSnapshot:
        service = str(self.account.service)
        try:
            if moved := await self.account.async_moved():
                self._account_moved(moved)
            marker = await self.account.async_activity_marker()
            previous = self.data
            if previous is not None and marker is not None and marker == previous.marker:
                return previous
            watchlist = await self.account.async_watchlist()
        except AppRejectedError as err:
            async_app_rejected(self.hass, self.config_entry, err)
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="app_rejected",
                translation_placeholders={"service": service},
            ) from err
        except AuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"service": service},
            ) from err
        except RateLimitedError as err:
            raise UpdateFailed(
                retry_after=err.retry_after,
                translation_domain=DOMAIN,
                translation_key="rate_limited",
                translation_placeholders={
                    "service": service,
                    "retry_after": f"{err.retry_after:g}",
                },
            ) from err
        except CrosswatchApiError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={"service": service},
            ) from err
        async_delete_app_issues(self.hass, self.config_entry)
        if watchlist is None:
            return AccountSnapshot(marker=marker, watchlist_size=None)
        self.watchlist_fetches += 1
        recent = recent_entries(watchlist)
        posters = await async_poster_urls(self.hass, (e.item for e in recent))
        return AccountSnapshot(
            marker=marker, watchlist_size=len(watchlist), recent=tuple(recent), posters=posters
        )

    def _account_moved(self, moved: dict[str, Any]) -> None:
        """Keep the account's new address; a loaded entry reloads so everything uses it."""
        entry = self.config_entry
        _LOGGER.info("The %s account %s answers elsewhere now", self.account.service, entry.title)
        self.hass.config_entries.async_update_entry(entry, data={**entry.data, **moved})
        if entry.state is ConfigEntryState.LOADED:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)


def recent_entries(watchlist: Iterable[WatchlistEntry]) -> list[WatchlistEntry]:
    """The most recently listed titles, newest first (the sensor shows these)."""
    return sorted(
        watchlist,
        key=lambda e: e.listed_at.timestamp() if e.listed_at else 0.0,
        reverse=True,
    )[:RECENT_TITLES]
