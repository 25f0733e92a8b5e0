"""The account coordinator against the simulator: cheap polls, 401, 429, 5xx and recovery."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers.update_coordinator import UpdateFailed

from custom_components.crosswatch.api.models import Feature, MediaItem, MediaKind
from custom_components.crosswatch.const import DOMAIN
from custom_components.crosswatch.posters import poster_key
from simulator import credentials as cred

from .conftest import plex_entry, simkl_entry, tmdb_entry

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from simulator.testing import Simulator

    from .conftest import SteppedClock

SENSOR = "sensor.simkl_simkluser_watchlist"


async def _setup(hass: HomeAssistant):  # type: ignore[no-untyped-def]
    entry = simkl_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_unchanged_activity_skips_the_watchlist(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _setup(hass)
    coordinator = entry.runtime_data.coordinator
    assert coordinator.watchlist_fetches == 1
    await sim_urls.clear_requests()
    await coordinator.async_refresh()
    counts = (await sim_urls.counts())["simkl"]
    assert counts == {"GET /sync/activities": 1}
    assert coordinator.watchlist_fetches == 1
    assert hass.states.get(SENSOR).state == str(coordinator.data.watchlist_size)


async def test_rate_limit_becomes_retry_after_and_recovers(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _setup(hass)
    coordinator = entry.runtime_data.coordinator
    await sim_urls.fault("simkl", "*", status=429, headers={"Retry-After": "600"})
    await coordinator.async_refresh()
    assert not coordinator.last_update_success
    err = coordinator.last_exception
    assert isinstance(err, UpdateFailed)
    assert err.retry_after == 600
    assert err.translation_key == "rate_limited"
    assert hass.states.get(SENSOR).state == STATE_UNAVAILABLE
    await sim_urls.clear_faults()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert hass.states.get(SENSOR).state != STATE_UNAVAILABLE


async def test_server_errors_mark_unavailable_and_log_once(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock, caplog
) -> None:
    entry = await _setup(hass)
    coordinator = entry.runtime_data.coordinator
    await sim_urls.fault("simkl", "*", status=503)
    await coordinator.async_refresh()
    await coordinator.async_refresh()
    assert coordinator.last_exception.translation_key == "service_unavailable"
    assert hass.states.get(SENSOR).state == STATE_UNAVAILABLE
    assert caplog.text.count("Error fetching") == 1
    await sim_urls.clear_faults()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert caplog.text.count("data recovered") == 1


async def test_revoked_token_starts_reauth(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = await _setup(hass)
    coordinator = entry.runtime_data.coordinator
    await sim_urls.fault("simkl", "GET /sync/activities", kind="revoke", count=1)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert coordinator.last_exception.translation_key == "auth_failed"
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    assert entry.state is ConfigEntryState.LOADED


async def test_unreachable_at_setup_retries(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await sim_urls.fault("simkl", "*", status=502)
    entry = simkl_entry()
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_posters_come_from_a_connected_tmdb_account(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    tmdb = tmdb_entry()
    tmdb.add_to_hass(hass)
    entry = simkl_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tmdb.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    # SIMKL may have loaded before TMDb: a watchlist that moves picks the posters up.
    coordinator.data = replace(coordinator.data, marker="stale")
    await coordinator.async_refresh()
    recent = hass.states.get(SENSOR).attributes["recent"]
    with_tmdb = [r for r in recent if "tmdb" in r["ids"] and r["kind"] in ("movie", "show")]
    assert with_tmdb
    for row in with_tmdb:
        assert row["poster"].startswith("https://image.tmdb.org/t/p/w500/")
    detail_requests = await sim_urls.requests("tmdb", "GET /movie/*") + await sim_urls.requests(
        "tmdb", "GET /tv/*"
    )
    assert len(detail_requests) <= 10


async def test_no_posters_without_tmdb(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    await _setup(hass)
    recent = hass.states.get(SENSOR).attributes["recent"]
    assert recent
    assert all("poster" not in r for r in recent)
    assert "tmdb" not in await sim_urls.counts()


async def test_tmdb_failures_leave_posters_out_not_the_watchlist(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    tmdb = tmdb_entry()
    tmdb.add_to_hass(hass)
    entry = simkl_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(tmdb.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    await sim_urls.fault("tmdb", "GET /movie/*", status=404)
    await sim_urls.fault("tmdb", "GET /tv/*", status=404)
    tmdb.runtime_data.account.client.cache.entries.clear()  # nothing answered from the cache
    coordinator.data = replace(coordinator.data, marker="stale")
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.posters == {}
    await sim_urls.clear_faults()
    await sim_urls.fault("tmdb", "GET /configuration", status=503)
    tmdb.runtime_data.account.client.cache.entries.clear()  # the image base must be fetched again
    coordinator.data = replace(coordinator.data, marker="stale")
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.posters == {}
    assert hass.states.get(SENSOR).state == str(coordinator.data.watchlist_size)


async def test_plex_watchlist_is_read_only_when_its_size_or_newest_entry_moved(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = plex_entry(sim_urls)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    before = coordinator.data.watchlist_size
    await sim_urls.clear_requests()
    await coordinator.async_refresh()
    pages = await sim_urls.requests("plex-discover")
    assert len(pages) == 1
    assert pages[0]["query"]["X-Plex-Container-Size"] == "1"

    # The user adds a title on plex.tv: the next poll sees it.
    on_list = {item for watchlist in sim_urls.state.plex.watchlists.values() for item in watchlist}
    rating_key = next(
        movie.plex_hex
        for movie in sim_urls.state.catalogue.movies
        if movie.plex_guids and movie not in on_list
    )
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            f"{sim_urls.url('plex-discover')}/actions/addToWatchlist",
            params={"ratingKey": rating_key},
            headers={"X-Plex-Token": cred.PLEX_OWNER_TOKEN, "Accept": "application/json"},
        ) as resp,
    ):
        assert resp.status < 300
    await coordinator.async_refresh()
    assert coordinator.data.watchlist_size == before + 1

    # Discover down: the metadata host gives the same stamp, so nothing more is read.
    await sim_urls.fault("plex-discover", "*", status=503)
    await sim_urls.clear_requests()
    fetches = coordinator.watchlist_fetches
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.watchlist_fetches == fetches
    fallback = await sim_urls.requests("plex-metadata")
    assert [p["query"]["X-Plex-Container-Size"] for p in fallback] == ["1"]
    assert coordinator.data.watchlist_size == before + 1

    # Both hosts down: the poll fails (entities unavailable) instead of reading in vain.
    await sim_urls.fault("plex-metadata", "*", status=503)
    await coordinator.async_refresh()
    assert not coordinator.last_update_success


async def test_plex_stamp_without_a_size_reads_the_whole_list(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    entry = plex_entry(sim_urls)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    size = coordinator.data.watchlist_size
    # The one-row page comes back without a size: no stamp, so the whole list is read.
    await sim_urls.fault(
        "plex-discover", "GET /library/sections/watchlist/all", status=200, count=1,
        body={"MediaContainer": {"size": 0}},
    )  # fmt: skip
    await sim_urls.clear_requests()
    await coordinator.async_refresh()
    assert coordinator.last_update_success
    assert coordinator.data.watchlist_size == size
    pages = await sim_urls.requests("plex-discover")
    assert [p["query"]["X-Plex-Container-Size"] for p in pages] == ["1", "100"]


def test_poster_keys_are_per_kind_and_episodes_show_their_show() -> None:
    movie = MediaItem(kind=MediaKind.MOVIE, ids={"tmdb": "27205"})
    show = MediaItem(kind=MediaKind.SHOW, ids={"tmdb": "27205"})
    assert poster_key(movie) != poster_key(show)
    assert poster_key(MediaItem(kind=MediaKind.EPISODE, ids={"tmdb": "1"})) is None
    episode = MediaItem(kind=MediaKind.EPISODE, ids={"tmdb": "1"}, show_ids={"tmdb": "27205"})
    assert poster_key(episode) == poster_key(show)
    assert poster_key(MediaItem(kind=MediaKind.SEASON, show_ids={"tmdb": "27205"})) is None
    assert poster_key(MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt1"})) is None


async def test_a_poll_and_a_sync_run_agree_on_what_moved(
    hass: HomeAssistant, sim_urls: Simulator, clock: SteppedClock
) -> None:
    """The watchlist marker a poll reads is the sync side's, and it moves when a title is added."""
    entry = await _setup(hass)
    account = entry.runtime_data.account
    side = account.sync_side()
    assert side is not None

    async def both() -> tuple[str | None, str | None]:
        return (
            await account.async_activity_marker(),
            (await side.markers([Feature.WATCHLIST]))[Feature.WATCHLIST],
        )

    before = await both()
    assert before[0] == before[1]
    await sim_urls.advance(60)
    await account.client.add_to_list([MediaItem(kind=MediaKind.MOVIE, ids={"imdb": "tt0245429"})])
    after = await both()
    assert after[0] == after[1]
    assert after[0] != before[0]
