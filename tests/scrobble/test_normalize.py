"""Plex webhook payloads: the real shapes, and anything else never raises."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from custom_components.crosswatch.api.models import MediaKind
from custom_components.crosswatch.providers.plex.webhook_payload import (
    normalize_rating,
    normalize_webhook,
    parse_payload_text,
    webhook_rating_key,
)
from custom_components.crosswatch.scrobble.events import EventSource, ScrobbleAction

from .helpers import EPISODE_SCROBBLE, MOVIE_PLAY


def _with(base: dict[str, Any], **meta: Any) -> dict[str, Any]:
    payload = copy.deepcopy(base)
    payload["Metadata"].update(meta)
    return payload


def test_episode_scrobble_is_a_watched_stop_with_episode_ids() -> None:
    event = normalize_webhook(EPISODE_SCROBBLE, timestamp=5.0)
    assert event is not None
    assert event.action is ScrobbleAction.STOP
    assert event.watched
    assert event.source is EventSource.WEBHOOK
    assert event.kind is MediaKind.EPISODE
    assert event.item.ids == {
        "imdb": "tt2301451",
        "tmdb": "62161",
        "tvdb": "4639411",
        "plex": "615580a9fa828e7f1a0caabd",
    }
    # External show ids come from the grandparent lookup; the payload only has its plex guid.
    assert event.item.show_ids == {"plex": "60e81fd8d8000e002d7d2976"}
    assert (event.item.season, event.item.number) == (5, 14)
    assert event.item.show_title == "Breaking Bad"
    assert round(event.progress, 3) == 96.875
    assert (event.user.id, event.user.title) == ("1", "jdoe")
    assert event.player.id == "r6yfkdnfggbh2bdnvkffwbms"
    assert event.server_id == "54664a3d8acc39983675640ec9ce00b70af9cc36"
    assert event.rating_key == "40294"
    assert event.timestamp == 5.0
    assert webhook_rating_key(EPISODE_SCROBBLE) == "40275"


def test_actions_map_from_events() -> None:
    expected = {
        "media.play": ScrobbleAction.START,
        "media.resume": ScrobbleAction.START,
        "media.pause": ScrobbleAction.PAUSE,
        "media.stop": ScrobbleAction.STOP,
    }
    for name, action in expected.items():
        event = normalize_webhook({**MOVIE_PLAY, "event": name}, timestamp=0)
        assert event is not None
        assert event.action is action
        assert not event.watched
        assert event.progress == 20.0
        assert event.item.ids == {
            "imdb": "tt1375666",
            "tmdb": "27205",
            "tvdb": "166",
            "plex": ("5d776825880197001ec967c6"),
        }


def test_legacy_thetvdb_episode_guid_gives_show_id_and_numbers() -> None:
    payload = _with(
        EPISODE_SCROBBLE,
        guid="com.plexapp.agents.thetvdb://81189/5/14?lang=en",
        grandparentGuid=None,
        Guid=[],
        index=None,
        parentIndex=None,
    )
    event = normalize_webhook(payload, timestamp=0)
    assert event is not None
    assert event.item.show_ids == {"tvdb": "81189"}
    assert (event.item.season, event.item.number) == (5, 14)
    assert event.item.ids == {}


def test_trailers_extras_and_clips_are_never_scrobbled() -> None:
    assert normalize_webhook(_with(MOVIE_PLAY, subtype="trailer"), timestamp=0) is None
    assert normalize_webhook(_with(MOVIE_PLAY, extraType=1), timestamp=0) is None
    assert normalize_webhook(_with(MOVIE_PLAY, type="clip"), timestamp=0) is None
    assert normalize_webhook(_with(MOVIE_PLAY, type="track"), timestamp=0) is None


def test_foreign_and_broken_payloads_are_ignored() -> None:
    assert normalize_webhook({**MOVIE_PLAY, "event": "library.new"}, timestamp=0) is None
    assert normalize_webhook([], timestamp=0) is None
    assert normalize_webhook({**MOVIE_PLAY, "Player": None}, timestamp=0) is None
    assert normalize_webhook({**MOVIE_PLAY, "Account": {"title": "x"}}, timestamp=0) is None
    no_duration = _with(MOVIE_PLAY, duration=None, viewOffset="junk")
    event = normalize_webhook(no_duration, timestamp=0)
    assert event is not None
    assert event.progress == 0.0
    assert normalize_webhook(_with(MOVIE_PLAY, duration=float("nan")), timestamp=0) is not None


def test_odd_but_usable_values() -> None:
    stringly = _with(MOVIE_PLAY, duration="8880000", viewOffset=True, ratingKey=12345)
    event = normalize_webhook(stringly, timestamp=0)
    assert event is not None
    assert event.progress == 0.0  # a boolean offset is no offset
    assert event.rating_key == "12345"
    assert normalize_webhook({**MOVIE_PLAY, "Account": {"id": True}}, timestamp=0) is None
    assert normalize_webhook({**MOVIE_PLAY, "Server": {"uuid": "  "}}, timestamp=0) is None
    assert normalize_webhook(_with(MOVIE_PLAY, duration="long"), timestamp=0) is not None
    assert normalize_webhook(_with(MOVIE_PLAY, type="season"), timestamp=0) is None
    infinite = _with({**MOVIE_PLAY, "event": "media.rate"}, userRating=float("inf"))
    assert normalize_rating(infinite, timestamp=0) is None


def test_payload_text_parsing() -> None:
    assert parse_payload_text(json.dumps(MOVIE_PLAY)) == MOVIE_PLAY
    assert parse_payload_text(b"\xff\xfe") is None
    assert parse_payload_text("[1, 2]") is None
    assert parse_payload_text("{trunc") is None


def test_rating_events() -> None:
    rate = {**MOVIE_PLAY, "event": "media.rate"}
    rate = _with(rate, userRating=7.6)
    rating = normalize_rating(rate, timestamp=3.0)
    assert rating is not None
    assert rating.rating == 8
    assert rating.item.ids["imdb"] == "tt1375666"
    assert normalize_webhook(rate, timestamp=0) is None  # not a playback event
    cleared = normalize_rating(_with(rate, userRating=-1), timestamp=0)
    assert cleared is not None
    assert cleared.rating is None
    top_level = _with(rate, userRating=None)
    top_level["userRating"] = 10
    top_level["Metadata"].pop("userRating")
    rated = normalize_rating(top_level, timestamp=0)
    assert rated is not None
    assert rated.rating == 10
    assert normalize_rating(_with(rate, userRating="abc"), timestamp=0) is None
    assert normalize_rating(MOVIE_PLAY, timestamp=0) is None
    show = _with(rate, type="show", userRating=6)
    rated_show = normalize_rating(show, timestamp=0)
    assert rated_show is not None
    assert rated_show.item.kind is MediaKind.SHOW


# Control, bidi and JSON-structural characters: what a hostile sender could put in a payload.
_hostile_text = st.text(
    alphabet=st.sampled_from('\x00\x1b\n\r\t\x7f\u202e\u2066\u2069\u200f\\"[]{}a'), max_size=12
)
# Nesting from shallow to far past the parser's recursion limit, closed or not.
_deep = st.integers(1, 5000).flatmap(
    lambda n: st.sampled_from(["[" * n, "[" * n + "]" * n, '{"a":' * n + "1" + "}" * n])
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | _hostile_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
_keys = st.sampled_from(
    [
        "event",
        "Account",
        "Server",
        "Player",
        "Metadata",
        "type",
        "ratingKey",
        "id",
        "uuid",
        "duration",
        "viewOffset",
        "Guid",
        "guid",
        "index",
        "parentIndex",
        "userRating",
        "title",
    ]
)


@st.composite
def _mangled(draw: st.DrawFn) -> Any:
    """A real payload with random parts replaced by random JSON."""
    payload = copy.deepcopy(draw(st.sampled_from([EPISODE_SCROBBLE, MOVIE_PLAY])))
    payload["event"] = draw(st.sampled_from(["media.play", "media.rate", "media.scrobble", "x"]))
    for _ in range(draw(st.integers(1, 4))):
        target = payload if draw(st.booleans()) else payload["Metadata"]
        if not isinstance(target, dict):
            break
        target[draw(_keys)] = draw(_json)
    return payload


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, _mangled()))
def test_any_payload_never_raises(payload: Any) -> None:
    before = copy.deepcopy(payload)
    event = normalize_webhook(payload, timestamp=0)
    rating = normalize_rating(payload, timestamp=0)
    webhook_rating_key(payload)
    assert payload == before or payload != payload  # noqa: PLR0124 - NaN never equals itself
    if event is not None:
        assert 0.0 <= event.progress <= 100.0
        assert event.kind in (MediaKind.MOVIE, MediaKind.EPISODE)
    if rating is not None:
        assert rating.rating is None or 1 <= rating.rating <= 10


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=64)
    | st.text(max_size=64)
    | _hostile_text
    | _deep
    | _deep.map(str.encode)
    | _json.map(json.dumps)
)
def test_any_payload_text_never_raises(raw: bytes | str) -> None:
    result = parse_payload_text(raw)
    assert result is None or isinstance(result, dict)
