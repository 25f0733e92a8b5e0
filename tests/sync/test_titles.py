"""Unsynced titles kept in pair state, and the user's fixes (id overrides, ignore)."""

from __future__ import annotations

import json

import pytest

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.side import PLEX_CAPABILITIES
from custom_components.crosswatch.providers.trakt.side import trakt_capabilities
from custom_components.crosswatch.sync.apply import apply_outcome
from custom_components.crosswatch.sync.plan import (
    Action,
    ExecutionOutcome,
    RunResult,
    Side,
    SyncMode,
    SyncPlan,
)
from custom_components.crosswatch.sync.planner import PlanSettings, SideInput, plan_sync
from custom_components.crosswatch.sync.state import PairState
from custom_components.crosswatch.sync.titles import (
    MAX_UNMATCHED,
    NOT_FOUND,
    Override,
    apply_overrides,
    title_key,
    unmatched_after,
)

from .helpers import history, movie, unmatched_title, watchlist

NOW = 2_000_000.0
# Plex's new agent without resolved Guid[]: only its own plex:// guid, which Trakt cannot take.
PLEX_ONLY = movie(plex="5d776825880197001ec967c8", title="The Matrix", year=1999)


def plex_episode(number: int) -> MediaItem:
    return MediaItem(
        kind=MediaKind.EPISODE,
        show_ids={"plex": "5d9c086c46115600200aa2fe"},
        show_title="Firefly",
        season=1,
        number=number,
    )


def plan(state: PairState, source: object, target: object, *, now: float = NOW) -> SyncPlan:
    inputs = {
        source.feature: (  # type: ignore[attr-defined]
            SideInput(inventory=source, capabilities=PLEX_CAPABILITIES),  # type: ignore[arg-type]
            SideInput(inventory=target, capabilities=trakt_capabilities()),  # type: ignore[arg-type]
        )
    }
    return plan_sync(state, inputs, PlanSettings(mode=SyncMode.ADD_ONLY), now=now)


def run(state: PairState, source: object, target: object, *, now: float = NOW) -> PairState:
    the_plan = plan(state, source, target, now=now)
    return apply_outcome(state, the_plan, ExecutionOutcome.all_succeeded(the_plan), now=now)


def test_an_episode_is_filed_under_its_show() -> None:
    assert title_key(plex_episode(1)) == title_key(plex_episode(2))
    assert title_key(plex_episode(1)) == title_key(
        MediaItem(kind=MediaKind.SHOW, ids={"plex": "5d9c086c46115600200aa2fe"})
    )
    assert title_key(PLEX_ONLY) == "movie:plex:5d776825880197001ec967c8"


def test_an_unwritable_title_is_kept_with_when_it_was_first_and_last_seen() -> None:
    state = run(PairState(), watchlist(PLEX_ONLY, movie(1)), watchlist())
    [record] = state.unmatched.values()
    assert record.key == title_key(PLEX_ONLY)
    assert (record.title, record.year, record.kind) == ("The Matrix", 1999, MediaKind.MOVIE)
    assert record.ids == {"plex": "5d776825880197001ec967c8"}
    assert (record.side, record.reason, record.features) == (
        Side.TARGET,
        "no_usable_id",
        ("watchlist",),
    )
    assert record.first_seen == record.last_seen == NOW
    assert state.last_run is not None
    assert state.last_run.result is RunResult.PARTIAL
    assert state.last_run.left() == {"unmatched": 1}

    later = run(state, watchlist(PLEX_ONLY, movie(1)), watchlist(movie(1)), now=NOW + 60)
    [again] = later.unmatched.values()
    assert (again.first_seen, again.last_seen) == (NOW, NOW + 60)


def test_a_show_whose_episodes_cannot_be_written_is_one_title() -> None:
    source = history(*((plex_episode(n), n * 3600.0) for n in range(1, 4)))
    state = run(PairState(), source, history())
    [record] = state.unmatched.values()
    assert (record.kind, record.title, record.entries) == (MediaKind.SHOW, "Firefly", 3)
    assert record.ids == {"plex": "5d9c086c46115600200aa2fe"}


def test_an_override_makes_the_title_sync_on_the_next_run() -> None:
    source = watchlist(PLEX_ONLY)
    state = run(PairState(), source, watchlist())
    key = next(iter(state.unmatched))
    fixed = state.with_override(
        key, Override.fix(state.unmatched[key], {"tmdb": "603"}, name="The Matrix", now=NOW)
    )
    assert key in fixed.unmatched  # until a run syncs it

    the_plan = plan(fixed, source, watchlist(), now=NOW + 60)
    [change] = the_plan.changes
    assert (change.action, change.side, change.item.ids["tmdb"]) == (Action.ADD, Side.TARGET, "603")
    after = apply_outcome(fixed, the_plan, ExecutionOutcome.all_succeeded(the_plan), now=NOW + 60)
    assert after.unmatched == {}
    assert after.last_run is not None
    assert after.last_run.result is RunResult.OK

    # Trakt answers with its own ids next time: the fixed title matches it, nothing more to do.
    on_trakt = watchlist(movie(603, imdb="tt0133093", trakt="481"))
    again = plan(after, source, on_trakt, now=NOW + 120)
    assert again.changes == ()
    assert again.features[Feature.WATCHLIST].unmatched == ()


def test_an_override_of_a_show_fixes_all_its_episodes() -> None:
    source = history(*((plex_episode(n), n * 3600.0) for n in range(1, 4)))
    key = title_key(plex_episode(1))
    state = PairState().with_override(key, Override(ids={"tmdb": "1437"}))
    the_plan = plan(state, source, history())
    assert len(the_plan.changes) == 3
    assert {c.item.show_ids["tmdb"] for c in the_plan.changes} == {"1437"}


def test_an_ignored_title_is_neither_written_nor_reported() -> None:
    state = run(PairState(), watchlist(PLEX_ONLY, movie(1)), watchlist())
    key = title_key(PLEX_ONLY)
    ignored = state.with_override(key, Override(ids={}, ignore=True, set_at=NOW))
    assert ignored.unmatched == {}  # at once
    the_plan = plan(ignored, watchlist(PLEX_ONLY, movie(1)), watchlist(movie(1)))
    assert the_plan.changes == ()
    assert the_plan.features[Feature.WATCHLIST].unmatched == ()
    # Even a title the target could take is left alone once ignored.
    writable = PairState().with_override(title_key(movie(1)), Override(ids={}, ignore=True))
    assert plan(writable, watchlist(movie(1)), watchlist()).changes == ()
    # Dropping the override brings it back.
    assert (
        len(
            plan(
                writable.with_override(title_key(movie(1)), None), watchlist(movie(1)), watchlist()
            ).changes
        )
        == 1
    )


def test_applying_overrides_keeps_an_inventory_already_carrying_them() -> None:
    overrides = {title_key(PLEX_ONLY): Override(ids={"tmdb": "603"})}
    read = watchlist(PLEX_ONLY, movie(1))
    fixed = apply_overrides(read, overrides)
    assert fixed is not read
    assert fixed.entries[title_key(PLEX_ONLY)].item.ids["tmdb"] == "603"
    assert fixed.rows[title_key(movie(1))] is read.rows[title_key(movie(1))]
    assert apply_overrides(fixed, overrides) is fixed  # a baseline standing in for a read
    assert apply_overrides(read, {}) is read
    ignore = {title_key(PLEX_ONLY): Override(ids={}, ignore=True)}
    assert apply_overrides(read, ignore) is read


def test_an_override_needs_a_strong_id_or_ignore() -> None:
    with pytest.raises(ValueError, match="strong id"):
        Override(ids={"slug": "the-matrix"})
    with pytest.raises(ValueError, match="strong id"):
        Override(ids={})


def test_a_title_the_service_refused_is_kept_as_not_found() -> None:
    the_plan = plan(PairState(), watchlist(movie(999_999)), watchlist())
    [change] = the_plan.changes
    after = apply_outcome(PairState(), the_plan, ExecutionOutcome.of(rejected=[change]), now=NOW)
    [record] = after.unmatched.values()
    assert (record.reason, record.ids) == (NOT_FOUND, {"tmdb": "999999"})


def test_titles_of_features_a_run_did_not_plan_stay() -> None:
    state = run(PairState(), watchlist(PLEX_ONLY), watchlist())
    # A history-only run says nothing about the watchlist's unsynced titles.
    after = run(state, history((movie(1), 0)), history())
    assert title_key(PLEX_ONLY) in after.unmatched
    assert after.unmatched[title_key(PLEX_ONLY)].features == ("watchlist",)


def test_the_list_keeps_the_most_recently_seen_titles() -> None:
    previous = {
        f"movie:plex:{n:024x}": unmatched_title(f"movie:plex:{n:024x}", "history", seen=n)
        for n in range(MAX_UNMATCHED + 10)
    }
    empty = plan(PairState(), watchlist(), watchlist())
    kept = unmatched_after(previous, empty, ExecutionOutcome(), now=NOW)
    assert len(kept) == MAX_UNMATCHED
    assert min(r.last_seen for r in kept.values()) == 10


def test_unmatched_titles_and_overrides_round_trip_and_old_states_load_unchanged() -> None:
    state = run(PairState(), watchlist(PLEX_ONLY), watchlist()).with_override(
        "show:plex:5d9c086c46115600200aa2fe", Override(ids={"tmdb": "1437"}, title="Firefly")
    )
    assert PairState.from_stored(json.loads(json.dumps(state.to_stored()))) == state
    assert PairState.from_dict(json.loads(json.dumps(state.to_dict()))) == state
    # A state stored before these existed has neither key: it loads as it was.
    old = PairState().to_stored()
    del old["unmatched"], old["overrides"]
    assert PairState.from_stored(old) == PairState()


@pytest.mark.parametrize(
    "part",
    [
        {"unmatched": {"k": {"key": "k"}}},
        {
            "unmatched": {
                "k": {
                    **unmatched_title("k").to_dict(),
                    "side": "middle",
                }
            }
        },
        {"overrides": {"k": {"ids": ["tmdb"]}}},
        {"overrides": {"k": {"ids": {"slug": "x"}}}},
    ],
)
def test_malformed_titles_or_overrides_are_a_clear_error(part: dict[str, object]) -> None:
    data = {**PairState().to_stored(), **part}
    with pytest.raises(ValueError, match="malformed pair state"):
        PairState.from_stored(data)


def test_a_fixed_title_the_service_still_refuses_stays_under_the_key_the_user_fixed() -> None:
    source = watchlist(PLEX_ONLY)
    state = run(PairState(), source, watchlist())
    key = title_key(PLEX_ONLY)
    fixed = state.with_override(
        key, Override.fix(state.unmatched[key], {"tmdb": "1"}, name=None, now=NOW)
    )
    the_plan = plan(fixed, source, watchlist(), now=NOW + 60)
    [change] = the_plan.changes
    after = apply_outcome(fixed, the_plan, ExecutionOutcome.of(rejected=[change]), now=NOW + 60)
    assert list(after.unmatched) == [key]
    assert after.unmatched[key].reason == NOT_FOUND
    assert after.unmatched[key].first_seen == NOW
    # Ignoring it now names the same key, and the planner honours it for the fixed item too.
    ignored = after.with_override(key, Override(ids={}, ignore=True))
    assert plan(ignored, source, watchlist(), now=NOW + 120).changes == ()


def test_a_fixed_play_is_posted_though_the_source_baseline_held_it() -> None:
    source = history((PLEX_ONLY, 0.0))
    state = run(PairState(), source, history())
    assert state.baselines[Feature.HISTORY].source.size == 1  # known, never sent
    key = title_key(PLEX_ONLY)
    fixed = state.with_override(
        key, Override.fix(state.unmatched[key], {"imdb": "tt0133093"}, name=None, now=NOW)
    )
    [change] = plan(fixed, source, history(), now=NOW + 60).changes
    assert (change.action, change.item.ids["imdb"]) == (Action.ADD, "tt0133093")
    # Without the fix, a title known on both runs and missing on the target stays a drop.
    synced = run(PairState(), watchlist(movie(5)), watchlist())
    assert plan(synced, watchlist(movie(5)), watchlist(), now=NOW + 60).changes == ()
