"""Writer of CrossWatch's schema: a ZIP of history, ratings and watchlist, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from ..api.models import Play, Rating, WatchlistEntry
from .schema import FORMAT_NAME, FORMAT_VERSION, SCHEMA_COLUMNS, ids_to_text, record_of_item

type ExportFormat = Literal["json", "csv"]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def history_records(plays: Iterable[Play]) -> list[dict[str, Any]]:
    """One schema row per play, oldest first."""
    return [
        {**record_of_item(play.item), "watched_at": _iso(play.watched_at)}
        for play in sorted(plays, key=lambda play: play.watched_at)
    ]


def rating_records(ratings: Iterable[Rating]) -> list[dict[str, Any]]:
    """One schema row per rating."""
    return [
        {**record_of_item(r.item), "rating": r.rating, "rated_at": _iso(r.rated_at)}
        for r in ratings
    ]


def watchlist_records(entries: Iterable[WatchlistEntry]) -> list[dict[str, Any]]:
    """One schema row per watchlist entry."""
    return [{**record_of_item(e.item), "listed_at": _iso(e.listed_at)} for e in entries]


def _json(rows: list[dict[str, Any]]) -> bytes:
    body = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "rows": rows}
    return json.dumps(body, ensure_ascii=False, indent=1).encode()


def _csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=SCHEMA_COLUMNS, extrasaction="raise")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return out.getvalue().encode()


def _cell(value: object) -> object:
    if isinstance(value, Mapping):
        return ids_to_text(value)
    return "" if value is None else value


def write_export_zip(
    *,
    plays: Iterable[Play],
    ratings: Iterable[Rating],
    watchlist: Iterable[WatchlistEntry],
    fmt: ExportFormat = "json",
) -> bytes:
    """A ZIP with ``history``, ``ratings`` and ``watchlist`` files in CrossWatch's schema."""
    encode = _json if fmt == "json" else _csv
    parts = {
        "history": history_records(plays),
        "ratings": rating_records(ratings),
        "watchlist": watchlist_records(watchlist),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in parts.items():
            archive.writestr(f"{name}.{fmt}", encode(rows))
    return buffer.getvalue()
