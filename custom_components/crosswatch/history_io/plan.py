"""Plan an import: which read records the target lacks, and a preview of it per feature.

An import only adds: nothing on the target is removed or changed (a title rated differently
there keeps its rating). A play the target already has within the sync's play tolerance (60 s,
``PlanSettings.play_tolerance``) is not posted again, nor twice from one file, so importing the
same file twice adds nothing the second time. A target that does not keep every play's time
(SIMKL, Plex: ``Capabilities.exact_play_times``) gets one play per title it has none of.
"""

from __future__ import annotations

from bisect import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from ..api.ids import canonical_key
from ..api.models import Feature, MediaItem, MediaKind, Play, Rating, WatchlistEntry, unpack_item
from ..sync.inventory import Inventory, row_plays, to_timestamp
from ..sync.matching import MatchIndex, MatchQuality, weak_key
from ..sync.planner import Capabilities, PlanSettings, covered
from .rows import ExportRows, Record, RecordRow, Records

__all__ = ["Record"]  # the record types' union, also known here

SAMPLE_SIZE = 5
_TITLE_KINDS = frozenset({MediaKind.MOVIE.value, MediaKind.SHOW.value})
# What the glue found for a title without ids (TMDb or the target's search), by its weak key.
type Guesses = Mapping[tuple[str, str, str, int | None, int | None], MediaItem]


class Outcome(StrEnum):
    """What the import does with one read record."""

    ADD = "to_add"
    ALREADY = "already_on_target"
    UNMATCHED = "unmatched"


@dataclass(slots=True)
class FeaturePreview:
    """Counts for one feature, with a few titles of each outcome."""

    read: int = 0
    matched: int = 0  # identified: by an id the target takes, or a guess by title and year
    guessed: int = 0  # of ``matched``: identified only by title and year (reported, never silent)
    already_on_target: int = 0
    to_add: int = 0
    unmatched: int = 0
    samples: dict[Outcome, list[str]] = field(default_factory=dict)
    unmatched_reasons: dict[str, int] = field(default_factory=dict)

    def note(self, outcome: Outcome, title: str) -> None:
        """Count ``outcome`` and keep ``title`` among its first samples."""
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)
        shown = self.samples.setdefault(outcome, [])
        if len(shown) < SAMPLE_SIZE and title not in shown:
            shown.append(title)

    def as_dict(self) -> dict[str, object]:
        """Plain form (action response data)."""
        return {
            "read": self.read,
            "matched": self.matched,
            "guessed": self.guessed,
            "already_on_target": self.already_on_target,
            "to_add": self.to_add,
            "unmatched": self.unmatched,
            "unmatched_reasons": dict(sorted(self.unmatched_reasons.items())),
            "samples": {outcome.value: titles for outcome, titles in self.samples.items()},
        }


class ImportPlan:
    """What to write, per feature, and the preview of it (records kept packed)."""

    __slots__ = ("plays", "preview", "ratings", "watchlist")

    def __init__(
        self,
        *,
        plays: Iterable[Play] = (),
        ratings: Iterable[Rating] = (),
        watchlist: Iterable[WatchlistEntry] = (),
    ) -> None:
        """A plan of these records (none by default), its preview to be filled."""
        self.preview: dict[Feature, FeaturePreview] = {}
        self.plays: Records[Play] = Records(Feature.HISTORY, plays)
        self.ratings: Records[Rating] = Records(Feature.RATINGS, ratings)
        self.watchlist: Records[WatchlistEntry] = Records(Feature.WATCHLIST, watchlist)

    @property
    def writes(self) -> int:
        """How many records the import would write."""
        return len(self.plays) + len(self.ratings) + len(self.watchlist)


def describe(item: MediaItem) -> str:
    """A short title for the preview: ``The Matrix (1999)``, ``Show S01E02``."""
    if item.kind is MediaKind.EPISODE:
        return f"{item.show_title or '?'} S{item.season or 0:02d}E{item.number or 0:02d}"
    if item.kind is MediaKind.SEASON:
        return f"{item.show_title or '?'} season {item.season}"
    title = item.title or next(iter(item.ids.values()), "?")
    return f"{title} ({item.year})" if item.year else title


def lookups_needed(rows: ExportRows, features: Iterable[Feature]) -> list[MediaItem]:
    """Movies and shows of ``features`` that carry no id at all, once each (title + year)."""
    chosen = set(features)
    found: dict[tuple[str, str, str, int | None, int | None], MediaItem] = {}
    for records in (rows.plays, rows.ratings, rows.watchlist):
        if records.feature not in chosen:
            continue
        for packed, *_ in records.rows:
            # packed: kind, ids, ...; only a film or show without any id is looked up
            if packed[1] or packed[0] not in _TITLE_KINDS:
                continue
            item = unpack_item(packed)
            key = weak_key(item)
            if key is not None and key not in found:
                found[key] = item
    return list(found.values())


def pick_guess(item: MediaItem, candidates: Iterable[MediaItem]) -> MediaItem | None:
    """The one candidate of the same kind, title (ignoring case and spacing) and year.

    ``None`` when none or several fit: a guess is only made when it is unambiguous.
    """
    key = weak_key(item)
    fitting = [c for c in candidates if c.kind is item.kind and weak_key(c) == key]
    return fitting[0] if len(fitting) == 1 else None


def plan_import(
    rows: ExportRows,
    target: Mapping[Feature, Inventory],
    capabilities: Capabilities,
    *,
    guesses: Guesses | None = None,
    settings: PlanSettings | None = None,
) -> ImportPlan:
    """Plan importing ``rows`` into the account whose current inventory is ``target``.

    Only the features in ``target`` are planned (the caller leaves out what the user did not
    choose or the target cannot hold).
    """
    tolerance = (settings or PlanSettings()).play_tolerance
    plan = ImportPlan()
    records: dict[Feature, Sequence[Record]] = {
        Feature.HISTORY: rows.plays,
        Feature.RATINGS: _newest_rating_each(rows.ratings),
        Feature.WATCHLIST: rows.watchlist,
    }
    for feature, inventory in target.items():
        preview = plan.preview[feature] = FeaturePreview()
        planner = _FeaturePlanner(
            feature,
            inventory,
            capabilities=capabilities,
            guesses=guesses or {},
            preview=preview,
            tolerance=tolerance,
        )
        for record in records[feature]:
            chosen = planner.plan(record)
            if chosen is None:
                continue
            if isinstance(chosen, Play):
                plan.plays.append(chosen)
            elif isinstance(chosen, Rating):
                plan.ratings.append(chosen)
            else:
                plan.watchlist.append(chosen)
    return plan


def _newest_rating_each(ratings: Records[Rating]) -> Records[Rating]:
    """One rating per title (Letterboxd and IMDb may list a title twice): the newest."""
    newest: dict[str, RecordRow] = {}
    for rating, row in zip(ratings, ratings.rows, strict=True):
        key = canonical_key(rating.item)
        present = newest.get(key)
        if present is None or _later(row, present):
            newest[key] = row
    return Records.of_rows(Feature.RATINGS, newest.values())


def _later(row: RecordRow, other: RecordRow) -> bool:
    """Whether the rating ``row`` was rated at or after ``other`` (unknown: the oldest)."""
    rated_at, other_at = row[1], other[1]
    if rated_at is None:
        return other_at is None
    return other_at is None or rated_at >= other_at


class _FeaturePlanner:
    """Plans one feature's records against the target, remembering what it already chose."""

    def __init__(
        self,
        feature: Feature,
        inventory: Inventory,
        *,
        capabilities: Capabilities,
        guesses: Guesses,
        preview: FeaturePreview,
        tolerance: float,
    ) -> None:
        self.feature = feature
        self.rows = inventory.rows
        self.entries = inventory.entries
        self.index: MatchIndex = inventory.index(keep_keys=False)
        self.capabilities = capabilities
        self.guesses = guesses
        self.preview = preview
        self.tolerance = tolerance
        # Per target key (or the record's own key when new): play times chosen or present,
        # sorted; tuples, which the garbage collector stops tracking (a list per title would
        # be promoted towards a full collection while a large file is planned).
        self.plays: dict[str, tuple[float, ...]] = {}
        self.chosen: set[str] = set()

    def plan(self, record: Record) -> Record | None:
        self.preview.read += 1
        item, guessed = self._identify(record.item)
        if item is None:
            return None
        match = self.index.find(item)
        if match is not None and match.quality is MatchQuality.WEAK:
            if guessed:
                match = None  # a guess is matched by the ids it found, not by title again
            else:
                # The row's ids name no title there; one of the same title and year is taken
                # for it: a guess too, reported (never silent).
                guessed = True
        self.preview.matched += 1
        self.preview.guessed += guessed
        key = match.key if match is not None else "new:" + canonical_key(item)
        if self._present(record, key):
            self.preview.note(Outcome.ALREADY, describe(item))
            return None
        self.preview.note(Outcome.ADD, describe(item))
        if item is record.item:
            return record
        if isinstance(record, Play):
            return Play(item=item, watched_at=record.watched_at)
        if isinstance(record, Rating):
            return Rating(item=item, rating=record.rating, rated_at=record.rated_at)
        return WatchlistEntry(item=item, listed_at=record.listed_at)

    def _identify(self, item: MediaItem) -> tuple[MediaItem | None, bool]:
        """The item with ids the target takes, and whether it was guessed by title and year."""
        reason = self.capabilities.refusal(self.feature, item)
        if reason is None:
            return item, False
        if reason == "no_usable_id":
            weak = weak_key(item)
            guess = self.guesses.get(weak) if weak is not None else None
            if guess is not None and self.capabilities.refusal(self.feature, guess) is None:
                return guess, True
            # The target may hold the title itself: matched by title and year, reported.
            if weak is not None and not item.ids:
                match = self.index.find(item)
                if match is not None:
                    return self.entries[match.key].item, True
            reason = "no_usable_id" if item.ids else "no_ids"
        self.preview.unmatched += 1
        self.preview.unmatched_reasons[reason] = self.preview.unmatched_reasons.get(reason, 0) + 1
        shown = self.preview.samples.setdefault(Outcome.UNMATCHED, [])
        if len(shown) < SAMPLE_SIZE and describe(item) not in shown:
            shown.append(describe(item))
        return None, False

    def _present(self, record: Record, key: str) -> bool:
        if isinstance(record, Play):
            return self._play_present(record, key)
        if key in self.chosen:
            return True
        self.chosen.add(key)
        # A rating already there (even a different one) is kept: an import never changes it.
        return key in self.rows

    def _play_present(self, play: Play, key: str) -> bool:
        times = self.plays.get(key)
        if times is None:
            row = self.rows.get(key)
            times = row_plays(row) if row is not None else ()
        moment = to_timestamp(play.watched_at)
        if not self.capabilities.exact_play_times:
            # SIMKL and Plex keep no separate plays: one play for a title they have none of.
            if times:
                self.plays[key] = times
                return True
            self.plays[key] = (moment,)
            return False
        if covered(moment, times, self.tolerance):
            self.plays[key] = times
            return True
        at = bisect(times, moment)
        self.plays[key] = (*times[:at], moment, *times[at:])
        return False
