"""What to watch next, per Trakt or SIMKL account: the calendar and the up-next list.

Each account's poll already reads its activity stamps; right after it, the account's
``WatchNextCoordinator`` (``runtime_data.watch_next``) reuses that answer (the client keeps it
for a minute) and reads more only when a stamp moved or the calendar is due
(``watchnext/poller.py``). A quiet poll costs nothing beyond the stamps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api.errors import AuthError, CrosswatchApiError
from .const import DOMAIN
from .posters import async_poster_urls, poster_key
from .providers.base import get_clock
from .providers.simkl.account import SimklAccount
from .providers.trakt.account import TraktAccount
from .watchnext.poller import SimklWatchNext, TraktWatchNext
from .watchnext.upnext import UpNext

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

    from .coordinator import AccountCoordinator
    from .providers.base import BaseAccount
    from .watchnext.calendar import Upcoming

_LOGGER = logging.getLogger(__name__)
# The account's poll read the stamps moments ago: reuse an answer this young.
STAMPS_MAX_AGE = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchNextSnapshot:
    """What the entities show: the up-next list and the calendar's current or next entry."""

    up_next: tuple[UpNext, ...] = ()
    upcoming: Upcoming | None = None
    posters: Mapping[str, str] = field(default_factory=dict)


class WatchNextCoordinator(DataUpdateCoordinator[WatchNextSnapshot]):
    """Refreshed after each poll of its account (no timer of its own)."""

    config_entry: ConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        account: TraktAccount | SimklAccount,
        watch: TraktWatchNext | SimklWatchNext,
    ) -> None:
        """Follow ``entry``'s account."""
        super().__init__(
            hass, _LOGGER, config_entry=entry, name=f"{DOMAIN} what's next {entry.title}"
        )
        self.account = account
        self.watch = watch
        self._first: asyncio.Task[None] | None = None

    async def async_first_refresh(self) -> None:
        """The first refresh, shared by the platforms that set up (calendar, sensor)."""
        if self._first is None:
            self._first = self.config_entry.async_create_task(
                self.hass, self.async_refresh(), "crosswatch what's next"
            )
        await self._first

    async def _async_update_data(self) -> WatchNextSnapshot:
        account = self.account
        now = datetime.fromtimestamp(get_clock(self.hass).time(), UTC)
        try:
            if isinstance(self.watch, TraktWatchNext) and isinstance(account, TraktAccount):
                stamps = await account.client.last_activities(max_age=STAMPS_MAX_AGE)
                await self.watch.refresh(stamps, now)
            elif isinstance(self.watch, SimklWatchNext) and isinstance(account, SimklAccount):
                stamps = await account.client.activities(max_age=STAMPS_MAX_AGE)
                await self.watch.refresh(stamps, now)
        except AuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"service": str(account.service)},
            ) from err
        except CrosswatchApiError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={"service": str(account.service)},
            ) from err
        up_next = tuple(self.watch.up_next())
        previous = self.data.posters if self.data is not None else {}
        missing = [
            e.show for e in up_next if e.poster is None and poster_key(e.show) not in previous
        ]
        posters = (
            {**previous, **await async_poster_urls(self.hass, missing)} if missing else previous
        )
        upcoming = self.watch.calendar.current_or_next(now)
        return WatchNextSnapshot(up_next=up_next, upcoming=upcoming, posters=posters)

    async def async_events(self, start: datetime, end: datetime) -> list[Upcoming]:
        """Calendar entries of a window (Trakt: at most one bounded read; SIMKL: from memory)."""
        try:
            return await self.watch.events(start, end)
        except CrosswatchApiError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="service_unavailable",
                translation_placeholders={"service": err.service},
            ) from err


def poster_of(snapshot: WatchNextSnapshot, entry: UpNext) -> str | None:
    """The entry's own poster (SIMKL) or the one TMDb gave for its show."""
    if entry.poster is not None:
        return entry.poster
    key = poster_key(entry.show)
    return snapshot.posters.get(key) if key else None


@callback
def async_create_watch_next(
    hass: HomeAssistant,
    entry: ConfigEntry,
    account: BaseAccount,
    polls: AccountCoordinator,
) -> WatchNextCoordinator | None:
    """The account's coordinator, refreshed after each of its polls (``None``: Plex, TMDb)."""
    if isinstance(account, TraktAccount):
        watch: TraktWatchNext | SimklWatchNext = TraktWatchNext(account.client)
    elif isinstance(account, SimklAccount):
        watch = SimklWatchNext(account.client)
    else:
        return None
    coordinator = WatchNextCoordinator(hass, entry, account, watch)

    @callback
    def after_poll() -> None:
        if polls.last_update_success:
            entry.async_create_task(
                hass, coordinator.async_request_refresh(), "crosswatch what's next"
            )

    entry.async_on_unload(polls.async_add_listener(after_poll))
    return coordinator
