"""Paging loops (property-based) and wire conversions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.crosswatch.api.errors import InvalidResponseError
from custom_components.crosswatch.api.ids import digits
from custom_components.crosswatch.api.models import WriteResult
from custom_components.crosswatch.api.paging import (
    SLICE_SECONDS,
    collect_numbered_pages,
    collect_offset_pages,
    convert_rows,
    header_int,
)
from custom_components.crosswatch.api.wire import (
    count,
    iso_ms,
    iso_s,
    parse_time,
    wire_ids,
    write_result,
)

SOURCE = ("plex", "GET /library/sections/{id}/all")


def run(coro):  # hypothesis drives sync tests; each example runs its own tiny loop
    return asyncio.run(coro)


@given(
    st.integers(min_value=0, max_value=1000), st.integers(min_value=1, max_value=120), st.booleans()
)
def test_numbered_pages_fetch_each_page_once(total: int, limit: int, send_count: bool) -> None:
    rows = list(range(total))
    calls: list[int] = []
    pages = max(1, -(-total // limit))

    async def fetch(page: int):
        calls.append(page)
        chunk = rows[(page - 1) * limit : page * limit]
        return chunk, (pages if send_count else None)

    assert run(collect_numbered_pages(fetch, limit, source=SOURCE)) == rows
    expected = pages
    if not send_count and total and total % limit == 0:
        expected += 1  # without a page count, a full last page needs one empty page to end
    assert calls == list(range(1, expected + 1))


def test_numbered_pages_convert_each_page_before_the_next_is_asked_for() -> None:
    """A page whose rows convert to fewer (``None``: left out) is still a full page."""
    events: list[str] = []
    pages = {1: [1, None], 2: [3, 4], 3: [5]}

    async def fetch(page: int):
        events.append(f"fetch {page}")
        return pages[page], None

    def convert(row: int | None) -> int | None:
        events.append(f"convert {row}")
        return row

    assert run(collect_numbered_pages(fetch, 2, convert, source=SOURCE)) == [1, 3, 4, 5]
    assert events == [
        "fetch 1",
        "convert 1",
        "convert None",
        "fetch 2",
        "convert 3",
        "convert 4",
        "fetch 3",
        "convert 5",
    ]


@given(
    st.integers(min_value=0, max_value=1000), st.integers(min_value=1, max_value=150), st.booleans()
)
def test_offset_pages_stop_at_total(total: int, size: int, ignores_size: bool) -> None:
    rows = [f"k{i}" for i in range(total)]
    calls: list[int] = []

    async def fetch(offset: int):
        calls.append(offset)
        if ignores_size:  # a host that ignores X-Plex-Container-Start repeats the first page
            return rows[:size], total
        return rows[offset : offset + size], total

    if ignores_size and total > size:
        # More rows remain, but they cannot be read: an incomplete read, never the whole list.
        with pytest.raises(InvalidResponseError, match=f"{size} of {total} rows read"):
            run(collect_offset_pages(fetch, key=lambda r: r, source=SOURCE))
        assert calls == [0, size]
        return
    collected = run(collect_offset_pages(fetch, key=lambda r: r, source=SOURCE))
    assert collected == rows
    assert len(calls) == max(1, -(-total // size))


def test_offset_pages_without_total_read_one_page() -> None:
    async def fetch(offset: int):
        return ["a", "b"], None

    assert run(collect_offset_pages(fetch, source=SOURCE)) == ["a", "b"]


def test_offset_pages_convert_each_page_before_the_next_is_asked_for() -> None:
    """A large sweep's raw rows go page by page; a repeated page is spotted before conversion."""
    events: list[str] = []
    pages = {0: [{"id": 1}, {"id": 2}], 2: [{"id": 3}, {"id": None}], 4: [{"id": 3}, {"id": 4}]}
    pages[6] = pages[4]  # a host repeating a page: spotted, not converted

    async def fetch(offset: int):
        events.append(f"fetch {offset}")
        return pages[offset], 10

    def convert(row: dict[str, int | None]) -> int | None:
        events.append(f"convert {row['id']}")
        return row["id"]

    collected = collect_offset_pages(fetch, key=lambda r: r["id"], convert=convert, source=SOURCE)
    with pytest.raises(InvalidResponseError, match="6 of 10 rows read, then a page the same"):
        run(collected)  # the host said 10 rows: 6 is an incomplete read
    assert events == [
        "fetch 0",
        "convert 1",
        "convert 2",
        "fetch 2",
        "convert 3",
        "convert None",
        "fetch 4",
        "convert 3",
        "convert 4",
        "fetch 6",
    ]


@given(st.lists(st.floats(min_value=0.0001, max_value=0.02), max_size=60))
def test_row_conversion_yields_to_the_loop_once_a_slice_has_run_its_time(costs) -> None:
    """Each row costs its own time on a fake clock; the loop gets a turn within every slice."""
    clock = [0.0]
    turns: list[int] = []  # at each row: how many times another task has run so far

    async def scenario() -> list[int]:
        done = False
        ran = [0]

        async def other_task() -> None:
            while not done:
                ran[0] += 1
                await asyncio.sleep(0)

        def convert(row: int) -> int | None:
            turns.append(ran[0])
            clock[0] += costs[row]
            return None if row % 7 == 3 else row * 10

        ticker = asyncio.create_task(other_task())
        await asyncio.sleep(0)
        try:
            return await convert_rows(range(len(costs)), convert, clock=lambda: clock[0])
        finally:
            done = True
            await ticker

    out = run(scenario())
    assert out == [row * 10 for row in range(len(costs)) if row % 7 != 3]
    # Between two turns of the other task, conversion ran at most one slice: it went on past
    # SLICE_SECONDS only by the one row that crossed it.
    spent = 0.0
    for row, cost in enumerate(costs):
        if row and turns[row] != turns[row - 1]:
            spent = 0.0
        assert spent < SLICE_SECONDS, f"row {row} ran after {spent * 1000:.1f} ms without a yield"
        spent += cost


def test_header_int() -> None:
    assert header_int({"X": "4"}, "X") == 4
    assert header_int({"X": "four"}, "X") is None
    assert header_int({}, "X") is None
    assert header_int(None, "X") is None


def test_parse_time_forms() -> None:
    when = datetime(2014, 9, 1, 9, 10, 11, tzinfo=UTC)
    assert parse_time("2014-09-01T09:10:11.000Z") == when
    assert parse_time("2014-09-01T09:10:11Z") == when
    assert parse_time("2014-09-01T11:10:11+02:00") == when
    assert parse_time("2014-09-01T09:10:11") == when
    assert parse_time(when.timestamp()) == when
    assert parse_time(int(when.timestamp())) == when
    for odd in (None, True, "", "  ", "yesterday", [], {}):
        assert parse_time(odd) is None
    assert iso_ms(when) == "2014-09-01T09:10:11.000Z"
    assert iso_s(when) == "2014-09-01T09:10:11Z"


def test_wire_ids_types() -> None:
    ids = {"trakt": "4", "imdb": "tt1", "tmdb": "x", "slug": "a-b", "plex": "hex", "tvdb": ""}
    assert wire_ids(ids, ("trakt", "imdb", "tmdb", "slug", "tvdb")) == {
        "trakt": 4,
        "imdb": "tt1",
        "slug": "a-b",
    }


def test_write_result_counts_both_shapes() -> None:
    trakt = {
        "added": {"movies": 2, "episodes": 3},
        "existing": {"movies": 1},
        "not_found": {"movies": [{"ids": {"imdb": "tt0"}}], "shows": [], "ids": [5]},
    }
    simkl = {"added": {"movies": [{"to": "plantowatch"}], "shows": [{}, {}], "statuses": [{}]}}
    assert write_result(trakt) == WriteResult(
        added=5, existing=1, not_found=2, not_found_ids=[{"imdb": "tt0"}], batches=1
    )
    assert write_result(simkl).added == 3
    assert write_result(None) == WriteResult(batches=1)
    assert count(True) == 0
    assert count("x") == 0
    total = WriteResult().merge(write_result(trakt)).merge(write_result(simkl))
    assert (total.added, total.batches) == (8, 2)


@pytest.mark.parametrize("count", [2, 3])
def test_an_empty_page_before_the_last_is_an_incomplete_read(count: int) -> None:
    """Page 2 of 3 empty: the rows after it exist; taken as the end they would look removed."""
    pages = {1: [1, 2], 2: [], 3: [5, 6]}

    async def fetch(page: int):
        return pages[page], count

    if count == 3:
        with pytest.raises(InvalidResponseError, match="page 2 of 3 came back empty"):
            run(collect_numbered_pages(fetch, 2, source=SOURCE))
    else:  # the last page may be empty (a play removed while paging): the list ends there
        assert run(collect_numbered_pages(fetch, 2, source=SOURCE)) == [1, 2]


def test_digits_reads_ascii_numbers_only() -> None:
    """One odd field (a Unicode digit, thousands of digits) must not fail a whole read."""
    assert digits("42") == 42
    assert digits(" 7 ") == 7
    assert digits("1" * 18) == int("1" * 18)
    for odd in ("²", "٣", "1" * 19, "1" * 5000, "-3", "3.0", "", "x"):
        assert digits(odd) is None, odd
