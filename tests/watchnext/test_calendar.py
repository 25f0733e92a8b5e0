"""Calendar events from Trakt's recorded calendar rows and SIMKL's episode lists; the cache."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.watchnext.calendar import (
    DEFAULT_RUNTIME_MINUTES,
    MAX_DAYS,
    CalendarCache,
    FollowedShow,
    Upcoming,
    episode_summary,
    poll_window,
    simkl_followed,
    simkl_release,
    simkl_upcoming,
    upcoming_episodes,
    upcoming_movies,
)

from .helpers import body


def test_recorded_show_rows_become_timed_events() -> None:
    events = upcoming_episodes(body("trakt/calendars_my_shows.json"))
    assert [e.summary for e in events] == [
        "True Blood S07E04 · Death is Not the End",
        "The Leftovers S01E03 · Two Boats and a Helicopter",
    ]
    first = events[0]
    assert first.start == datetime(2014, 7, 14, 1, 0, tzinfo=UTC)
    # the rows carry no runtime without extended=full: the default length
    assert first.span()[1] - first.span()[0] == timedelta(minutes=DEFAULT_RUNTIME_MINUTES)
    assert not first.all_day
    assert first.item.kind is MediaKind.EPISODE
    assert first.item.show_ids["tvdb"] == "82283"
    assert (first.item.season, first.item.number) == (7, 4)
    assert first.uid == "episode-443"
    assert "imdb: tt3500614" in first.description


def test_extended_episode_gives_runtime_and_overview() -> None:
    episode = body("trakt/episode_extended_full.json")
    show = {"title": "Game of Thrones", "year": 2011, "ids": {"trakt": 1390}}
    [event] = upcoming_episodes(
        [{"first_aired": episode["first_aired"], "episode": episode, "show": show}]
    )
    assert event.span()[1] - event.span()[0] == timedelta(minutes=58)
    assert event.description.startswith("Ned Stark, Lord of Winterfell")
    assert event.summary == "Game of Thrones S01E01 · Winter Is Coming"


def test_recorded_movie_rows_become_all_day_events() -> None:
    events = upcoming_movies(body("trakt/calendars_my_movies.json"))
    assert [(e.summary, e.start, e.end) for e in events] == [
        ("Guardians of the Galaxy (2014)", date(2014, 8, 1), date(2014, 8, 2)),
        ("Teenage Mutant Ninja Turtles (2014)", date(2014, 8, 8), date(2014, 8, 9)),
    ]
    assert all(e.all_day for e in events)
    assert events[0].item.ids["tmdb"] == "118340"


def test_rows_that_cannot_be_placed_are_skipped() -> None:
    shows = [
        None,
        {"first_aired": None, "episode": {"season": 1, "number": 1}, "show": {"title": "A"}},
        {"first_aired": "2014-07-14T01:00:00.000Z", "episode": {"season": 1}, "show": {}},
    ]
    movies = [
        "x",
        {"released": "2014-13-45", "movie": {"title": "Bad date"}},
        {"released": "2014-08-01", "movie": {}},
        {"released": None, "movie": {"title": "No date"}},
    ]
    assert upcoming_episodes(shows) == []
    assert upcoming_movies(movies) == []


def test_summary_without_numbers_or_title() -> None:
    assert episode_summary("Show", None, 3, "Title") == "Show · Title"
    assert episode_summary(None, 1, 2, None) == "? S01E02"


def _event(uid: str, start: datetime, hours: int = 1) -> Upcoming:
    [base] = upcoming_movies(body("trakt/calendars_my_movies.json"))[:1]
    return Upcoming(
        uid=uid,
        item=base.item,
        summary=uid,
        start=start,
        end=start + timedelta(hours=hours),
    )


NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


def test_poll_window_starts_yesterday_for_33_days() -> None:
    assert poll_window(NOW) == (date(2026, 12, 5), MAX_DAYS)


def test_cache_answers_covered_windows_and_names_one_bounded_read() -> None:
    cache = CalendarCache()
    start, days = poll_window(NOW)
    cache.replace(start, days, [_event("a", NOW + timedelta(days=1))], NOW)
    assert cache.read_at == NOW
    assert cache.covers(date(2026, 12, 5), date(2027, 1, 7))
    assert cache.read_for(date(2026, 12, 10), date(2026, 12, 20)) is None
    # a view of next spring: one read of at most 33 days from the first missing day
    assert cache.read_for(date(2027, 3, 1), date(2027, 6, 1)) == (date(2027, 3, 1), MAX_DAYS)
    # a view overlapping the cached window reads only what is missing after it
    assert cache.read_for(date(2026, 12, 20), date(2027, 1, 20)) == (date(2027, 1, 7), 13)
    # ... and before it, up to where the cache begins
    assert cache.read_for(date(2026, 12, 1), date(2026, 12, 10)) == (date(2026, 12, 1), 4)


def test_store_replaces_entries_of_its_window_only() -> None:
    cache = CalendarCache()
    inside, outside = NOW + timedelta(days=2), NOW + timedelta(days=40)
    cache.store(date(2026, 12, 5), 33, [_event("kept", NOW), _event("gone", inside)])
    cache.store(date(2027, 1, 14), 33, [_event("far", outside)])
    assert cache.spans == [
        (date(2026, 12, 5), date(2027, 1, 7)),
        (date(2027, 1, 14), date(2027, 2, 16)),
    ]
    cache.store(date(2026, 12, 7), 5, [_event("moved", inside + timedelta(hours=3))])
    assert sorted(cache.entries) == ["far", "kept", "moved"]
    assert cache.read_for(date(2027, 1, 5), date(2027, 1, 20)) == (date(2027, 1, 7), 7)


def test_between_and_current_or_next() -> None:
    cache = CalendarCache()
    running = _event("running", NOW - timedelta(minutes=30))
    later = _event("later", NOW + timedelta(days=1))
    done = _event("done", NOW - timedelta(days=1))
    cache.replace(date(2026, 12, 5), 33, [later, running, done], NOW)
    assert [e.uid for e in cache.between(NOW - timedelta(days=2), NOW + timedelta(days=2))] == [
        "done",
        "running",
        "later",
    ]
    assert [e.uid for e in cache.between(NOW, NOW + timedelta(hours=1))] == ["running"]
    assert cache.current_or_next(NOW) == running
    assert cache.current_or_next(NOW + timedelta(hours=2)) == later
    assert cache.current_or_next(NOW + timedelta(days=3)) is None


def test_all_day_entries_span_their_day() -> None:
    [movie, _] = upcoming_movies(body("trakt/calendars_my_movies.json"))
    cache = CalendarCache()
    cache.replace(date(2014, 7, 31), 10, [movie], NOW)
    day = datetime(2014, 8, 1, tzinfo=UTC)
    assert cache.between(day + timedelta(hours=12), day + timedelta(hours=13)) == [movie]
    assert cache.between(day + timedelta(days=1), day + timedelta(days=2)) == []


def test_simkl_episode_lists_become_timed_events_from_a_day_on() -> None:
    walking = FollowedShow(
        show=MediaItem(kind=MediaKind.SHOW, ids={"simkl": "2090"}, title="The Walking Dead"),
        anime=False,
        unaired=1,
        runtime=42,
    )
    rows = body("simkl/tv_episodes.json")
    events = simkl_upcoming(walking, rows, since=datetime(2000, 1, 1, tzinfo=UTC))
    # the special has no numbers: left out
    assert [e.summary for e in events] == [
        "The Walking Dead S01E01 · Days Gone Bye",
        "The Walking Dead S01E02 · Guts",
    ]
    first = events[0]
    assert first.start == datetime(2010, 10, 31, 5, 0, tzinfo=UTC)  # -05:00 kept, not dropped
    assert first.end - first.start == timedelta(minutes=42)
    assert first.item.ids == {"simkl": "310766"}
    assert first.item.show_ids == {"simkl": "2090"}
    assert first.uid == "simkl-episode-310766"
    assert "Rick searches for his family" in first.description
    # only what ends after ``since``
    since = datetime(2010, 11, 1, tzinfo=UTC)
    assert [e.item.number for e in simkl_upcoming(walking, rows, since)] == [2]


def test_simkl_anime_episodes_are_season_one_and_runtime_defaults() -> None:
    titan = FollowedShow(
        show=MediaItem(kind=MediaKind.SHOW, ids={"simkl": "39687"}, title="Attack on Titan"),
        anime=True,
        unaired=2,
    )
    events = simkl_upcoming(
        titan, body("simkl/anime_episodes.json"), since=datetime(2000, 1, 1, tzinfo=UTC)
    )
    assert [(e.item.season, e.item.number) for e in events] == [(1, 1), (1, 2)]
    assert events[0].start == datetime(2013, 4, 6, 15, 0, tzinfo=UTC)  # +09:00
    assert events[0].end - events[0].start == timedelta(minutes=DEFAULT_RUNTIME_MINUTES)
    assert events[0].description == "simkl: 39687"  # SIMKL gives no description here


def test_simkl_followed_reads_watching_rows_and_leaves_the_rest() -> None:
    real = body("simkl/all_items.json")
    # the example's rows are on hold, completed and planned: none is followed
    assert simkl_followed(real) == {"583436": None, "40398": None, "581835": None}
    # the same on-hold row as watching, with two episodes to come
    row = {**real["shows"][0], "status": "watching", "not_aired_episodes_count": 2}
    [(key, followed)] = simkl_followed({"shows": [row]}).items()
    assert key == "583436"
    assert followed is not None
    assert (followed.show.title, followed.anime, followed.unaired, followed.runtime) == (
        "Emerald City",
        False,
        2,
        40,
    )
    # odd rows are skipped, not fatal
    assert simkl_followed({"shows": [None, {"show": {"ids": {}}}], "anime": "x"}) == {}
    assert (
        simkl_upcoming(
            FollowedShow(
                show=MediaItem(kind=MediaKind.SHOW, ids={"simkl": "1"}), anime=False, unaired=1
            ),
            [None, {"type": "episode", "date": "soon", "episode": 1}, {"type": "episode"}],
            since=datetime(2000, 1, 1, tzinfo=UTC),
        )
        == []
    )


def test_a_simkl_film_summary_is_its_release_day() -> None:
    entry = simkl_release(body("simkl/movie_summary_full.json"))
    assert entry is not None
    assert entry.summary == "Harry Potter and the Deathly Hallows: Part 2 (2011)"
    assert (entry.start, entry.end) == (date(2011, 7, 15), date(2011, 7, 16))
    assert entry.all_day
    assert entry.item.ids["simkl"] == "67144"
    assert entry.item.ids["imdb"] == "tt1201607"
    assert entry.description.startswith("Harry, Ron and Hermione")
    # the short form has no release day: nothing to show
    assert simkl_release({"title": "X", "year": 2030, "ids": {"simkl": 1}}) is None
    assert simkl_release({"title": "X", "released": "soon", "ids": {"simkl": 1}}) is None
