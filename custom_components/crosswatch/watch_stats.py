"""Watch statistics as Home Assistant long-term statistics, one set per person.

Per Trakt and SIMKL account and per routed Plex user: plays and minutes watched, movies and episodes
apart, imported into the recorder as external statistics (``crosswatch:<who>_<series>``), so the
Statistics Graph card can show hours watched per week per person. The first update reads the
whole history (a backfill); later ones read from the ledger's watermark only and import the
hours that changed. The ledger (``sync/stats.py``) is kept in a ``Store`` per person.

Request cost: an update is one history page per 100 new plays (Trakt's ``/sync/history``, a
Plex user's play history); the first one pages through the whole history once. SIMKL: one
``/sync/activities`` per update, and one ``/sync/all-items`` (the changed titles) when it moved;
the first update reads the whole library once. Plex: plus the lengths of titles not seen yet
(``PlexDurations``).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Protocol

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import async_add_external_statistics
from homeassistant.const import UnitOfTime
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util.unit_conversion import DurationConverter

from .api.errors import CrosswatchApiError, NotFoundError
from .api.ids import canonical_key, digits
from .api.models import Feature, MediaKind
from .api.paging import convert_rows
from .const import CONF_ACCOUNT_ID, DOMAIN, Service
from .providers.plex.client import ROW_DURATION, ROW_KEY
from .providers.simkl.client import SimklEntry
from .providers.simkl.side import SimklSide
from .sync.stats import Ledger, Series, WatchedPlay

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api.models import Play
    from .data import CrosswatchConfigEntry
    from .providers.plex.client import LibraryRow, PlexLibraryItem, PlexSection
    from .providers.simkl.client import SimklClient, SimklLibrary

_LOGGER = logging.getLogger(__name__)

STORAGE_VERSION: Final = 1
# How often new plays are counted (one history request per person when nothing is new).
UPDATE_INTERVAL: Final = timedelta(hours=1)
# What each series is called after the person's name.
SERIES_NAMES: Final = {
    Series.MOVIE_PLAYS: "movies watched",
    Series.EPISODE_PLAYS: "episodes watched",
    Series.MOVIE_MINUTES: "movie minutes",
    Series.EPISODE_MINUTES: "episode minutes",
}

type PlaysReader = Callable[[float | None], Awaitable[list[WatchedPlay]]]
type HistoryMarker = Callable[[], Awaitable[str | None]]


class TraktHistory(Protocol):
    """What statistics need of a Trakt client."""

    async def history_with_runtimes(
        self, *, start_at: datetime | None = None
    ) -> list[tuple[Play, int | None]]:
        """Plays since ``start_at`` (all without), each with its runtime in minutes."""


class PlexPlay(Protocol):
    """One row of a Plex server's play history."""

    @property
    def rating_key(self) -> str:
        """The title's server-local key."""

    @property
    def kind(self) -> MediaKind:
        """Movie or episode (other kinds are not counted)."""

    @property
    def viewed_at(self) -> datetime:
        """When it was watched."""


class PlexHistory(Protocol):
    """What statistics need of a Plex server client."""

    async def history(
        self, *, since: datetime | None = None, account_id: int | None = None
    ) -> list[Any]:
        """One user's plays since ``since``: ``PlexPlay`` rows."""

    async def sections(self) -> list[PlexSection]:
        """The library sections."""

    async def library_rows(
        self, section_key: str, kind: MediaKind | None = None
    ) -> list[LibraryRow]:
        """A section's titles of ``kind``, packed, each with its ``duration``."""

    async def metadata(self, rating_key: str) -> PlexLibraryItem:
        """One title, with its ``duration``."""


def statistic_slug(text: str) -> str:
    """``text`` as the object part of a statistic id (lower case letters, digits, ``_``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", text.casefold()).strip("_")
    return slug or "unnamed"


def statistic_id(who: str, series: Series) -> str:
    """The external statistic id of one person's series."""
    return f"{DOMAIN}:{statistic_slug(who)}_{series.value}"


def metadata(who: str, name: str, series: Series) -> StatisticMetaData:
    """The recorder's metadata of one person's series (a running sum, no mean)."""
    minutes = series.minutes
    return StatisticMetaData(
        mean_type=StatisticMeanType.NONE,
        has_sum=True,
        name=f"{name} {SERIES_NAMES[series]}",
        source=DOMAIN,
        statistic_id=statistic_id(who, series),
        unit_class=DurationConverter.UNIT_CLASS if minutes else None,
        unit_of_measurement=UnitOfTime.MINUTES if minutes else None,
    )


class WatchStats:
    """One person's watch statistics: a ledger in a ``Store``, imported into the recorder."""

    def __init__(self, hass: HomeAssistant, who: str, name: str, read: PlaysReader) -> None:
        """``who``: a stable id (statistic ids and the store); ``name``: shown in graphs.

        ``read(since)`` returns the plays watched since ``since`` (all of them for ``None``).
        """
        self.hass = hass
        self.who = who
        self.name = name
        self._read = read
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.stats.{statistic_slug(who)}", atomic_writes=True
        )
        self._ledger: Ledger | None = None
        self._lock = asyncio.Lock()

    async def _load(self) -> Ledger:
        if self._ledger is None:
            stored = await self._store.async_load()
            try:
                self._ledger = Ledger() if not stored else Ledger.from_dict(stored)
            except ValueError:
                _LOGGER.warning("Watch statistics of %s are unreadable; counting anew", self.name)
                self._ledger = Ledger()
        return self._ledger

    async def async_update(self) -> int:
        """Read what is new, import the hours that changed; return how many rows were imported.

        A failed read raises the client's error and changes nothing.
        """
        # One update at a time: a slow backfill must not meet the next hour's (rows twice).
        async with self._lock:
            ledger = await self._load()
            plays = await self._read(ledger.read_from())
            # Folding a backfill of 20,000 plays took 0.18 s here (benchmarks/watch_stats.py).
            ledger, imports, stored = await self.hass.async_add_executor_job(_fold, ledger, plays)
            for series, rows in imports.items():
                meta = metadata(self.who, self.name, series)
                async_add_external_statistics(self.hass, meta, rows)
            if stored is not None:
                self._ledger = ledger
                await self._store.async_save(stored)
            return sum(len(rows) for rows in imports.values())

    async def async_remove(self) -> None:
        """Forget the ledger (the account is gone); imported statistics stay in the recorder."""
        self._ledger = None
        await self._store.async_remove()


def _fold(
    ledger: Ledger, plays: list[WatchedPlay]
) -> tuple[Ledger, dict[Series, list[StatisticData]], dict[str, Any] | None]:
    """Count ``plays``: the new ledger, the rows to import per series, what to store (if new).

    A backfill imports every hour; later reads the hours from the first that changed on.
    """
    backfill = ledger.watermark is None
    counted, first = ledger.add(plays)
    imports: dict[Series, list[StatisticData]] = {}
    if first is not None:
        for series in Series:
            rows = counted.rows(series, None if backfill else first)
            if rows:
                imports[series] = [_statistic(row.start, row.state, row.sum) for row in rows]
    return counted, imports, None if counted == ledger else counted.to_dict()


def _statistic(start: float, state: float, total: float) -> StatisticData:
    return StatisticData(start=datetime.fromtimestamp(start, UTC), state=state, sum=total)


def trakt_plays(client: TraktHistory) -> PlaysReader:
    """Read a Trakt account's plays since a moment, with runtimes (``/sync/history?start_at=``)."""

    async def read(since: float | None) -> list[WatchedPlay]:
        start = None if since is None else datetime.fromtimestamp(since, UTC)
        timed = await client.history_with_runtimes(start_at=start)
        return await convert_rows(timed, _watched)

    return read


def _watched(timed: tuple[Play, int | None]) -> WatchedPlay:
    play, minutes = timed
    return WatchedPlay(
        key=canonical_key(play.item),
        kind=play.item.kind,
        watched_at=play.watched_at.timestamp(),
        minutes=minutes,
    )


class SimklReads(Protocol):
    """What statistics need of a SIMKL client."""

    async def all_items(self, *, date_from: datetime | None = None) -> SimklLibrary:
        """Titles changed since ``date_from`` (all without), with watched times and runtimes."""


class SimklPlays:
    """Read a SIMKL account's watches since a moment: ``/sync/activities`` first.

    SIMKL keeps one watch per movie (the last) and per episode, so a rewatch of an episode is
    not a new play there. A read after the backfill asks ``/sync/all-items`` only when the
    history's activity stamps moved since the last read (else it costs the one activities
    request), and then only for the titles changed from ``since`` on (``date_from``): a title
    changes when it is watched, so every play from ``since`` on is in that answer.
    """

    def __init__(self, client: SimklReads, markers: HistoryMarker) -> None:
        """``markers()``: the history's activity stamps now (``SimklSide.markers``)."""
        self._client = client
        self._markers = markers
        self._marker: str | None = None

    async def __call__(self, since: float | None) -> list[WatchedPlay]:
        """The watches since ``since`` (every one for ``None``: the backfill)."""
        marker = await self._markers()
        if since is not None and marker == self._marker:
            return []
        date_from = None if since is None else datetime.fromtimestamp(since, UTC)
        library = await self._client.all_items(date_from=date_from)
        self._marker = marker
        # Row by row, yielding to the event loop: a library holds thousands of episodes.
        per_title = await convert_rows(library.entries, SimklEntry.timed_plays)
        return await convert_rows([t for timed in per_title for t in timed], _watched)


def simkl_plays(client: SimklClient) -> SimklPlays:
    """Read a SIMKL account's watches, gated by its history's activity stamps."""
    side = SimklSide(client)

    async def marker() -> str | None:
        return (await side.markers([Feature.HISTORY]))[Feature.HISTORY]

    return SimklPlays(client, marker)


class PlexDurations:
    """A Plex server's titles' lengths in minutes, by rating key, looked up as plays need them.

    Plex's play history names a title by its key only (tests/fixtures/real/plex/
    pms_history_episode.json); its ``duration`` (milliseconds) is on the library's rows
    (pms_library_movies_legacy_imdb.json). A few unknown keys cost one ``/library/metadata``
    request each (an episode's first one also reads its show); more than ``SWEEP_AT`` (a
    backfill) sweep the movie and show sections once instead. Kept in memory, shared by the
    server's users; a title no longer in the library counts no minutes.
    """

    SWEEP_AT: Final = 10

    def __init__(self) -> None:
        """Nothing known yet."""
        self._minutes: dict[str, float | None] = {}

    async def minutes(self, server: PlexHistory, keys: Iterable[str]) -> dict[str, float | None]:
        """Each key's length in minutes on ``server`` (``None``: not known)."""
        wanted = set(keys)
        unknown = wanted - self._minutes.keys()
        if len(unknown) > self.SWEEP_AT:
            await self._sweep(server)
            self._minutes |= dict.fromkeys(unknown - self._minutes.keys())
        for key in sorted(unknown - self._minutes.keys()):
            try:
                entry = await server.metadata(key)
            except NotFoundError:
                self._minutes[key] = None
            else:
                self._minutes[key] = _plex_minutes(entry.duration_ms)
        return {key: self._minutes[key] for key in wanted}

    async def _sweep(self, server: PlexHistory) -> None:
        for section in await server.sections():
            kind = {"movie": MediaKind.MOVIE, "show": MediaKind.EPISODE}.get(section.type)
            if kind is not None:
                # Packed rows: a whole library as objects lived through the sweep, promoted
                # towards a full garbage collection; only each key's duration is kept.
                for row in await server.library_rows(section.key, kind):
                    self._minutes[row[ROW_KEY]] = _plex_minutes(row[ROW_DURATION])


def _plex_minutes(duration_ms: int | None) -> float | None:
    return duration_ms / 60_000 if duration_ms else None


def plex_plays(
    server: PlexHistory, account_id: int, durations: PlexDurations | None = None
) -> PlaysReader:
    """Read one Plex user's plays on a server since a moment (its play history)."""
    lengths = durations or PlexDurations()

    async def read(since: float | None) -> list[WatchedPlay]:
        start = None if since is None else datetime.fromtimestamp(since, UTC)
        rows = [
            row
            for row in await server.history(since=start, account_id=account_id)
            if row.kind in (MediaKind.MOVIE, MediaKind.EPISODE)
        ]
        minutes = await lengths.minutes(server, (row.rating_key for row in rows))
        return await convert_rows(rows, partial(_plex_watched, minutes))

    return read


def _plex_watched(minutes: Mapping[str, float | None], row: PlexPlay) -> WatchedPlay:
    return WatchedPlay(
        key=f"plex:{row.rating_key}",
        kind=row.kind,
        watched_at=row.viewed_at.timestamp(),
        minutes=minutes[row.rating_key],
    )


def _people(
    entry: CrosswatchConfigEntry, durations: PlexDurations | None
) -> list[tuple[str, str, PlaysReader]]:
    """(who, name, reader) per person ``entry`` counts: its Trakt/SIMKL user, its Plex users."""
    account: Any = entry.runtime_data.account
    service = entry.runtime_data.service
    if service in (Service.TRAKT, Service.SIMKL):
        user = str(entry.data.get(CONF_ACCOUNT_ID) or entry.entry_id)
        read = trakt_plays if service is Service.TRAKT else simkl_plays
        return [(f"{service.value}_{user}", entry.title, read(account.client))]
    scrobble = entry.runtime_data.scrobble
    if entry.runtime_data.service is Service.PLEX and scrobble is not None:
        return [
            (f"plex_{name}", name, plex_plays(account.server, number, durations))
            for user_id, name in scrobble.users.items()
            if (number := digits(user_id)) is not None
        ]
    return []


def async_setup_watch_stats(hass: HomeAssistant, entry: CrosswatchConfigEntry) -> None:
    """Count ``entry``'s people's plays now and every hour (only with the recorder loaded)."""
    if "recorder" not in hass.config.components:
        return
    known: dict[str, WatchStats] = {}
    # One lookup of title lengths for all of a Plex server's users.
    durations = PlexDurations() if entry.runtime_data.service is Service.PLEX else None

    async def update(_now: datetime | None = None) -> None:
        for who, name, read in _people(entry, durations):
            stats = known.get(who)
            if stats is None:
                stats = known[who] = WatchStats(hass, who, name, read)
            try:
                await stats.async_update()
            except CrosswatchApiError as err:
                _LOGGER.debug("Watch statistics of %s not updated: %s", name, err)

    entry.async_on_unload(
        async_track_time_interval(hass, update, UPDATE_INTERVAL, name=f"{DOMAIN} watch statistics")
    )
    entry.async_create_background_task(hass, update(), f"{DOMAIN} watch statistics")
