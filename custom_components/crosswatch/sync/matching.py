"""Decide whether two items are the same title.

Two items are the same when any strong id agrees for the same kind (tmdb ids are only unique
within a kind, so every key carries the kind). Episodes also match by their show's id plus season
and number. Title+year is a last resort: such a match is reported as ``WEAK`` and the planner never
removes anything on its strength.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from custom_components.crosswatch.api.models import STRONG_ID_TYPES, MediaItem, MediaKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# A match key: (kind, id type or "show:<type>" or "~", value, season, number).
type MatchKey = tuple[str, str, str, int | None, int | None]

_PRIORITY = {id_type: rank for rank, id_type in enumerate(STRONG_ID_TYPES)}
_CHILD_KINDS = (MediaKind.SEASON, MediaKind.EPISODE)


class MatchQuality(StrEnum):
    """How sure a match is."""

    STRONG = "strong"  # a strong id agrees and none disagrees
    CONFLICTING = "conflicting"  # a strong id agrees but another strong id of a shared type differs
    WEAK = "weak"  # title+year only: reported, never grounds for a removal


@dataclass(frozen=True, slots=True)
class Match:
    """The entry an item matched, by its key in the index."""

    key: str
    quality: MatchQuality


def strong_keys(item: MediaItem) -> list[tuple[int, MatchKey]]:
    """Every strong key of ``item`` with its priority rank (lower is stronger)."""
    kind = item.kind.value
    keys: list[tuple[int, MatchKey]] = [
        (_PRIORITY[id_type], (kind, id_type, value, None, None))
        for id_type, value in item.ids.items()
        if id_type in _PRIORITY and value
    ]
    if item.kind in _CHILD_KINDS and item.season is not None:
        number = item.number if item.kind is MediaKind.EPISODE else None
        keys.extend(
            (
                len(STRONG_ID_TYPES) + _PRIORITY[id_type],
                (kind, "show:" + id_type, value, item.season, number),
            )
            for id_type, value in item.show_ids.items()
            if id_type in _PRIORITY and value
        )
    return keys


def weak_key(item: MediaItem) -> MatchKey | None:
    """Title (or show title) + year (+ season/number), or ``None`` without a title."""
    title = item.title if item.kind in (MediaKind.MOVIE, MediaKind.SHOW) else item.show_title
    if not title or not title.strip():
        return None
    text = " ".join(title.casefold().split())
    year = "" if item.year is None else str(item.year)
    return (item.kind.value, "~", f"{text}|{year}", item.season, item.number)


def _disagree(ids: Mapping[str, str], other: Mapping[str, str]) -> bool:
    return any(
        id_type in _PRIORITY and id_type in other and other[id_type] != value
        for id_type, value in ids.items()
    )


def ids_conflict(item: MediaItem, other: MediaItem) -> bool:
    """Whether the two items name different values for a strong id type both carry."""
    if _disagree(item.ids, other.ids):
        return True
    return item.kind in _CHILD_KINDS and _disagree(item.show_ids, other.show_ids)


class MatchIndex:
    """Items by every strong key (and weak key), for matching another side's items.

    Entries are indexed in key order, so when two entries share a key the result of a lookup does
    not depend on the order the service returned them in.
    """

    __slots__ = ("_items", "_strong", "_weak")

    def __init__(self, items: Mapping[str, MediaItem]) -> None:
        """Index ``items`` (stable key → item)."""
        self._items = items
        self._strong: dict[MatchKey, str | list[str]] = {}
        self._weak: dict[MatchKey, str | list[str]] = {}
        for key in sorted(items):
            item = items[key]
            for _, match_key in strong_keys(item):
                _insert(self._strong, match_key, key)
            weak = weak_key(item)
            if weak is not None:
                _insert(self._weak, weak, key)

    def __len__(self) -> int:
        """Return how many items are indexed."""
        return len(self._items)

    def find(self, item: MediaItem) -> Match | None:
        """Return the best entry for ``item``: strong before conflicting before weak."""
        # Per candidate: how many keys agree and the strongest of them.
        found: dict[str, list[int]] = {}
        for rank, match_key in strong_keys(item):
            for key in _lookup(self._strong, match_key):
                seen = found.get(key)
                if seen is None:
                    found[key] = [1, rank]
                else:
                    seen[0] += 1
                    seen[1] = min(seen[1], rank)
        if found:
            # No contradiction first, then most agreeing ids, strongest id, and key order.
            conflict, _, _, key = min(
                (int(ids_conflict(item, self._items[key])), -agree, rank, key)
                for key, (agree, rank) in found.items()
            )
            return Match(key, MatchQuality.CONFLICTING if conflict else MatchQuality.STRONG)
        weak = weak_key(item)
        if weak is None:
            return None
        for key in _lookup(self._weak, weak):
            # Same title and year but a shared id type that differs: a different title (remake).
            if not ids_conflict(item, self._items[key]):
                return Match(key, MatchQuality.WEAK)
        return None

    def find_strong(self, item: MediaItem) -> str | None:
        """Return the key of a strong (or conflicting) match, never a weak one."""
        match = self.find(item)
        if match is None or match.quality is MatchQuality.WEAK:
            return None
        return match.key


def _insert(index: dict[MatchKey, str | list[str]], match_key: MatchKey, key: str) -> None:
    present = index.get(match_key)
    if present is None:
        index[match_key] = key
    elif isinstance(present, list):
        present.append(key)
    else:
        index[match_key] = [present, key]


def _lookup(index: Mapping[MatchKey, str | list[str]], match_key: MatchKey) -> Iterable[str]:
    present = index.get(match_key)
    if present is None:
        return ()
    if isinstance(present, str):
        return (present,)
    return present
