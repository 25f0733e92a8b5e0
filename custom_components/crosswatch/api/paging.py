"""Paging loops shared by the clients, written once and property-tested.

Trakt/SIMKL page with ``?page=&limit=`` and ``X-Pagination-Page-Count``; Plex with
``X-Plex-Container-Start/Size`` and ``MediaContainer.totalSize``. Both loops stop on an empty
page, and the Plex loop also stops when a page repeats (a host that ignores the start). Where the
service said more rows remain, such a page is an incomplete read, raised as one
(``InvalidResponseError``): taken as the end of the list, the rows after it would look removed
(a two-way pair would remove them elsewhere) or missing (a first run would post them again).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any

from .errors import InvalidResponseError

MAX_PAGES = 10_000  # a runaway guard: 1,000,000 rows at 100 per page
# How long row conversion runs on the event loop before it yields: a large library's 20,000 rows
# cost tenths of a second here and seconds on a Raspberry Pi, and rows weigh very differently (a
# SIMKL show row carries every watched episode), so the slice is cut by time, not by row count.
SLICE_SECONDS = 0.004

type NumberedPage = tuple[Sequence[Any], int | None]
type OffsetPage = tuple[Sequence[Any], int | None]


async def collect_numbered_pages(
    fetch: Callable[[int], Awaitable[NumberedPage]],
    limit: int,
    convert: Callable[[Any], Any] | None = None,
    *,
    source: tuple[str, str],
) -> list[Any]:
    """Fetch pages 1, 2, … until the page count (or a short/empty page) says stop.

    ``fetch(page)`` returns the rows and the ``X-Pagination-Page-Count`` (``None`` if absent).
    ``convert`` turns each page's rows as the page arrives, as in ``collect_offset_pages``.
    ``source`` (service, route) names an incomplete read: an empty page before the last one.
    """
    rows: list[Any] = []
    page = 1
    while page <= MAX_PAGES:
        batch, page_count = await fetch(page)
        if not batch and page_count is not None and page < page_count:
            raise InvalidResponseError(*source, f"page {page} of {page_count} came back empty")
        rows.extend(batch if convert is None else await convert_rows(batch, convert))
        if not batch or (page_count is not None and page >= page_count):
            break
        if page_count is None and len(batch) < limit:
            break
        page += 1
    return rows


async def collect_offset_pages(
    fetch: Callable[[int], Awaitable[OffsetPage]],
    key: Callable[[Any], Hashable] = id,
    convert: Callable[[Any], Any] | None = None,
    *,
    source: tuple[str, str],
) -> list[Any]:
    """Fetch from offset 0 on until ``totalSize`` is reached, a page is empty or repeats.

    ``fetch(offset)`` returns the rows and ``totalSize`` (``None`` when the host omits it, in
    which case one page is all there is). ``key`` identifies a row to spot a repeated page.
    ``source`` names an incomplete read, as in ``collect_numbered_pages``.
    ``convert`` turns each page's rows as the page arrives (``None``: leave a row out), so a
    large sweep's raw JSON goes page by page instead of living until the sweep ends: a long
    life gets it promoted to the oldest generation, towards a full garbage collection.
    """
    rows: list[Any] = []
    offset = 0
    previous: list[Hashable] | None = None
    for _ in range(MAX_PAGES):
        batch, total = await fetch(offset)
        keys = [key(row) for row in batch]
        if not batch or keys == previous:
            if total is not None and offset < total:
                odd = "empty" if not batch else "the same as the one before"
                raise InvalidResponseError(
                    *source, f"{offset} of {total} rows read, then a page {odd}"
                )
            break
        rows.extend(batch if convert is None else await convert_rows(batch, convert))
        previous = keys
        offset += len(batch)
        if total is None or offset >= total:
            break
    return rows


def header_int(headers: Any, name: str) -> int | None:
    """Read an integer header such as ``X-Pagination-Page-Count``."""
    value = headers.get(name) if headers is not None else None
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


async def convert_rows[T, R](
    rows: Iterable[T],
    convert: Callable[[T], R | None],
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> list[R]:
    """``convert`` each row (``None``: leave it out), yielding every ``SLICE_SECONDS`` of work."""
    out: list[R] = []
    due = clock() + SLICE_SECONDS
    for row in rows:
        converted = convert(row)
        if converted is not None:
            out.append(converted)
        if clock() >= due:
            await asyncio.sleep(0)
            due = clock() + SLICE_SECONDS
    return out
