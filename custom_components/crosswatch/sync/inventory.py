"""What one account holds for one feature, keyed by a stable key, and its JSON form.

An ``Inventory`` is both a fresh read of an account and a pair's stored baseline of one side.
Times are unix seconds (floats) so comparisons are cheap and the JSON form is plain.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from ..api.ids import canonical_key
from ..api.models import (
    STRONG_ID_TYPES,
    Feature,
    FlatIds,
    ItemRow,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
    flat_ids,
    id_pairs,
    pack_item,
    unpack_item,
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


# An inventory keeps each entry packed as a plain tuple of strings, numbers and tuples
# (``pack_entry``, over ``api.models.pack_item``). CPython's garbage collector stops tracking such a
# tuple at its first pass, whereas an ``Entry`` holds a ``MediaItem`` and two id dicts: four
# tracked objects per title. A pair keeps its baselines between runs, and every full collection
# (whoever in Home Assistant sets it off) walks every tracked object while holding the event loop:
# a large library's ~90,000 entries as objects made each one ~240 ms longer here.
# item, listed_at, plays, rating, rated_at
type Row = tuple[ItemRow, float | None, tuple[float, ...], int | None, float | None]
_PLAYS: Final = 2


def pack_entry(entry: Entry) -> Row:
    """``entry`` as a plain tuple."""
    return (pack_item(entry.item), entry.listed_at, entry.plays, entry.rating, entry.rated_at)


def unpack_entry(row: Row) -> Entry:
    """The ``Entry`` of a ``pack_entry`` row."""
    item, listed_at, plays, rating, rated_at = row
    return Entry(
        item=unpack_item(item), listed_at=listed_at, plays=plays, rating=rating, rated_at=rated_at
    )


def row_plays(row: Row) -> tuple[float, ...]:
    """The plays of a packed entry."""
    return row[_PLAYS]


def with_row_plays(row: Row, plays: tuple[float, ...]) -> Row:
    """A packed entry with other plays."""
    return (row[0], row[1], plays, row[3], row[4])


class Entries(Mapping[str, Entry]):
    """An inventory's entries by key, each built from its packed row when asked for.

    What it hands out is a fresh ``Entry`` each time: compare rows (``Inventory.rows``) to tell
    whether two inventories share an entry.
    """

    __slots__ = ("_rows",)

    def __init__(self, rows: Mapping[str, Row]) -> None:
        """A view of ``rows``."""
        self._rows = rows

    def __getitem__(self, key: str) -> Entry:
        """The entry of ``key``."""
        return unpack_entry(self._rows[key])

    def __iter__(self) -> Iterator[str]:
        """The keys, in the inventory's order."""
        return iter(self._rows)

    def __len__(self) -> int:
        """How many entries."""
        return len(self._rows)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` has an entry."""
        return key in self._rows

    def get(self, key: str, default: Any = None) -> Any:
        """The entry of ``key``, or ``default``."""
        row = self._rows.get(key)
        return default if row is None else unpack_entry(row)


class Inventory:
    """An account's entries for one feature, by stable key. Immutable: changes make a new one.

    ``rows`` holds the entries packed (see ``pack_entry``); ``entries`` reads them as ``Entry``.
    """

    __slots__ = ("feature", "rows")

    feature: Feature
    rows: Mapping[str, Row]

    def __init__(self, feature: Feature, entries: Mapping[str, Entry] | None = None) -> None:
        """An inventory of ``entries`` (packed here; ``from_rows`` takes packed ones)."""
        self.feature = feature
        self.rows = {key: pack_entry(entry) for key, entry in (entries or {}).items()}

    @classmethod
    def from_rows(cls, feature: Feature, rows: Mapping[str, Row]) -> Inventory:
        """An inventory of packed entries (the mapping is taken as is, never changed after)."""
        inventory = cls.__new__(cls)
        inventory.feature = feature
        inventory.rows = rows
        return inventory

    @property
    def entries(self) -> Entries:
        """The entries by key."""
        return Entries(self.rows)

    def __eq__(self, other: object) -> bool:
        """Same feature and equal entries (ids compare as mappings, whatever their order)."""
        if not isinstance(other, Inventory):
            return NotImplemented
        if self.feature is not other.feature:
            return False
        return self.rows == other.rows or dict(self.entries) == dict(other.entries)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        """Feature and size (a large inventory's entries would flood a log)."""
        return f"Inventory({self.feature.value}, {len(self.rows)} entries)"

    def __len__(self) -> int:
        """Return the number of entries (titles, not plays)."""
        return len(self.rows)

    @property
    def size(self) -> int:
        """What the guards count: plays for history, entries otherwise."""
        if self.feature is Feature.HISTORY:
            return sum(len(row[_PLAYS]) for row in self.rows.values())
        return len(self.rows)

    def index(self, *, keep_keys: bool = True) -> MatchIndex:
        """Build a match index over this inventory's items (see ``MatchIndex``)."""
        return MatchIndex({key: row[0] for key, row in self.rows.items()}, keep_keys=keep_keys)

    @classmethod
    def from_watchlist(cls, items: Iterable[WatchlistEntry]) -> Inventory:
        """Build a watchlist inventory; a title listed twice keeps its earliest ``listed_at``."""
        rows: dict[str, Row] = {}
        for listed in items:
            key = canonical_key(listed.item)
            listed_at = None if listed.listed_at is None else to_timestamp(listed.listed_at)
            present = rows.get(key)
            if present is None or _earlier(listed_at, present[1]):
                rows[key] = (pack_item(listed.item), listed_at, (), None, None)
        return cls.from_rows(Feature.WATCHLIST, rows)

    @classmethod
    def from_plays(cls, plays: Iterable[Play]) -> Inventory:
        """Build a history inventory: plays grouped per title, every play kept (rewatches)."""
        # Rows from the start (not an item and a list of times per title): the lists would be
        # tracked objects for the whole read, promoted towards a full collection.
        rows: dict[str, Row] = {}
        for play in plays:
            key = canonical_key(play.item)
            moment = to_timestamp(play.watched_at)
            present = rows.get(key)
            rows[key] = (
                (pack_item(play.item), None, (moment,), None, None)
                if present is None
                else with_row_plays(present, (*present[_PLAYS], moment))
            )
        for key, row in rows.items():
            if len(row[_PLAYS]) > 1:
                rows[key] = with_row_plays(row, tuple(sorted(row[_PLAYS])))
        return cls.from_rows(Feature.HISTORY, rows)

    @classmethod
    def from_ratings(cls, ratings: Iterable[Rating]) -> Inventory:
        """Build a ratings inventory; a title rated twice keeps the newest dated rating."""
        rows: dict[str, Row] = {}
        for rating in ratings:
            if not 1 <= rating.rating <= 10:  # noqa: PLR2004
                raise ValueError(f"rating {rating.rating} is outside 1-10")
            key = canonical_key(rating.item)
            rated_at = None if rating.rated_at is None else to_timestamp(rating.rated_at)
            present = rows.get(key)
            if present is None or _newer(rated_at, present[4]):
                rows[key] = (pack_item(rating.item), None, (), rating.rating, rated_at)
        return cls.from_rows(Feature.RATINGS, rows)

    def with_plays_since(self, start: float, plays: Iterable[Play]) -> Inventory:
        """This history with every play from ``start`` on replaced by ``plays``.

        ``plays`` is a fresh read of the window from ``start`` on, so a play it lacks is gone and
        plays before ``start`` stay as they are.
        """
        rows = dict(self.rows)
        for key, row in self.rows.items():
            times = row[_PLAYS]
            if times and times[-1] >= start:
                kept = tuple(t for t in times if t < start)
                if kept:
                    rows[key] = with_row_plays(row, kept)
                else:
                    del rows[key]
        # Older than the window: the earlier read already holds it.
        self._add_plays(rows, (p for p in plays if to_timestamp(p.watched_at) >= start))
        return Inventory.from_rows(self.feature, rows)

    def with_plays_added(self, plays: Iterable[Play]) -> Inventory:
        """This history plus the plays it does not hold yet (at their exact times); none go."""
        rows = dict(self.rows)
        self._add_plays(rows, plays, new_only=True)
        return Inventory.from_rows(self.feature, rows)

    def with_plays_of(self, other: Inventory) -> Inventory:
        """This history plus every play of ``other`` it lacks (``self`` itself if none).

        A title of ``other`` joins this inventory's entry for it when a strong id matches.
        """
        rows: dict[str, Row] | None = None
        index: MatchIndex | None = None
        for key, row in other.rows.items():
            own_key = key
            if key not in self.rows:
                index = index or self.index()
                own_key = index.find_strong(unpack_item(row[0])) or key
            present = (rows or self.rows).get(own_key)
            held = () if present is None else present[_PLAYS]
            if set(row[_PLAYS]) <= set(held):
                continue
            rows = rows or dict(self.rows)
            base = row if present is None else present
            rows[own_key] = with_row_plays(base, tuple(sorted({*held, *row[_PLAYS]})))
        return self if rows is None else Inventory.from_rows(self.feature, rows)

    def _add_plays(
        self, rows: dict[str, Row], plays: Iterable[Play], *, new_only: bool = False
    ) -> None:
        """File each play under its title's entry in ``rows`` (``new_only``: unless held).

        A play of a title this inventory holds joins that entry even when it names the title
        differently (matched by a strong id).
        """
        index: MatchIndex | None = None
        for play in plays:
            moment = to_timestamp(play.watched_at)
            key = canonical_key(play.item)
            if key not in self.rows:
                index = index or self.index()
                key = index.find_strong(play.item) or key
            present = rows.get(key)
            if present is None:
                previous = self.rows.get(key)
                present = (
                    (pack_item(play.item), None, (), None, None)
                    if previous is None
                    else with_row_plays(previous, ())
                )
            elif new_only and moment in present[_PLAYS]:
                continue
            rows[key] = with_row_plays(present, tuple(sorted((*present[_PLAYS], moment))))

    def with_titles_replaced(self, titles: Iterable[MediaItem], fresh: Inventory) -> Inventory:
        """This inventory with every entry of ``titles`` replaced by ``fresh``'s entries.

        ``fresh`` is a re-read of those titles (movies and shows; a show stands for its seasons
        and episodes), so an entry of theirs it lacks is gone. Titles match by a strong id.
        """
        own: set[tuple[str, str, str]] = set()
        shows: set[tuple[str, str]] = set()
        for title in titles:
            pairs = {(t, v) for t, v in title.ids.items() if t in STRONG_ID_TYPES and v}
            own.update((title.kind.value, t, v) for t, v in pairs)
            if title.kind is MediaKind.SHOW:
                shows.update(pairs)

        def replaced(item: ItemRow) -> bool:
            kind, ids, _, _, show_ids, *_ = item
            if any((kind, t, v) in own for t, v in id_pairs(ids)):
                return True
            return kind != MediaKind.SHOW.value and any(
                (t, v) in shows for t, v in id_pairs(show_ids)
            )

        rows = {k: row for k, row in self.rows.items() if not replaced(row[0])}
        rows.update(fresh.rows)
        return Inventory.from_rows(self.feature, rows)

    def with_entry(self, key: str, entry: Entry) -> Inventory:
        """Return a copy with ``key`` set to ``entry``."""
        return Inventory.from_rows(self.feature, {**self.rows, key: pack_entry(entry)})

    def with_rows(self, rows: Mapping[str, Row]) -> Inventory:
        """Return a copy with ``rows`` set (each replacing its key's entry)."""
        return Inventory.from_rows(self.feature, {**self.rows, **rows})

    def to_dict(self) -> dict[str, Any]:
        """Return a plain-JSON form for HA's Store."""
        return {
            "feature": self.feature.value,
            "entries": {key: row_to_dict(row) for key, row in self.rows.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Inventory:
        """Rebuild an inventory from ``to_dict``; raises ``ValueError`` on a malformed one."""
        raw = data.get("entries")
        if not isinstance(raw, Mapping):
            raise ValueError("malformed inventory: entries is not an object")  # noqa: TRY004
        try:
            feature = Feature(data["feature"])
            rows = {str(key): row_from_dict(value) for key, value in raw.items()}
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"malformed inventory: {err}") from err
        return cls.from_rows(feature, rows)


def _newer(candidate: float | None, present: float | None) -> bool:
    """Whether ``candidate`` is known and later than ``present`` (unknown counts as oldest)."""
    return candidate is not None and (present is None or candidate > present)


def _earlier(candidate: float | None, present: float | None) -> bool:
    """Whether ``candidate`` is known and earlier than ``present`` (unknown counts as latest)."""
    return candidate is not None and (present is None or candidate < present)


_ITEM_FIELDS = ("title", "year", "show_title", "season", "number")


def item_to_dict(item: MediaItem) -> dict[str, Any]:
    """Return a plain-JSON form of an item, leaving out what is unset."""
    return item_row_to_dict(pack_item(item))


def item_row_to_dict(row: ItemRow) -> dict[str, Any]:
    """``item_to_dict`` of a packed item."""
    kind, ids, title, year, show_ids, show_title, season, number = row
    data: dict[str, Any] = {"kind": kind, "ids": dict(id_pairs(ids))}
    fields = zip(_ITEM_FIELDS, (title, year, show_title, season, number), strict=True)
    data.update({name: value for name, value in fields if value is not None})
    if show_ids:
        data["show_ids"] = dict(id_pairs(show_ids))
    return data


def _optional(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise TypeError(f"{name} is not a {kind.__name__}")
    return value


def _ids(value: Any) -> FlatIds:
    if value is None:
        return ()
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise TypeError("ids must map id types to strings")
    return flat_ids({str(k): v for k, v in value.items()})


def item_from_dict(data: Mapping[str, Any]) -> MediaItem:
    """Rebuild an item from ``item_to_dict``; raises ``TypeError``/``ValueError`` when malformed."""
    return unpack_item(item_row_from_dict(data))


def item_row_from_dict(data: Mapping[str, Any]) -> ItemRow:
    """``item_from_dict``, packed."""
    return (
        MediaKind(data["kind"]).value,
        _ids(data.get("ids")),
        _optional(data, "title", str),
        _optional(data, "year", int),
        _ids(data.get("show_ids")),
        _optional(data, "show_title", str),
        _optional(data, "season", int),
        _optional(data, "number", int),
    )


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """Return a plain-JSON form of an entry."""
    return row_to_dict(pack_entry(entry))


def row_to_dict(row: Row) -> dict[str, Any]:
    """``entry_to_dict`` of a packed entry."""
    item, listed_at, plays, rating, rated_at = row
    data: dict[str, Any] = {"item": item_row_to_dict(item)}
    if listed_at is not None:
        data["listed_at"] = listed_at
    if plays:
        data["plays"] = list(plays)
    if rating is not None:
        data["rating"] = rating
    if rated_at is not None:
        data["rated_at"] = rated_at
    return data


def _time(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("times must be numbers")
    return float(value)


def entry_from_dict(data: Any) -> Entry:
    """Rebuild an entry from ``entry_to_dict``."""
    return unpack_entry(row_from_dict(data))


def row_from_dict(data: Any) -> Row:
    """``entry_from_dict``, packed."""
    if not isinstance(data, Mapping):
        raise TypeError("entry is not an object")
    plays = data.get("plays", [])
    if not isinstance(plays, list):
        raise TypeError("plays is not a list")
    times = sorted(t for t in (_time(p) for p in plays) if t is not None)
    return (
        item_row_from_dict(data["item"]),
        _time(data.get("listed_at")),
        tuple(times),
        _optional(data, "rating", int),
        _time(data.get("rated_at")),
    )
