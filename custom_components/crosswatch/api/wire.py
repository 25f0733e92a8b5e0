"""Wire conversions shared by the Trakt and SIMKL clients: timestamps, ids, result counts."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from .ids import digits
from .models import ScrobbleResult, WriteResult

if TYPE_CHECKING:
    from .http import ServiceHttp
    from .models import MediaItem, Rating

    type WireEntry = tuple[MediaItem, Mapping[str, Any]]

# Items per Trakt/SIMKL sync write.
WRITE_BATCH: Final = 100
ALREADY_SCROBBLED: Final = 409

# Trakt/SIMKL want integers for these id types (imdb and slug stay strings).
INTEGER_ID_TYPES = frozenset({"trakt", "tmdb", "tvdb", "simkl", "mal", "anidb"})


def parse_time(value: object) -> datetime | None:
    """Parse ``2014-09-01T09:10:11.000Z`` / ``…Z`` / offsets / epoch seconds; ``None`` if odd."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except OverflowError, OSError, ValueError:  # NaN, infinities, beyond year 9999
            return None
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


def as_list(value: object) -> list[Any]:
    """``value`` if it is a list, else an empty one (a malformed row lists nothing)."""
    return value if isinstance(value, list) else []


def activity_stamp(activities: Mapping[str, Any], group: str, key: str) -> str | None:
    """``activities[group][key]`` of a Trakt/SIMKL activities answer as text; ``None`` if absent."""
    section = activities.get(group)
    stamp = section.get(key) if isinstance(section, Mapping) else None
    return None if stamp is None else str(stamp)


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
            if (number := digits(value)) is not None:
                out[key] = number
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


def rating_entries(ratings: Iterable[Rating], stamp: Callable[[datetime], str]) -> list[WireEntry]:
    """``/sync/ratings`` rows: the rating, and ``rated_at`` (in the service's format) if known."""
    entries: list[WireEntry] = []
    for rating in ratings:
        extra: dict[str, Any] = {"rating": rating.rating}
        if rating.rated_at is not None:
            extra["rated_at"] = stamp(rating.rated_at)
        entries.append((rating.item, extra))
    return entries


async def write_in_batches(
    http: ServiceHttp,
    path: str,
    entries: Sequence[WireEntry],
    payload: Callable[[Sequence[WireEntry]], Mapping[str, Any]],
    *,
    idempotent: bool = True,
) -> WriteResult:
    """POST ``entries`` to a ``/sync`` path in batches; a batch with nothing to send is skipped."""
    result = WriteResult()
    for start in range(0, len(entries), WRITE_BATCH):
        body = payload(entries[start : start + WRITE_BATCH])
        if not body:
            continue
        answer = await http.post(path, route=f"POST {path}", json_body=body, idempotent=idempotent)
        result.merge(write_result(answer))
    return result


async def post_scrobble(
    http: ServiceHttp, action: str, body: Mapping[str, Any]
) -> tuple[Mapping[str, Any], ScrobbleResult]:
    """POST ``/scrobble/<action>``: the answer's body and what it says (a 409 is a success).

    The result carries no item: each service names the scrobbled title its own way.
    """
    response = await http.request(
        "POST",
        f"/scrobble/{action}",
        route=f"POST /scrobble/{action}",
        json_body=body,
        allow=(ALREADY_SCROBBLED,),
    )
    data = response.data if isinstance(response.data, Mapping) else {}
    if response.status == ALREADY_SCROBBLED:
        return data, ScrobbleResult(
            action="scrobble",
            already_scrobbled=True,
            watched_at=parse_time(data.get("watched_at")),
            expires_at=parse_time(data.get("expires_at")),
        )
    progress = data.get("progress")
    history_id = data.get("id")
    return data, ScrobbleResult(
        action=str(data.get("action", action)),
        progress=float(progress) if isinstance(progress, int | float) else None,
        history_id=history_id if type(history_id) is int else None,
    )
