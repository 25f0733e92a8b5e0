"""Up next: the next unwatched episode of each show in progress, kept up to date cheaply.

Trakt: ``GET /shows/{id}/progress/watched`` names ``next_episode`` (null when nothing aired is
left; tests/fixtures/real/trakt/shows_progress_watched.json). Reading it for every show on every
poll would cost one request per show, so ``TraktUpNext`` re-reads only the shows whose
``last_watched_at`` moved in ``GET /sync/watched/shows?extended=noseasons``, and that list only
when the account's ``episodes.watched_at`` activity stamp moved.

SIMKL: ``next_to_watch`` (``"S01E02"``; ``"E01"`` for anime; ``null`` when done) on
``GET /sync/all-items`` rows (tests/fixtures/real/simkl/all_items.json), read with ``date_from``
when the account's list stamps moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final

from ..api.ids import normalize_ids
from ..api.models import MediaItem, MediaKind
from ..api.wire import parse_time
from .calendar import episode_label, simkl_show_rows

# How many shows the sensor lists; also how many progress reads a first fill may spend.
DEFAULT_LIMIT: Final = 10
FIRST_FILL_READS: Final = 25
_NEXT = re.compile(r"^(?:S(\d+))?E(\d+)$", re.IGNORECASE)
# SIMKL's images go through wsrv.nl (its "Images" section); ``_m`` is the 340 px wide poster.
SIMKL_POSTER: Final = "https://wsrv.nl/?url=https://simkl.in/posters/{path}_m.webp"


def simkl_poster_url(path: str | None) -> str | None:
    """The URL of a SIMKL poster path (``"51/5152376528f644b91"``)."""
    return SIMKL_POSTER.format(path=path) if path else None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpNext:
    """The next episode to watch of one show."""

    show: MediaItem
    season: int
    number: int
    title: str | None = None
    episode_ids: Mapping[str, str] = field(default_factory=dict)
    last_watched_at: datetime | None = None
    poster: str | None = None  # SIMKL's poster URL; Trakt gives none (the glue asks TMDb)

    @property
    def label(self) -> str:
        """``Show S02E05``: the sensor's state."""
        return episode_label(self.show.title, self.season, self.number)

    def episode(self) -> MediaItem:
        """The episode as an item (for Plex look-ups and play next)."""
        return self.show.episode(
            self.season, self.number, ids=dict(self.episode_ids), title=self.title
        )

    def attributes(self) -> dict[str, Any]:
        """One short entry of the sensor's list."""
        return {
            "show": self.show.title,
            "season": self.season,
            "episode": self.number,
            "title": self.title,
            "label": self.label,
            "ids": dict(self.show.ids),
            "episode_ids": dict(self.episode_ids),
            "poster": self.poster,
            "last_watched_at": self.last_watched_at.isoformat() if self.last_watched_at else None,
        }


def _obj(row: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def ordered(entries: Iterable[UpNext], limit: int = DEFAULT_LIMIT) -> list[UpNext]:
    """Most recently watched shows first."""
    return sorted(entries, key=lambda e: (_stamp(e.last_watched_at), e.label), reverse=True)[:limit]


def _stamp(when: datetime | None) -> float:
    return when.timestamp() if when is not None else float("-inf")


# -- Trakt ---------------------------------------------------------------------------------------
def show_from_watched_row(row: object) -> tuple[str, MediaItem, datetime | None] | None:
    """``(trakt id, show, last_watched_at)`` of a ``/sync/watched/shows`` row."""
    if not isinstance(row, Mapping):
        return None
    show = _obj(row, "show")
    ids = normalize_ids(_obj(show, "ids"))
    if "trakt" not in ids:
        return None
    item = MediaItem(
        kind=MediaKind.SHOW,
        ids=ids,
        title=_text(show.get("title")),
        year=_int(show.get("year")),
    )
    return ids["trakt"], item, parse_time(row.get("last_watched_at"))


def from_trakt_progress(
    show: MediaItem, body: object, last_watched_at: datetime | None
) -> UpNext | None:
    """The show's next episode from its watched progress; ``None`` when there is none."""
    nxt = _obj(body, "next_episode") if isinstance(body, Mapping) else {}
    season, number = _int(nxt.get("season")), _int(nxt.get("number"))
    if season is None or number is None:
        return None
    return UpNext(
        show=show,
        season=season,
        number=number,
        title=_text(nxt.get("title")),
        episode_ids=normalize_ids(_obj(nxt, "ids")),
        last_watched_at=last_watched_at,
    )


@dataclass(slots=True)
class TraktUpNext:
    """What the sensor knows between polls, and which shows a poll must re-read.

    ``seen`` maps each show (trakt id) to the ``last_watched_at`` its progress was read at;
    ``entries`` holds the shows that have a next episode.
    """

    limit: int = DEFAULT_LIMIT
    first_fill_reads: int = FIRST_FILL_READS
    marker: str | None = None
    seen: dict[str, datetime | None] = field(default_factory=dict)
    entries: dict[str, UpNext] = field(default_factory=dict)

    def needs_list(self, marker: str | None) -> bool:
        """Whether the watched-shows list must be read: the activity stamp moved (or first run)."""
        return marker is None or marker != self.marker

    def to_read(self, rows: Sequence[object]) -> list[tuple[str, MediaItem, datetime | None]]:
        """Shows whose progress must be read now, most recently watched first.

        Known shows are re-read only when their ``last_watched_at`` moved. The first fill reads
        the most recent shows, enough to fill the list twice (at most ``first_fill_reads``); the
        older ones are taken as seen, so they are read again only once they are watched again.
        """
        shows = [s for row in rows if (s := show_from_watched_row(row)) is not None]
        shows.sort(key=lambda s: _stamp(s[2]), reverse=True)
        if self.seen:
            return [s for s in shows if s[0] not in self.seen or self.seen[s[0]] != s[2]]
        first = shows[: min(self.first_fill_reads, max(self.limit, 0) * 2)]
        for key, _, at in shows[len(first) :]:
            self.seen[key] = at
        return first

    def forget_missing(self, rows: Sequence[object]) -> None:
        """Drop shows that left the watched list (their history was removed)."""
        present = {s[0] for row in rows if (s := show_from_watched_row(row)) is not None}
        for key in [k for k in self.seen if k not in present]:
            self.seen.pop(key, None)
            self.entries.pop(key, None)

    def record(self, key: str, entry: UpNext | None, last_watched_at: datetime | None) -> None:
        """Keep one show's answer."""
        self.seen[key] = last_watched_at
        if entry is None:
            self.entries.pop(key, None)
        else:
            self.entries[key] = entry

    def listed(self) -> list[UpNext]:
        """The sensor's list."""
        return ordered(self.entries.values(), self.limit)


# -- SIMKL ---------------------------------------------------------------------------------------
def parse_next_to_watch(value: object) -> tuple[int, int] | None:
    """``"S01E02"`` → (1, 2); ``"E01"`` (anime, one season) → (1, 1); anything else → None."""
    if not isinstance(value, str):
        return None
    match = _NEXT.match(value.strip())
    if match is None:
        return None
    return int(match.group(1) or 1), int(match.group(2))


def simkl_rows(body: object) -> dict[str, UpNext | None]:
    """Each show/anime row by its simkl id: its next episode, or ``None`` when it has none.

    A row that is not ``watching`` (moved to completed, on hold, dropped) has none either, so a
    ``date_from`` answer both adds and removes entries.
    """
    out: dict[str, UpNext | None] = {}
    for found in simkl_show_rows(body):
        nxt = parse_next_to_watch(found.row.get("next_to_watch"))
        key = found.show.ids["simkl"]
        out[key] = (
            None
            if not found.watching or nxt is None
            else UpNext(
                show=found.show,
                season=nxt[0],
                number=nxt[1],
                last_watched_at=parse_time(found.row.get("last_watched_at")),
                poster=simkl_poster_url(found.poster),
            )
        )
    return out


def merge_simkl[T](
    entries: Mapping[str, T], changed: Mapping[str, T | None], *, full: bool
) -> dict[str, T]:
    """Apply a read: ``full`` replaces everything, a ``date_from`` read updates what it lists."""
    merged = {} if full else dict(entries)
    for key, entry in changed.items():
        if entry is None:
            merged.pop(key, None)
        else:
            merged[key] = entry
    return merged


def with_poster(entry: UpNext, poster: str | None) -> UpNext:
    """The entry with a poster URL filled in (the glue's TMDb look-up)."""
    return replace(entry, poster=poster) if poster else entry
