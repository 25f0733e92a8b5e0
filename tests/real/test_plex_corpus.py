"""Contract tests: every real Plex payload (``tests/fixtures/real/plex``) through its reader.

Each expectation was checked by hand against what the payload means (``SOURCES.md`` says where
each file comes from). PMS and plex.tv answers are served over a real socket on 127.0.0.1 and read
by the real clients; websocket frames go through ``parse_frame`` and the session binder; webhooks
through the normalizer the HA webhook view feeds.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from custom_components.crosswatch.api.models import MediaItem, MediaKind
from custom_components.crosswatch.providers.plex.binder import (
    SESSION_GONE_SECONDS,
    ActiveSession,
    BoundMedia,
    PlayNotification,
    PlexSessionSource,
    SessionBinder,
)
from custom_components.crosswatch.providers.plex.client import (
    PlexLibraryItem,
    PlexServerClient,
    PlexTvClient,
    item_from_metadata,
    library_item,
)
from custom_components.crosswatch.providers.plex.ids import parse_plex_guid_full
from custom_components.crosswatch.providers.plex.listener import parse_frame
from custom_components.crosswatch.providers.plex.webhook_payload import (
    normalize_rating,
    normalize_webhook,
)
from custom_components.crosswatch.scrobble.events import (
    PlexPlayer,
    PlexUser,
    ScrobbleAction,
)
from simulator.clock import ManualClock

CORPUS = Path(__file__).parent.parent / "fixtures" / "real" / "plex"


def load(name: str) -> Any:
    return json.loads((CORPUS / name).read_text(encoding="utf-8"))


def test_every_corpus_file_is_cited_and_tested() -> None:
    sources = (CORPUS.parent / "SOURCES.md").read_text(encoding="utf-8")
    tests = Path(__file__).read_text(encoding="utf-8")
    for path in sorted(CORPUS.iterdir()):
        assert f"`plex/{path.name}`" in sources, f"{path.name} has no row in SOURCES.md"
        assert f'"{path.name}"' in tests, f"{path.name} goes through no contract test"


# -- a PMS / plex.tv that answers with the recorded bodies ----------------------------------------
class Recorded:
    """Serves recorded bodies by path over a real socket."""

    def __init__(self) -> None:
        self.bodies: dict[str, Any] = {}
        self.url = ""

    def serve(self, path: str, name: str) -> None:
        self.bodies[path] = load(name)


@pytest_asyncio.fixture
async def recorded(socket_enabled: None) -> AsyncIterator[Recorded]:
    server = Recorded()

    async def handle(request: web.Request) -> web.Response:
        if request.path not in server.bodies:
            return web.Response(status=404)
        return web.json_response(server.bodies[request.path])

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    await runner.cleanup()


@pytest_asyncio.fixture
async def http(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def pms(recorded: Recorded, http: aiohttp.ClientSession) -> PlexServerClient:
    return PlexServerClient(http, base_url=recorded.url, token="t", clock=ManualClock())


def plextv(recorded: Recorded, http: aiohttp.ClientSession) -> PlexTvClient:
    return PlexTvClient(
        http,
        base_url=recorded.url,
        discover_url=recorded.url,
        metadata_url=recorded.url,
        client_identifier="cw-test",
        token="t",
        clock=ManualClock(),
    )


# -- PMS reads ------------------------------------------------------------------------------------
async def test_sessions_movie(recorded: Recorded, http: aiohttp.ClientSession) -> None:
    recorded.serve("/status/sessions", "pms_sessions_movie.json")
    (session,) = await pms(recorded, http).sessions()
    assert session.session_key == "1"
    assert session.rating_key == "1"
    assert session.kind == "movie"
    assert (session.user_id, session.user_title) == ("1", "User 1")
    assert session.player_id == "1234567890123456-com-plexapp-android"
    assert (session.state, session.view_offset_ms, session.duration_ms) == ("playing", 0, 9000000)
    row = load("pms_sessions_movie.json")["MediaContainer"]["Metadata"][0]
    # Guid[] (tmdb) and the legacy imdb guid both name the movie.
    assert item_from_metadata(row) == MediaItem(
        kind=MediaKind.MOVIE,
        ids={"tmdb": "12345", "imdb": "tt0123456"},
        title="Movie 1",
        year=2000,
    )


async def test_metadata_movie_legacy_imdb(recorded: Recorded, http: aiohttp.ClientSession) -> None:
    recorded.serve("/library/metadata/108", "pms_metadata_movie_legacy_imdb.json")
    entry = await pms(recorded, http).metadata("108")
    assert entry.item == MediaItem(
        kind=MediaKind.MOVIE, ids={"imdb": "tt0165832"}, title="Interstate 60", year=2002
    )
    assert (entry.rating_key, entry.duration_ms, entry.view_count) == ("108", 5062, 0)
    assert entry.section_id == "1"


async def test_only_view_count_tells_a_counted_view(
    recorded: Recorded, http: aiohttp.ClientSession
) -> None:
    """A movie's metadata through a play: the sweep makes a watched stop of a counted view only."""
    steps = load("pms_metadata_movie_timeline_views.json")

    def step(n: int) -> PlexLibraryItem:
        entry = library_item(steps[f"metadata_182_{n}"]["MediaContainer"]["Metadata"][0])
        assert entry is not None
        return entry

    in_progress, played_on, scrobbled, unscrobbled = (step(n) for n in (1, 2, 3, 4))
    # A partial play moves lastViewedAt; only a counted view sets viewCount (and drops the offset).
    assert (in_progress.view_count, in_progress.view_offset_ms) == (0, 70000)
    assert played_on.last_viewed_at is not None
    assert in_progress.last_viewed_at is not None
    assert played_on.last_viewed_at > in_progress.last_viewed_at
    assert (played_on.view_count, played_on.view_offset_ms) == (0, 75000)
    assert (scrobbled.view_count, scrobbled.view_offset_ms) == (1, None)
    assert (unscrobbled.view_count, unscrobbled.last_viewed_at) == (0, None)

    clock = ManualClock()
    binder = SessionBinder(
        PlexSessionSource(pms(recorded, http)), server_id="s", now=clock.time, viewer_id="1"
    )
    frame = PlayNotification(
        session_key="1", rating_key="182", state="playing", view_offset_ms=30000
    )
    progress = []
    for after in ("metadata_182_2", "metadata_182_3"):
        recorded.serve("/status/sessions", "pms_sessions_movie.json")  # user "1": the token's
        recorded.bodies["/library/metadata/182"] = steps["metadata_182_1"]
        assert await binder.events_for(frame)
        recorded.bodies["/status/sessions"] = {"MediaContainer": {"size": 0}}
        recorded.bodies["/library/metadata/182"] = steps[after]
        clock.advance(SESSION_GONE_SECONDS)
        (stop,) = await binder.vanished()
        progress.append(round(stop.progress, 1))
    assert progress == [37.0, 90.0]  # the last frame's 37 %; counted: reported as watched


async def test_library_movies_legacy_imdb(recorded: Recorded, http: aiohttp.ClientSession) -> None:
    recorded.serve("/library/sections/1/all", "pms_library_movies_legacy_imdb.json")
    entries = await pms(recorded, http).library("1", MediaKind.MOVIE)
    assert [(e.rating_key, e.item.title, dict(e.item.ids)) for e in entries] == [
        ("55", "Big Buck Bunny", {"imdb": "tt1254207"}),
        ("56", "Elephants Dream", {"imdb": "tt0807840"}),
    ]


async def test_shows_seasons_episodes_legacy_thetvdb(
    recorded: Recorded, http: aiohttp.ClientSession
) -> None:
    recorded.serve("/library/sections/2/all", "pms_shows_legacy_thetvdb.json")
    shows = await pms(recorded, http).library("2", MediaKind.SHOW)
    assert [(s.item.title, dict(s.item.ids)) for s in shows] == [
        ("The 100", {"tvdb": "268592"}),
        ("Game of Thrones", {"tvdb": "121361"}),
    ]
    seasons = load("pms_seasons_legacy_thetvdb.json")["MediaContainer"]["Metadata"]
    # A legacy season guid is the show's id plus the season: no id of the season itself.
    assert [item_from_metadata(s) for s in seasons] == [
        MediaItem(
            kind=MediaKind.SEASON,
            title=f"Season {n}",
            show_ids={"tvdb": "268592"},
            show_title="The 100",
            season=n,
        )
        for n in (1, 2)
    ]
    recorded.serve("/library/sections/2/all", "pms_episodes_legacy_thetvdb.json")
    episodes = await pms(recorded, http).library("2", MediaKind.EPISODE)
    assert [(e.item.title, e.item.season, e.item.number) for e in episodes] == [
        ("Pilot", 1, 1),
        ("Earth Skills", 1, 2),
        ("Earth Kills", 1, 3),
    ]
    # The episode guid names the show: no episode id, the show's tvdb id instead.
    assert {tuple(e.item.ids.items()) for e in episodes} == {()}
    assert {e.item.show_ids["tvdb"] for e in episodes} == {"268592"}
    assert {e.grandparent_rating_key for e in episodes} == {"22"}


def test_none_agent_playlist_is_no_media_item() -> None:
    (row,) = load("pms_metadata_playlist_none_agent.json")["MediaContainer"]["Metadata"]
    assert row["guid"].startswith("com.plexapp.agents.none://")
    assert library_item(row) is None
    assert parse_plex_guid_full(row["guid"]) is None


async def test_new_agent_episode_without_guids(
    recorded: Recorded, http: aiohttp.ClientSession
) -> None:
    recorded.serve("/library/sections/2/all", "pms_episodes_new_agent_without_guids.json")
    (entry,) = await pms(recorded, http).library("2", MediaKind.EPISODE)
    assert entry.item == MediaItem(
        kind=MediaKind.EPISODE,
        ids={"plex": "5d9c1359e264b7001fcb529c"},
        title="The Illusion of Truth",
        year=1997,
        show_ids={"plex": "5d9c087202391c001f58a287"},
        show_title="Babylon 5",
        season=4,
        number=8,
    )
    assert entry.grandparent_rating_key == "148"
    assert entry.view_count == 1


async def test_history_episode_row(recorded: Recorded, http: aiohttp.ClientSession) -> None:
    recorded.serve("/status/sessions/history/all", "pms_history_episode.json")
    (play,) = await pms(recorded, http).history()
    assert play.rating_key == "32171"
    assert play.kind is MediaKind.EPISODE
    assert play.viewed_at == datetime.fromtimestamp(1654139223, UTC)
    assert play.account_id == 1
    assert (play.show_title, play.season, play.number) == ("Taskmaster", 13, 1)
    assert play.grandparent_rating_key == "32132"


# -- plex.tv --------------------------------------------------------------------------------------
async def test_resources_pins_and_user(recorded: Recorded, http: aiohttp.ClientSession) -> None:
    recorded.serve("/api/v2/resources", "plextv_resources.json")
    recorded.serve("/api/v2/pins", "plextv_pin_new.json")
    recorded.serve("/api/v2/pins/111222333", "plextv_pin_linked.json")
    recorded.serve("/api/v2/user", "plextv_user.json")
    client = plextv(recorded, http)
    (server,) = await client.resources()
    assert (server.name, server.machine_identifier, server.owned) == ("Box", "client_id2", True)
    assert server.access_token == "auth_token"
    assert [c.uri for c in server.ordered_connections()] == [
        "https://172-18-0-3.client-id2.plex.direct:32400",
        "https://example.org:443",
        "https://2-2-2-2.client-id2.plex.direct:443",
        "https://178-3-2-1.client-id2.plex.direct:8443",
    ]
    pin = await client.create_pin()
    assert (pin.id, pin.code, pin.expires_in) == (111222333, "CODE", 900)
    assert load("plextv_pin_new.json")["authToken"] is None
    assert await client.poll_pin(111222333) == "auth_token"
    user = await client.user()
    assert (user.id, user.uuid, user.username) == (12345, "212acf24b07315e5", "plex-user")


# -- discover / the metadata provider ----------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "discover_metadata_movie.json",
            MediaItem(
                kind=MediaKind.MOVIE,
                ids={
                    "imdb": "tt0088763",
                    "tmdb": "105",
                    "tvdb": "299",
                    "plex": "5d7768244de0ee001fcc7fed",
                },
                title="Back to the Future",
                year=1985,
            ),
        ),
        (
            "discover_metadata_show.json",
            MediaItem(
                kind=MediaKind.SHOW,
                ids={
                    "imdb": "tt1305826",
                    "tmdb": "15260",
                    "tvdb": "152831",
                    "plex": "5d9c07f72df347001e3a70b4",
                },
                title="Adventure Time",
                year=2010,
            ),
        ),
        (
            "discover_metadata_season.json",
            MediaItem(
                kind=MediaKind.SEASON,
                ids={"tvdb": "1823714", "plex": "602e59ccfdd281002cddb790"},
                title="Season 10",
                year=2017,
                show_ids={"plex": "5d9c07f72df347001e3a70b4"},
                show_title="Adventure Time",
                season=10,
            ),
        ),
        (
            "discover_metadata_episode.json",
            MediaItem(
                kind=MediaKind.EPISODE,
                ids={
                    "imdb": "tt7308394",
                    "tmdb": "1418023",
                    "tvdb": "6179251",
                    "plex": "5d9c0b7ee98e47001eb2e3a0",
                },
                title="The Wild Hunt",
                year=2017,
                show_ids={"plex": "5d9c07f72df347001e3a70b4"},
                show_title="Adventure Time",
                season=10,
                number=1,
            ),
        ),
    ],
)
async def test_metadata_provider_answers(
    recorded: Recorded, http: aiohttp.ClientSession, name: str, expected: MediaItem
) -> None:
    rating_key = load(name)["MediaContainer"]["Metadata"][0]["ratingKey"]
    recorded.serve(f"/library/metadata/{rating_key}", name)
    assert await plextv(recorded, http).provider_item(rating_key) == expected


async def test_provider_item_unknown_key_is_none(
    recorded: Recorded, http: aiohttp.ClientSession
) -> None:
    assert await plextv(recorded, http).provider_item("5d7768244de0ee001fcc7fee") is None


# -- legacy agent GUIDs ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("guid", "expected"),
    [
        ("com.plexapp.agents.hama://tvdb-305074?lang=en", ("tvdb", "305074", None, None)),
        ("com.plexapp.agents.hama://tvdb-81797/22/70?lang=en", ("tvdb", "81797", 22, 70)),
        ("com.plexapp.agents.hama://tvdb-81797/22?lang=en", ("tvdb", "81797", 22, None)),
        ("com.plexapp.agents.hama://anidb-12345/1/5?lang=en", ("anidb", "12345", 1, 5)),
        ("com.plexapp.agents.xbmcnfotv://153021/2/1?lang=xn", ("tvdb", "153021", 2, 1)),
        ("com.plexapp.agents.xbmcnfotv://153021?lang=xn", ("tvdb", "153021", None, None)),
        ("com.plexapp.agents.themoviedb://390043?lang=en", ("tmdb", "390043", None, None)),
        ("com.plexapp.agents.thetvdb://269586/2/8?lang=en", ("tvdb", "269586", 2, 8)),
    ],
)
def test_legacy_agent_guids(guid: str, expected: tuple[str, str, int | None, int | None]) -> None:
    assert any(row["guid"] == guid for row in load("guids_legacy_agents.json"))
    parsed = parse_plex_guid_full(guid)
    assert parsed is not None
    assert (parsed.id_type, parsed.value, parsed.season, parsed.episode) == expected


def test_guids_without_an_id_give_none() -> None:
    rows = load("guids_legacy_agents.json")
    for row in rows:
        if row["kind"] in ("playlist", "track"):
            assert parse_plex_guid_full(row["guid"]) is None, row["guid"]


# -- websocket frames -----------------------------------------------------------------------------
def notes(frames: Sequence[Any]) -> list[PlayNotification]:
    return [note for frame in frames for note in parse_frame(json.dumps(frame))]


def test_frames_without_client_identifier_and_other_types() -> None:
    frames = load("ws_playing_without_client_identifier.json")
    assert notes(frames) == [
        PlayNotification(session_key="84", rating_key="1337", state="playing", view_offset_ms=1000)
    ]
    assert notes([load("ws_playing_ha_update_payload.json")]) == [
        PlayNotification(
            session_key="999", rating_key="12345", state="playing", view_offset_ms=5050
        )
    ]
    assert notes(load("ws_activity_frames.json")) == []


class CorpusSource:
    """A ``SessionSource`` answering like the PMS would for the recorded sessions."""

    def __init__(self, sessions: list[ActiveSession], media: dict[str, BoundMedia]) -> None:
        self.sessions = sessions
        self.catalogue = media

    async def active_sessions(self) -> Sequence[ActiveSession]:
        return self.sessions

    async def media(self, rating_key: str) -> BoundMedia:
        return self.catalogue[rating_key]


USER = PlexUser(id="1", title="plex-owner")
PLAYER = PlexPlayer(id="player-1", title="Chrome")
ITEM_1337 = MediaItem(kind=MediaKind.EPISODE, title="S01E01", show_ids={"tvdb": "79349"}, season=1)
ITEM_1338 = MediaItem(kind=MediaKind.EPISODE, title="S01E02", show_ids={"tvdb": "79349"}, season=1)


def source(*sessions: tuple[str, str]) -> CorpusSource:
    return CorpusSource(
        [
            ActiveSession(session_key=key, rating_key=rk, user=USER, player=PLAYER)
            for key, rk in sessions
        ],
        {
            "1337": BoundMedia(item=ITEM_1337, duration_ms=3000000),
            "1338": BoundMedia(item=ITEM_1338, duration_ms=3000000),
            "23362": BoundMedia(item=ITEM_1337, duration_ms=6000000),
        },
    )


async def run(binder: SessionBinder, frames: Sequence[Any]) -> list[tuple[str, str, float]]:
    out: list[tuple[str, str, float]] = []
    for note in notes(frames):
        events = await binder.events_for(note)
        out.extend((e.action.value, e.rating_key, round(e.progress, 1)) for e in events)
    return out


async def test_buffering_frames_are_no_events() -> None:
    binder = SessionBinder(source(("84", "1337")), server_id="s", now=lambda: 0.0)
    assert await run(binder, load("ws_sequence_buffering_then_playing.json")) == [
        ("start", "1337", 0.0),
        ("start", "1337", 0.1),
    ]


async def test_rating_key_change_stops_the_first_item_at_its_last_progress() -> None:
    binder = SessionBinder(source(("84", "1337")), server_id="s", now=lambda: 0.0)
    assert await run(binder, load("ws_sequence_rating_key_changes_without_stop.json")) == [
        ("start", "1337", 0.0),
        ("start", "1337", 84.0),
        ("stop", "1337", 84.0),  # the stop the client never sent, at 2520000 / 3000000
        ("start", "1338", 0.0),
        ("stop", "1338", 2.0),
    ]


async def test_stopped_under_a_new_session_key_ends_the_playback() -> None:
    binder = SessionBinder(source(("89", "23362")), server_id="s", now=lambda: 0.0)
    assert await run(binder, load("ws_paused_then_stopped_new_session_key.json")) == [
        ("pause", "23362", 94.5),
        ("stop", "23362", 94.5),
    ]
    assert binder.binding("89") is None


async def test_a_session_gone_without_stopped_gets_its_stop() -> None:
    clock = ManualClock()
    plex = source(("84", "1337"))
    binder = SessionBinder(plex, server_id="s", now=clock.time)
    assert await run(binder, load("ws_sequence_never_stopped.json")) == [
        ("start", "1337", 0.0),
        ("start", "1337", 84.0),
    ]
    assert await binder.vanished() == []  # still listed in /status/sessions
    plex.sessions = []
    clock.advance(5)
    assert await binder.vanished() == []  # a stopped frame may still be on its way
    clock.advance(60)
    (event,) = await binder.vanished()
    assert (event.action, event.rating_key, event.progress) == (ScrobbleAction.STOP, "1337", 84.0)
    assert binder.binding("84") is None
    assert await binder.vanished() == []


# -- webhooks -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "webhook_music_track_play.json",
        "webhook_music_track_play_new_agent.json",
        "webhook_trailer_clip_play.json",
        "webhook_photo_play.json",
    ],
)
def test_music_photo_and_trailer_webhooks_are_ignored(name: str) -> None:
    payload = load(name)
    assert normalize_webhook(payload, timestamp=1.0) is None
    assert normalize_rating(payload, timestamp=1.0) is None


def test_shared_user_episode_scrobble_with_episode_ids() -> None:
    payload = load("webhook_episode_new_agent_scrobble_shared_user.json")
    assert payload["user"] is False
    event = normalize_webhook(payload, timestamp=1.0)
    assert event is not None
    assert (event.action, event.watched) == (ScrobbleAction.STOP, True)
    assert event.item == MediaItem(
        kind=MediaKind.EPISODE,
        ids={
            "imdb": "tt14765720",
            "tmdb": "3087250",
            "tvdb": "8530933",
            "plex": "615580a9fa828e7f1a0caabd",
        },
        title="The World's Strongest Senior",
        year=2021,
        show_ids={"plex": "60e81fd8d8000e002d7d2976"},
        show_title="Baki Hanma",
        season=1,
        number=1,
    )
    assert (event.user.id, event.player.id, event.server_id) == (
        "31646104",
        "player-magicbook",
        "xxxx",
    )
    assert event.rating_key == "40294"
    # duration without viewOffset: the progress is not known from the payload.
    assert event.progress_known is False


def test_hama_tvdb_episode_without_offset_or_duration() -> None:
    event = normalize_webhook(load("webhook_episode_hama_tvdb_scrobble.json"), timestamp=1.0)
    assert event is not None
    assert event.item == MediaItem(
        kind=MediaKind.EPISODE,
        title="HDTV- - Please",
        show_ids={"tvdb": "81797"},
        show_title="One Piece",
        season=22,
        number=70,
    )
    assert (event.action, event.watched, event.progress_known) == (ScrobbleAction.STOP, True, False)
    assert (event.server_id, event.player.id, event.user.id) == (
        "test-server-uuid-12345",
        "test-player-uuid",
        "12345",
    )


def test_hama_anidb_episode_ids_and_a_payload_without_rating_key() -> None:
    payload = load("webhook_episode_hama_anidb_scrobble.json")
    assert item_from_metadata(payload["Metadata"]) == MediaItem(
        kind=MediaKind.EPISODE,
        title="Episode 5",
        show_ids={"anidb": "12345"},
        show_title="Attack on Titan",
        season=1,
        number=5,
    )
    # Its authors trimmed Metadata.ratingKey: no playback can be keyed, so it is ignored.
    assert normalize_webhook(payload, timestamp=1.0) is None
    rate = load("webhook_episode_rate_top_level_rating.json")
    assert normalize_rating(rate, timestamp=1.0) is None


def test_legacy_imdb_movie_stop_without_view_offset() -> None:
    event = normalize_webhook(
        load("webhook_movie_legacy_imdb_stop_without_view_offset.json"), timestamp=1.0
    )
    assert event is not None
    assert event.item == MediaItem(
        kind=MediaKind.MOVIE, ids={"imdb": "tt4731136"}, title="EVO", year=2017
    )
    assert (event.action, event.watched, event.progress_known) == (
        ScrobbleAction.STOP,
        False,
        False,
    )


def test_new_agent_movie_scrobble_known_only_by_plex_guid() -> None:
    event = normalize_webhook(
        load("webhook_movie_new_agent_scrobble_without_guids.json"), timestamp=1.0
    )
    assert event is not None
    assert event.item.ids == {"plex": "5fc690d7578684002e68e65d"}
    assert (event.item.title, event.item.year) == ("3:10 to Yuma", 1957)
    assert (event.action, event.watched) == (ScrobbleAction.STOP, True)


def test_vod_stop_comes_from_plex_not_from_the_server() -> None:
    event = normalize_webhook(load("webhook_vod_movie_stop_other_server.json"), timestamp=1.0)
    assert event is not None
    assert event.server_id == "tv.plex.provider.vod"
    assert event.rating_key == "6015de7207408f002dcee048"
    # viewOffset 0 of 7829994 ms: a real 0, known from the payload.
    assert (event.progress, event.progress_known) == (0.0, True)


def test_rate_with_user_rating_and_a_top_level_string() -> None:
    rating = normalize_rating(
        load("webhook_movie_rate_user_rating_and_top_level_string.json"), timestamp=1.0
    )
    assert rating is not None
    assert rating.rating == 10
    assert rating.item.ids == {"plex": "5fc6912f1a65df002dd28ab7"}
    assert rating.rating_key == "8373"


def test_rate_with_only_a_top_level_rating_sets_it() -> None:
    rating = normalize_rating(load("webhook_movie_rate_top_level_rating.json"), timestamp=1.0)
    assert rating is not None
    assert rating.rating == 9  # not a cleared rating: the payload carries 9.0 at the top level
    assert (rating.item.kind, rating.item.title, rating.rating_key) == (
        MediaKind.MOVIE,
        "Your Name",
        "12345",
    )


def test_rate_payload_without_any_rating_clears_nothing() -> None:
    payload = load("webhook_movie_rate_top_level_rating.json")
    del payload["rating"]
    assert normalize_rating(payload, timestamp=1.0) is None
