"""Wire conversions shared by the Trakt and SIMKL clients: timestamps, ids, result counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .models import WriteResult

# Trakt/SIMKL want integers for these id types (imdb and slug stay strings).
INTEGER_ID_TYPES = frozenset({"trakt", "tmdb", "tvdb", "simkl", "mal", "anidb"})


def parse_time(value: object) -> datetime | None:
    """Parse ``2014-09-01T09:10:11.000Z`` / ``…Z`` / offsets / epoch seconds; ``None`` if odd."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_ms(when: datetime) -> str:
    """Trakt's form: ``2014-09-01T09:10:11.000Z``."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def iso_s(when: datetime) -> str:
    """SIMKL's form: ``2014-09-01T09:10:11Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_ids(ids: Mapping[str, str], allowed: Iterable[str]) -> dict[str, str | int]:
    """Our string ids → a service's ``ids`` object (integers where the service wants them)."""
    out: dict[str, str | int] = {}
    for key in allowed:
        value = ids.get(key)
        if not value:
            continue
        if key in INTEGER_ID_TYPES:
            if value.isdigit():
                out[key] = int(value)
        else:
            out[key] = value
    return out


def count(value: object) -> int:
    """Count a result field: a number, a list of items, or a per-kind mapping of either."""
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, list):
        return len(value)
    if isinstance(value, Mapping):
        # SIMKL puts per-item ``statuses`` beside the counts; they are not more items.
        return sum(count(v) for k, v in value.items() if k != "statuses")
    return 0


def write_result(body: Any) -> WriteResult:
    """Sum ``added/existing/updated/deleted/not_found`` of a Trakt or SIMKL write answer."""
    data = body if isinstance(body, Mapping) else {}
    not_found = data.get("not_found")
    return WriteResult(
        added=count(data.get("added")),
        existing=count(data.get("existing")),
        updated=count(data.get("updated")),
        deleted=count(data.get("deleted")),
        not_found=count(not_found),
        not_found_ids=[
            dict(entry["ids"])
            for entries in (not_found.values() if isinstance(not_found, Mapping) else ())
            if isinstance(entries, list)
            for entry in entries
            if isinstance(entry, Mapping) and isinstance(entry.get("ids"), Mapping)
        ],
        batches=1,
    )
