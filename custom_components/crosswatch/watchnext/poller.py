"""One account's calendar and up-next list, refreshed with the fewest documented requests.

A poll starts from the account's activity stamps (Trakt ``/sync/last_activities``, SIMKL
``/sync/activities``), which the sync runner reads anyway. Nothing else is requested unless a
stamp moved or the calendar is due (every few hours: air dates change without any activity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Protocol

from ..api.wire import activity_stamp, parse_time
from .calendar import (
    CalendarCache,
    FollowedShow,
    Upcoming,
    poll_window,
    simkl_followed,
    simkl_release,
    simkl_upcoming,
    upcoming_episodes,
    upcoming_movies,
)
from .upnext import (
    DEFAULT_LIMIT,
    TraktUpNext,
    UpNext,
    from_trakt_progress,
    merge_simkl,
    ordered,
    simkl_rows,
)

CALENDAR_EVERY: Final = timedelta(hours=6)
# SIMKL: how often a followed show's episode list is read again (air dates move; SIMKL asks apps
# to cache), and how often the watching lists are read whole (a new episode announced for a show
# moves no activity stamp of the user's, so only a whole read sees its not-aired count change).
EPISODES_EVERY: Final = timedelta(hours=24)
# SIMKL's lists hold every future episode, so the calendar answers this far ahead from memory.
SIMKL_HORIZON_DAYS: Final = 400
# A planned film's release_status that says its day is known and passed, or will never come.
NO_RELEASE_TO_COME: Final = frozenset({"released", "cancelled"})


class TraktReads(Protocol):
    """What the Trakt poller reads (``TraktClient``)."""

    async def calendar_shows(self, start: date, days: int) -> list[Any]:
        """Calendar rows of episodes."""

    async def calendar_movies(self, start: date, days: int) -> list[Any]:
        """Calendar rows of movies."""

    async def watched_shows(self) -> list[Any]:
        """Watched shows without their seasons."""

    async def show_progress(self, trakt_id: str) -> Any:
        """One show's watched progress."""


class SimklReads(Protocol):
    """What the SIMKL poller reads (``SimklClient``)."""

    async def watching(self, since: datetime | None = None) -> Mapping[str, Any]:
        """The watching lists, or the rows changed since ``since``."""

    async def episodes(self, simkl_id: str, *, anime: bool = False) -> list[Any]:
        """Every episode of one show or anime."""

    async def release_statuses(self, kind: str, lists: str) -> list[Any]:
        """Each title on the user's lists with its release status."""

    async def movie_summary(self, simkl_id: str) -> dict[str, Any]:
        """One film's summary with its release day."""


def _stamp(activities: Mapping[str, Any], group: str, key: str) -> str:
    return activity_stamp(activities, group, key) or ""


@dataclass(slots=True)
class TraktWatchNext:
    """A Trakt account's upcoming calendar and up-next list."""

    reads: TraktReads
    limit: int = DEFAULT_LIMIT
    calendar_every: timedelta = CALENDAR_EVERY
    calendar: CalendarCache = field(default_factory=CalendarCache)
    upnext: TraktUpNext = field(init=False)
    calendar_marker: str | None = None

    def __post_init__(self) -> None:
        """Size the up-next list."""
        self.upnext = TraktUpNext(limit=self.limit)

    async def refresh(self, activities: Mapping[str, Any], now: datetime) -> bool:
        """Bring both up to date; return whether anything was read."""
        read = await self._refresh_calendar(activities, now)
        return await self._refresh_upnext(activities) or read

    async def _refresh_calendar(self, activities: Mapping[str, Any], now: datetime) -> bool:
        # The shows and movies "my" calendars follow change with the watchlist.
        marker = _stamp(activities, "watchlist", "updated_at")
        due = self.calendar.read_at is None or now - self.calendar.read_at >= self.calendar_every
        if not due and marker == self.calendar_marker:
            return False
        start, days = poll_window(now)
        self.calendar.replace(start, days, await self._read_window(start, days), now)
        self.calendar_marker = marker
        return True

    async def _read_window(self, start: date, days: int) -> list[Upcoming]:
        shows = upcoming_episodes(await self.reads.calendar_shows(start, days))
        return shows + upcoming_movies(await self.reads.calendar_movies(start, days))

    async def _refresh_upnext(self, activities: Mapping[str, Any]) -> bool:
        # A new play moves episodes.watched_at; hiding a show from progress moves shows.hidden_at.
        marker = "|".join(
            (_stamp(activities, "episodes", "watched_at"), _stamp(activities, "shows", "hidden_at"))
        )
        if not self.upnext.needs_list(marker):
            return False
        rows = await self.reads.watched_shows()
        self.upnext.forget_missing(rows)
        for key, show, at in self.upnext.to_read(rows):
            progress = await self.reads.show_progress(key)
            self.upnext.record(key, from_trakt_progress(show, progress, at), at)
        self.upnext.marker = marker
        return True

    async def events(self, start: datetime, end: datetime) -> list[Upcoming]:
        """Entries of ``[start, end)``: from the cache, after at most one bounded read."""
        last_day = (end - timedelta(microseconds=1)).date() + timedelta(days=1)
        window = self.calendar.read_for(start.date(), last_day)
        if window is not None:
            self.calendar.store(*window, await self._read_window(*window))
        return self.calendar.between(start, end)

    def up_next(self) -> list[UpNext]:
        """The sensor's list, most recently watched show first."""
        return self.upnext.listed()


@dataclass(slots=True)
class SimklWatchNext:
    """A SIMKL account's up-next list (``next_to_watch``) and the calendar of what it watches."""

    reads: SimklReads
    limit: int = DEFAULT_LIMIT
    episodes_every: timedelta = EPISODES_EVERY
    entries: dict[str, UpNext] = field(default_factory=dict)
    followed: dict[str, FollowedShow] = field(default_factory=dict)
    calendar: CalendarCache = field(default_factory=CalendarCache)
    # Per followed show with episodes to come: when its list was read, and what is upcoming.
    episode_lists: dict[str, tuple[datetime, list[Upcoming]]] = field(default_factory=dict)
    # Per planned film not yet released: when its summary was read, and its release day.
    releases: dict[str, tuple[datetime, Upcoming | None]] = field(default_factory=dict)
    # When the planned films' release statuses were read, and the movies stamp then.
    statuses_read_at: datetime | None = None
    movies_marker: str | None = None
    marker: str | None = None
    removed_marker: str | None = None
    since: datetime | None = None
    read_whole_at: datetime | None = None

    async def refresh(self, activities: Mapping[str, Any], now: datetime) -> bool:
        """Bring the lists and the calendar up to date; return whether anything was read."""
        listed = await self._refresh_lists(activities, now)
        films = await self._refresh_releases(_stamp(activities, "movies", "all"), now)
        return await self._refresh_calendar(now, rebuild=films) or films or listed

    async def _refresh_lists(self, activities: Mapping[str, Any], now: datetime) -> bool:
        """Read what changed since the last poll; everything after a removal or once a day."""
        groups = ("tv_shows", "anime")
        marker = "|".join(_stamp(activities, g, "all") for g in groups)
        removed = "|".join(_stamp(activities, g, "removed_from_list") for g in groups)
        daily = self.read_whole_at is None or now - self.read_whole_at >= self.episodes_every
        if not daily and marker == self.marker:
            return False
        full = daily or self.since is None or removed != self.removed_marker
        body = await self.reads.watching(None if full else self.since)
        self.entries = merge_simkl(self.entries, simkl_rows(body), full=full)
        self.followed = merge_simkl(self.followed, simkl_followed(body), full=full)
        # SIMKL's how-to: the next date_from is the activity stamp read now (server time).
        stamps = [parse_time(_stamp(activities, g, "all")) for g in groups]
        known = [s for s in stamps if s is not None]
        self.since = max(known) if known else None
        self.marker, self.removed_marker = marker, removed
        if full:
            self.read_whole_at = now
        return True

    async def _refresh_releases(self, marker: str, now: datetime) -> bool:
        """Planned films' release days: statuses once a day or when the film lists moved.

        One read names the planned films still to be released; each of those has its summary
        read once a day (release days move).
        """
        due = self.statuses_read_at is None or now - self.statuses_read_at >= self.episodes_every
        if not due and marker == self.movies_marker:
            return False
        rows = await self.reads.release_statuses("movies", "plantowatch")
        coming = [
            str(row["id"])
            for row in rows
            if isinstance(row, Mapping)
            and isinstance(row.get("id"), int | str)
            and row.get("release_status") not in NO_RELEASE_TO_COME
        ]
        self.releases = {key: self.releases[key] for key in coming if key in self.releases}
        for key in coming:
            if key not in self.releases or now - self.releases[key][0] >= self.episodes_every:
                self.releases[key] = (now, simkl_release(await self.reads.movie_summary(key)))
        self.statuses_read_at, self.movies_marker = now, marker
        return True

    async def _refresh_calendar(self, now: datetime, *, rebuild: bool = False) -> bool:
        """Read the episode lists of followed shows with episodes to come, each once a day."""
        start, _ = poll_window(now)
        since = datetime.combine(start, datetime.min.time(), tzinfo=now.tzinfo)
        coming = {key: f for key, f in self.followed.items() if f.unaired > 0}
        due = [
            key
            for key in coming
            if key not in self.episode_lists
            or now - self.episode_lists[key][0] >= self.episodes_every
        ]
        gone = [key for key in self.episode_lists if key not in coming]
        if not due and not gone and not rebuild and self.calendar.read_at is not None:
            return False
        for key in gone:
            del self.episode_lists[key]
        for key in due:
            rows = await self.reads.episodes(key, anime=coming[key].anime)
            self.episode_lists[key] = (now, simkl_upcoming(coming[key], rows, since))
        entries = [e for _, upcoming in self.episode_lists.values() for e in upcoming]
        entries += [e for _, e in self.releases.values() if e is not None and e.span()[1] > since]
        self.calendar.replace(start, SIMKL_HORIZON_DAYS, entries, now)
        return bool(due)

    async def events(self, start: datetime, end: datetime) -> list[Upcoming]:
        """Entries of ``[start, end)``, from memory (the lists hold every episode to come)."""
        return self.calendar.between(start, end)

    def up_next(self) -> list[UpNext]:
        """The sensor's list, most recently watched show first."""
        return ordered(self.entries.values(), self.limit)
