"""What one account holds for one feature, keyed by a stable key, and its JSON form.

An ``Inventory`` is both a fresh read of an account and a pair's stored baseline of one side.
Times are unix seconds (floats) so comparisons are cheap and the JSON form is plain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..api.ids import canonical_key
from ..api.models import (
    STRONG_ID_TYPES,
    Feature,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
)
from .matching import MatchIndex


def to_timestamp(moment: datetime) -> float:
    """Unix seconds of ``moment``; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def from_timestamp(seconds: float) -> datetime:
    """Return the UTC datetime of unix ``seconds``."""
    return datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One item of an inventory with what the feature records about it.

    ``plays`` (history) are sorted unix times; ``rating`` is on the 1-10 scale.
    """

    item: MediaItem
    listed_at: float | None = None
    plays: tuple[float, ...] = ()
    rating: int | None = None
    rated_at: float | None = None


@dataclass(frozen=True, slots=True)
class Inventory:
    """An account's entries for one feature, by stable key."""

    feature: Feature
    entries: Mapping[str, Entry] = field(default_factory=dict)

    def __len__(self) -> int:
        """Return the number of entries (titles, not plays)."""
        return len(self.entries)

    @property
    def size(self) -> int:
        """What the guards count: plays for history, entries otherwise."""
        if self.feature is Feature.HISTORY:
            return sum(len(entry.plays) for entry in self.entries.values())
        return len(self.entries)

    def index(self, *, keep_keys: bool = True) -> MatchIndex:
        """Build a match index over this inventory's items (see ``MatchIndex``)."""
        items = {key: entry.item for key, entry in self.entries.items()}
        return MatchIndex(items, keep_keys=keep_keys)

    @classmethod
    def from_watchlist(cls, items: Iterable[WatchlistEntry]) -> Inventory:
        """Build a watchlist inventory; a title listed twice keeps its earliest ``listed_at``."""
        entries: dict[str, Entry] = {}
        for listed in items:
            key = canonical_key(listed.item)
            listed_at = None if listed.listed_at is None else to_timestamp(listed.listed_at)
            present = entries.get(key)
            if present is None or _earlier(listed_at, present.listed_at):
                entries[key] = Entry(item=listed.item, listed_at=listed_at)
        return cls(Feature.WATCHLIST, entries)

    @classmethod
    def from_plays(cls, plays: Iterable[Play]) -> Inventory:
        """Build a history inventory: plays grouped per title, every play kept (rewatches)."""
        grouped: dict[str, tuple[MediaItem, list[float]]] = {}
        for play in plays:
            key = canonical_key(play.item)
            present = grouped.get(key)
            if present is None:
                grouped[key] = (play.item, [to_timestamp(play.watched_at)])
            else:
                present[1].append(to_timestamp(play.watched_at))
        return cls(
            Feature.HISTORY,
            {
                key: Entry(item=item, plays=tuple(sorted(times)))
                for key, (item, times) in grouped.items()
            },
        )

    @classmethod
    def from_ratings(cls, ratings: Iterable[Rating]) -> Inventory:
        """Build a ratings inventory; a title rated twice keeps the newest dated rating."""
        entries: dict[str, Entry] = {}
        for rating in ratings:
            if not 1 <= rating.rating <= 10:  # noqa: PLR2004
                raise ValueError(f"rating {rating.rating} is outside 1-10")
            key = canonical_key(rating.item)
            rated_at = None if rating.rated_at is None else to_timestamp(rating.rated_at)
            present = entries.get(key)
            if present is None or _newer(rated_at, present.rated_at):
                entries[key] = Entry(item=rating.item, rating=rating.rating, rated_at=rated_at)
        return cls(Feature.RATINGS, entries)

    def with_plays_since(self, start: float, plays: Iterable[Play]) -> Inventory:
        """This history with every play from ``start`` on replaced by ``plays``.

        ``plays`` is a fresh read of the window from ``start`` on, so a play it lacks is gone and
        plays before ``start`` stay as they are.
        """
        entries = dict(self.entries)
        for key, entry in self.entries.items():
            if entry.plays and entry.plays[-1] >= start:
                kept = tuple(t for t in entry.plays if t < start)
                if kept:
                    entries[key] = replace(entry, plays=kept)
                else:
                    del entries[key]
        # Older than the window: the earlier read already holds it.
        self._add_plays(entries, (p for p in plays if to_timestamp(p.watched_at) >= start))
        return Inventory(self.feature, entries)

    def with_plays_added(self, plays: Iterable[Play]) -> Inventory:
        """This history plus the plays it does not hold yet (at their exact times); none go."""
        entries = dict(self.entries)
        self._add_plays(entries, plays, new_only=True)
        return Inventory(self.feature, entries)

    def with_plays_of(self, other: Inventory) -> Inventory:
        """This history plus every play of ``other`` it lacks (``self`` itself if none).

        A title of ``other`` joins this inventory's entry for it when a strong id matches.
        """
        entries: dict[str, Entry] | None = None
        index: MatchIndex | None = None
        for key, entry in other.entries.items():
            own_key = key
            if key not in self.entries:
                index = index or self.index()
                own_key = index.find_strong(entry.item) or key
            present = (entries or self.entries).get(own_key)
            held = () if present is None else present.plays
            if set(entry.plays) <= set(held):
                continue
            entries = entries or dict(self.entries)
            base = entry if present is None else present
            entries[own_key] = replace(base, plays=tuple(sorted({*held, *entry.plays})))
        return self if entries is None else Inventory(self.feature, entries)

    def _add_plays(
        self, entries: dict[str, Entry], plays: Iterable[Play], *, new_only: bool = False
    ) -> None:
        """File each play under its title's entry in ``entries`` (``new_only``: unless held).

        A play of a title this inventory holds joins that entry even when it names the title
        differently (matched by a strong id).
        """
        index: MatchIndex | None = None
        for play in plays:
            moment = to_timestamp(play.watched_at)
            key = canonical_key(play.item)
            if key not in self.entries:
                index = index or self.index()
                key = index.find_strong(play.item) or key
            present = entries.get(key)
            if present is None:
                previous = self.entries.get(key)
                present = Entry(item=play.item) if previous is None else replace(previous, plays=())
            elif new_only and moment in present.plays:
                continue
            entries[key] = merge_play(present, moment)

    def with_titles_replaced(self, titles: Iterable[MediaItem], fresh: Inventory) -> Inventory:
        """This inventory with every entry of ``titles`` replaced by ``fresh``'s entries.

        ``fresh`` is a re-read of those titles (movies and shows; a show stands for its seasons
        and episodes), so an entry of theirs it lacks is gone. Titles match by a strong id.
        """
        own: set[tuple[str, str, str]] = set()
        shows: set[tuple[str, str]] = set()
        for title in titles:
            pairs = {(t, v) for t, v in title.ids.items() if t in STRONG_ID_TYPES and v}
            own.update((title.kind, t, v) for t, v in pairs)
            if title.kind is MediaKind.SHOW:
                shows.update(pairs)

        def replaced(item: MediaItem) -> bool:
            if any((item.kind, t, v) in own for t, v in item.ids.items()):
                return True
            return item.kind is not MediaKind.SHOW and any(
                (t, v) in shows for t, v in item.show_ids.items()
            )

        entries = {k: e for k, e in self.entries.items() if not replaced(e.item)}
        entries.update(fresh.entries)
        return Inventory(self.feature, entries)

    def with_entry(self, key: str, entry: Entry) -> Inventory:
        """Return a copy with ``key`` set to ``entry``."""
        return Inventory(self.feature, {**self.entries, key: entry})

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form for HA's Store."""
        return {
            "feature": self.feature.value,
            "entries": {key: entry_to_dict(entry) for key, entry in self.entries.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inventory:
        """Rebuild an inventory from ``to_dict``; raises ``ValueError`` on a malformed one."""
        raw = data.get("entries")
        if not isinstance(raw, Mapping):
            raise ValueError("malformed inventory: entries is not an object")  # noqa: TRY004
        try:
            feature = Feature(data["feature"])
            entries = {str(key): entry_from_dict(value) for key, value in raw.items()}
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed inventory: {err}") from err
        return cls(feature, entries)


def _newer(candidate: float | None, present: float | None) -> bool:
    """Whether ``candidate`` is known and later than ``present`` (unknown counts as oldest)."""
    return candidate is not None and (present is None or candidate > present)


def _earlier(candidate: float | None, present: float | None) -> bool:
    """Whether ``candidate`` is known and earlier than ``present`` (unknown counts as latest)."""
    return candidate is not None and (present is None or candidate < present)


def item_to_dict(item: MediaItem) -> dict[str, Any]:
    """Return a plain-JSON form of an item, leaving out what is unset."""
    data: dict[str, Any] = {"kind": item.kind.value, "ids": dict(item.ids)}
    for name in ("title", "year", "show_title", "season", "number"):
        value = getattr(item, name)
        if value is not None:
            data[name] = value
    if item.show_ids:
        data["show_ids"] = dict(item.show_ids)
    return data


def _optional(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise TypeError(f"{name} is not a {kind.__name__}")
    return value


def _ids(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError("ids must map id types to strings")
    return {str(k): v for k, v in value.items()}


def item_from_dict(data: Mapping[str, Any]) -> MediaItem:
    """Rebuild an item from ``item_to_dict``; raises ``TypeError``/``ValueError`` when malformed."""
    return MediaItem(
        kind=MediaKind(data["kind"]),
        ids=_ids(data.get("ids")),
        title=_optional(data, "title", str),
        year=_optional(data, "year", int),
        show_ids=_ids(data.get("show_ids")),
        show_title=_optional(data, "show_title", str),
        season=_optional(data, "season", int),
        number=_optional(data, "number", int),
    )


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """Return a plain-JSON form of an entry."""
    data: dict[str, Any] = {"item": item_to_dict(entry.item)}
    if entry.listed_at is not None:
        data["listed_at"] = entry.listed_at
    if entry.plays:
        data["plays"] = list(entry.plays)
    if entry.rating is not None:
        data["rating"] = entry.rating
    if entry.rated_at is not None:
        data["rated_at"] = entry.rated_at
    return data


def _time(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("times must be numbers")
    return float(value)


def entry_from_dict(data: Any) -> Entry:
    """Rebuild an entry from ``entry_to_dict``."""
    if not isinstance(data, Mapping):
        raise TypeError("entry is not an object")
    plays = data.get("plays", [])
    if not isinstance(plays, list):
        raise TypeError("plays is not a list")
    times = sorted(t for t in (_time(p) for p in plays) if t is not None)
    return Entry(
        item=item_from_dict(data["item"]),
        listed_at=_time(data.get("listed_at")),
        plays=tuple(times),
        rating=_optional(data, "rating", int),
        rated_at=_time(data.get("rated_at")),
    )


def merge_play(entry: Entry, watched_at: float) -> Entry:
    """``entry`` with one more play."""
    return replace(entry, plays=tuple(sorted((*entry.plays, watched_at))))
