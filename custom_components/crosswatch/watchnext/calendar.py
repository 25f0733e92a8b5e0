"""Calendar events from Trakt's "my" calendars and SIMKL's episode lists, and their cache.

Trakt: ``GET /calendars/my/shows/{start_date}/{days}`` (``first_aired`` + episode + show; with
``extended=full`` the episode carries ``overview`` and ``runtime``) and
``GET /calendars/my/movies/{start_date}/{days}`` (``released`` is a date without a time).
Real examples (tests/fixtures/real/trakt/): calendars_my_{shows,movies}.json,
episode_extended_full.json. Trakt answers at most 33 days per read.

SIMKL has no per-user calendar with a documented body, but documents each show's episode list
(``GET /tv/episodes/{id}``, ``/anime/episodes/{id}``: ``date``, ``aired``, ``type``; anime rows
have no season; tests/fixtures/real/simkl/{tv,anime}_episodes.json) and, on the account's
watching rows, how many episodes have not aired (``not_aired_episodes_count``): the calendar
reads the lists of the shows that still have some. Films: ``GET /ratings/movies`` gives each
planned film's ``release_status`` and ``GET /movies/{id}?extended=full`` its ``released`` day
(ratings_by_watchlist.json, movie_summary_full.json).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from ..api.ids import normalize_ids
from ..api.models import MediaItem, MediaKind
from ..api.wire import parse_time
from ..providers.simkl.client import simkl_ids

MAX_DAYS: Final = 33  # Trakt's limit per calendar read
# An episode whose runtime the row does not give still needs an end; most TV hours are this long.
DEFAULT_RUNTIME_MINUTES: Final = 60
SEPARATOR: Final = " · "


@dataclass(frozen=True, slots=True, kw_only=True)
class Upcoming:
    """One calendar entry: an episode airing (timed) or a movie's release day (all day)."""

    uid: str
    item: MediaItem
    summary: str
    start: datetime | date
    end: datetime | date
    description: str = ""

    @property
    def all_day(self) -> bool:
        """Whether the entry is a whole day (a release date) rather than an air time."""
        return not isinstance(self.start, datetime)

    def span(self) -> tuple[datetime, datetime]:
        """Start and end as UTC datetimes (a day runs from midnight to midnight UTC)."""
        return _as_datetime(self.start), _as_datetime(self.end)


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def _obj(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def episode_label(show: str | None, season: int | None, number: int | None) -> str:
    """``Show S01E02`` (the show alone when the numbers are unknown)."""
    name = show or "?"
    if season is None or number is None:
        return name
    return f"{name} S{season:02d}E{number:02d}"


def episode_summary(
    show: str | None, season: int | None, number: int | None, title: str | None
) -> str:
    """``Show S01E02 · Episode title`` (without the title when there is none)."""
    label = episode_label(show, season, number)
    return f"{label}{SEPARATOR}{title}" if title else label


def ids_line(ids: Mapping[str, str]) -> str:
    """``imdb: tt…, tmdb: …`` in a fixed order, for an event's description."""
    order = ("trakt", "imdb", "tmdb", "tvdb", "simkl")
    return ", ".join(f"{key}: {ids[key]}" for key in order if key in ids)


def _description(overview: str | None, ids: Mapping[str, str]) -> str:
    parts = [text for text in (overview, ids_line(ids)) if text]
    return "\n\n".join(parts)


def upcoming_episodes(
    rows: Iterable[object], default_runtime: int = DEFAULT_RUNTIME_MINUTES
) -> list[Upcoming]:
    """Parse calendar show rows; rows without an air time or episode numbers are skipped."""
    out: list[Upcoming] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        start = parse_time(row.get("first_aired"))
        show, episode = _obj(row, "show"), _obj(row, "episode")
        season, number = _int(episode.get("season")), _int(episode.get("number"))
        if start is None or season is None or number is None:
            continue
        show_ids, ids = normalize_ids(_obj(show, "ids")), normalize_ids(_obj(episode, "ids"))
        show_title, title = _text(show.get("title")), _text(episode.get("title"))
        runtime = _int(episode.get("runtime")) or default_runtime
        item = MediaItem(
            kind=MediaKind.EPISODE,
            ids=ids,
            title=title,
            year=_int(show.get("year")),
            show_ids=show_ids,
            show_title=show_title,
            season=season,
            number=number,
        )
        key = ids.get("trakt") or f"{show_ids.get('trakt', show_title)}:{season}:{number}"
        out.append(
            Upcoming(
                uid=f"episode-{key}",
                item=item,
                summary=episode_summary(show_title, season, number, title),
                start=start,
                end=start + timedelta(minutes=runtime),
                description=_description(_text(episode.get("overview")), ids or show_ids),
            )
        )
    return out


def upcoming_movies(rows: Iterable[object]) -> list[Upcoming]:
    """Parse calendar movie rows into all-day entries (``released`` is ``YYYY-MM-DD``)."""
    out: list[Upcoming] = []
    for row in rows:
        if not isinstance(row, Mapping):
            continue
        movie = _obj(row, "movie")
        ids = normalize_ids(_obj(movie, "ids"))
        entry = _release(movie, ids, row.get("released"), ids.get("trakt"))
        if entry is not None:
            out.append(entry)
    return out


def simkl_release(summary: Mapping[str, Any]) -> Upcoming | None:
    """A SIMKL film summary (``extended=full``) as its release day; ``None`` without one."""
    ids = simkl_ids(_obj(summary, "ids"))
    return _release(summary, ids, summary.get("released"), ids.get("simkl"))


def _release(
    movie: Mapping[str, Any], ids: Mapping[str, str], released: object, key: str | None
) -> Upcoming | None:
    """A film's release day as an all-day entry (``released`` is ``YYYY-MM-DD``)."""
    text = _text(released)
    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        day = None
    title = _text(movie.get("title"))
    if day is None or title is None:
        return None
    year = _int(movie.get("year"))
    return Upcoming(
        uid=f"movie-{key or title}-{day.isoformat()}",
        item=MediaItem(kind=MediaKind.MOVIE, ids=ids, title=title, year=year),
        summary=f"{title} ({year})" if year else title,
        start=day,
        end=day + timedelta(days=1),
        description=_description(_text(movie.get("overview")), ids),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowedShow:
    """A show or anime a SIMKL account is watching, as its calendar needs it."""

    show: MediaItem
    anime: bool
    unaired: int  # ``not_aired_episodes_count``
    runtime: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SimklShowRow:
    """One show or anime row of SIMKL's ``/sync/all-items``, with its show as an item."""

    row: Mapping[str, Any]
    show: MediaItem
    anime: bool
    watching: bool
    poster: str | None
    runtime: int | None


def simkl_show_rows(body: object) -> Iterator[SimklShowRow]:
    """The show and anime rows of an all-items answer that name a simkl id (films left out)."""
    data = body if isinstance(body, Mapping) else {}
    for section in ("shows", "anime"):
        for row in data.get(section) or ():
            if not isinstance(row, Mapping) or row.get("anime_type") == "movie":
                continue
            show = _obj(row, "show")
            ids = simkl_ids(_obj(show, "ids"))
            if "simkl" not in ids:
                continue
            yield SimklShowRow(
                row=row,
                show=MediaItem(
                    kind=MediaKind.SHOW,
                    ids=ids,
                    title=_text(show.get("title")),
                    year=_int(show.get("year")),
                ),
                anime=section == "anime",
                watching=row.get("status") == "watching",
                poster=_text(show.get("poster")),
                runtime=_int(show.get("runtime")),
            )


def simkl_followed(body: object) -> dict[str, FollowedShow | None]:
    """Watching rows by simkl id; ``None`` for a row in another list (a ``date_from`` read)."""
    return {
        found.show.ids["simkl"]: FollowedShow(
            show=found.show,
            anime=found.anime,
            unaired=_int(found.row.get("not_aired_episodes_count")) or 0,
            runtime=found.runtime,
        )
        if found.watching
        else None
        for found in simkl_show_rows(body)
    }


def simkl_upcoming(
    followed: FollowedShow, rows: Iterable[object], since: datetime
) -> list[Upcoming]:
    """The episodes of one SIMKL episode list that end after ``since`` (specials left out)."""
    out: list[Upcoming] = []
    show = followed.show
    runtime = followed.runtime or DEFAULT_RUNTIME_MINUTES
    for row in rows:
        if not isinstance(row, Mapping) or row.get("type") != "episode":
            continue
        start, number = parse_time(row.get("date")), _int(row.get("episode"))
        if start is None or number is None or start + timedelta(minutes=runtime) <= since:
            continue
        season = 1 if followed.anime else _int(row.get("season"))  # anime: one season, as SIMKL
        if season is None:
            continue
        own = _obj(row, "ids").get("simkl_id")
        ids = {"simkl": str(own)} if isinstance(own, int | str) and str(own) else {}
        title = _text(row.get("title"))
        key = ids.get("simkl") or f"{show.ids['simkl']}:{season}:{number}"
        out.append(
            Upcoming(
                uid=f"simkl-episode-{key}",
                item=show.episode(season, number, ids=ids, title=title),
                summary=episode_summary(show.title, season, number, title),
                start=start,
                end=start + timedelta(minutes=runtime),
                description=_description(_text(row.get("description")), show.ids),
            )
        )
    return out


@dataclass(slots=True)
class CalendarCache:
    """Entries of the days read so far, and which days those are.

    The poll reads one window (``replace``); a view of other days costs at most one bounded read
    (``read_for`` says which), whose answer ``store`` adds.
    """

    spans: list[tuple[date, date]] = field(default_factory=list)  # [start, end) days, merged
    entries: dict[str, Upcoming] = field(default_factory=dict)
    read_at: datetime | None = None

    def replace(self, start: date, days: int, entries: Iterable[Upcoming], now: datetime) -> None:
        """Forget everything and keep one fresh window (the regular poll)."""
        self.spans, self.entries, self.read_at = [], {}, now
        self.store(start, days, entries)

    def store(self, start: date, days: int, entries: Iterable[Upcoming]) -> None:
        """Add one read window's answer; entries it no longer lists in that window are dropped."""
        end = start + timedelta(days=days)
        window = (_as_datetime(start), _as_datetime(end))
        for uid, entry in list(self.entries.items()):
            if window[0] <= entry.span()[0] < window[1]:
                del self.entries[uid]
        for entry in entries:
            self.entries[entry.uid] = entry
        self.spans = _merge([*self.spans, (start, end)])

    def covers(self, start: date, end: date) -> bool:
        """Whether every day in ``[start, end)`` has been read."""
        return self.read_for(start, end) is None

    def read_for(self, start: date, end: date) -> tuple[date, int] | None:
        """The one read (first day, number of days, at most 33) that helps a view of these days.

        ``None`` when all of them are cached. Only the first gap is read: a view of months is
        answered for the part read, never with a burst of requests.
        """
        day = start
        for span_start, span_end in self.spans:
            if span_end <= day:
                continue
            if span_start > day:
                break
            day = span_end
        if day >= end:
            return None
        gap_end = next((s for s, _ in self.spans if s > day), end)
        return day, max(1, min(MAX_DAYS, (min(gap_end, end) - day).days))

    def between(self, start: datetime, end: datetime) -> list[Upcoming]:
        """Entries overlapping ``[start, end)``, by start time."""
        found = [e for e in self.entries.values() if e.span()[0] < end and e.span()[1] > start]
        return sorted(found, key=lambda e: (e.span()[0], e.summary))

    def current_or_next(self, now: datetime) -> Upcoming | None:
        """The entry on now, else the next one to start (what the calendar entity's state shows)."""
        ahead = [e for e in self.entries.values() if e.span()[1] > now]
        return min(ahead, key=lambda e: (e.span()[0], e.summary), default=None)


def _merge(spans: Sequence[tuple[date, date]]) -> list[tuple[date, date]]:
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def poll_window(now: datetime, days: int = MAX_DAYS) -> tuple[date, int]:
    """The regular read: from yesterday (an episode airing late yesterday may still run) on."""
    return (now.astimezone(UTC).date() - timedelta(days=1), days)
