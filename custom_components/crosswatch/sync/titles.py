"""Titles a pair could not sync, and the user's fixes: id overrides and ignored titles.

A *title* is a movie or a show: an episode or season is filed under its show, so a show whose
episodes Plex knows only by its own ``plex://`` guid is one title to fix, not one per episode.
An override gives a title the ids the user picked (from a TMDb search, say); the planner sees the
title with those ids, so it matches and can be written from the next run on. An ignored title is
never written to the other side and never reported again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..api.ids import canonical_key
from ..api.models import STRONG_ID_TYPES, MediaItem, MediaKind
from .inventory import Inventory, Row, pack_entry
from .plan import Side

if TYPE_CHECKING:
    from .plan import Change, ExecutionOutcome, SyncPlan

# How many unsynced titles a pair keeps (the most recently seen): the repair lists them all.
MAX_UNMATCHED = 500
# The reason of a title the service refused by its ids (Trakt's and SIMKL's ``not_found``).
NOT_FOUND = "not_found"
_CHILD_KINDS = (MediaKind.SEASON, MediaKind.EPISODE)


def title_key(item: MediaItem) -> str:
    """The key of the movie or show ``item`` belongs to (an episode's or season's show)."""
    if item.kind in _CHILD_KINDS:
        return canonical_key(
            MediaItem(kind=MediaKind.SHOW, ids=item.show_ids, title=item.show_title)
        )
    return canonical_key(item)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """The user's fix of one title: ids to add (they win over the title's own), or ignore it."""

    ids: Mapping[str, str]
    ignore: bool = False
    # What the user picked, for display (diagnostics, the repair).
    title: str | None = None
    set_at: float = 0.0
    # The title's key once it carries ``ids`` (``fix``): still filed under its own key.
    fixed_key: str | None = None

    def __post_init__(self) -> None:
        """An override names strong ids, or ignores the title."""
        if not self.ignore and not any(t in STRONG_ID_TYPES and v for t, v in self.ids.items()):
            raise ValueError("an override needs a strong id or ignore")

    @classmethod
    def fix(
        cls, title: UnmatchedTitle, ids: Mapping[str, str], *, name: str | None, now: float
    ) -> Override:
        """The user's pick of ``ids`` (named ``name``) for the unsynced ``title``."""
        item = MediaItem(kind=title.kind, ids={**title.ids, **ids}, title=title.title)
        return cls(ids=dict(ids), title=name, set_at=now, fixed_key=canonical_key(item))

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form."""
        return {
            "ids": dict(self.ids),
            "ignore": self.ignore,
            "title": self.title,
            "set_at": self.set_at,
            "fixed_key": self.fixed_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Override:
        """Rebuild from ``to_dict``; ``TypeError``/``ValueError`` when malformed."""
        ids = data.get("ids", {})
        if not isinstance(ids, Mapping) or not all(isinstance(v, str) for v in ids.values()):
            raise TypeError("override ids must map id types to strings")
        title, fixed_key = data.get("title"), data.get("fixed_key")
        return cls(
            ids={str(k): v for k, v in ids.items()},
            ignore=bool(data.get("ignore", False)),
            title=title if isinstance(title, str) else None,
            set_at=float(data.get("set_at", 0.0)),
            fixed_key=fixed_key if isinstance(fixed_key, str) else None,
        )


class TitleKeys:
    """Files an item under its title's own key, also once an override gave it other ids.

    A fixed movie carries the picked tmdb id, so its ``title_key`` becomes the tmdb one: the
    unsynced list, the retries and ``ignore`` keep speaking of the key the user fixed.
    """

    __slots__ = ("_aliases",)

    def __init__(self, overrides: Mapping[str, Override]) -> None:
        """Know the fixed keys of ``overrides``."""
        self._aliases = {o.fixed_key: k for k, o in overrides.items() if o.fixed_key is not None}

    def of(self, item: MediaItem) -> str:
        """The key ``item``'s title is filed under."""
        key = title_key(item)
        return self._aliases.get(key, key) if self._aliases else key


def _fixed(item: MediaItem, override: Override) -> MediaItem:
    if item.kind in _CHILD_KINDS:
        return replace(item, show_ids={**item.show_ids, **override.ids})
    return replace(item, ids={**item.ids, **override.ids})


def _needs(item: MediaItem, override: Override) -> bool:
    ids = item.show_ids if item.kind in _CHILD_KINDS else item.ids
    return any(ids.get(id_type) != value for id_type, value in override.ids.items())


def apply_overrides(inventory: Inventory, overrides: Mapping[str, Override]) -> Inventory:
    """``inventory`` with the override ids given to the titles they name.

    Entries keep their keys (a read of the side names them the same way next time). An
    inventory that already carries every override (a baseline standing in for a read) is
    returned as the same object, so nothing downstream takes it for a change.
    """
    fixes = {key: o for key, o in overrides.items() if not o.ignore and o.ids}
    if not fixes:
        return inventory
    changed: dict[str, Row] = {}
    for key, entry in inventory.entries.items():
        override = fixes.get(title_key(entry.item))
        if override is not None and _needs(entry.item, override):
            changed[key] = pack_entry(replace(entry, item=_fixed(entry.item, override)))
    return inventory.with_rows(changed) if changed else inventory


def ignored_keys(overrides: Mapping[str, Override]) -> frozenset[str]:
    """The title keys the user chose to ignore."""
    return frozenset(key for key, override in overrides.items() if override.ignore)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnmatchedTitle:
    """A title a pair could not write to ``side``, as the repair lists it.

    ``ids``, ``title`` and ``year`` are the title's as its own side knows them (a show's for an
    episode); ``entries``: how many entries (titles, episodes) of it were left out last time.
    """

    key: str
    side: Side
    kind: MediaKind
    title: str | None
    year: int | None
    ids: Mapping[str, str]
    reason: str
    features: tuple[str, ...]
    entries: int
    first_seen: float
    last_seen: float

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form."""
        return {
            "key": self.key,
            "side": self.side.value,
            "kind": self.kind.value,
            "title": self.title,
            "year": self.year,
            "ids": dict(self.ids),
            "reason": self.reason,
            "features": list(self.features),
            "entries": self.entries,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UnmatchedTitle:
        """Rebuild from ``to_dict``; ``KeyError``/``TypeError``/``ValueError`` when malformed."""
        ids = data["ids"]
        features = data["features"]
        if not isinstance(ids, Mapping) or not isinstance(features, list):
            raise TypeError("unmatched title ids or features malformed")
        title, year = data.get("title"), data.get("year")
        return cls(
            key=str(data["key"]),
            side=Side(data["side"]),
            kind=MediaKind(data["kind"]),
            title=title if isinstance(title, str) else None,
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            ids={str(k): str(v) for k, v in ids.items()},
            reason=str(data["reason"]),
            features=tuple(str(f) for f in features),
            entries=int(data["entries"]),
            first_seen=float(data["first_seen"]),
            last_seen=float(data["last_seen"]),
        )


def _seen(side: Side, item: MediaItem, reason: str, feature: str, now: float) -> UnmatchedTitle:
    child = item.kind in _CHILD_KINDS
    return UnmatchedTitle(
        key=title_key(item),
        side=side,
        kind=MediaKind.SHOW if child else item.kind,
        title=item.show_title if child else item.title,
        year=None if child else item.year,
        ids=dict(item.show_ids if child else item.ids),
        reason=reason,
        features=(feature,),
        entries=1,
        first_seen=now,
        last_seen=now,
    )


def unmatched_after(
    previous: Mapping[str, UnmatchedTitle],
    plan: SyncPlan,
    outcome: ExecutionOutcome,
    *,
    now: float,
    keys: TitleKeys | None = None,
) -> dict[str, UnmatchedTitle]:
    """The unsynced titles after a run: this run's, and earlier ones of features it did not plan.

    Unsynced: the target cannot take it (``Unmatched``), or the service refused its ids
    (rejected now, or parked after earlier refusals). A title no longer among them is synced
    (or ignored) and leaves the list; one still there keeps when it was first seen.
    """
    found: dict[str, UnmatchedTitle] = {}
    counted: dict[str, set[tuple[str, str]]] = {}

    keys = keys or TitleKeys({})

    def note(side: Side, key: str, item: MediaItem, reason: str, feature: str) -> None:
        seen = replace(_seen(side, item, reason, feature, now), key=keys.of(item))
        entries = counted.setdefault(seen.key, set())
        entries.add((feature, key))
        present = found.get(seen.key)
        if present is None:
            found[seen.key] = seen
            return
        features = tuple(sorted({*present.features, feature}))
        found[seen.key] = replace(present, features=features, entries=len(entries))

    for feature, feature_plan in plan.features.items():
        for unmatched in feature_plan.unmatched:
            note(unmatched.side, unmatched.key, unmatched.item, unmatched.reason, feature.value)
        refused: list[Change] = [c for c in feature_plan.changes if c.id in outcome.rejected]
        for change in (*refused, *feature_plan.parked):
            note(change.side, change.key, change.item, NOT_FOUND, feature.value)
    planned = {feature.value for feature in plan.features}
    result: dict[str, UnmatchedTitle] = {}
    for key, record in previous.items():
        rest = tuple(f for f in record.features if f not in planned)
        fresh = found.pop(key, None)
        if fresh is not None:
            features = tuple(sorted({*fresh.features, *rest}))
            result[key] = replace(fresh, features=features, first_seen=record.first_seen)
        elif rest:
            result[key] = replace(record, features=rest)
    result.update(found)
    if len(result) > MAX_UNMATCHED:
        newest = sorted(result.values(), key=lambda r: (-r.last_seen, r.key))[:MAX_UNMATCHED]
        result = {r.key: r for r in newest}
    return dict(sorted(result.items()))
