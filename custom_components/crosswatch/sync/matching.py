"""Decide whether two items are the same title.

Two items are the same when any strong id agrees for the same kind (tmdb ids are only unique
within a kind, so every key carries the kind). Episodes match by their own ids first, and by
their show's id plus season and number only when their own ids do not say they are other
episodes. Title+year is a last resort: such a match is reported as ``WEAK`` and the planner never
removes anything on its strength.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from ..api.models import (
    STRONG_ID_TYPES,
    FlatIds,
    ItemRow,
    MediaItem,
    MediaKind,
    id_pairs,
    pack_item,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

# A match key: (kind, id type or "show:<type>" or "~", value, season, number).
# A strong key: (rank, kind, id type or "show:<type>", value, season, number). The rank (lower
# is stronger) follows from the id type, so it changes no equality; kept inside the key, the keys
# of an item are one flat level of tuples, which the garbage collector stops tracking in two
# passes (a (rank, key) pair per key would take three, promoted still tracked in a large run).
type MatchKey = tuple[int, str, str, str, int | None, int | None]
type StrongKeys = tuple[MatchKey, ...]
# Title (or show title) + year, for a last-resort match: (kind, "~", "title|year", season, number).
type WeakKey = tuple[str, str, str, int | None, int | None]

_PRIORITY = {id_type: rank for rank, id_type in enumerate(STRONG_ID_TYPES)}
# Ranks from here on are show + season/number keys (an item's own ids rank below).
_SHOW_KEY_RANK = len(STRONG_ID_TYPES)
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


def strong_keys(item: MediaItem) -> StrongKeys:
    """Every strong key of ``item`` (``MatchKey``: its rank first, lower is stronger).

    A tuple of tuples of strings and numbers: the garbage collector stops tracking it, so an index
    keeping one per entry adds nothing to the full collections a large library's run would
    otherwise trigger (each walks every tracked object, holding the loop).
    """
    return row_strong_keys(pack_item(item))


def row_strong_keys(row: ItemRow) -> StrongKeys:
    """``strong_keys`` of a packed item."""
    kind, ids, _, _, show_ids, _, season, number = row
    keys: list[MatchKey] = [
        (_PRIORITY[id_type], kind, id_type, value, None, None)
        for id_type, value in id_pairs(ids)
        if id_type in _PRIORITY and value
    ]
    if kind in _CHILD_KINDS and season is not None:
        number = number if kind == MediaKind.EPISODE else None
        keys.extend(
            (_SHOW_KEY_RANK + _PRIORITY[id_type], kind, "show:" + id_type, value, season, number)
            for id_type, value in id_pairs(show_ids)
            if id_type in _PRIORITY and value
        )
    return tuple(keys)


def weak_key(item: MediaItem) -> WeakKey | None:
    """Title (or show title) + year (+ season/number), or ``None`` without a title."""
    return row_weak_key(pack_item(item))


def row_weak_key(row: ItemRow) -> WeakKey | None:
    """``weak_key`` of a packed item."""
    kind, _, title, year, _, show_title, season, number = row
    title = title if kind in (MediaKind.MOVIE, MediaKind.SHOW) else show_title
    if not title or not title.strip():
        return None
    text = " ".join(title.casefold().split())
    return (kind, "~", f"{text}|{'' if year is None else year}", season, number)


def _disagree(ids: FlatIds, other: FlatIds) -> bool:
    # A handful of ids each: pairwise is cheaper than building a dict.
    for at in range(0, len(ids), 2):
        id_type = ids[at]
        for other_at in range(0, len(other), 2):
            same_type = other[other_at] == id_type
            if same_type and other[other_at + 1] != ids[at + 1] and id_type in _PRIORITY:
                return True
    return False


def ids_conflict(item: MediaItem, other: MediaItem) -> bool:
    """Whether the two items name different values for a strong id type both carry."""
    return _conflict(pack_item(item), pack_item(other))


def _conflict(item: ItemRow, other: ItemRow) -> bool:
    if _disagree(item[1], other[1]):
        return True
    return item[0] in _CHILD_KINDS and _disagree(item[4], other[4])


class MatchIndex:
    """Items by every strong key (and weak key), for matching another side's items.

    Entries are indexed in key order, so when two entries share a key the result of a lookup does
    not depend on the order the service returned them in.
    """

    __slots__ = ("_items", "_keys", "_strong", "_weak")

    def __init__(self, items: Mapping[str, ItemRow], *, keep_keys: bool = True) -> None:
        """Index ``items`` (stable key → packed item, ``api.models.pack_item``).

        ``keep_keys`` keeps each entry's strong keys for ``keys_of``; an index that is only
        looked up (a baseline) does without and saves the memory.
        """
        self._items = items
        self._keys: dict[str, StrongKeys] = {}
        self._strong: dict[MatchKey, str | list[str]] = {}
        self._weak: dict[WeakKey, str | list[str]] | None = None  # built on first need
        for key in sorted(items):
            keys = row_strong_keys(items[key])
            if keep_keys:
                self._keys[key] = keys
            for match_key in keys:
                _insert(self._strong, match_key, key)

    def __len__(self) -> int:
        """Return how many items are indexed."""
        return len(self._items)

    def __del__(self) -> None:
        """Let go of the index a few entries at a time.

        Freeing a large library's index in one go is one C call of 7-19 ms here (the interpreter
        is held throughout, so Home Assistant's loop waits even when this runs in the executor),
        and a planner drops four at once. Popping entries runs as Python, which lets other
        threads in between.
        """
        for table in (self._keys, self._strong, self._weak):
            while table:
                table.popitem()

    def keys_of(self, key: str) -> StrongKeys:
        """Return the strong keys of the indexed entry ``key`` (computed once, reused)."""
        keys = self._keys.get(key)
        return row_strong_keys(self._items[key]) if keys is None else keys

    def find(self, item: MediaItem | ItemRow, keys: StrongKeys | None = None) -> Match | None:
        """Return the best entry for ``item`` (or a packed one): strong, conflicting, weak.

        ``keys`` are ``item``'s strong keys when the caller already has them.
        """
        if isinstance(item, MediaItem):
            item = pack_item(item)
        found = self._not_other_episodes(
            item, self._candidates(row_strong_keys(item) if keys is None else keys)
        )
        if len(found) == 1:
            [key] = found
            conflict = _conflict(item, self._items[key])
            return Match(key, MatchQuality.CONFLICTING if conflict else MatchQuality.STRONG)
        if found:
            # No contradiction first, then most agreeing ids, strongest id, and key order.
            conflict_rank, _, _, key = min(
                (int(_conflict(item, self._items[key])), -agree, rank, key)
                for key, (agree, rank) in found.items()
            )
            quality = MatchQuality.CONFLICTING if conflict_rank else MatchQuality.STRONG
            return Match(key, quality)
        weak = row_weak_key(item)
        if weak is None:
            return None
        for key in _lookup(self._weak_index(), weak):
            # Same title and year but a shared id type that differs: a different title (remake).
            if not _conflict(item, self._items[key]):
                return Match(key, MatchQuality.WEAK)
        return None

    def _candidates(self, keys: StrongKeys) -> dict[str, list[int]]:
        """Per indexed entry sharing a strong key: how many keys agree and the strongest one."""
        found: dict[str, list[int]] = {}
        strong = self._strong
        for match_key in keys:
            rank = match_key[0]
            present = strong.get(match_key)
            if present is None:
                continue
            for key in (present,) if isinstance(present, str) else present:
                seen = found.get(key)
                if seen is None:
                    found[key] = [1, rank]
                else:
                    seen[0] += 1
                    seen[1] = min(seen[1], rank)
        return found

    def _not_other_episodes(
        self, item: ItemRow, found: dict[str, list[int]]
    ) -> dict[str, list[int]]:
        """Drop episodes found only by show + season/number whose own ids name another one.

        Plex's numbers may follow another order than the service's (DVD vs aired, as Firefly).
        """
        ids = item[1]
        if item[0] != MediaKind.EPISODE or not ids:
            return found
        return {
            key: seen
            for key, seen in found.items()
            if seen[1] < _SHOW_KEY_RANK or not _disagree(ids, self._items[key][1])
        }

    def _weak_index(self) -> dict[WeakKey, str | list[str]]:
        if self._weak is None:
            self._weak = {}
            for key in sorted(self._items):
                weak = row_weak_key(self._items[key])
                if weak is not None:
                    _insert(self._weak, weak, key)
        return self._weak

    def find_strong(self, item: MediaItem | ItemRow, keys: StrongKeys | None = None) -> str | None:
        """Return the key of a strong (or conflicting) match, never a weak one."""
        match = self.find(item, keys)
        if match is None or match.quality is MatchQuality.WEAK:
            return None
        return match.key


def _insert[K](index: dict[K, str | list[str]], match_key: K, key: str) -> None:
    present = index.get(match_key)
    if present is None:
        index[match_key] = key
    elif isinstance(present, list):
        present.append(key)
    else:
        index[match_key] = [present, key]


def _lookup[K](index: Mapping[K, str | list[str]], match_key: K) -> Iterable[str]:
    present = index.get(match_key)
    if present is None:
        return ()
    if isinstance(present, str):
        return (present,)
    return present
