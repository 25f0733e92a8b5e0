"""An import as a durable job: resumed after a restart without posting twice, cancelled cleanly.

The writes go through the real sync sides to the simulator's Trakt and SIMKL (which, like the
services, keep every play posted: a play posted twice shows as two).
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from custom_components.crosswatch.api.models import (
    ITEM_FEATURES,
    Feature,
    MediaItem,
    MediaKind,
    Play,
    Rating,
    WatchlistEntry,
)
from custom_components.crosswatch.history_io.jobs import (
    LISTED_UNKNOWN,
    ImportJob,
    JobDataError,
    JobStatus,
    PendingRecords,
    change_of,
    remaining_rows,
    resume,
    run_job,
)
from custom_components.crosswatch.history_io.plan import (
    FeaturePreview,
    ImportPlan,
    Record,
    plan_import,
)
from custom_components.crosswatch.history_io.rows import ExportRows
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.simkl.side import SimklSide
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.providers.trakt.side import TraktSide, trakt_capabilities
from custom_components.crosswatch.sync.inventory import Inventory, to_timestamp
from custom_components.crosswatch.sync.plan import Action, Change
from custom_components.crosswatch.sync.side import SyncSide
from simulator import credentials as cred

if TYPE_CHECKING:
    from collections.abc import Sequence

    import aiohttp

    from simulator.testing import Simulator

BATCH = 4
T = datetime(2024, 3, 1, 20, 0, tzinfo=UTC)
MATRIX = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0133093"}, title="The Matrix", year=1999)
EPISODE = MediaItem(
    kind=MediaKind.EPISODE,
    show_ids={"tvdb": "81189", "tmdb": "1396"},
    show_title="Breaking Bad",
    season=1,
    number=2,
)


class Stopped(Exception):  # noqa: N818 - Home Assistant stopping mid-write, as the test plays it
    """Home Assistant stopped after the service took a batch, before the job was saved."""


def make_side(sim: Simulator, session: aiohttp.ClientSession, service: str) -> SyncSide:
    """A fresh side, as Home Assistant builds one after a restart."""
    if service == "trakt":

        async def token() -> str:
            return cred.TRAKT_ACCESS_TOKEN

        client = TraktClient(
            session,
            base_url=sim.url("trakt"),
            client_id=cred.TRAKT_CLIENT_ID,
            access_token=token,
            clock=sim.clock,
        )
        return TraktSide(client)
    simkl = SimklClient(
        session,
        base_url=sim.url("simkl"),
        client_id=cred.SIMKL_CLIENT_ID,
        token=cred.SIMKL_TOKEN,
        clock=sim.clock,
    )
    return SimklSide(simkl)


def export_plays(sim: Simulator, count: int) -> ExportRows:
    """Plays of the simulator's films, one per film, an hour apart (an export's history)."""
    movies = [m for m in sim.state.catalogue.movies if m.imdb][:count]
    assert len(movies) == count
    plays = [
        Play(
            item=MediaItem(kind=MediaKind.MOVIE, ids={"imdb": str(m.imdb)}, title=m.title),
            watched_at=T + timedelta(hours=i),
        )
        for i, m in enumerate(movies)
    ]
    return ExportRows(plays=plays, rows=len(plays))


class Store:
    """What Home Assistant's store would hold: the job and its records, as JSON text."""

    def __init__(self) -> None:
        self.job = ""
        self.records = ""
        self.saves = 0

    async def save(self, job: ImportJob) -> None:
        self.job = json.dumps(job.to_dict())
        self.saves += 1

    def keep_records(self, pending: PendingRecords) -> None:
        self.records = json.dumps(pending.to_dict())

    def load(self) -> tuple[ImportJob, PendingRecords]:
        return (
            ImportJob.from_dict(json.loads(self.job)),
            PendingRecords.from_dict(json.loads(self.records)),
        )


async def start(
    side: SyncSide, rows: ExportRows, store: Store
) -> tuple[ImportJob, PendingRecords, ImportPlan]:
    target = {Feature.HISTORY: await side.read(Feature.HISTORY)}
    plan = plan_import(rows, target, await side.capabilities())
    pending = PendingRecords.of_plan(plan)
    job = ImportJob.start(
        job_id="job1", entry_id="entry1", source="history.json", started_at=0.0, pending=pending
    )
    store.keep_records(pending)
    await store.save(job)
    return job, pending, plan


def posting(side: SyncSide, *, stop_after: int | None = None) -> Any:
    """``side.write`` for additions; with ``stop_after``, Home Assistant stops after that batch."""
    calls = 0

    async def write(feature: Feature, changes: Sequence[Change]) -> Sequence[Change]:
        nonlocal calls
        missing = await side.write(feature, Action.ADD, changes)
        calls += 1
        if calls == stop_after:
            raise Stopped
        return missing

    return write


async def play_counts(
    sim: Simulator, session: aiohttp.ClientSession, service: str
) -> Counter[tuple[str, float]]:
    """Every play the account holds (read by a new side: a side keeps what it read)."""
    history = await make_side(sim, session, service).read(Feature.HISTORY)
    return Counter((key, t) for key, entry in history.entries.items() for t in entry.plays)


async def run(job: ImportJob, pending: PendingRecords, write: Any, store: Store) -> ImportJob:
    return await run_job(
        job,
        pending,
        write=write,
        save=store.save,
        batch_size=BATCH,
        cancelled=lambda: False,
        now=lambda: 1.0,
    )


@pytest.mark.parametrize("service", ["trakt", "simkl"])
async def test_a_restart_after_a_posted_batch_resumes_without_posting_it_again(
    sim: Simulator, session: aiohttp.ClientSession, service: str
) -> None:
    await sim.reset({"movies": 40})
    side = make_side(sim, session, service)
    before = await play_counts(sim, session, service)
    rows = export_plays(sim, 14)
    store = Store()
    job, pending, plan = await start(side, rows, store)
    planned = len(plan.plays)  # films the target has seen already are left out
    assert planned > 3 * BATCH

    # The third batch reaches the service; Home Assistant stops before the job is saved.
    with pytest.raises(Stopped):
        await run(job, pending, posting(side, stop_after=3), store)

    job, pending = store.load()
    assert job.status is JobStatus.RUNNING
    assert job.position == {Feature.HISTORY: 2 * BATCH}
    side = make_side(sim, session, service)  # after the restart
    target = {Feature.HISTORY: await side.read(Feature.HISTORY)}
    replanned = plan_import(remaining_rows(job, pending), target, await side.capabilities())
    pending = resume(job, pending, replanned)
    store.keep_records(pending)
    assert job.found_on_resume == BATCH  # the batch in flight is on the target already
    assert sum(len(r) for r in pending.records.values()) == planned - 3 * BATCH
    job = await run(job, pending, posting(side), store)

    assert job.status is JobStatus.DONE
    assert job.resumes == 1
    assert job.done == job.total == {Feature.HISTORY: planned}
    assert job.written == {Feature.HISTORY: planned - BATCH}  # confirmed by this job's writes
    after = await play_counts(sim, session, service)
    added = after - before
    assert sum(added.values()) == planned
    assert set(added.values()) == {1}  # no play twice
    assert ImportJob.from_dict(json.loads(store.job)).status is JobStatus.DONE


async def test_a_cancel_stops_before_the_next_batch_and_keeps_what_was_written(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await sim.reset({"movies": 40})
    side = make_side(sim, session, "trakt")
    before = await play_counts(sim, session, "trakt")
    rows = export_plays(sim, 10)
    store = Store()
    job, pending, _plan = await start(side, rows, store)
    batches = 0

    async def write(feature: Feature, changes: Sequence[Change]) -> Sequence[Change]:
        nonlocal batches
        batches += 1
        return await side.write(feature, Action.ADD, changes)

    job = await run_job(
        job,
        pending,
        write=write,
        save=store.save,
        batch_size=BATCH,
        cancelled=lambda: batches == 2,
        now=lambda: 5.0,
    )

    assert job.status is JobStatus.CANCELLED
    assert job.finished_at == 5.0
    assert job.written == job.done == {Feature.HISTORY: 2 * BATCH}
    assert job.progress()["done"] == 2 * BATCH
    assert job.progress()["total"] == 10
    assert ImportJob.from_dict(json.loads(store.job)).status is JobStatus.CANCELLED
    assert sum((await play_counts(sim, session, "trakt") - before).values()) == 2 * BATCH
    # Importing the file again adds only the rest.
    target = {Feature.HISTORY: await make_side(sim, session, "trakt").read(Feature.HISTORY)}
    again = plan_import(rows, target, await side.capabilities())
    assert len(again.plays) == 10 - 2 * BATCH


async def test_a_service_error_ends_the_job_as_failed_with_what_was_written(
    sim: Simulator, session: aiohttp.ClientSession
) -> None:
    await sim.reset({"movies": 40})
    side = make_side(sim, session, "trakt")
    store = Store()
    job, pending, _plan = await start(side, export_plays(sim, 10), store)
    calls = 0

    async def write(feature: Feature, changes: Sequence[Change]) -> Sequence[Change]:
        nonlocal calls
        calls += 1
        if calls == 2:  # the service turns the request down from now on
            await sim.fault("trakt", "POST /sync/history", status=403)
        return await side.write(feature, Action.ADD, changes)

    job = await run(job, pending, write, store)

    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "/sync/history" in job.error
    assert job.written == job.done == {Feature.HISTORY: BATCH}
    assert job.outcome()["error"] == job.error


async def test_titles_the_target_does_not_know_are_counted_and_a_few_listed() -> None:
    unknown = [
        MediaItem(kind=MediaKind.MOVIE, ids={"imdb": f"tt9{i:06d}"}, title=f"Nowhere {i}")
        for i in range(LISTED_UNKNOWN + 7)
    ]
    plays: list[Record] = [Play(item=item, watched_at=T) for item in unknown]
    pending = PendingRecords({Feature.HISTORY: plays})
    store = Store()
    job = ImportJob.start(job_id="j", entry_id="e", source="f.csv", started_at=0.0, pending=pending)

    async def refuse(_feature: Feature, changes: Sequence[Change]) -> Sequence[Change]:
        return changes

    job = await run(job, pending, refuse, store)

    assert job.status is JobStatus.DONE
    assert job.written == {Feature.HISTORY: 0}
    assert job.unknown_count == LISTED_UNKNOWN + 7
    assert len(job.unknown) == LISTED_UNKNOWN
    assert job.unknown[0] == "history: Nowhere 0"


def test_records_and_job_come_back_from_their_stored_form() -> None:
    plan = ImportPlan(
        plays=[Play(item=EPISODE, watched_at=T)],
        ratings=[Rating(item=MATRIX, rating=9, rated_at=T), Rating(item=EPISODE, rating=7)],
        watchlist=[WatchlistEntry(item=MATRIX), WatchlistEntry(item=EPISODE, listed_at=T)],
    )
    for feature in ITEM_FEATURES:
        plan.preview[feature] = FeaturePreview()
    pending = PendingRecords.of_plan(plan)
    back = PendingRecords.from_dict(json.loads(json.dumps(pending.to_dict())))
    assert back.records == {
        Feature.HISTORY: plan.plays,
        Feature.RATINGS: plan.ratings,
        Feature.WATCHLIST: plan.watchlist,
    }
    job = ImportJob.start(
        job_id="j",
        entry_id="e",
        source="diary.csv",
        started_at=12.5,
        pending=pending,
        summary={"problems": ["diary.csv, row 3, column Date: not a date"]},
    )
    job.note_unknown([change_of(Feature.RATINGS, plan.ratings[0])])
    assert job.unknown == ["ratings: The Matrix (1999)"]
    back_job = ImportJob.from_dict(json.loads(json.dumps(job.to_dict())))
    assert back_job == job
    assert back_job.outcome()["problems"] == ["diary.csv, row 3, column Date: not a date"]
    assert back_job.progress()["features"]["watchlist"] == {"done": 0, "total": 2}


def test_changes_carry_each_record_time_and_rating() -> None:
    play = change_of(Feature.HISTORY, Play(item=MATRIX, watched_at=T))
    assert play.watched_at == to_timestamp(T)
    assert play.action is Action.ADD
    rating = change_of(Feature.RATINGS, Rating(item=MATRIX, rating=8, rated_at=T))
    assert (rating.rating, rating.rated_at) == (8, to_timestamp(T))
    listed = change_of(Feature.WATCHLIST, WatchlistEntry(item=MATRIX))
    assert listed.listed_at is None
    assert listed.key == play.key


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.update(version=2),
        lambda d: d.pop("job_id"),
        lambda d: d.update(status="paused"),
        lambda d: d.update(done={"history": -1}),
        lambda d: d.update(written={"films": 1}),
        lambda d: d.update(unknown="x"),
        lambda d: d.update(summary=[]),
        lambda d: d.update(resumes=True),
    ],
)
def test_a_damaged_job_is_refused_with_a_clear_error(damage: Any) -> None:
    pending = PendingRecords({Feature.HISTORY: [Play(item=MATRIX, watched_at=T)]})
    data = ImportJob.start(
        job_id="j", entry_id="e", source="f", started_at=0.0, pending=pending
    ).to_dict()
    damage(data)
    with pytest.raises(JobDataError):
        ImportJob.from_dict(data)


MOVIE_ROW = ["movie", ["imdb", "tt1"], "Film", 2001, [], None, None, None]


@pytest.mark.parametrize(
    "records",
    [
        {"history": [[MOVIE_ROW, None, None]]},  # a play without a time
        {"history": [[MOVIE_ROW, 1.5]]},  # not [item, at, rating]
        {"history": [[MOVIE_ROW, 1.5, 7]]},  # a play with a rating
        {"ratings": [[MOVIE_ROW, 1.5, "9"]]},
        {"ratings": [[MOVIE_ROW, 1.5, 11]]},
        {"watchlist": [[["film", [], None, None, [], None, None, None], None, None]]},
        {"watchlist": [[["movie", ["imdb"], None, None, [], None, None, None], None, None]]},
        {"watchlist": [[["movie", [], None, "2001", [], None, None, None], None, None]]},
        {"watchlist": [[{"kind": "movie"}, None, None]]},
        {"watchlist": "x"},
        {"songs": []},
    ],
)
def test_damaged_records_are_refused_with_a_clear_error(records: dict[str, Any]) -> None:
    good = {"version": 2, "records": {"history": [[MOVIE_ROW, 1.5, None]]}}
    assert len(PendingRecords.from_dict(good).records[Feature.HISTORY]) == 1
    with pytest.raises(JobDataError):
        PendingRecords.from_dict({"version": 2, "records": records})
    with pytest.raises(JobDataError, match="version 1"):
        PendingRecords.from_dict({"version": 1, "records": {}})


def test_records_are_held_and_stored_as_plain_tuples() -> None:
    """A job holds its records until the last batch, and stores them all at its start: as tuples
    of plain values the garbage collector soon stops tracking (never promoted towards a full
    collection), where objects per record would be."""
    plays = [Play(item=EPISODE, watched_at=T + timedelta(hours=i)) for i in range(3)]
    pending = PendingRecords(
        {Feature.HISTORY: plays, Feature.RATINGS: [Rating(item=MATRIX, rating=9)]}
    )
    stored = pending.to_dict()
    for _ in range(3):  # a pass may untrack only one level of the three nested tuples
        gc.collect()
    held = [row for records in pending.records.values() for row in records.rows]
    written = [row for rows in stored["records"].values() for row in rows]
    assert len(held) == len(written) == 4
    assert not any(gc.is_tracked(row) for row in [*held, *written])
    assert list(pending.records[Feature.HISTORY]) == plays


def test_resume_counts_what_the_target_already_holds() -> None:
    plays = [Play(item=MATRIX, watched_at=T + timedelta(hours=i)) for i in range(6)]
    pending = PendingRecords({Feature.HISTORY: list[Record](plays)})
    job = ImportJob.start(job_id="j", entry_id="e", source="f", started_at=0, pending=pending)
    job.position[Feature.HISTORY] = job.done[Feature.HISTORY] = 2
    rest = remaining_rows(job, pending)
    assert rest.plays == plays[2:]
    # The target got plays 2 and 3 before the restart.
    target = {Feature.HISTORY: Inventory.from_plays(plays[:4])}
    fresh = resume(job, pending, plan_import(rest, target, trakt_capabilities()))
    assert fresh.records == {Feature.HISTORY: plays[4:]}
    assert job.found_on_resume == 2
    assert job.done == {Feature.HISTORY: 4}
    assert job.position == {Feature.HISTORY: 0}


async def test_plays_are_written_before_the_watchlist() -> None:
    """The services take a watched title off the watchlist: the watchlist goes last."""
    plan = ImportPlan(
        plays=[Play(item=MATRIX, watched_at=T)],
        ratings=[Rating(item=MATRIX, rating=9)],
        watchlist=[WatchlistEntry(item=MATRIX)],
    )
    for feature in ITEM_FEATURES:
        plan.preview[feature] = FeaturePreview()
    pending = PendingRecords.of_plan(plan)
    job = ImportJob.start(job_id="j", entry_id="e", source="f", started_at=0.0, pending=pending)
    order: list[Feature] = []

    async def write(feature: Feature, changes: Sequence[Change]) -> Sequence[Change]:
        order.append(feature)
        return []

    job = await run(job, pending, write, Store())
    assert order == [Feature.HISTORY, Feature.RATINGS, Feature.WATCHLIST]
    assert job.written == {Feature.WATCHLIST: 1, Feature.HISTORY: 1, Feature.RATINGS: 1}
