"""Plan one run of a sync pair from the two sides' inventories and the pair's state.

Rules, per feature:

- add-only: what is new on the source (not in its baseline: a first run, a new title or play, a
  title listed again or rated anew) and the target lacks is added to the target. A title the
  source already held at the last run and the target lacks now was dropped by the target (its
  user, or the service's own rules: SIMKL and Trakt take watched titles off the watchlist); it is
  not added again, and is reported when the drop happened since the last run. What mirror would
  remove is only counted (``suppressed``).
- mirror: as add-only, and what the target has, the source lacks and the source's baseline had
  (so the source once held it) is removed from the target. Items the source never had stay.
- two-way: an item one side lacks is removed from the other side only when both baselines held it
  (it was synced, then removed on one side); otherwise it is added to the side that lacks it.

History compares plays: a play is present on a side when that side has a play of the same title
within ``play_tolerance`` seconds, or, failing that, within ``VIEWING_LAG`` (one viewing stamped
at Plex's watched mark and at the scrobble's stop), each play standing for one play at most; the
planner never posts a play that is already present.
When a side being written cannot keep play times (marking watched stamps "now"), history is
compared per title (watched or not) instead, so a re-read never looks like a new play. A side
that does not show removed plays (SIMKL) keeps its baseline's plays: a play missing from its read
is never taken for a removal, in any mode. Plays we removed that a side still shows (Plex keeps
its history when a title is marked unwatched) are left out of its reads (``lingering``).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Final

from ..api.models import STRONG_ID_TYPES, Feature, MediaItem, MediaKind, pack_item, unpack_item
from .guards import (
    GuardSettings,
    activity_moved,
    removals_exceed_limit,
    snapshot_collapsed,
    split_at_capacity,
)
from .inventory import Inventory, Row, row_plays, unpack_entry, with_row_plays
from .matching import MatchQuality
from .plan import (
    Action,
    Change,
    ChangeRow,
    Changes,
    Conflict,
    Dropped,
    FeaturePlan,
    Side,
    SyncMode,
    SyncPlan,
    Unmatched,
    WeakMatch,
)
from .state import Baseline, PairState, watermark_key
from .titles import Override, TitleKeys, apply_overrides, ignored_keys

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from .guards import FailureRecord
    from .inventory import Entry
    from .matching import MatchIndex

ALL_KINDS = frozenset(MediaKind)


def _all_kinds() -> dict[Feature, frozenset[MediaKind]]:
    return dict.fromkeys(Feature, ALL_KINDS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Capabilities:
    """What an account can be written with.

    ``id_types``: ids its write endpoints accept; ``kinds``: what each feature can hold (SIMKL
    rates only movies and shows); ``limits``: list limits (Trakt's watchlist limit from
    ``/users/settings``); ``exact_play_times``: whether a posted play keeps its ``watched_at``
    and stays a separate play (Trakt yes; Plex stamps "now", SIMKL keeps one watch per title);
    ``observes_history_removals``: whether a play missing from a read of the account was removed
    (SIMKL, a tracker of changes, does not report removed plays, so a gap there means nothing);
    ``marker_vouches_for_empty``: see below.
    """

    id_types: frozenset[str] = frozenset(STRONG_ID_TYPES)
    kinds: Mapping[Feature, frozenset[MediaKind]] = field(default_factory=_all_kinds)
    limits: Mapping[Feature, int] = field(default_factory=dict)
    exact_play_times: bool = True
    observes_history_removals: bool = True
    # Whether a moved activity marker can vouch for a list that reads empty. Plex's markers are
    # one row of the list itself, so an empty answer moves them too: they cannot.
    marker_vouches_for_empty: bool = True

    def refusal(self, feature: Feature, item: MediaItem) -> str | None:
        """Why ``item`` cannot be written for ``feature``, or ``None`` when it can."""
        if item.kind not in self.kinds.get(feature, frozenset()):
            return "unsupported_kind"
        if any(id_type in self.id_types for id_type in item.ids):
            return None
        by_show = item.kind in (MediaKind.SEASON, MediaKind.EPISODE) and item.season is not None
        if by_show and any(id_type in self.id_types for id_type in item.show_ids):
            return None
        return "no_usable_id"


@dataclass(frozen=True, slots=True, kw_only=True)
class SideInput:
    """A fresh read of one side for one feature."""

    inventory: Inventory
    capabilities: Capabilities = field(default_factory=Capabilities)
    activity: str | None = None  # the provider's activity marker for this feature, if it has one


# How far apart two plays of one title may be and still be the same play (seconds).
PLAY_TOLERANCE: Final = 60.0
# How far apart one viewing's plays on two sides may be when neither has a closer match: Plex
# marks a title watched once most of it has played (90% by default) and stamps that moment,
# while a scrobble to Trakt or SIMKL is stamped when playback stops, after the rest and the
# credits (and any pause). Taken for two viewings, the next history run posted Plex's play again.
VIEWING_LAG: Final = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSettings:
    """How a pair plans."""

    mode: SyncMode = SyncMode.ADD_ONLY
    play_tolerance: float = PLAY_TOLERANCE
    guards: GuardSettings = field(default_factory=GuardSettings)
    # The user's "removals" choice: without it nothing is deleted on either side, even in two-way
    # mode (a removal seen on one side is then reported as suppressed, not carried over).
    allow_removals: bool = True
    # Titles (``titles.title_key``) the user chose never to add to the other side.
    ignored: frozenset[str] = frozenset()
    # Titles (``titles.title_key``) left unsynced by the last run: one way, not taken for drops.
    retry: frozenset[str] = frozenset()


def plan_sync(
    state: PairState,
    inputs: Mapping[Feature, tuple[SideInput, SideInput]],
    settings: PlanSettings,
    *,
    now: float,
    confirm_removals: bool = False,
) -> SyncPlan:
    """Plan every feature in ``inputs`` (source, target) against ``state``.

    Removals held by the mass-removal guard go ahead when ``confirm_removals`` is set, or when the
    state carries the user's confirmation of exactly these held removals (``held_plan_id``): a
    confirmation of another plan is not used, and the removals are held again.

    The user's fixes in ``state.overrides`` apply first: fixed titles carry the ids the user
    picked on both sides, and ignored titles are never added to the other side. Titles left
    unsynced last time (``state.unmatched``) are tried again even though the source's baseline
    holds them: they never reached the target, so their absence there is no drop.
    """
    if state.overrides:
        fixed = partial(_with_overrides, overrides=state.overrides)
        inputs = {feature: (fixed(s), fixed(t)) for feature, (s, t) in inputs.items()}
        settings = replace(settings, ignored=settings.ignored | ignored_keys(state.overrides))
    if state.unmatched:
        settings = replace(settings, retry=settings.retry | frozenset(state.unmatched))
    keys = TitleKeys(state.overrides)

    def plan_all(confirmed: bool) -> dict[Feature, FeaturePlan]:  # noqa: FBT001
        return {
            feature: plan_feature(
                feature,
                source,
                target,
                settings=settings,
                baseline=state.baselines.get(feature),
                watermarks=(
                    state.watermarks.get(watermark_key(Side.SOURCE, feature)),
                    state.watermarks.get(watermark_key(Side.TARGET, feature)),
                ),
                failures=state.failures,
                now=now,
                confirm_removals=confirmed,
                lingering=(
                    state.lingering.get(watermark_key(Side.SOURCE, feature), {}),
                    state.lingering.get(watermark_key(Side.TARGET, feature), {}),
                ),
                keys=keys,
            )
            for feature, (source, target) in inputs.items()
        }

    plans = plan_all(confirm_removals)
    held = held_plan_id(plans.values())
    confirmed = confirm_removals or (held is not None and held == state.confirmed_plan)
    if confirmed and not confirm_removals:
        plans = plan_all(True)  # noqa: FBT003
    return SyncPlan(
        features=plans,
        created_at=now,
        confirmed_removals=confirmed,
        held_plan=None if confirmed else held,
    )


def _with_overrides(side: SideInput, overrides: Mapping[str, Override]) -> SideInput:
    inventory = apply_overrides(side.inventory, overrides)
    return side if inventory is side.inventory else replace(side, inventory=inventory)


def held_plan_id(plans: Iterable[FeaturePlan]) -> str | None:
    """Names one set of held removals (what the held-plan repair shows); ``None`` if none."""
    held = sorted(c.id for plan in plans for c in plan.held)
    if not held:
        return None
    return hashlib.sha256("\n".join(held).encode()).hexdigest()[:16]


def without_lingering(
    inventory: Inventory, lingering: Mapping[str, Sequence[float]]
) -> tuple[Inventory, dict[str, tuple[float, ...]]]:
    """``inventory`` without the plays we removed that its side still shows, and those plays.

    Plex keeps its play history when a title is marked unwatched, so a removal carried there
    would read as a new play on every later read.
    """
    if not lingering or inventory.feature is not Feature.HISTORY:
        return inventory, {}
    rows = dict(inventory.rows)
    shown: dict[str, tuple[float, ...]] = {}
    for key, times in lingering.items():
        row = rows.get(key)
        if row is None:
            continue
        gone = set(times)
        still = tuple(t for t in row_plays(row) if t in gone)
        if not still:
            continue
        shown[key] = still
        plays = tuple(t for t in row_plays(row) if t not in gone)
        if plays:
            rows[key] = with_row_plays(row, plays)
        else:
            del rows[key]
    return Inventory.from_rows(inventory.feature, rows), shown


def plan_feature(
    feature: Feature,
    source: SideInput,
    target: SideInput,
    *,
    settings: PlanSettings,
    baseline: Baseline | None = None,
    watermarks: tuple[str | None, str | None] = (None, None),
    failures: Mapping[str, FailureRecord] | None = None,
    now: float = 0.0,
    confirm_removals: bool = False,
    lingering: tuple[Mapping[str, Sequence[float]], Mapping[str, Sequence[float]]] = ({}, {}),
    keys: TitleKeys | None = None,
) -> FeaturePlan:
    """Plan one feature, guards included.

    ``lingering``: per side, plays we removed that the side may still show (left out here);
    ``keys``: how ``settings.ignored`` and ``settings.retry`` name titles (overrides known).
    """
    for side_input in (source, target):
        if side_input.inventory.feature is not feature:
            raise ValueError(f"{side_input.inventory.feature} inventory given for {feature}")
    shown: dict[Side, dict[str, tuple[float, ...]]] = {}
    source_read, shown[Side.SOURCE] = without_lingering(source.inventory, lingering[0])
    target_read, shown[Side.TARGET] = without_lingering(target.inventory, lingering[1])
    source = replace(source, inventory=source_read)
    target = replace(target, inventory=target_read)
    effective, collapsed = _guard_snapshots(source, target, baseline, watermarks, settings.guards)
    builder = _Builder(
        feature=feature,
        mode=settings.mode,
        tolerance=settings.play_tolerance,
        source=effective[Side.SOURCE],
        target=effective[Side.TARGET],
        baseline=baseline,
        caps={Side.SOURCE: source.capabilities, Side.TARGET: target.capabilities},
        ignored=settings.ignored,
        retry=settings.retry,
        keys=keys,
    )
    builder.run()

    # Changes are read one at a time from their packed rows and packed again as they are sorted
    # out: a list of them all as objects would outlive young collections (see ``Changes``).
    changes = Changes.of_rows(builder.changes)
    del builder.changes
    suppressed: list[Change] = []
    if collapsed or not settings.allow_removals or settings.mode is SyncMode.ADD_ONLY:
        suppressed = list(changes.where(action=Action.REMOVE))
        changes = changes.where(action=Action.ADD)
    failures = failures or {}
    parked = (
        [c for c in changes if (r := failures.get(c.park_key)) is not None and r.parked(now)]
        if failures
        else []
    )
    held: list[Change] = []
    if baseline is not None and not confirm_removals:
        held = _mass_removals(changes, baseline, settings.guards)
    set_aside = {c.id for c in (*parked, *held)}
    kept, cut = _cut_at_limits(
        Changes(c for c in changes if c.id not in set_aside), feature, builder.caps, effective
    )

    return FeaturePlan(
        feature=feature,
        mode=settings.mode,
        source=effective[Side.SOURCE],
        target=effective[Side.TARGET],
        baseline_source=None if baseline is None else baseline.source,
        baseline_target=None if baseline is None else baseline.target,
        changes=kept,
        held=tuple(held),
        parked=tuple(parked),
        limit_cut=tuple(cut),
        unmatched=tuple(builder.unmatched),
        conflicts=tuple(builder.conflicts),
        weak_matches=tuple(builder.weak),
        target_dropped=tuple(builder.dropped.values()),
        collapsed=tuple(collapsed),
        suppressed=tuple(suppressed),
        activity={Side.SOURCE: source.activity, Side.TARGET: target.activity},
        lingering=shown,
    )


def _guard_snapshots(
    source: SideInput,
    target: SideInput,
    baseline: Baseline | None,
    watermarks: tuple[str | None, str | None],
    guards: GuardSettings,
) -> tuple[dict[Side, Inventory], list[Side]]:
    """Each side's inventory to plan with: a collapsed read is replaced by its previous one.

    A side that cannot show removed plays keeps every play of its baseline: a play missing from
    its read is no removal to propagate or mirror (and no gap to fill again).
    """
    effective: dict[Side, Inventory] = {}
    collapsed: list[Side] = []
    for side, side_input, watermark in (
        (Side.SOURCE, source, watermarks[0]),
        (Side.TARGET, target, watermarks[1]),
    ):
        previous = None if baseline is None else baseline.side(side)
        current = side_input.inventory
        caps = side_input.capabilities
        unseen_removals = not caps.observes_history_removals
        moved = activity_moved(watermark, side_input.activity)
        if previous is not None and unseen_removals and current.feature is Feature.HISTORY:
            current = current.with_plays_of(previous)
        elif previous is not None and snapshot_collapsed(
            previous.size,
            current.size,
            activity_moved=moved and (current.size > 0 or caps.marker_vouches_for_empty),
            settings=guards,
        ):
            # A provider failure, not a user emptying a list: keep the previous snapshot.
            collapsed.append(side)
            current = previous
        effective[side] = current
    return effective, collapsed


def _mass_removals(
    changes: Sequence[Change], baseline: Baseline, guards: GuardSettings
) -> list[Change]:
    """Return the removals to hold: all of a side's when they exceed its baseline share."""
    held: list[Change] = []
    for side in Side:
        removals = [c for c in changes if c.action is Action.REMOVE and c.side is side]
        if removals and removals_exceed_limit(len(removals), baseline.side(side).size, guards):
            held.extend(removals)
    return held


def _cut_at_limits(
    changes: Changes,
    feature: Feature,
    caps: Mapping[Side, Capabilities],
    inventories: Mapping[Side, Inventory],
) -> tuple[Changes, list[Change]]:
    """Split changes into those to write and adds beyond a side's list limit."""
    kept: list[Sequence[Change]] = []
    cut: list[Change] = []
    for side in Side:
        adds = changes.where(side, Action.ADD)
        fits, over = split_at_capacity(adds, caps[side].limits.get(feature), len(inventories[side]))
        kept.append(changes.where(side, Action.REMOVE))
        kept.append(fits)
        cut.extend(over)
    return Changes.joined(kept), cut


def _later(moment: float | None, before: float | None) -> bool:
    """Whether both times are known and ``moment`` is after ``before``."""
    return moment is not None and before is not None and moment > before


def covered(moment: float, plays: Sequence[float], tolerance: float) -> bool:
    """Whether sorted ``plays`` hold a play within ``tolerance`` seconds of ``moment``."""
    index = bisect_left(plays, moment - tolerance)
    return index < len(plays) and plays[index] <= moment + tolerance


def unpaired(
    plays: Sequence[float], other: Sequence[float], tolerance: float, lag: float
) -> list[float]:
    """The ``plays`` (sorted) that no play of ``other`` (the other side's, sorted) stands for.

    Plays of one side within ``tolerance`` of each other are one play (near-duplicates). A play
    of ``other`` within ``tolerance`` stands for it; the rest stand for one play each within
    ``lag``, nearest first. So one viewing stamped minutes apart on two sides is one play, and
    a title watched twice keeps both.
    """
    mine = [group for group in _groups(plays, tolerance) if not _near(group, other, tolerance)]
    if not mine:
        return []
    free = [group for group in _groups(other, tolerance) if not _near(group, plays, tolerance)]
    pairs = sorted(
        (gap, i, j)
        for i, group in enumerate(mine)
        for j, theirs in enumerate(free)
        if (gap := min(abs(a - b) for a in group for b in theirs)) <= lag
    )
    paired: set[int] = set()
    taken: set[int] = set()
    for _, i, j in pairs:
        if i not in paired and j not in taken:
            paired.add(i)
            taken.add(j)
    return [moment for i, group in enumerate(mine) if i not in paired for moment in group]


def _groups(plays: Sequence[float], tolerance: float) -> list[list[float]]:
    """Sorted ``plays`` in runs whose neighbours are within ``tolerance`` (one play each)."""
    groups: list[list[float]] = []
    for moment in plays:
        if groups and moment - groups[-1][-1] <= tolerance:
            groups[-1].append(moment)
        else:
            groups.append([moment])
    return groups


def _near(group: Sequence[float], plays: Sequence[float], tolerance: float) -> bool:
    return any(covered(moment, plays, tolerance) for moment in group)


class _Builder:
    """Computes the raw changes of one feature before the guards filter them."""

    def __init__(
        self,
        *,
        feature: Feature,
        mode: SyncMode,
        tolerance: float,
        source: Inventory,
        target: Inventory,
        baseline: Baseline | None,
        caps: Mapping[Side, Capabilities],
        ignored: frozenset[str] = frozenset(),
        retry: frozenset[str] = frozenset(),
        keys: TitleKeys | None = None,
    ) -> None:
        self.feature = feature
        self.ignored = ignored
        self.retry = retry
        self.keys = keys or TitleKeys({})
        self.mode = mode
        self.tolerance = tolerance
        self.inventories = {Side.SOURCE: source, Side.TARGET: target}
        self.indexes: dict[Side, MatchIndex] = {
            side: inv.index() for side, inv in self.inventories.items()
        }
        self.baselines: dict[Side, tuple[Inventory, MatchIndex]] | None = None
        if baseline is not None:
            self.baselines = {side: self._baseline_index(baseline, side) for side in Side}
        self.caps = caps
        two_way = mode is SyncMode.TWO_WAY
        self.by_title = not caps[Side.TARGET].exact_play_times or (
            two_way and not caps[Side.SOURCE].exact_play_times
        )
        # Packed (``Change.row``): a first run plans tens of thousands.
        self.changes: list[ChangeRow] = []
        self.unmatched: list[Unmatched] = []
        self.conflicts: list[Conflict] = []
        self.weak: list[WeakMatch] = []
        # Titles the target dropped since the last run, by key (history: once per title).
        self.dropped: dict[str, Dropped] = {}

    def _baseline_index(self, baseline: Baseline, side: Side) -> tuple[Inventory, MatchIndex]:
        """A side's baseline and its index; a side kept as its baseline shares its index."""
        before = baseline.side(side)
        if before is self.inventories[side]:
            return before, self.indexes[side]
        return before, before.index(keep_keys=False)

    def run(self) -> None:
        # One way walks the target too: what the source no longer has is a removal, carried
        # (mirror) or only counted (removals off: ``suppressed``).
        self._walk(Side.SOURCE)
        self._walk(Side.TARGET)

    @property
    def _one_way(self) -> bool:
        return self.mode is not SyncMode.TWO_WAY

    def _baseline_entry(self, side: Side, holder: Side, key: str, item: MediaItem) -> Entry | None:
        """Return what ``side``'s baseline holds, by a strong match, for ``holder``'s entry."""
        if self.baselines is None:
            return None
        inventory, index = self.baselines[side]
        found = index.find_strong(item, self.indexes[holder].keys_of(key))
        return None if found is None else inventory.entries[found]

    def _walk(self, side: Side) -> None:
        """Compare every entry of ``side`` with the other side."""
        other = side.other
        own_index = self.indexes[side]
        other_rows = self.inventories[other].rows
        other_index = self.indexes[other]
        rows = self.inventories[side].rows
        # Packed rows throughout; an ``Entry`` is built only for a title that needs a decision.
        # Keys only: a sorted list of (key, row) pairs would be one more tracked object per
        # entry for the whole walk, adding to the full garbage collections a large library sets off.
        for key in sorted(rows):
            row = rows[key]
            keys = own_index.keys_of(key)
            match = other_index.find(row[0], keys)
            other_row = None
            if match is not None:
                other_row = other_rows[match.key]
                if side is Side.SOURCE and match.quality is not MatchQuality.STRONG:
                    self._report_match(key, unpack_item(row[0]), match.key, match.quality)
            elif own_index.find_strong(row[0], keys) not in (key, None):
                continue  # a duplicate of another entry on this side: that one speaks for both
            if self.feature is Feature.HISTORY:
                self._plays(side, key, row, other_row)
            elif other_row is None:
                self._absent(side, key, unpack_entry(row))
            elif self.feature is Feature.RATINGS and side is Side.SOURCE and row[3] != other_row[3]:
                self._ratings(
                    key, unpack_entry(row), match.key if match else key, unpack_entry(other_row)
                )

    def _report_match(
        self, key: str, item: MediaItem, other_key: str, quality: MatchQuality
    ) -> None:
        if quality is MatchQuality.WEAK:
            self.weak.append(WeakMatch(key=key, item=item, other_key=other_key))
        elif quality is MatchQuality.CONFLICTING:
            self.conflicts.append(Conflict(key=key, item=item, reason="ids"))

    def _synced_before(
        self, holder: Side, key: str, item: MediaItem
    ) -> tuple[Entry | None, Entry | None]:
        return (
            self._baseline_entry(Side.SOURCE, holder, key, item),
            self._baseline_entry(Side.TARGET, holder, key, item),
        )

    def _absent(self, side: Side, key: str, entry: Entry) -> None:
        """``entry`` is on ``side`` and missing on the other side."""
        other = side.other
        if side is Side.TARGET and self._one_way:
            if self._baseline_entry(Side.SOURCE, side, key, entry.item) is not None:
                self._emit(Action.REMOVE, Side.TARGET, key, entry)
            return
        in_source, in_target = self._synced_before(side, key, entry.item)
        if self.mode is SyncMode.TWO_WAY:
            if in_source is not None and in_target is not None:
                self._emit(Action.REMOVE, side, key, entry)
                return
        elif (
            not self._new_on_source(entry, in_source)
            and self._writable(entry)
            and not self._retried(entry)
        ):
            self._drop(key, entry, since_last_run=in_target is not None)
            return
        self._add(other, key, entry)

    def _new_on_source(self, entry: Entry, before: Entry | None) -> bool:
        """Whether a one-way source entry is news since the last run (its baseline ``before``)."""
        if before is None:
            return True
        if self.feature is Feature.RATINGS:
            return entry.rating != before.rating or _later(entry.rated_at, before.rated_at)
        return _later(entry.listed_at, before.listed_at)  # taken off and listed again

    def _retried(self, entry: Entry) -> bool:
        """Whether the title was left unsynced last time (so it never reached the target)."""
        return bool(self.retry) and self.keys.of(entry.item) in self.retry

    def _writable(self, entry: Entry) -> bool:
        """Whether the target could take ``entry`` (if not, ``_add`` reports it as unmatched)."""
        return self.caps[Side.TARGET].refusal(self.feature, entry.item) is None

    def _drop(self, key: str, entry: Entry, *, since_last_run: bool) -> None:
        """Leave off a title the target dropped; report it when that happened since the last run."""
        if since_last_run:
            self.dropped.setdefault(key, Dropped(key=key, item=entry.item))

    def _add(self, side: Side, key: str, entry: Entry, watched_at: float | None = None) -> bool:
        if self.ignored and self.keys.of(entry.item) in self.ignored:
            return False  # the user chose to leave this title where it is
        reason = self.caps[side].refusal(self.feature, entry.item)
        if reason is not None:
            self.unmatched.append(Unmatched(side=side, key=key, item=entry.item, reason=reason))
            return False
        self._emit(Action.ADD, side, key, entry, watched_at)
        return True

    def _emit(
        self, action: Action, side: Side, key: str, entry: Entry, watched_at: float | None = None
    ) -> None:
        self.changes.append(
            (
                self.feature.value,
                side.value,
                action.value,
                key,
                pack_item(entry.item),
                watched_at,
                entry.listed_at,
                entry.rating,
                entry.rated_at,
            )
        )

    def _ratings(self, key: str, source: Entry, target_key: str, target: Entry) -> None:
        """Both sides rate the title; align differing ratings."""
        if source.rating == target.rating:
            return
        winner = None
        conflict = True
        if self.baselines is not None:
            before_source, before_target = self._synced_before(Side.SOURCE, key, source.item)
            source_changed = before_source is None or before_source.rating != source.rating
            target_changed = before_target is None or before_target.rating != target.rating
            if source_changed != target_changed:
                winner = Side.SOURCE if source_changed else Side.TARGET
                conflict = False
        if winner is None:
            newer_target = target.rated_at is not None and (
                source.rated_at is None or target.rated_at > source.rated_at
            )
            winner = Side.TARGET if newer_target else Side.SOURCE
        if conflict:
            self.conflicts.append(
                Conflict(
                    key=key,
                    item=source.item,
                    reason="rating",
                    source_rating=source.rating,
                    target_rating=target.rating,
                    winner=winner,
                )
            )
        if winner is Side.SOURCE:
            self._add(Side.TARGET, key, source)
        elif self.mode is SyncMode.TWO_WAY:
            self._add(Side.SOURCE, target_key, target)

    def _plays(self, side: Side, key: str, row: Row, other_row: Row | None) -> None:
        """Compare a title's plays on ``side`` with the other side's plays of it."""
        missing = self._missing(row_plays(row), () if other_row is None else row_plays(other_row))
        if not missing:
            return
        entry = unpack_entry(row)
        before_source: tuple[float, ...] | None = None
        before_target: tuple[float, ...] | None = None
        if self.baselines is not None:
            found = self._synced_before(side, key, entry.item)
            before_source = () if found[0] is None else found[0].plays
            before_target = () if found[1] is None else found[1].plays
        planned: list[float] = []
        # Per title, the latest play is the one worth posting (SIMKL keeps only the last watch).
        for moment in reversed(missing) if self.by_title else missing:
            # Within tolerance only, not ``VIEWING_LAG``: what the baselines held decides
            # removals, and a looser match there would remove more.
            was_source = before_source is not None and self._present(moment, before_source)
            was_target = before_target is not None and self._present(moment, before_target)
            if side is Side.TARGET and self._one_way:
                if was_source:
                    self._emit(Action.REMOVE, side, key, entry, moment)
                continue
            if self.mode is SyncMode.TWO_WAY and was_source and was_target:
                self._emit(Action.REMOVE, side, key, entry, moment)
                continue
            if self._present(moment, planned) or self._left_off(
                key, entry, moment, before_source, was_target=was_target
            ):
                continue
            if not self._add(side.other, key, entry, moment):
                return  # the other side cannot take this title at all: report it once
            planned.append(moment)
        if planned and self.by_title:
            self.dropped.pop(key, None)  # watched again: the title goes back, not a drop

    def _missing(self, plays: Sequence[float], other: Sequence[float]) -> list[float]:
        """The plays the other side has no play standing for (per title: whether it has any)."""
        if self.by_title:
            return [] if other else list(plays)
        return unpaired(plays, other, self.tolerance, VIEWING_LAG)

    def _left_off(
        self,
        key: str,
        entry: Entry,
        moment: float,
        before_source: Sequence[float] | None,
        *,
        was_target: bool,
    ) -> bool:
        """One way: whether a source play the target lacks is old news the target dropped."""
        # The source is never written one way, so its baseline keeps exact play times.
        known = before_source is not None and covered(moment, before_source, self.tolerance)
        if self.mode is SyncMode.TWO_WAY or not known or not self._writable(entry):
            return False
        if self._retried(entry):
            return False
        self._drop(key, entry, since_last_run=was_target)
        return True

    def _present(self, moment: float, plays: Sequence[float]) -> bool:
        if self.by_title:
            return bool(plays)
        return covered(moment, plays, self.tolerance)
