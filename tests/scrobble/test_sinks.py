"""Trakt sink over the real TraktClient against the simulator's Trakt."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.providers.simkl.client import SimklClient
from custom_components.crosswatch.providers.simkl.sink import simkl_sink
from custom_components.crosswatch.providers.trakt.client import TraktClient
from custom_components.crosswatch.providers.trakt.sink import trakt_sink
from custom_components.crosswatch.scrobble.events import (
    PlexPlayer,
    PlexUser,
    Scrobble,
    ScrobbleAction,
    ScrobbleCall,
)
from custom_components.crosswatch.scrobble.sinks import (
    PermanentDeliveryError,
    RetryableDeliveryError,
    answered_other,
)
from simulator.catalogue import Show
from simulator.credentials import SIMKL_USER
from simulator.testing import (
    SIMKL_CLIENT_ID,
    SIMKL_TOKEN,
    TRAKT_ACCESS_TOKEN,
    TRAKT_CLIENT_ID,
    Simulator,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from simulator.clock import ManualClock

INCEPTION = MediaItem(
    kind=MediaKind.MOVIE, ids={"imdb": "tt1375666", "tmdb": "27205"}, title="Inception", year=2010
)
PILOT = MediaItem(
    kind=MediaKind.EPISODE,
    ids={"tmdb": "5000002", "plex": "aaaaaaaaaaaaaaaaaaaaaaaa"},
    show_ids={"tvdb": "81189", "imdb": "tt0903747"},
    show_title="Breaking Bad",
    season=1,
    number=1,
)


def scrobble(item: MediaItem, call: ScrobbleCall, progress: float) -> Scrobble:
    return Scrobble(
        call=call,
        action=ScrobbleAction.STOP,
        progress=progress,
        watched=progress >= 80,
        item=item,
        user=PlexUser(id="1"),
        player=PlexPlayer(id="tv"),
        server_id="s",
        rating_key="1",
        timestamp=0,
    )


@pytest.fixture
async def trakt(sim: Simulator, sim_clock: ManualClock) -> AsyncIterator[TraktClient]:
    async with aiohttp.ClientSession() as session:

        async def token() -> str:
            return TRAKT_ACCESS_TOKEN

        yield TraktClient(
            session,
            base_url=sim.url("trakt"),
            client_id=TRAKT_CLIENT_ID,
            access_token=token,
            clock=sim_clock,
        )


async def scrobble_bodies(sim: Simulator) -> list[dict[str, object]]:
    return [r["body"] for r in await sim.requests("trakt") if "/scrobble/" in r["path"]]


async def test_movie_start_then_watched_stop_and_409_is_success(
    sim: Simulator, trakt: TraktClient
) -> None:
    sink = trakt_sink("trakt-entry", trakt)
    assert sink.sink_id == "trakt-entry"
    await sink.deliver(scrobble(INCEPTION, ScrobbleCall.START, 10.0))
    await sink.deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 95.0))
    await sink.deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 96.0))  # 409: already scrobbled
    requests = [r for r in await sim.requests("trakt") if "/scrobble/" in r["path"]]
    assert [(r["path"].rsplit("/", 1)[-1], r["status"]) for r in requests] == [
        ("start", 201),
        ("stop", 201),
        ("stop", 409),
    ]
    assert requests[0]["body"]["movie"]["ids"] == {"imdb": "tt1375666", "tmdb": 27205}
    assert requests[0]["body"]["progress"] == 10.0


async def test_episode_goes_by_its_own_ids(sim: Simulator, trakt: TraktClient) -> None:
    await trakt_sink("t", trakt).deliver(scrobble(PILOT, ScrobbleCall.START, 10.0))
    [body] = await scrobble_bodies(sim)
    # Trakt's docs: the episode's own ids; show + season/number only without them.
    assert body == {"progress": 10.0, "episode": {"ids": {"tmdb": 5000002}}}
    by_show = MediaItem(
        kind=MediaKind.EPISODE, show_ids=PILOT.show_ids, season=1, number=1, show_title="BB"
    )
    await trakt_sink("t", trakt).deliver(scrobble(by_show, ScrobbleCall.START, 10.0))
    body = (await scrobble_bodies(sim))[1]
    assert body["show"] == {"ids": {"tvdb": 81189, "imdb": "tt0903747"}}
    assert body["episode"] == {"season": 1, "number": 1}


async def test_unknown_episode_ids_are_not_replaced_by_numbers(
    sim: Simulator, trakt: TraktClient
) -> None:
    unknown = MediaItem(
        kind=MediaKind.EPISODE,
        ids={"tvdb": "999999999"},
        show_ids={"tvdb": "81189"},
        season=1,
        number=1,
    )
    with pytest.raises(PermanentDeliveryError, match="not found"):
        await trakt_sink("t", trakt).deliver(scrobble(unknown, ScrobbleCall.START, 10.0))
    bodies = await scrobble_bodies(sim)
    # Show + S1E1 would have marked whatever Trakt files there: never tried.
    assert bodies == [{"progress": 10.0, "episode": {"ids": {"tvdb": 999999999}}}]


def test_an_answer_naming_another_episode_is_told_apart() -> None:
    meant_by_ids = MediaItem(
        kind=MediaKind.EPISODE,
        ids={"tvdb": "349232"},
        show_ids={"tvdb": "81189"},
        season=2,
        number=4,
    )
    # Trakt numbers it S1E1 (aired order): the ids agree, so it is the episode meant.
    same = MediaItem(
        kind=MediaKind.EPISODE, ids={"tvdb": "349232", "trakt": "16"}, season=1, number=1
    )
    assert answered_other(meant_by_ids, same) is None
    other = MediaItem(kind=MediaKind.EPISODE, ids={"tvdb": "1"}, season=2, number=4)
    assert answered_other(meant_by_ids, other) == "other ids {'tvdb': '1'}"
    by_numbers = MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "81189"}, season=2, number=4)
    moved = MediaItem(kind=MediaKind.EPISODE, show_ids={"tvdb": "81189"}, season=1, number=4)
    assert answered_other(by_numbers, moved) == "S1E4 for S2E4"
    assert answered_other(by_numbers, MediaItem(kind=MediaKind.MOVIE)) == (
        "a movie instead of a episode"
    )
    assert answered_other(INCEPTION, None) is None


async def test_unmatched_item_searches_then_gives_up(sim: Simulator, trakt: TraktClient) -> None:
    unknown = MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0000001", "tmdb": "1"})
    with pytest.raises(PermanentDeliveryError, match="not found"):
        await trakt_sink("t", trakt).deliver(scrobble(unknown, ScrobbleCall.START, 10.0))
    paths = [r["path"] for r in await sim.requests("trakt")]
    assert paths == [
        "/trakt/scrobble/start",
        "/trakt/search/imdb/tt0000001",
        "/trakt/search/tmdb/1",
    ]


async def test_422_retries_once_with_the_searched_item(sim: Simulator, trakt: TraktClient) -> None:
    await sim.fault("trakt", "POST /scrobble/*", status=422, count=1)
    await trakt_sink("t", trakt).deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 90.0))
    bodies = await scrobble_bodies(sim)
    assert len(bodies) == 2
    assert bodies[1]["movie"]["ids"]["trakt"] == 16662  # type: ignore[index]


async def test_outage_is_retryable_and_other_refusals_are_permanent(
    sim: Simulator, trakt: TraktClient
) -> None:
    sink = trakt_sink("t", trakt)
    await sim.fault("trakt", "POST /scrobble/*", status=503)
    with pytest.raises(RetryableDeliveryError):
        await sink.deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 90.0))
    await sim.clear_faults()
    await sim.fault("trakt", "POST /scrobble/*", status=400, count=1)
    with pytest.raises(PermanentDeliveryError):
        await sink.deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 90.0))
    await sim.fault("trakt", "POST /scrobble/*", status=420, count=1)
    with pytest.raises(PermanentDeliveryError):
        await sink.deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 90.0))
    await sim.fault("trakt", "GET /search/*", status=503)
    await sim.fault("trakt", "POST /scrobble/*", status=404, count=1)
    with pytest.raises(RetryableDeliveryError):
        await sink.deliver(scrobble(INCEPTION, ScrobbleCall.STOP, 90.0))


@pytest.fixture
async def simkl(sim: Simulator, sim_clock: ManualClock) -> AsyncIterator[SimklClient]:
    async with aiohttp.ClientSession() as session:
        yield SimklClient(
            session,
            base_url=sim.url("simkl"),
            client_id=SIMKL_CLIENT_ID,
            token=SIMKL_TOKEN,
            clock=sim_clock,
        )


async def test_simkl_scrobbles_409_and_lock(sim: Simulator, simkl: SimklClient) -> None:
    sink = simkl_sink("simkl-entry", simkl)
    await sink.deliver(scrobble(INCEPTION, ScrobbleCall.START, 10.0))
    await sink.deliver(scrobble(PILOT, ScrobbleCall.STOP, 90.0))
    await sink.deliver(scrobble(PILOT, ScrobbleCall.STOP, 91.0))  # 409 within the hour
    statuses = [r["status"] for r in await sim.requests("simkl") if "/scrobble/" in r["path"]]
    assert statuses == [201, 201, 409]
    await sim.fault("simkl", "POST /scrobble/*", status=400, count=1)
    with pytest.raises(RetryableDeliveryError):
        await sink.deliver(scrobble(INCEPTION, ScrobbleCall.START, 10.0))
    own_ids_only = MediaItem(kind=MediaKind.EPISODE, ids={"tmdb": "5000002"}, season=1, number=1)
    with pytest.raises(PermanentDeliveryError, match="no usable ids"):
        await sink.deliver(scrobble(own_ids_only, ScrobbleCall.START, 10.0))
    await sim.fault("simkl", "POST /scrobble/*", status=404, count=1)
    with pytest.raises(PermanentDeliveryError, match="not found"):
        await sink.deliver(scrobble(PILOT, ScrobbleCall.START, 10.0))


async def test_simkl_gets_a_dvd_ordered_episode_by_its_ids(
    sim: Simulator, simkl: SimklClient
) -> None:
    show = sim.item("Firefly")
    assert isinstance(show, Show)
    serenity = next(e for e in show.episodes if e.title == "Serenity")
    plex_numbered = MediaItem(  # as Plex names it: DVD order S1E1, with its own ids
        kind=MediaKind.EPISODE,
        ids={"tvdb": str(serenity.tvdb)},
        show_ids={"tvdb": str(show.tvdb)},
        season=1,
        number=serenity.plex_index,
    )
    await simkl_sink("s", simkl).deliver(scrobble(plex_numbered, ScrobbleCall.STOP, 95.0))
    watched = sim.state.simkl.users[SIMKL_USER].watched
    assert serenity in watched
    assert [e for e in show.episodes if e in watched] == [serenity]


async def test_items_without_service_ids_are_rejected_without_a_request(
    sim: Simulator, trakt: TraktClient
) -> None:
    plex_only = MediaItem(kind=MediaKind.MOVIE, ids={"plex": "5d7768000000000000000001"})
    with pytest.raises(PermanentDeliveryError, match="no usable ids"):
        await trakt_sink("t", trakt).deliver(scrobble(plex_only, ScrobbleCall.START, 10.0))
    assert await sim.requests("trakt") == []
