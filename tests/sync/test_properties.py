"""Property tests: the planner converges, is idempotent and never removes or repeats by accident."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.sync.apply import apply_outcome
from custom_components.crosswatch.sync.guards import GuardSettings
from custom_components.crosswatch.sync.plan import Action, Change, ExecutionOutcome, Side, SyncMode
from custom_components.crosswatch.sync.planner import (
    VIEWING_LAG,
    Capabilities,
    PlanSettings,
    SideInput,
    covered,
    plan_sync,
    unpaired,
)
from custom_components.crosswatch.sync.state import Baseline, PairState

from .helpers import T0_TS, history, ratings, watchlist

if TYPE_CHECKING:
    from custom_components.crosswatch.sync.inventory import Inventory
    from custom_components.crosswatch.sync.plan import SyncPlan

TOLERANCE = 60.0
NO_GUARDS = GuardSettings(
    collapse_min_previous=10**9, max_removal_percent=10**6, empty_is_failure=False
)
TITLES = st.integers(min_value=1, max_value=12)
ID_FORMS = st.sampled_from(["both", "tmdb", "imdb"])


def item(title: int, form: str = "both") -> MediaItem:
    ids = {}
    if form in ("both", "tmdb"):
        ids["tmdb"] = str(title)
    if form in ("both", "imdb"):
        ids["imdb"] = f"tt{title}"
    return MediaItem(kind=MediaKind.MOVIE, ids=ids)


def title_of(entry_item: MediaItem) -> int:
    if "tmdb" in entry_item.ids:
        return int(entry_item.ids["tmdb"])
    return int(entry_item.ids["imdb"][2:])


@dataclass
class World:
    """Two accounts as plain sets, changed only by executing a plan's changes."""

    source: dict[int, set[float]]
    target: dict[int, set[float]]
    target_form: str

    def inventory(self, side: Side, feature: Feature) -> Inventory:
        holdings = self.source if side is Side.SOURCE else self.target
        form = "both" if side is Side.SOURCE else self.target_form
        if feature is Feature.WATCHLIST:
            return watchlist(*(item(t, form) for t in holdings))
        return history(
            *((item(t, form), s - T0_TS) for t, plays in holdings.items() for s in plays)
        )

    def execute(self, change: Change) -> None:
        holdings = self.source if change.side is Side.SOURCE else self.target
        title = title_of(change.item)
        if change.feature is Feature.WATCHLIST:
            if change.action is Action.ADD:
                holdings[title] = set()
            else:
                holdings.pop(title, None)
            return
        assert change.watched_at is not None
        if change.action is Action.ADD:
            holdings.setdefault(title, set()).add(change.watched_at)
        else:
            holdings[title].discard(change.watched_at)
            if not holdings[title]:
                del holdings[title]


def run(
    world: World,
    state: PairState,
    feature: Feature,
    mode: SyncMode,
    fail: frozenset[int] = frozenset(),
) -> tuple[PairState, list[Change], list[Change]]:
    state, _, done, failed = run_plan(world, state, feature, mode, fail)
    return state, done, failed


def run_plan(
    world: World,
    state: PairState,
    feature: Feature,
    mode: SyncMode,
    fail: frozenset[int] = frozenset(),
) -> tuple[PairState, SyncPlan, list[Change], list[Change]]:
    inputs = {
        feature: (
            SideInput(inventory=world.inventory(Side.SOURCE, feature)),
            SideInput(inventory=world.inventory(Side.TARGET, feature)),
        )
    }
    # Guards are covered by their own properties; here every removal may go ahead.
    plan = plan_sync(
        state, inputs, PlanSettings(mode=mode, guards=NO_GUARDS), now=1.0, confirm_removals=True
    )
    done, failed = [], []
    for n, change in enumerate(plan.changes):
        if n in fail:
            failed.append(change)
        else:
            world.execute(change)
            done.append(change)
    outcome = ExecutionOutcome.of(succeeded=done, failed=failed)
    return apply_outcome(state, plan, outcome, now=2.0), plan, done, failed


def titles() -> st.SearchStrategy[dict[int, set[float]]]:
    return st.dictionaries(TITLES, st.just(set()), max_size=10)


def plays() -> st.SearchStrategy[dict[int, set[float]]]:
    # Two clusters 5,000 s apart: plays within the tolerance, within the viewing lag, and beyond.
    moments = st.tuples(st.sampled_from([0.0, 5000.0]), st.integers(0, 40)).map(
        lambda t: T0_TS + t[0] + t[1] * 45.0
    )
    return st.dictionaries(TITLES, st.sets(moments, min_size=1, max_size=4), max_size=6)


def baseline_from(
    source: dict[int, set[float]], target: dict[int, set[float]], feature: Feature, form: str
) -> PairState:
    world = World(source, target, form)
    return PairState(
        baselines={
            feature: Baseline(
                world.inventory(Side.SOURCE, feature), world.inventory(Side.TARGET, feature)
            )
        }
    )


def history_converged(world: World) -> bool:
    """Each side's every play has its counterpart on the other (the planner's ``unpaired``)."""
    for mine, theirs in ((world.source, world.target), (world.target, world.source)):
        for title, moments in mine.items():
            other = sorted(theirs.get(title, ()))
            if unpaired(sorted(moments), other, TOLERANCE, VIEWING_LAG):
                return False
    return True


@settings(max_examples=150, deadline=None)
@given(
    source=titles(),
    target=titles(),
    base_source=titles(),
    base_target=titles(),
    form=ID_FORMS,
    first_run=st.booleans(),
)
def test_two_way_watchlist_converges_and_is_idempotent(
    *, source, target, base_source, base_target, form, first_run
) -> None:
    state = (
        PairState()
        if first_run
        else baseline_from(base_source, base_target, Feature.WATCHLIST, form)
    )
    world = World(dict(source), dict(target), form)
    state, _, _ = run(world, state, Feature.WATCHLIST, SyncMode.TWO_WAY)
    assert set(world.source) == set(world.target)
    again, done, _ = run(world, state, Feature.WATCHLIST, SyncMode.TWO_WAY)
    assert done == []
    # Keeps converged: a third run with the stored state is quiet as well.
    _, done, _ = run(world, again, Feature.WATCHLIST, SyncMode.TWO_WAY)
    assert done == []


@settings(max_examples=150, deadline=None)
@given(
    source=plays(),
    target=plays(),
    base_source=plays(),
    base_target=plays(),
    form=ID_FORMS,
    first_run=st.booleans(),
)
def test_two_way_history_converges_and_is_idempotent(
    *, source, target, base_source, base_target, form, first_run
) -> None:
    state = (
        PairState() if first_run else baseline_from(base_source, base_target, Feature.HISTORY, form)
    )
    world = World(
        {k: set(v) for k, v in source.items()}, {k: set(v) for k, v in target.items()}, form
    )
    state, _, _ = run(world, state, Feature.HISTORY, SyncMode.TWO_WAY)
    assert history_converged(world)
    _, done, _ = run(world, state, Feature.HISTORY, SyncMode.TWO_WAY)
    assert done == []


@settings(max_examples=150, deadline=None)
@given(
    source=titles(),
    target=titles(),
    base_source=titles(),
    base_extra=titles(),
    form=ID_FORMS,
    mode=st.sampled_from([SyncMode.ADD_ONLY, SyncMode.MIRROR]),
)
def test_one_way_reaches_the_source_and_is_idempotent(
    *, source, target, base_source, base_extra, form, mode
) -> None:
    # The last run left the target holding what the source held, and maybe more.
    base_target = base_source | base_extra
    state = baseline_from(base_source, base_target, Feature.WATCHLIST, form)
    world = World(dict(source), dict(target), form)
    before_target = set(world.target)
    # Synced, then dropped by the target since the last run (a title new on the source is news).
    dropped = (set(base_target) - before_target) & set(base_source)
    state, plan, _, _ = run_plan(world, state, Feature.WATCHLIST, mode)
    # The target holds every source title except those it dropped since the last run.
    assert set(source) - dropped <= set(world.target)
    assert not dropped & (set(world.target) - before_target)
    reported = plan.features[Feature.WATCHLIST].target_dropped
    assert {title_of(d.item) for d in reported} == dropped & set(source)
    assert world.source == source  # one-way never writes the source
    if mode is SyncMode.ADD_ONLY:
        assert set(world.target) == before_target | (set(source) - dropped)
    if mode is SyncMode.MIRROR:
        # Only titles the source once had can leave the target.
        assert before_target - set(world.target) <= set(base_source)
    _, done, _ = run(world, state, Feature.WATCHLIST, mode)
    assert done == []


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(["list", "unlist", "drop", "run"]), TITLES), max_size=30
    ),
    mode=st.sampled_from([SyncMode.ADD_ONLY, SyncMode.MIRROR]),
)
def test_one_way_over_many_runs_copies_news_and_never_undoes_a_drop(steps, mode) -> None:
    """What is new on the source reaches the target; what the target dropped stays dropped.

    News is a title on the source that was not there at the last run (on the first run,
    everything). A title the target drops comes back only after the source lists it anew.
    """
    world = World({}, {}, "both")
    state = PairState()
    last_source: set[int] = set()
    last_target: set[int] = set()
    for action, title in [*steps, ("run", 0)]:
        if action == "list":
            world.source[title] = set()
        elif action == "unlist":
            world.source.pop(title, None)
        elif action == "drop":
            world.target.pop(title, None)
        else:
            before = set(world.target)
            news = set(world.source) - last_source
            state, plan, _, _ = run_plan(world, state, Feature.WATCHLIST, mode)
            expected = before | news
            if mode is SyncMode.MIRROR:
                expected -= last_source - set(world.source)
            assert set(world.target) == expected
            reported = plan.features[Feature.WATCHLIST].target_dropped
            left_off = (set(world.source) & last_source & last_target) - before
            assert {title_of(d.item) for d in reported} == left_off
            _, done, _ = run(world, state, Feature.WATCHLIST, mode)
            assert done == []
            last_source, last_target = set(world.source), set(world.target)


@settings(max_examples=150, deadline=None)
@given(
    source=titles(),
    target=titles(),
    form=ID_FORMS,
    mode=st.sampled_from(list(SyncMode)),
    feature=st.sampled_from([Feature.WATCHLIST, Feature.HISTORY]),
    data=st.data(),
)
def test_no_removal_without_a_baseline(*, source, target, form, mode, feature, data) -> None:
    if feature is Feature.HISTORY:
        source, target = data.draw(plays()), data.draw(plays())
    world = World(source, target, form)
    inputs = {
        feature: (
            SideInput(inventory=world.inventory(Side.SOURCE, feature)),
            SideInput(inventory=world.inventory(Side.TARGET, feature)),
        )
    }
    plan = plan_sync(PairState(), inputs, PlanSettings(mode=mode, guards=NO_GUARDS), now=0)
    assert all(c.action is Action.ADD for c in plan.changes)


@settings(max_examples=200, deadline=None)
@given(source=plays(), target=plays(), form=ID_FORMS)
def test_history_plays_are_never_duplicated(source, target, form) -> None:
    world = World(source, target, form)
    inputs = {
        Feature.HISTORY: (
            SideInput(inventory=world.inventory(Side.SOURCE, Feature.HISTORY)),
            SideInput(inventory=world.inventory(Side.TARGET, Feature.HISTORY)),
        )
    }
    plan = plan_sync(PairState(), inputs, PlanSettings(), now=0)
    posted: dict[int, list[float]] = {}
    for change in plan.changes:
        title = title_of(change.item)
        assert change.watched_at is not None
        existing = sorted(target.get(title, ()))
        assert not covered(change.watched_at, existing, TOLERANCE)
        assert not covered(change.watched_at, sorted(posted.get(title, [])), TOLERANCE)
        posted.setdefault(title, []).append(change.watched_at)
    # Exactly the source plays without a counterpart on the target were posted.
    for title, moments in source.items():
        existing = sorted(target.get(title, ()))
        expected: list[float] = []
        for moment in unpaired(sorted(moments), existing, TOLERANCE, VIEWING_LAG):
            if not covered(moment, expected, TOLERANCE):  # near-duplicates: posted once
                expected.append(moment)
        assert sorted(posted.get(title, [])) == expected
    for change in plan.changes:
        world.execute(change)
    for title, moments in source.items():
        assert not unpaired(sorted(moments), sorted(world.target[title]), TOLERANCE, VIEWING_LAG)


@settings(max_examples=100, deadline=None)
@given(
    source=titles(),
    target=titles(),
    base_source=titles(),
    base_target=titles(),
    form=ID_FORMS,
    data=st.data(),
)
def test_failed_writes_are_planned_again_and_nothing_else(
    *, source, target, base_source, base_target, form, data
) -> None:
    state = baseline_from(base_source, base_target, Feature.WATCHLIST, form)
    world = World(dict(source), dict(target), form)
    inputs_count = len(source) + len(target)
    fail = frozenset(data.draw(st.sets(st.integers(0, max(inputs_count, 1)))))
    state, _, failed = run(world, state, Feature.WATCHLIST, SyncMode.TWO_WAY, fail)
    _, done, _ = run(world, state, Feature.WATCHLIST, SyncMode.TWO_WAY)
    assert sorted(c.id for c in done) == sorted(c.id for c in failed)
    assert set(world.source) == set(world.target)


@settings(max_examples=100, deadline=None)
@given(previous=st.integers(0, 60), current=st.integers(0, 60), moved=st.booleans())
def test_collapse_guard_fires_exactly_at_its_threshold(previous, current, moved) -> None:
    base = {t: set() for t in range(1, previous + 1)}
    now = {t: set() for t in range(1, min(current, previous) + 1)}
    state = baseline_from(base, base, Feature.WATCHLIST, "both")
    state = PairState(baselines=state.baselines, watermarks={"source:watchlist": "a"})
    world = World(now, dict(base), "both")
    inputs = {
        Feature.WATCHLIST: (
            SideInput(
                inventory=world.inventory(Side.SOURCE, Feature.WATCHLIST),
                activity="b" if moved else "a",
            ),
            SideInput(inventory=world.inventory(Side.TARGET, Feature.WATCHLIST)),
        )
    }
    plan = plan_sync(state, inputs, PlanSettings(mode=SyncMode.MIRROR), now=0)
    shown = len(now)
    empty = previous > 0 and shown == 0  # an empty answer fails for any size
    expected = not moved and (empty or (previous >= 20 and shown * 10 <= previous))
    feature_plan = plan.features[Feature.WATCHLIST]
    assert (feature_plan.collapsed == (Side.SOURCE,)) is expected
    removals = previous - shown
    if expected:
        assert feature_plan.count(Action.REMOVE) == 0
        assert feature_plan.held == ()
    else:
        held = removals * 10 > previous
        assert len(feature_plan.held) == (removals if held else 0)
        assert feature_plan.count(Action.REMOVE) == (0 if held else removals)
        assert plan.held is held


STAMPED_NOW = T0_TS + 10**6


@dataclass
class StampingWorld(World):
    """A target like Plex: marking watched records "now", not the posted time."""

    def execute(self, change: Change) -> None:
        if change.side is Side.TARGET and change.action is Action.ADD:
            self.target.setdefault(title_of(change.item), set()).add(STAMPED_NOW)
            return
        super().execute(change)


@settings(max_examples=150, deadline=None)
@given(
    source=plays(),
    target=plays(),
    base_source=plays(),
    base_target=plays(),
    form=ID_FORMS,
    first_run=st.booleans(),
    mode=st.sampled_from(list(SyncMode)),
)
def test_history_to_a_side_that_stamps_now_never_repeats(
    *, source, target, base_source, base_target, form, first_run, mode
) -> None:
    state = (
        PairState() if first_run else baseline_from(base_source, base_target, Feature.HISTORY, form)
    )
    world = StampingWorld(
        {k: set(v) for k, v in source.items()}, {k: set(v) for k, v in target.items()}, form
    )
    caps = (Capabilities(), Capabilities(exact_play_times=False))
    for attempt in range(3):
        inputs = {
            Feature.HISTORY: tuple(
                SideInput(inventory=world.inventory(side, Feature.HISTORY), capabilities=cap)
                for side, cap in zip(Side, caps, strict=True)
            )
        }
        plan = plan_sync(
            state, inputs, PlanSettings(mode=mode, guards=NO_GUARDS), now=1.0, confirm_removals=True
        )
        if attempt:
            assert plan.changes == ()
        for change in plan.changes:
            world.execute(change)
        state = apply_outcome(state, plan, ExecutionOutcome.all_succeeded(plan), now=1.0)
    if mode is not SyncMode.TWO_WAY:
        # Every title with a play new since the baseline is watched on the target; the rest
        # were synced before and may have been unwatched there since.
        news = {
            title
            for title, moments in source.items()
            if first_run
            or any(not covered(m, sorted(base_source.get(title, ())), TOLERANCE) for m in moments)
        }
        assert news <= set(world.target)
    else:
        assert set(world.source) == set(world.target)


def rated() -> st.SearchStrategy[dict[int, tuple[int, int]]]:
    return st.dictionaries(TITLES, st.tuples(st.integers(1, 10), st.integers(0, 5)), max_size=8)


def ratings_inventory(values: dict[int, tuple[int, int]], form: str) -> Inventory:
    return ratings(*((item(t, form), r, s * 100.0) for t, (r, s) in values.items()))


@settings(max_examples=150, deadline=None)
@given(
    source=rated(),
    target=rated(),
    base_source=rated(),
    base_target=rated(),
    form=ID_FORMS,
    first_run=st.booleans(),
)
def test_two_way_ratings_converge_and_are_idempotent(
    *, source, target, base_source, base_target, form, first_run
) -> None:
    state = PairState()
    if not first_run:
        state = PairState(
            baselines={
                Feature.RATINGS: Baseline(
                    ratings_inventory(base_source, "both"), ratings_inventory(base_target, form)
                )
            }
        )
    sides = {Side.SOURCE: dict(source), Side.TARGET: dict(target)}
    for attempt in range(2):
        inputs = {
            Feature.RATINGS: (
                SideInput(inventory=ratings_inventory(sides[Side.SOURCE], "both")),
                SideInput(inventory=ratings_inventory(sides[Side.TARGET], form)),
            )
        }
        plan = plan_sync(
            state,
            inputs,
            PlanSettings(mode=SyncMode.TWO_WAY, guards=NO_GUARDS),
            now=1.0,
            confirm_removals=True,
        )
        if attempt:
            assert plan.changes == ()
        for change in plan.changes:
            title = title_of(change.item)
            if change.action is Action.ADD:
                assert change.rating is not None
                assert change.rated_at is not None
                sides[change.side][title] = (change.rating, int((change.rated_at - T0_TS) // 100))
            else:
                del sides[change.side][title]
        state = apply_outcome(state, plan, ExecutionOutcome.all_succeeded(plan), now=1.0)
    assert {t: r for t, (r, _) in sides[Side.SOURCE].items()} == {
        t: r for t, (r, _) in sides[Side.TARGET].items()
    }


@settings(max_examples=150, deadline=None)
@given(
    source=plays(),
    target=plays(),
    base_source=plays(),
    base_target=plays(),
    form=ID_FORMS,
    mode=st.sampled_from(list(SyncMode)),
    blind=st.sampled_from(list(Side)),
)
def test_a_side_blind_to_removed_plays_never_causes_a_removal(
    *, source, target, base_source, base_target, form, mode, blind
) -> None:
    """SIMKL does not show removed plays: a play its read lacks is neither removed elsewhere
    nor forgotten."""
    state = baseline_from(base_source, base_target, Feature.HISTORY, form)
    world = World(source, target, form)
    inputs = {
        Feature.HISTORY: tuple(
            SideInput(
                inventory=world.inventory(side, Feature.HISTORY),
                capabilities=Capabilities(observes_history_removals=side is not blind),
            )
            for side in Side
        )
    }
    plan = plan_sync(
        state, inputs, PlanSettings(mode=mode, guards=NO_GUARDS), now=1.0, confirm_removals=True
    )
    assert not [c for c in plan.changes if c.action is Action.REMOVE and c.side is blind.other]
    feature_plan = plan.features[Feature.HISTORY]
    planned = feature_plan.source if blind is Side.SOURCE else feature_plan.target
    held: dict[int, set[float]] = {}
    for entry in planned.entries.values():
        held.setdefault(title_of(entry.item), set()).update(entry.plays)
    before = base_source if blind is Side.SOURCE else base_target
    assert all(moments <= held.get(title, set()) for title, moments in before.items())
