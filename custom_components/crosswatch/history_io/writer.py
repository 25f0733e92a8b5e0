"""Writer of CrossWatch's schema: a ZIP of history, ratings and watchlist, as JSON or CSV.

It writes from an account's inventories as they are kept (packed rows): each schema row is built
and encoded on its own and let go of, so a large account's export never holds tens of thousands
of row objects at once (they would be promoted towards a full garbage collection).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Mapping
from typing import Any, Literal

from ..api.models import Feature
from ..sync.inventory import Inventory, from_timestamp, row_plays
from .schema import FORMAT_NAME, FORMAT_VERSION, SCHEMA_COLUMNS, ids_to_text, record_of_item

type ExportFormat = Literal["json", "csv"]
# The file each feature is written to (without its extension), in the ZIP's order.
FILES = {Feature.HISTORY: "history", Feature.RATINGS: "ratings", Feature.WATCHLIST: "watchlist"}


def _iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return from_timestamp(seconds).isoformat().replace("+00:00", "Z")


def history_records(history: Inventory) -> Iterator[dict[str, Any]]:
    """One schema row per play, oldest first."""
    rows = history.rows
    for moment, key in sorted((t, key) for key, row in rows.items() for t in row_plays(row)):
        yield {**record_of_item(rows[key][0]), "watched_at": _iso(moment)}


def rating_records(ratings: Inventory) -> Iterator[dict[str, Any]]:
    """One schema row per rated title."""
    for item, _, _, rating, rated_at in ratings.rows.values():
        if rating is not None:
            yield {**record_of_item(item), "rating": rating, "rated_at": _iso(rated_at)}


def watchlist_records(watchlist: Inventory) -> Iterator[dict[str, Any]]:
    """One schema row per watchlist entry."""
    for item, listed_at, *_ in watchlist.rows.values():
        yield {**record_of_item(item), "listed_at": _iso(listed_at)}


def export_counts(inventories: Mapping[Feature, Inventory]) -> dict[str, int]:
    """How many schema rows each file of the export holds (by file name)."""
    counts = dict.fromkeys(FILES.values(), 0)
    for feature, inventory in inventories.items():
        if feature is Feature.RATINGS:
            counts[FILES[feature]] = sum(row[3] is not None for row in inventory.rows.values())
        elif feature in FILES:
            counts[FILES[feature]] = inventory.size
    return counts


def _json(rows: Iterator[dict[str, Any]]) -> bytes:
    # One row per line, each encoded alone (the rows are never all held at once).
    head = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION})[:-1]
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return f'{head}, "rows": [\n{lines}\n]}}\n'.encode()


def _csv(rows: Iterator[dict[str, Any]]) -> bytes:
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


def write_export_zip(inventories: Mapping[Feature, Inventory], fmt: ExportFormat = "json") -> bytes:
    """A ZIP with ``history``, ``ratings`` and ``watchlist`` files in CrossWatch's schema.

    A feature not in ``inventories`` is written as an empty file.
    """
    encode = _json if fmt == "json" else _csv
    empty = {feature: Inventory(feature) for feature in FILES}
    parts = {
        "history": history_records(inventories.get(Feature.HISTORY, empty[Feature.HISTORY])),
        "ratings": rating_records(inventories.get(Feature.RATINGS, empty[Feature.RATINGS])),
        "watchlist": watchlist_records(
            inventories.get(Feature.WATCHLIST, empty[Feature.WATCHLIST])
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, rows in parts.items():
            archive.writestr(f"{name}.{fmt}", encode(rows))
    return buffer.getvalue()
