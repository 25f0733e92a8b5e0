"""CrossWatch's own export schema: one row per play, rating or watchlist entry.

Columns: ``kind`` (movie, show, season, episode), ``ids``, ``title``, ``year``, ``season``,
``episode``, ``episode_ids``, ``watched_at``, ``rating``, ``rated_at``, ``listed_at``. For a
season or an episode, ``ids``/``title``/``year`` are its show's and ``episode_ids`` the episode's
own. In CSV, ids read ``imdb:tt0133093;tmdb:603``; in JSON they are an object. Times are ISO 8601
in UTC; ratings are on the 1-10 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..api.ids import digits, normalize_ids
from ..api.models import ItemRow, MediaItem, MediaKind, id_pairs

SCHEMA_COLUMNS = (
    "kind",
    "ids",
    "title",
    "year",
    "season",
    "episode",
    "episode_ids",
    "watched_at",
    "rating",
    "rated_at",
    "listed_at",
)
FORMAT_NAME = "crosswatch-history"
FORMAT_VERSION = 1


def ids_to_text(ids: Mapping[str, str]) -> str:
    """``imdb:tt0133093;tmdb:603`` (sorted, so a file's text does not depend on dict order)."""
    return ";".join(f"{key}:{value}" for key, value in sorted(ids.items()))


def ids_from_text(text: str, column: str) -> dict[str, str]:
    """The inverse of ``ids_to_text``; a part without ``type:value`` is an error."""
    ids: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.strip().partition(":")
        if not sep or not key or not value:
            raise ValueError(f"{column}: not type:value: {part.strip()!r}")
        ids[key.strip().casefold()] = value.strip()
    return ids


def _ids(value: object, column: str) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, Mapping):
        return normalize_ids(value)
    if isinstance(value, str):
        return normalize_ids(ids_from_text(value, column))
    raise ValueError(f"{column}: not ids: {value!r}")


def _int(value: object, column: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and (number := digits(value)) is not None:
        return number
    raise ValueError(f"{column}: not a whole number: {value!r}")


def item_from_record(row: Mapping[str, Any]) -> MediaItem:
    """The item a schema row names; ``ValueError("column: reason")`` when it names none."""
    try:
        kind = MediaKind(str(row.get("kind") or "").strip().casefold())
    except ValueError:
        raise ValueError(f"kind: not movie, show, season or episode: {row.get('kind')!r}") from None
    ids = _ids(row.get("ids"), "ids")
    title = str(row.get("title") or "").strip() or None
    year = _int(row.get("year"), "year")
    if kind in (MediaKind.MOVIE, MediaKind.SHOW):
        if not ids and not title:
            raise ValueError("ids: neither ids nor a title")
        return MediaItem(kind=kind, ids=ids, title=title, year=year)
    season = _int(row.get("season"), "season")
    if season is None:
        raise ValueError(f"season: a {kind.value} needs its season number")
    number = _int(row.get("episode"), "episode")
    if kind is MediaKind.EPISODE and number is None:
        raise ValueError("episode: an episode needs its number")
    own = _ids(row.get("episode_ids"), "episode_ids") if kind is MediaKind.EPISODE else {}
    if not ids and not own:
        raise ValueError("ids: an episode or season needs its show's ids")
    return MediaItem(
        kind=kind,
        ids=own,
        year=year,
        show_ids=ids,
        show_title=title,
        season=season,
        number=number if kind is MediaKind.EPISODE else None,
    )


def record_of_item(item: ItemRow) -> dict[str, Any]:
    """The identifying columns of a schema row for a packed item (ids as an object)."""
    kind, ids, title, year, show_ids, show_title, season, number = item
    if kind in (MediaKind.MOVIE, MediaKind.SHOW):
        return {"kind": kind, "ids": dict(id_pairs(ids)), "title": title, "year": year}
    record: dict[str, Any] = {
        "kind": kind,
        "ids": dict(id_pairs(show_ids)),
        "title": show_title,
        "year": year,
        "season": season,
    }
    if kind == MediaKind.EPISODE:
        record["episode"] = number
        record["episode_ids"] = dict(id_pairs(ids))
    return record
