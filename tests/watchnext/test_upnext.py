"""Up next from Trakt's recorded watched progress and SIMKL's recorded all-items rows."""

from __future__ import annotations

from datetime import UTC, datetime

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.watchnext.upnext import (
    TraktUpNext,
    UpNext,
    from_trakt_progress,
    merge_simkl,
    ordered,
    parse_next_to_watch,
    show_from_watched_row,
    simkl_rows,
    with_poster,
)

from .helpers import body

GOT = MediaItem(kind=MediaKind.SHOW, ids={"trakt": "1390"}, title="Game of Thrones", year=2011)
WHEN = datetime(2015, 3, 21, 19, 3, 58, tzinfo=UTC)


def test_recorded_progress_names_the_next_episode() -> None:
    entry = from_trakt_progress(GOT, body("trakt/shows_progress_watched.json"), WHEN)
    assert entry is not None
    assert entry.label == "Game of Thrones S01E07"
    assert entry.title == "Water"
    assert entry.episode_ids == {"tvdb": "4849873", "trakt": "62315"}  # nulls dropped
    episode = entry.episode()
    assert (episode.kind, episode.show_ids, episode.season, episode.number) == (
        MediaKind.EPISODE,
        {"trakt": "1390"},
        1,
        7,
    )
    attrs = entry.attributes()
    assert attrs["label"] == "Game of Thrones S01E07"
    assert attrs["last_watched_at"] == "2015-03-21T19:03:58+00:00"
    assert attrs["poster"] is None


def test_progress_without_a_next_episode_is_none() -> None:
    done = {**body("trakt/shows_progress_watched.json"), "next_episode": None}
    assert from_trakt_progress(GOT, done, WHEN) is None
    assert from_trakt_progress(GOT, "not an object", WHEN) is None


def _watched_row(trakt: int, title: str, at: str | None) -> dict[str, object]:
    # the shape of a /sync/watched/shows?extended=noseasons row (simulator + trakt.py recording)
    return {
        "plays": 3,
        "last_watched_at": at,
        "last_updated_at": at,
        "show": {"title": title, "year": 2010, "ids": {"trakt": trakt, "slug": title.lower()}},
    }


def test_first_fill_reads_the_most_recent_shows_then_only_moved_ones() -> None:
    state = TraktUpNext(limit=1, first_fill_reads=25)
    rows = [
        _watched_row(1, "Old", "2020-01-01T00:00:00.000Z"),
        _watched_row(2, "New", "2026-01-01T00:00:00.000Z"),
        _watched_row(3, "Mid", "2024-01-01T00:00:00.000Z"),
        _watched_row(4, "Never", None),
        {"show": {"title": "no trakt id", "ids": {}}},
    ]
    assert state.needs_list(None)
    first = state.to_read(rows)
    assert [key for key, _, _ in first] == ["2", "3"]  # limit 1 -> up to 2 reads
    assert state.seen == {"1": datetime(2020, 1, 1, tzinfo=UTC), "4": None}  # taken as seen
    for key, show, at in first:
        entry = None if key == "1" else UpNext(show=show, season=1, number=2, last_watched_at=at)
        state.record(key, entry, at)
    state.marker = "2026-01-01T00:00:00.000Z"
    assert not state.needs_list("2026-01-01T00:00:00.000Z")
    assert state.needs_list("2026-02-01T00:00:00.000Z")
    assert [e.show.title for e in state.listed()] == ["New"]
    assert sorted(state.entries) == ["2", "3"]
    # one new play of "Old": only that show is read again
    moved = [*rows[:1], *rows[1:]]
    moved[0] = _watched_row(1, "Old", "2026-02-01T00:00:00.000Z")
    assert [key for key, _, _ in state.to_read(moved)] == ["1"]
    # a show that left the list (history removed) is forgotten
    state.forget_missing(moved[:2])
    assert sorted(state.seen) == ["1", "2"]
    assert sorted(state.entries) == ["2"]


def test_watched_row_needs_a_trakt_id() -> None:
    assert show_from_watched_row("x") is None
    assert show_from_watched_row({"show": {"ids": {"slug": "a"}}}) is None
    found = show_from_watched_row(_watched_row(7, "Seven", None))
    assert found is not None
    assert found[0] == "7"
    assert found[2] is None


def test_next_to_watch_forms() -> None:
    assert parse_next_to_watch("S01E02") == (1, 2)
    assert parse_next_to_watch("E01") == (1, 1)  # anime: one season
    assert parse_next_to_watch("s10e100") == (10, 100)
    assert parse_next_to_watch(None) is None
    assert parse_next_to_watch("S01") is None


def test_recorded_simkl_rows() -> None:
    rows = simkl_rows(body("simkl/all_items.json"))
    # Emerald City is on hold (next S01E01), Hunter x Hunter completed, Ajin 2 plan to watch:
    # none of them is being watched, so none is up next; each is known (a date_from read of
    # a status change must remove it)
    assert rows == {"583436": None, "40398": None, "581835": None}


def test_watching_rows_are_up_next_with_posters() -> None:
    recorded = body("simkl/all_items.json")["shows"][0]
    watching = {**recorded, "status": "watching", "next_to_watch": "S01E04"}
    rows = simkl_rows({"shows": [watching], "anime": [{"anime_type": "movie", "show": {}}]})
    entry = rows["583436"]
    assert entry is not None
    assert entry.label == "Emerald City S01E04"
    assert (
        entry.poster == "https://wsrv.nl/?url=https://simkl.in/posters/51/5152376528f644b91_m.webp"
    )
    assert entry.show.ids["tvdb"] == "295779"
    merged = merge_simkl({}, rows, full=True)
    assert list(merged) == ["583436"]
    assert merge_simkl(merged, {"583436": None}, full=False) == {}
    assert merge_simkl(merged, {}, full=False) == merged
    assert simkl_rows(None) == {}


def test_order_and_poster() -> None:
    show = MediaItem(kind=MediaKind.SHOW, ids={"simkl": "1"}, title="A")
    older = UpNext(show=show, season=1, number=1, last_watched_at=WHEN)
    newer = UpNext(show=show, season=2, number=1, last_watched_at=datetime.now(UTC))
    unknown = UpNext(show=show, season=3, number=1)
    assert ordered([older, unknown, newer]) == [newer, older, unknown]
    assert ordered([older, newer], limit=1) == [newer]
    assert with_poster(older, "https://image/x.jpg").poster == "https://image/x.jpg"
    assert with_poster(older, None) is older
