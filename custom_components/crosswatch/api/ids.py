"""Service id maps and one stable key per item (Plex GUIDs: ``providers/plex/ids.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .models import MediaItem

# Strongest first: tmdb is kind-scoped (keys are prefixed with the kind), imdb is global.
KEY_PRIORITY = ("tmdb", "imdb", "tvdb", "trakt", "simkl", "plex")


def normalize_ids(mapping: Mapping[str, Any] | None) -> dict[str, str]:
    """Service id maps → strings; drop nulls, empties, booleans and nested values."""
    ids: dict[str, str] = {}
    for key, value in (mapping or {}).items():
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            ids[key] = str(value)
        elif isinstance(value, str) and value.strip():
            ids[key] = value.strip()
    return ids


def _first_key(ids: Mapping[str, str]) -> str | None:
    for id_type in KEY_PRIORITY:
        value = ids.get(id_type)
        if value:
            return f"{id_type}:{value}"
    return None


def canonical_key(item: MediaItem) -> str:
    """One stable key per item, scoped by kind (tmdb ids are only unique within a kind).

    Episodes (and seasons) without an own id are keyed by their show's key plus season/number.
    Items with no strong id at all fall back to ``title|year`` marked as weak (``~``).
    """
    own = _first_key(item.ids)
    if own is not None:
        return f"{item.kind}:{own}"
    show = _first_key(item.show_ids)
    if show is not None and item.season is not None:
        suffix = f"s{item.season}" + (f"e{item.number}" if item.number is not None else "")
        return f"{item.kind}:show:{show}:{suffix}"
    title = (item.title or "").strip().casefold()
    return f"{item.kind}:~{title}|{item.year or ''}"


# The longest number ``digits`` reads: ids and counts fit in 18 digits (a 64-bit integer).
MAX_DIGITS: Final = 18


def digits(text: str) -> int | None:
    """The number a string of ASCII digits spells (``None`` for anything else).

    ``str.isdigit`` alone lets "²" and other Unicode digits through, which ``int`` refuses, and
    a string of thousands of digits makes ``int`` refuse too: one odd field would fail a read.
    """
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return None
