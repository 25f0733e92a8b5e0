from __future__ import annotations

import pytest

from custom_components.crosswatch.api.models import Feature, MediaKind, WatchlistEntry
from custom_components.crosswatch.sync.apply import new_baseline
from custom_components.crosswatch.sync.guards import GuardSettings
from custom_components.crosswatch.sync.inventory import Inventory
from custom_components.crosswatch.sync.plan import (
    Action,
    ExecutionOutcome,
    FeaturePlan,
    Side,
    SyncMode,
)
from custom_components.crosswatch.sync.planner import (
    Capabilities,
    PlanSettings,
    SideInput,
    covered,
    plan_feature,
    unpaired,
)
from custom_components.crosswatch.sync.state import Baseline

from .helpers import T0_TS, at, episode, history, movie, ratings, show, watchlist


def plan(
    source: Inventory,
    target: Inventory,
    mode: SyncMode = SyncMode.ADD_ONLY,
    baseline: Baseline | None = None,
    *,
    source_caps: Capabilities | None = None,
    target_caps: Capabilities | None = None,
    tolerance: float = 60.0,
    confirm: bool = False,
    allow_removals: bool = True,
) -> FeaturePlan:
    return plan_feature(
        source.feature,
        SideInput(inventory=source, capabilities=source_caps or Capabilities()),
        SideInput(inventory=target, capabilities=target_caps or Capabilities()),
        # These plans carry no activity markers, so a list the user emptied would read as a
        # failed read; the empty-answer rule has its own tests (test_guards, ha_sync).
        settings=PlanSettings(
            mode=mode,
            play_tolerance=tolerance,
            allow_removals=allow_removals,
            guards=GuardSettings(empty_is_failure=False),
        ),
        baseline=baseline,
        confirm_removals=confirm,
    )


def keys(p: FeaturePlan, action: Action, side: Side) -> list[str]:
    return [c.key for c in p.changes if c.action is action and c.side is side]


# --- watchlist modes -------------------------------------------------------------------------


def test_add_only_adds_missing_and_never_removes() -> None:
    # 1 is new on the source; 3 left the source and stays on the target.
    source = watchlist(movie(1), movie(2))
    target = watchlist(movie(2), movie(3))
    base = Baseline(watchlist(movie(2), movie(3)), watchlist(movie(2), movie(3)))
    p = plan(source, target, SyncMode.ADD_ONLY, base)
    assert keys(p, Action.ADD, Side.TARGET) == ["movie:tmdb:1"]
    assert p.count(Action.REMOVE) == 0


def test_mirror_removes_only_what_the_source_once_had() -> None:
    # 3 was on the source before and is gone; 4 was never on the source: it stays.
    common = [movie(n) for n in range(10, 40)]
    base = Baseline(watchlist(movie(3), *common), watchlist(movie(3), movie(4), *common))
    source = watchlist(movie(1), movie(2), *common)
    target = watchlist(movie(3), movie(4), *common)
    p = plan(source, target, SyncMode.MIRROR, base)
    assert keys(p, Action.REMOVE, Side.TARGET) == ["movie:tmdb:3"]
    assert keys(p, Action.ADD, Side.TARGET) == ["movie:tmdb:1", "movie:tmdb:2"]
    assert keys(p, Action.ADD, Side.SOURCE) == []


def test_no_removal_without_a_baseline_in_any_mode() -> None:
    for mode in SyncMode:
        p = plan(watchlist(movie(1)), watchlist(movie(2)), mode)
        assert p.count(Action.REMOVE) == 0
        assert p.first_run
        assert p.summary()["first_run"] is True


def test_two_way_tells_added_from_removed() -> None:
    base = Baseline(
        watchlist(movie(1), movie(2), *(movie(n) for n in range(10, 30))),
        watchlist(movie(1), movie(2), *(movie(n) for n in range(10, 30))),
    )
    common = [movie(n) for n in range(10, 30)]
    # 1 removed on the target, 2 removed on the source, 5 added on the source, 6 on the target.
    source = watchlist(movie(1), movie(5), *common)
    target = watchlist(movie(2), movie(6), *common)
    p = plan(source, target, SyncMode.TWO_WAY, base)
    assert keys(p, Action.REMOVE, Side.SOURCE) == ["movie:tmdb:1"]
    assert keys(p, Action.REMOVE, Side.TARGET) == ["movie:tmdb:2"]
    assert keys(p, Action.ADD, Side.TARGET) == ["movie:tmdb:5"]
    assert keys(p, Action.ADD, Side.SOURCE) == ["movie:tmdb:6"]


def test_two_way_removal_needs_both_baselines() -> None:
    # 1 was only ever seen on the target: missing on the source means "add", not "remove".
    base = Baseline(
        watchlist(*(movie(n) for n in range(10, 30))),
        watchlist(movie(1), *(movie(n) for n in range(10, 30))),
    )
    common = [movie(n) for n in range(10, 30)]
    p = plan(watchlist(*common), watchlist(movie(1), *common), SyncMode.TWO_WAY, base)
    assert keys(p, Action.ADD, Side.SOURCE) == ["movie:tmdb:1"]
    assert p.count(Action.REMOVE) == 0


def test_unwritable_items_are_unmatched_with_a_reason() -> None:
    caps = Capabilities(id_types=frozenset({"imdb", "tmdb"}))
    source = watchlist(movie(plex="abc", title="Local"), movie(1), episode(9, 1, 1))
    p = plan(source, watchlist(), target_caps=caps)
    assert keys(p, Action.ADD, Side.TARGET) == [
        "episode:show:tmdb:9:s1e1",
        "movie:tmdb:1",
    ]
    assert [(u.key, u.reason) for u in p.unmatched] == [("movie:plex:abc", "no_usable_id")]
    assert p.summary()["unmatched"] == 1
    assert p.summary()["unmatched_titles"][0]["reason"] == "no_usable_id"


def test_weak_matches_prevent_adds_and_are_reported() -> None:
    source = watchlist(movie(plex="abc", title="Heat", year=1995))
    target = watchlist(movie(trakt="7", title="Heat", year=1995))
    p = plan(source, target, SyncMode.MIRROR, Baseline(source, target))
    assert p.changes == ()
    assert [w.key for w in p.weak_matches] == ["movie:plex:abc"]
    assert p.summary()["weak_matches"] == 1


def test_weak_match_is_never_grounds_for_removal() -> None:
    # The target item matches the source baseline only by title+year: mirror must not remove it.
    base = Baseline(
        watchlist(movie(plex="abc", title="Heat", year=1995), *(movie(n) for n in range(10, 40))),
        watchlist(),
    )
    target = watchlist(
        movie(trakt="7", title="Heat", year=1995), *(movie(n) for n in range(10, 40))
    )
    source = watchlist(*(movie(n) for n in range(10, 40)))
    p = plan(source, target, SyncMode.MIRROR, base)
    assert p.count(Action.REMOVE) == 0


def test_conflicting_ids_count_as_present_and_are_reported() -> None:
    p = plan(watchlist(movie(1, imdb="tt1")), watchlist(movie(2, imdb="tt1")))
    assert p.changes == ()
    assert [(c.key, c.reason) for c in p.conflicts] == [("movie:tmdb:1", "ids")]


def test_duplicates_on_one_side_are_added_once() -> None:
    # Two source entries for one title (different keys, one strong id shared).
    source = watchlist(movie(trakt="5"), movie(imdb="tt1", trakt="5"))
    p = plan(source, watchlist())
    assert len(p.changes) == 1


def test_change_conversion_refuses_the_wrong_feature() -> None:
    change = plan(watchlist(movie(1)), watchlist()).changes[0]
    with pytest.raises(ValueError, match="not a history change"):
        change.to_play()
    with pytest.raises(ValueError, match="not a ratings change"):
        change.to_rating()


def test_change_converts_back_to_models() -> None:
    p = plan(watchlist(movie(1)), watchlist())
    entry = p.changes[0].to_watchlist_entry()
    assert entry.item == movie(1)
    assert entry.listed_at is not None
    assert entry.listed_at.timestamp() == T0_TS


def test_feature_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match="history inventory given for watchlist"):
        plan_feature(
            Feature.WATCHLIST,
            SideInput(inventory=history()),
            SideInput(inventory=watchlist()),
            settings=PlanSettings(),
        )


def test_unsupported_kind_is_unmatched() -> None:
    caps = Capabilities(kinds={Feature.WATCHLIST: frozenset({MediaKind.MOVIE})})
    p = plan(watchlist(show(1), movie(1)), watchlist(), target_caps=caps)
    assert keys(p, Action.ADD, Side.TARGET) == ["movie:tmdb:1"]
    assert [u.reason for u in p.unmatched] == ["unsupported_kind"]


# --- history ---------------------------------------------------------------------------------


def test_covered_is_inclusive_at_the_tolerance() -> None:
    plays = (100.0, 200.0)
    assert covered(160.0, plays, 60)
    assert covered(40.0, plays, 60)
    assert not covered(260.01, plays, 60)
    assert not covered(39.99, plays, 60)
    assert not covered(5.0, (), 60)


def test_unpaired_plays() -> None:
    # Within tolerance a play stands for any number of plays (near-duplicates on one side).
    assert unpaired([0, 45], [30], 60, 3600) == []
    # Within the lag, one play each, nearest first; beyond it, none.
    assert unpaired([0, 3000], [600], 60, 3600) == [3000]
    assert unpaired([0, 3000], [600, 3300], 60, 3600) == []
    assert unpaired([0], [3601], 60, 3600) == [0]
    # A play standing for one within tolerance stands for no other within the lag.
    assert unpaired([0, 1800], [0], 60, 3600) == [1800]
    assert unpaired([0, 1800], [], 60, 3600) == [0, 1800]
    assert unpaired([], [5], 60, 3600) == []
    # Near-duplicates on one side are one play, paired as one (90 and 135 s: one play at 0).
    assert unpaired([90, 135], [0], 60, 3600) == []
    assert unpaired([0], [90, 135], 60, 3600) == []


def test_play_within_tolerance_is_never_posted_again() -> None:
    ep = episode(5, 1, 1)
    source = history((ep, 0), (ep, 86_400))
    target = history((ep, 60))  # the first play, 60 s off: already there
    p = plan(source, target)
    assert [c.watched_at for c in p.changes] == [T0_TS + 86_400]
    play = p.changes[0].to_play()
    assert play.watched_at.timestamp() == T0_TS + 86_400


def test_play_just_outside_tolerance_of_a_play_standing_for_another_is_posted() -> None:
    m = movie(1)
    # The target's play is the first one's (within tolerance); 61 s later is another play.
    p = plan(history((m, 0), (m, 61)), history((m, 0)))
    assert [c.watched_at for c in p.changes] == [T0_TS + 61]


def test_one_viewing_stamped_minutes_apart_on_the_two_sides_is_one_play() -> None:
    """Plex stamps its watched mark (90%), a scrobble its stop: never posted a second time."""
    m = movie(1)
    ep = episode(5, 1, 1)
    scrobbled = plan(history((m, 0), (ep, 0)), history((m, 25 * 60), (ep, 4 * 60)))
    assert scrobbled.changes == ()
    assert plan(history((m, 0)), history((m, 2 * 3600))).changes != ()  # hours apart: two
    # Watched twice, scrobbled twice: each scrobble stands for the nearer play.
    twice = plan(history((m, 0), (m, 3000)), history((m, 600), (m, 3300)))
    assert twice.changes == ()
    # Watched twice, the second not on the target: the second is posted, not the first.
    rewatch = plan(history((m, 0), (m, 1800)), history((m, 300)))
    assert [c.watched_at for c in rewatch.changes] == [T0_TS + 1800]


def test_tolerance_is_configurable() -> None:
    m = movie(1)
    assert plan(history((m, 0)), history((m, 100)), tolerance=120).changes == ()


def test_source_plays_close_together_post_once() -> None:
    m = movie(1)
    p = plan(history((m, 0), (m, 30)), history())
    assert len(p.changes) == 1


def test_rewatches_are_kept_as_separate_plays() -> None:
    m = movie(1)
    p = plan(history((m, 0), (m, 10_000)), history())
    assert len(p.changes) == 2


def test_history_two_way_and_mirror() -> None:
    m, n, o = movie(1), movie(2), movie(3)
    filler = [(movie(100 + i), 0.0) for i in range(40)]
    base = Baseline(history((m, 0), (n, 0), *filler), history((m, 0), (n, 0), *filler))
    source = history((n, 0), (o, 0), *filler)  # m unwatched on source, o new
    target = history((m, 0), *filler)  # n unwatched on target
    two = plan(source, target, SyncMode.TWO_WAY, base)
    assert keys(two, Action.REMOVE, Side.TARGET) == ["movie:tmdb:1"]
    assert keys(two, Action.REMOVE, Side.SOURCE) == ["movie:tmdb:2"]
    assert keys(two, Action.ADD, Side.TARGET) == ["movie:tmdb:3"]
    mirror = plan(source, target, SyncMode.MIRROR, base)
    assert keys(mirror, Action.REMOVE, Side.TARGET) == ["movie:tmdb:1"]
    # n was synced and the target unwatched it: one way does not watch it again there.
    assert keys(mirror, Action.ADD, Side.TARGET) == ["movie:tmdb:3"]
    assert [d.key for d in mirror.target_dropped] == ["movie:tmdb:2"]


def test_history_per_title_when_the_written_side_cannot_keep_times() -> None:
    # Marking watched on Plex stamps "now": compare watched-or-not, post one play per title.
    m, n = movie(1), movie(2)
    plex = Capabilities(exact_play_times=False)
    p = plan(history((m, 0), (m, 5_000), (n, 0)), history((m, 9_999)), target_caps=plex)
    assert [(c.key, c.watched_at) for c in p.changes] == [("movie:tmdb:2", T0_TS)]
    latest = plan(history((m, 0), (m, 5_000)), history(), target_caps=plex)
    assert [c.watched_at for c in latest.changes] == [T0_TS + 5_000]
    two = plan(history((m, 9_999)), history((m, 0), (n, 0)), SyncMode.TWO_WAY, source_caps=plex)
    assert [(c.side, c.key) for c in two.changes] == [(Side.SOURCE, "movie:tmdb:2")]


def test_history_unwritable_title_is_reported_once() -> None:
    m = movie(plex="abc")
    p = plan(
        history((m, 0), (m, 10_000)),
        history(),
        target_caps=Capabilities(id_types=frozenset({"tmdb"})),
    )
    assert p.changes == ()
    assert len(p.unmatched) == 1


# --- ratings ---------------------------------------------------------------------------------


def test_ratings_added_and_simkl_kinds_respected() -> None:
    simkl = Capabilities(kinds={Feature.RATINGS: frozenset({MediaKind.MOVIE, MediaKind.SHOW})})
    source = ratings((movie(1), 8, 0), (episode(3, 1, 1), 7, 0), (show(3), 9, None))
    p = plan(source, ratings(), target_caps=simkl)
    assert [(c.key, c.rating) for c in p.changes] == [("movie:tmdb:1", 8), ("show:tmdb:3", 9)]
    assert [u.reason for u in p.unmatched] == ["unsupported_kind"]
    assert p.changes[0].to_rating().rating == 8
    assert p.changes[1].to_rating().rated_at is None


def test_rating_conflict_resolved_by_newest_rated_at() -> None:
    newer_target = plan(ratings((movie(1), 8, 0)), ratings((movie(1), 6, 100)), SyncMode.TWO_WAY)
    assert [(c.side, c.rating) for c in newer_target.changes] == [(Side.SOURCE, 6)]
    conflict = newer_target.conflicts[0]
    assert (conflict.reason, conflict.winner, conflict.source_rating, conflict.target_rating) == (
        "rating",
        Side.TARGET,
        8,
        6,
    )
    summary = newer_target.summary()
    assert summary["conflicts"] == 1
    assert summary["conflict_titles"][0]["winner"] == "target"
    newer_source = plan(ratings((movie(1), 8, 200)), ratings((movie(1), 6, 100)))
    assert [(c.side, c.rating) for c in newer_source.changes] == [(Side.TARGET, 8)]
    # One-way: a newer target rating wins but nothing is written to the source.
    one_way = plan(ratings((movie(1), 8, 0)), ratings((movie(1), 6, 100)))
    assert one_way.changes == ()
    assert len(one_way.conflicts) == 1
    # Unknown times: the source wins.
    unknown = plan(ratings((movie(1), 8, None)), ratings((movie(1), 6, None)), SyncMode.TWO_WAY)
    assert [(c.side, c.rating) for c in unknown.changes] == [(Side.TARGET, 8)]


def test_rating_changed_on_one_side_since_baseline_is_no_conflict() -> None:
    base = Baseline(ratings((movie(1), 6, 0)), ratings((movie(1), 6, 0)))
    # Source changed to 9 (older timestamp even): the change wins, no conflict reported.
    p = plan(ratings((movie(1), 9, 0)), ratings((movie(1), 6, 50)), SyncMode.TWO_WAY, base)
    assert [(c.side, c.rating) for c in p.changes] == [(Side.TARGET, 9)]
    assert p.conflicts == ()
    q = plan(ratings((movie(1), 6, 50)), ratings((movie(1), 2, 0)), SyncMode.TWO_WAY, base)
    assert [(c.side, c.rating) for c in q.changes] == [(Side.SOURCE, 2)]
    same = plan(ratings((movie(1), 6, 0)), ratings((movie(1), 6, 99)), SyncMode.TWO_WAY, base)
    assert same.changes == ()


def test_rating_removal_mirror() -> None:
    rated = [(movie(n), 7, 0.0) for n in range(1, 40)]
    base = Baseline(ratings(*rated), ratings(*rated))
    p = plan(ratings(*rated[1:]), ratings(*rated), SyncMode.MIRROR, base)
    assert keys(p, Action.REMOVE, Side.TARGET) == ["movie:tmdb:1"]


# --- guards inside the planner ---------------------------------------------------------------


def _pool(count: int) -> list:
    return [movie(n) for n in range(1, count + 1)]


def test_mass_removal_held_above_ten_percent_and_confirmable() -> None:
    items = _pool(100)
    base = Baseline(watchlist(*items), watchlist(*items))
    ten = plan(watchlist(*items[10:]), watchlist(*items), SyncMode.MIRROR, base)
    assert ten.count(Action.REMOVE) == 10
    assert ten.held == ()
    eleven = plan(watchlist(*items[11:]), watchlist(*items), SyncMode.MIRROR, base)
    assert eleven.count(Action.REMOVE) == 0
    assert len(eleven.held) == 11
    assert eleven.summary()["held"] == 11
    confirmed = plan(watchlist(*items[11:]), watchlist(*items), SyncMode.MIRROR, base, confirm=True)
    assert confirmed.count(Action.REMOVE) == 11


def test_mass_removal_threshold_is_exact_at_ten_point_zero_one_percent() -> None:
    items = _pool(10_000)
    base = Baseline(watchlist(*items), watchlist(*items))
    at_ten = plan(watchlist(*items[1000:]), watchlist(*items), SyncMode.MIRROR, base)
    assert (at_ten.count(Action.REMOVE), len(at_ten.held)) == (1000, 0)
    above = plan(watchlist(*items[1001:]), watchlist(*items), SyncMode.MIRROR, base)
    assert (above.count(Action.REMOVE), len(above.held)) == (0, 1001)


def test_collapse_keeps_previous_snapshot_and_removes_nothing() -> None:
    items = _pool(20)
    base = Baseline(watchlist(*items), watchlist(*items))
    collapsed = plan(watchlist(items[0], items[1]), watchlist(*items), SyncMode.MIRROR, base)
    assert collapsed.collapsed == (Side.SOURCE,)
    assert collapsed.count(Action.REMOVE) == 0
    assert len(collapsed.source) == 20
    # 19 before: the guard does not apply and the removals are held by the mass guard instead.
    small = Baseline(watchlist(*items[:19]), watchlist(*items[:19]))
    plain = plan(watchlist(items[0]), watchlist(*items[:19]), SyncMode.MIRROR, small)
    assert plain.collapsed == ()
    assert len(plain.held) == 18


def test_collapse_suppresses_removals_of_the_other_side_too() -> None:
    items = _pool(30)
    base = Baseline(watchlist(*items), watchlist(*items))
    # The target collapsed to 3; the source also dropped one title.
    p = plan(watchlist(*items[1:]), watchlist(*items[:3]), SyncMode.TWO_WAY, base, confirm=True)
    assert p.collapsed == (Side.TARGET,)
    assert p.count(Action.REMOVE) == 0
    assert p.suppressed_removals == 1


def test_limit_cuts_adds_cleanly() -> None:
    caps = Capabilities(limits={Feature.WATCHLIST: 3})
    p = plan(watchlist(*_pool(5)), watchlist(movie(99)), target_caps=caps)
    assert p.count(Action.ADD) == 2
    assert len(p.limit_cut) == 3
    summary = p.summary()
    assert summary["limit_reached"] is True
    assert summary["limit_cut"] == 3
    full = plan(
        watchlist(*_pool(5)),
        watchlist(movie(97), movie(98), movie(99), movie(96)),
        target_caps=caps,
    )
    assert full.count(Action.ADD) == 0
    assert len(full.limit_cut) == 5
    exact = plan(watchlist(*_pool(2)), watchlist(movie(99)), target_caps=caps)
    assert (exact.count(Action.ADD), exact.limit_cut) == (2, ())


def test_guard_settings_are_configurable() -> None:
    items = _pool(10)
    base = Baseline(watchlist(*items), watchlist(*items))
    p = plan_feature(
        Feature.WATCHLIST,
        SideInput(inventory=watchlist(*items[5:])),
        SideInput(inventory=watchlist(*items)),
        settings=PlanSettings(mode=SyncMode.MIRROR, guards=GuardSettings(max_removal_percent=50)),
        baseline=base,
    )
    assert p.count(Action.REMOVE) == 5


# --- titles the target dropped (one way) -----------------------------------------------------


def after(p: FeaturePlan) -> Baseline:
    """The baseline the next run sees when every planned change was written."""
    return new_baseline(p, ExecutionOutcome.of(succeeded=p.changes))


@pytest.mark.parametrize("mode", [SyncMode.ADD_ONLY, SyncMode.MIRROR])
def test_one_way_first_run_adds_everything(mode: SyncMode) -> None:
    p = plan(watchlist(movie(1), movie(2)), watchlist(movie(3)), mode)
    assert keys(p, Action.ADD, Side.TARGET) == ["movie:tmdb:1", "movie:tmdb:2"]
    assert p.target_dropped == ()
    assert p.summary()["target_dropped"] == 0
    assert "target_dropped_titles" not in p.summary()


@pytest.mark.parametrize("mode", [SyncMode.ADD_ONLY, SyncMode.MIRROR])
def test_one_way_leaves_off_a_title_the_target_dropped(mode: SyncMode) -> None:
    # After run 1 both sides hold 1 and 2; then the target drops 1 (SIMKL moved it to completed).
    first = plan(watchlist(movie(1), movie(2)), watchlist(), mode)
    base = after(first)
    p = plan(watchlist(movie(1), movie(2), movie(5)), watchlist(movie(2)), mode, base)
    assert [(c.action, c.key) for c in p.changes] == [(Action.ADD, "movie:tmdb:5")]
    assert [d.key for d in p.target_dropped] == ["movie:tmdb:1"]
    summary = p.summary()
    assert summary["target_dropped"] == 1
    assert summary["target_dropped_titles"] == [{"kind": "movie", "ids": {"tmdb": "1"}}]
    # The run after: still left off, and no longer news.
    later = plan(
        watchlist(movie(1), movie(2), movie(5)),
        watchlist(movie(2), movie(5)),
        mode,
        after(p),
    )
    assert later.changes == ()
    assert later.target_dropped == ()


def test_one_way_adds_a_dropped_title_again_once_the_source_lists_it_anew() -> None:
    base = after(plan(watchlist(movie(1)), watchlist()))
    dropped = plan(watchlist(movie(1)), watchlist(), baseline=base)
    assert dropped.changes == ()
    # The source lets go of 1 (nothing happens one way), then lists it again: that is news.
    gone = plan(watchlist(), watchlist(), baseline=after(dropped))
    assert gone.changes == ()
    back = plan(watchlist(movie(1)), watchlist(), baseline=after(gone))
    assert keys(back, Action.ADD, Side.TARGET) == ["movie:tmdb:1"]
    # Taken off and listed again between two runs: a later listed_at tells.
    relisted = Inventory.from_watchlist([WatchlistEntry(item=movie(1), listed_at=at(3_600))])
    again = plan(relisted, watchlist(), baseline=after(dropped))
    assert keys(again, Action.ADD, Side.TARGET) == ["movie:tmdb:1"]


def test_one_way_reports_an_unwritable_title_as_unmatched_not_dropped() -> None:
    caps = Capabilities(id_types=frozenset({"tmdb"}))
    local = movie(plex="abc")
    base = Baseline(watchlist(local), watchlist(local))
    p = plan(watchlist(local), watchlist(), baseline=base, target_caps=caps)
    assert p.changes == ()
    assert p.target_dropped == ()
    assert [u.reason for u in p.unmatched] == ["no_usable_id"]


def test_one_way_ratings_dropped_unless_rated_anew() -> None:
    base = Baseline(ratings((movie(1), 7, 0), (movie(2), 6, 0)), ratings((movie(1), 7, 0)))
    source = ratings((movie(1), 7, 0), (movie(2), 6, 0), (movie(3), 9, 0))
    p = plan(source, ratings(), baseline=base)
    # 1 was rated on both and the target took its rating off; 2 never reached it; 3 is new.
    assert keys(p, Action.ADD, Side.TARGET) == ["movie:tmdb:3"]
    assert [d.key for d in p.target_dropped] == ["movie:tmdb:1"]
    rerated = plan(ratings((movie(1), 8, 0), (movie(2), 6, 50)), ratings(), baseline=base)
    assert keys(rerated, Action.ADD, Side.TARGET) == ["movie:tmdb:1", "movie:tmdb:2"]


def test_one_way_history_leaves_off_a_removed_play_and_posts_new_ones() -> None:
    m = movie(1)
    base = after(plan(history((m, 0), (m, 10_000)), history()))
    # The target (exact times, like Trakt) lost the first play; the source watched m again.
    p = plan(history((m, 0), (m, 10_000), (m, 20_000)), history((m, 10_000)), baseline=base)
    assert [c.watched_at for c in p.changes] == [T0_TS + 20_000]
    assert [d.key for d in p.target_dropped] == ["movie:tmdb:1"]


def test_one_way_history_per_title_posts_only_a_new_play_of_a_dropped_title() -> None:
    m, n = movie(1), movie(2)
    simkl = Capabilities(exact_play_times=False)
    base = after(plan(history((m, 0), (n, 0)), history(), target_caps=simkl))
    dropped = plan(history((m, 0), (n, 0)), history((n, 0)), baseline=base, target_caps=simkl)
    assert dropped.changes == ()
    assert [d.key for d in dropped.target_dropped] == ["movie:tmdb:1"]
    rewatched = plan(
        history((m, 0), (m, 9_000), (n, 0)), history((n, 0)), baseline=base, target_caps=simkl
    )
    assert [(c.key, c.watched_at) for c in rewatched.changes] == [("movie:tmdb:1", T0_TS + 9_000)]
    assert rewatched.target_dropped == ()


def test_two_way_takes_a_target_removal_to_the_source_and_never_adds_it_back() -> None:
    common = [movie(n) for n in range(10, 30)]
    base = after(plan(watchlist(movie(1), *common), watchlist(), SyncMode.TWO_WAY))
    p = plan(watchlist(movie(1), *common), watchlist(*common), SyncMode.TWO_WAY, base)
    assert [(c.side, c.action, c.key) for c in p.changes] == [
        (Side.SOURCE, Action.REMOVE, "movie:tmdb:1")
    ]
    quiet = plan(watchlist(*common), watchlist(*common), SyncMode.TWO_WAY, after(p))
    assert quiet.changes == ()


# --- sides that cannot show removed plays (SIMKL) --------------------------------------------

BLIND = Capabilities(exact_play_times=False, observes_history_removals=False)


def test_mirror_from_a_side_blind_to_removals_removes_nothing() -> None:
    m, n = movie(1), movie(2)
    filler = [(movie(100 + i), 0.0) for i in range(20)]
    base = after(plan(history((m, 0), (n, 0), *filler), history(), SyncMode.MIRROR))
    # A whole read of the source no longer shows m: it is no removal to mirror.
    p = plan(
        history((n, 0), *filler),
        history((m, 0), (n, 0), *filler),
        SyncMode.MIRROR,
        base,
        source_caps=BLIND,
        confirm=True,
    )
    assert p.changes == ()
    assert m in [e.item for e in p.source.entries.values()]
    assert after(p).source.entries["movie:tmdb:1"].plays == (T0_TS,)
    # The same read from a side that shows removals is mirrored.
    seen = plan(
        history((n, 0), *filler),
        history((m, 0), (n, 0), *filler),
        SyncMode.MIRROR,
        base,
        confirm=True,
    )
    assert keys(seen, Action.REMOVE, Side.TARGET) == ["movie:tmdb:1"]


def test_two_way_with_a_side_blind_to_removals_neither_removes_nor_adds_back() -> None:
    m = movie(1)
    filler = [(movie(100 + i), 0.0) for i in range(20)]
    first = plan(history((m, 0), *filler), history(), SyncMode.TWO_WAY, target_caps=BLIND)
    base = after(first)
    for _ in range(2):
        p = plan(
            history((m, 0), *filler),
            history(*filler),  # SIMKL read whole, without m
            SyncMode.TWO_WAY,
            base,
            target_caps=BLIND,
            confirm=True,
        )
        assert p.changes == ()
        assert p.target_dropped == ()
        base = after(p)
    # A play SIMKL does show still travels both ways.
    n = movie(2)
    p = plan(
        history((m, 0), *filler),
        history((n, 50), *filler),
        SyncMode.TWO_WAY,
        base,
        target_caps=BLIND,
    )
    assert [(c.side, c.key) for c in p.changes] == [(Side.SOURCE, "movie:tmdb:2")]


def test_a_blind_side_keeps_plays_its_read_shows_under_another_key() -> None:
    # The baseline names the title by tmdb, the read by imdb as well: one title, plays merged.
    before = history((movie(1), 0))
    read = history((movie(1, imdb="tt1"), 500))
    merged = read.with_plays_of(before)
    assert list(merged.entries) == list(read.entries)
    assert next(iter(merged.entries.values())).plays == (T0_TS, T0_TS + 500)
    assert merged.with_plays_of(before) is merged
    assert history().with_plays_of(before).entries == before.entries


def test_one_way_per_title_reports_no_drop_when_a_newer_play_goes_over() -> None:
    # The new play is older than the synced one (posted late): the title goes back all the same.
    m = movie(1)
    simkl = Capabilities(exact_play_times=False)
    base = after(plan(history((m, 9_000)), history(), target_caps=simkl))
    p = plan(history((m, 0), (m, 9_000)), history(), baseline=base, target_caps=simkl)
    assert [c.watched_at for c in p.changes] == [T0_TS]
    assert p.target_dropped == ()


@pytest.mark.parametrize("gone_from", [Side.SOURCE, Side.TARGET])
def test_two_way_without_removals_neither_deletes_nor_undoes_a_removal(gone_from: Side) -> None:
    common = [movie(n) for n in range(10, 30)]
    base = Baseline(watchlist(movie(1), *common), watchlist(movie(1), *common))
    reads = {Side.SOURCE: watchlist(movie(1), *common), Side.TARGET: watchlist(movie(1), *common)}
    reads[gone_from] = watchlist(*common)
    p = plan(reads[Side.SOURCE], reads[Side.TARGET], SyncMode.TWO_WAY, base, allow_removals=False)
    assert p.changes == ()
    assert p.suppressed_removals == 1
    assert p.summary()["suppressed_removals"] == 1
    # Both sides keep the title in the next baseline: the same reads decide the same again,
    # rather than taking the title for one the other side never had (and adding it back).
    after = new_baseline(p, ExecutionOutcome.of(succeeded=p.changes))
    assert "movie:tmdb:1" in after.source.entries
    assert "movie:tmdb:1" in after.target.entries
    again = plan(
        reads[Side.SOURCE], reads[Side.TARGET], SyncMode.TWO_WAY, after, allow_removals=False
    )
    assert (again.changes, again.suppressed_removals) == ((), 1)
    # The same situation with removals allowed carries the removal over.
    allowed = plan(reads[Side.SOURCE], reads[Side.TARGET], SyncMode.TWO_WAY, base)
    assert keys(allowed, Action.REMOVE, gone_from.other) == ["movie:tmdb:1"]
