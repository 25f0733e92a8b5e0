"""The simulator produces every Plex variant the real corpus shows (tests/fixtures/real/plex)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from custom_components.crosswatch.providers.plex.client import item_from_metadata
from custom_components.crosswatch.providers.plex.ids import parse_plex_guid_full
from simulator import credentials as cred
from simulator.testing import Simulator

from .helpers import next_frame, plex_headers

CORPUS = Path(__file__).parent.parent / "fixtures" / "real" / "plex"


def corpus(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def hooks(sim: Simulator) -> AsyncIterator[list[dict[str, Any]]]:
    """Webhook payloads the simulator posts, as a receiver on 127.0.0.1 sees them."""
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(json.loads(str((await request.post())["payload"])))
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await sim.register_webhook(f"http://127.0.0.1:{runner.addresses[0][1]}/hook")
    yield received
    await runner.cleanup()


async def _metadata(http: aiohttp.ClientSession, sim: Simulator, rating_key: str) -> Any:
    url = f"{sim.url('pms')}/library/metadata/{rating_key}"
    async with http.get(url, headers=plex_headers(cred.PLEX_SERVER_TOKEN)) as resp:
        assert resp.status == 200
        return (await resp.json())["MediaContainer"]["Metadata"][0]


@pytest.mark.parametrize(
    ("agent", "guids"),
    [
        # guids_legacy_agents.json: HAMA's tvdb form, show/season/episode.
        (
            "hama",
            (
                "com.plexapp.agents.hama://tvdb-81189/1/2?lang=en",
                "com.plexapp.agents.hama://tvdb-81189/1?lang=en",
                "com.plexapp.agents.hama://tvdb-81189?lang=en",
            ),
        ),
        # guids_legacy_agents.json: xbmcnfotv writes lang=xn.
        (
            "xbmcnfotv",
            (
                "com.plexapp.agents.xbmcnfotv://81189/1/2?lang=xn",
                "com.plexapp.agents.xbmcnfotv://81189/1?lang=xn",
                "com.plexapp.agents.xbmcnfotv://81189?lang=xn",
            ),
        ),
        (
            "themoviedb",
            (
                "com.plexapp.agents.themoviedb://1396/1/2?lang=en",
                "com.plexapp.agents.themoviedb://1396/1?lang=en",
                "com.plexapp.agents.themoviedb://1396?lang=en",
            ),
        ),
    ],
)
async def test_legacy_tv_agents(
    sim: Simulator, http: aiohttp.ClientSession, agent: str, guids: tuple[str, str, str]
) -> None:
    episode, season, show = guids
    await sim.plex_agent("Breaking Bad", agent)
    meta = await _metadata(http, sim, sim.rating_key(sim.item("Breaking Bad", 1, 2)))
    # pms_episodes_legacy_thetvdb.json: guid, parentGuid and grandparentGuid in the agent's form.
    assert (meta["guid"], meta["parentGuid"], meta["grandparentGuid"]) == (episode, season, show)
    assert "Guid" not in meta
    parsed = parse_plex_guid_full(meta["guid"])
    assert parsed is not None
    assert (parsed.season, parsed.episode) == (1, 2)
    item = item_from_metadata(meta)
    assert item is not None
    assert (dict(item.ids), item.season, item.number) == ({}, 1, 2)
    assert item.show_ids == {"tvdb" if agent != "themoviedb" else "tmdb": parsed.value}


async def test_legacy_thetvdb_season_matches_the_recording(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    (recorded, _) = corpus("pms_seasons_legacy_thetvdb.json")["MediaContainer"]["Metadata"]
    show = sim.item("Parks and Recreation")
    season = show.season_items[1]
    meta = await _metadata(http, sim, sim.state.plex.rating_key(season))
    assert meta["guid"] == f"com.plexapp.agents.thetvdb://{show.tvdb}/1?lang=en"
    assert meta["parentGuid"] == f"com.plexapp.agents.thetvdb://{show.tvdb}?lang=en"
    assert set(recorded) >= {"guid", "parentGuid", "index", "parentRatingKey", "type"}
    assert {"guid", "parentGuid", "index", "parentRatingKey", "type"} <= set(meta)


async def test_unknown_agent_or_title_is_refused(sim: Simulator) -> None:
    with pytest.raises(RuntimeError, match="400"):
        await sim.plex_agent("Breaking Bad", "imdb")
    with pytest.raises(RuntimeError, match="404"):
        await sim.plex_agent("No Such Show", "hama")
    with pytest.raises(RuntimeError, match="400"):
        await sim.plex_quirks(no_such_quirk=True)


async def test_webhooks_without_offsets_and_guids(
    sim: Simulator, hooks: list[dict[str, Any]]
) -> None:
    await sim.plex_quirks(webhook_offsets=False, webhook_guids=False)
    episode = sim.item("Breaking Bad", 1, 1)
    await sim.play(sim.rating_key(episode), offset_ms=60_000)
    (play,) = hooks
    recorded = corpus("webhook_episode_hama_tvdb_scrobble.json")["Metadata"]
    # Like the recording: neither viewOffset nor duration, and no Guid[].
    for key in ("viewOffset", "duration", "Guid"):
        assert key not in recorded
        assert key not in play["Metadata"]
    assert play["Metadata"]["ratingKey"] == sim.rating_key(episode)


async def test_media_rate_carries_user_rating_and_a_top_level_string(
    sim: Simulator, hooks: list[dict[str, Any]]
) -> None:
    show = sim.item("Breaking Bad")
    season = show.season_items[2]
    await sim.rate(sim.state.plex.rating_key(season), 8)
    await sim.rate(sim.state.plex.rating_key(season), -1)
    rated, cleared = hooks
    recorded = corpus("webhook_movie_rate_user_rating_and_top_level_string.json")
    assert isinstance(recorded["rating"], str)
    assert (rated["event"], rated["rating"], rated["Metadata"]["userRating"]) == (
        "media.rate",
        "8",
        8.0,
    )
    assert rated["Metadata"]["type"] == "season"
    assert rated["Metadata"]["parentGuid"] == show.plex_guid
    assert (cleared["rating"], "userRating" in cleared["Metadata"]) == ("-1", False)
    assert sim.state.plex.peek(sim.state.plex.users["owner"], season).rating is None  # type: ignore[union-attr]


async def test_frames_a_client_that_never_stops_and_a_rekeyed_stop(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    await sim.plex_quirks(frame_client_identifier=False)
    first = sim.rating_key(sim.item("Breaking Bad", 1, 1))
    second = sim.rating_key(sim.item("Breaking Bad", 1, 2))
    pms = sim.url("pms")
    async with http.ws_connect(
        f"{pms}/:/websockets/notifications", params={"X-Plex-Token": cred.PLEX_SERVER_TOKEN}
    ) as ws:
        await sim.play(first, offset_ms=60_000)
        started = (await next_frame(ws))["PlaySessionStateNotification"][0]
        recorded = corpus("ws_playing_without_client_identifier.json")[0]
        assert (
            "clientIdentifier"
            not in recorded["NotificationContainer"]["PlaySessionStateNotification"][0]
        )
        assert "clientIdentifier" not in started
        # ws_sequence_rating_key_changes_without_stop.json: same session, next item, no stop.
        await sim.play(second, keep_session=True)
        moved = (await next_frame(ws))["PlaySessionStateNotification"][0]
        assert (moved["sessionKey"], moved["ratingKey"], moved["state"]) == (
            started["sessionKey"],
            second,
            "playing",
        )
        # ws_paused_then_stopped_new_session_key.json: the stop under a fresh session key.
        await sim.stop(offset_ms=120_000, new_session_key=True)
        stopped = (await next_frame(ws))["PlaySessionStateNotification"][0]
        assert stopped["state"] == "stopped"
        assert stopped["ratingKey"] == second
        assert stopped["sessionKey"] != started["sessionKey"]


async def test_a_session_that_vanishes_sends_nothing(
    sim: Simulator, http: aiohttp.ClientSession, hooks: list[dict[str, Any]]
) -> None:
    rating_key = sim.rating_key("Inception")
    await sim.play(rating_key, offset_ms=60_000)
    out = await sim.vanish()
    assert out["state"] == "gone"
    async with http.get(
        f"{sim.url('pms')}/status/sessions", headers=plex_headers(cred.PLEX_SERVER_TOKEN)
    ) as resp:
        assert (await resp.json())["MediaContainer"]["size"] == 0
    assert [h["event"] for h in hooks] == ["media.play"]


async def test_no_playing_frames_for_a_webhook_only_server(
    sim: Simulator, http: aiohttp.ClientSession
) -> None:
    await sim.plex_quirks(playing_frames=False)
    async with http.ws_connect(
        f"{sim.url('pms')}/:/websockets/notifications",
        params={"X-Plex-Token": cred.PLEX_SERVER_TOKEN},
    ) as ws:
        await sim.play(sim.rating_key("Inception"), offset_ms=60_000)
        assert await sim.notify("status", "StatusNotification", [{"title": "x"}]) == 1
        assert (await next_frame(ws))["type"] == "status"  # no playing frame came first
