"""The Plex webhook: Plex's multipart payload, JSON, junk, oversize, foreign events, ratings."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.data_entry_flow import FlowResultType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.crosswatch.const import CONF_WEBHOOK_ID
from custom_components.crosswatch.providers.plex import webhook as plex_webhook
from custom_components.crosswatch.providers.plex.scrobbler import IDLE
from custom_components.crosswatch.providers.plex.webhook import (
    MAX_BODY_BYTES,
    MAX_FORM_PARTS,
    MAX_PART_HEAD_BYTES,
    parse_body,
    webhook_url,
)
from simulator import credentials as cred

from .conftest import OWNER, SHARED, until
from .helpers import multipart, payload

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from simulator.clock import ManualClock
    from simulator.testing import Simulator

    from .conftest import Accounts
    from .helpers import Client

FORM = "multipart/form-data; boundary=a"
EMPTY_PART = b"--a\r\nContent-Disposition: form-data; name=x\r\n\r\n\r\n"
PAYLOAD_PART = b'--a\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{"a": 1}\r\n'
# A hostile body under the cap: ~23,000 empty parts (each once parsed as a MIME header).
MANY_PARTS = EMPTY_PART * ((MAX_BODY_BYTES - 100) // len(EMPTY_PART)) + PAYLOAD_PART + b"--a--"


async def test_webhook_id_is_stored_once_and_shown(hass: HomeAssistant, accounts: Accounts) -> None:
    entry = await accounts.add_plex()
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert len(webhook_id) == 64
    # A secret: not a state attribute (the scrobble-route form shows it, tested below).
    assert "webhook_url" not in accounts.state("binary_sensor", "plex_listener").attributes
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.data[CONF_WEBHOOK_ID] == webhook_id


async def test_multipart_and_json_payloads_scrobble(
    hass: HomeAssistant, accounts: Accounts, hook: tuple[Client, str], sim: Simulator
) -> None:
    client, path = hook
    rating_key = sim.rating_key("Inception")
    resp = await client.post(
        path, data=multipart(payload("media.play", offset=888_000, rating_key=rating_key))
    )
    assert resp.status == 200
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201)]
    sensor = accounts.state("sensor", f"now_watching_{OWNER}")
    assert sensor.state == "Inception"
    resp = await client.post(
        path, json=payload("media.stop", offset=8_880_000, rating_key=rating_key)
    )
    assert resp.status == 200
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == [("start", 10.0, 201), ("stop", 100.0, 201)]
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == IDLE


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", "application/json"),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        (
            b'--xyz\r\nContent-Disposition: form-data; name="payload"\r\n\r\n{',
            "multipart/form-data; boundary=xyz",
        ),
        (b"no parts at all", "multipart/form-data; boundary=xyz"),
        (MANY_PARTS, FORM),
        (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
        (b"other=1", "application/x-www-form-urlencoded"),
    ],
)
async def test_malformed_bodies_are_answered_200_and_change_nothing(
    hass: HomeAssistant,
    accounts: Accounts,
    hook: tuple[Client, str],
    body: bytes,
    content_type: str,
) -> None:
    client, path = hook
    resp = await client.post(path, data=body, headers={"Content-Type": content_type})
    assert resp.status == 200
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == []
    assert accounts.state("sensor", f"now_watching_{OWNER}").state == IDLE


@pytest.mark.parametrize(
    "data",
    [
        {"event": "library.new", "Metadata": {"type": "movie"}},
        {"event": "media.play"},  # no account, server, player
        {"hello": "world"},
    ],
)
async def test_foreign_events_change_nothing(
    hass: HomeAssistant, accounts: Accounts, hook: tuple[Client, str], data: dict[str, Any]
) -> None:
    client, path = hook
    resp = await client.post(path, data=multipart(data))
    assert resp.status == 200
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == []


async def test_unrouted_user_and_other_server_are_ignored(
    hass: HomeAssistant, accounts: Accounts, hook: tuple[Client, str], sim: Simulator
) -> None:
    client, path = hook
    rating_key = sim.rating_key("Inception")
    shared = payload("media.play", offset=888_000, account=SHARED, rating_key=rating_key)
    other_server = payload("media.play", offset=888_000, rating_key=rating_key)
    other_server["Server"]["uuid"] = cred.SHARED_PMS_MACHINE_ID
    for data in (shared, other_server):
        assert (await client.post(path, data=multipart(data))).status == 200
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == []
    assert SHARED not in accounts.scrobbler.users


async def test_oversize_body_is_refused_with_413(
    hass: HomeAssistant, accounts: Accounts, hook: tuple[Client, str]
) -> None:
    client, path = hook
    big = payload("media.play", offset=888_000, padding="x" * MAX_BODY_BYTES)
    resp = await client.post(path, json=big)
    assert resp.status == 413

    async def chunks() -> Any:  # no Content-Length: the cap applies while reading
        for _ in range(20):
            yield b"x" * 65536

    resp = await client.post(path, data=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status == 413
    await hass.async_block_till_done()
    assert await accounts.trakt_scrobbles() == []


async def test_get_is_not_allowed(accounts: Accounts, hook: tuple[Client, str]) -> None:
    client, path = hook
    resp = await client.get(path)
    assert resp.status == 405


async def test_rating_goes_to_the_routed_trakt_account(
    hass: HomeAssistant, accounts: Accounts, hook: tuple[Client, str], sim: Simulator
) -> None:
    client, path = hook
    rating_key = sim.rating_key("Inception")
    rate = payload("media.rate", offset=0, rating_key=rating_key, userRating=8.0)
    assert (await client.post(path, data=multipart(rate))).status == 200
    await hass.async_block_till_done()
    posts = [r for r in await sim.requests("trakt") if r["path"].endswith("/sync/ratings")]
    assert len(posts) == 1
    assert posts[0]["body"]["movies"][0]["rating"] == 8
    assert posts[0]["body"]["movies"][0]["ids"]["imdb"] == "tt1375666"
    cleared = payload("media.rate", offset=0, rating_key=rating_key, userRating=-1)
    assert (await client.post(path, data=multipart(cleared))).status == 200
    await hass.async_block_till_done()
    removes = [r for r in await sim.requests("trakt") if r["path"].endswith("/sync/ratings/remove")]
    assert len(removes) == 1


async def test_listener_and_webhook_both_on_scrobble_once(
    hass: HomeAssistant,
    accounts: Accounts,
    hook: tuple[Client, str],
    *,
    sim: Simulator,
    sim_clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.crosswatch.providers.plex.webhook")
    client, path = hook
    await sim.register_webhook(str(client.make_url(path)))
    rating_key = sim.rating_key("Inception")
    sensor_id = accounts.entity_id("sensor", f"now_watching_{OWNER}")

    def progress() -> Any:
        state = hass.states.get(sensor_id)
        return None if state is None else state.attributes["progress"]

    def received() -> list[str]:
        return [
            r.getMessage().removeprefix("Plex webhook ")
            for r in caplog.records
            if r.name == "custom_components.crosswatch.providers.plex.webhook"
        ]

    async def settled(shown: Callable[[], bool], hooks: int) -> None:
        """Both reports of one step are in: the frame shown, the webhook handled, all idle."""
        await until(lambda: shown() and len(received()) == hooks)
        await hass.async_block_till_done()
        await accounts.scrobbler.pipeline.wait_idle()
        await hass.async_block_till_done()

    await sim.play(rating_key, offset_ms=888_000)
    await settled(lambda: progress() == 10.0, 1)
    sim_clock.advance(600)
    await sim.pause(offset_ms=3_552_000)
    await settled(lambda: progress() == 40.0, 2)
    sim_clock.advance(60)
    await sim.play(rating_key)
    await settled(
        lambda: accounts.state("sensor", f"now_watching_{OWNER}").attributes["state"] == "playing",
        3,
    )
    sim_clock.advance(3000)
    await sim.seek(8_436_000)
    # media.scrobble (at 90 %) says watched, but the title still plays: the sensor stays.
    await settled(lambda: progress() == 95.0, 4)
    sim_clock.advance(300)
    await sim.stop(offset_ms=8_880_000)
    await settled(lambda: hass.states.get(sensor_id).state == IDLE, 5)  # type: ignore[union-attr]
    scrobbles = await accounts.trakt_scrobbles()
    assert [(a, p) for a, p, _ in scrobbles[:3]] == [
        ("start", 10.0),
        ("stop", 40.0),
        ("start", 40.0),
    ]
    assert len(scrobbles) == 4
    assert scrobbles[3][0] == "stop"
    assert scrobbles[3][1] >= 80
    assert received() == [
        "media.play",
        "media.pause",
        "media.resume",
        "media.scrobble",
        "media.stop",
    ]


def test_parse_body_reads_plex_multipart() -> None:
    boundary = "----plex"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="thumb"; filename="t.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + b"\xff\xd8\xff\xd9"
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="payload"\r\n'
            'Content-Type: application/json\r\n\r\n{"event": "media.play"}\r\n'
            f"--{boundary}--\r\n"
        ).encode()
    )
    assert parse_body(f"multipart/form-data; boundary={boundary}", body) == {"event": "media.play"}
    assert parse_body("application/x-www-form-urlencoded", b"payload=%7B%22a%22%3A1%7D") == {"a": 1}
    assert parse_body("application/json", b'{"a": 2}') == {"a": 2}
    assert parse_body("multipart/form-data", body) is None  # no boundary
    quoted = f'multipart/form-data; boundary="{boundary}"'
    assert parse_body(quoted, body) == {"event": "media.play"}
    no_disposition = (
        f"--{boundary}\r\nContent-Type: text/plain\r\n\r\n{{}}\r\n--{boundary}--\r\n".encode()
    )
    assert parse_body(f"multipart/form-data; boundary={boundary}", no_disposition) is None
    thumb_only = body.split(
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="payload"'.encode()
    )[0]
    assert (
        parse_body(
            f"multipart/form-data; boundary={boundary}",
            thumb_only + f"\r\n--{boundary}--\r\n".encode(),
        )
        is None
    )


def test_parse_body_reads_only_the_first_few_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    heads: list[bytes] = []
    real_part_name = plex_webhook._part_name

    def counting(head: bytes) -> str | None:
        heads.append(head)
        return real_part_name(head)

    monkeypatch.setattr(plex_webhook, "_part_name", counting)
    before = EMPTY_PART * (MAX_FORM_PARTS - 1)
    assert parse_body(FORM, before + PAYLOAD_PART + b"--a--") == {"a": 1}
    assert len(heads) == MAX_FORM_PARTS
    heads.clear()
    # Past the first parts nothing is read: a payload there is not Plex's and is ignored.
    assert parse_body(FORM, before + EMPTY_PART + PAYLOAD_PART + b"--a--") is None
    assert parse_body(FORM, MANY_PARTS) is None
    assert len(heads) == 2 * MAX_FORM_PARTS


def test_parse_body_skips_a_part_header_longer_than_any_plex_sends() -> None:
    def form(padding: int) -> bytes:
        head = b'Content-Disposition: form-data; name="payload"' + b"; n=v" * padding
        return b"--a\r\n" + head + b'\r\n\r\n{"a": 1}\r\n--a--'

    fits = (MAX_PART_HEAD_BYTES - 100) // 5
    assert parse_body(FORM, form(fits)) == {"a": 1}
    assert parse_body(FORM, form(fits + 20)) is None
    assert parse_body(FORM, form((MAX_BODY_BYTES - 100) // 5)) is None
    endless = b"--a\r\n" + b"x: y\r\n" * ((MAX_BODY_BYTES - 100) // 6) + b"\r\n{}\r\n--a--"
    assert parse_body(FORM, endless) is None
    assert parse_body('multipart/form-data; boundary="\u2603"', PAYLOAD_PART) is None


_deep_bodies = st.integers(1, 5000).flatmap(
    lambda n: st.sampled_from([b"[" * n, b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n])
)
_hostile_bodies = st.text(
    alphabet=st.sampled_from('\x00\x1b\n\r\x7f\u202e\u2066\u200f\\"{}:a'), max_size=24
).map(lambda t: json.dumps({"event": t}).encode())


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.binary(max_size=512)
    | _deep_bodies
    | _hostile_bodies
    | _deep_bodies.map(lambda b: b"payload=" + b)
    | _deep_bodies.map(
        lambda b: (
            b'--b\r\nContent-Disposition: form-data; name="payload"\r\n\r\n' + b + b"\r\n--b--"
        )
    ),
    content_type=st.sampled_from(
        [
            "multipart/form-data; boundary=b",
            "application/json",
            "application/x-www-form-urlencoded",
            "",
        ]
    ),
)
def test_parse_body_never_raises(body: bytes, content_type: str) -> None:
    result = parse_body(content_type, body)
    assert result is None or isinstance(result, dict)


async def test_a_failed_rating_is_logged_and_nothing_else(
    hass: HomeAssistant,
    accounts: Accounts,
    hook: tuple[Client, str],
    sim: Simulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client, path = hook
    await sim.fault("trakt", "POST /sync/ratings", status=500)
    rate = payload("media.rate", offset=0, rating_key=sim.rating_key("Inception"), userRating=6)
    assert (await client.post(path, data=multipart(rate))).status == 200
    await hass.async_block_till_done()
    assert "Rating of Inception not sent to" in caplog.text
    assert cred.TRAKT_ACCESS_TOKEN not in caplog.text


async def test_webhook_after_stop_is_ignored(
    hass: HomeAssistant, accounts: Accounts, hook: tuple[Client, str], sim: Simulator
) -> None:
    await accounts.scrobbler.async_stop()
    await accounts.scrobbler.async_handle_webhook(
        payload("media.play", offset=888_000, rating_key=sim.rating_key("Inception"))
    )
    assert await accounts.trakt_scrobbles() == []
    assert accounts.scrobbler.pipeline.now_watching == {}


async def test_webhook_url_is_none_without_a_known_url(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    await accounts.add_plex()
    await hass.config.async_update(internal_url=None, external_url=None)
    hass.config.api = None
    assert webhook_url(hass, "abc") is None
    assert accounts.scrobbler.diagnostics()["webhook_url"] is None


async def test_the_route_form_shows_the_webhook_url_the_route_then_uses(
    hass: HomeAssistant, accounts: Accounts
) -> None:
    entry = await accounts.add_plex(routes=[])
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "scrobble_route"), context={"source": "user"}
    )
    assert result["type"] is FlowResultType.FORM
    webhook_id = entry.data[CONF_WEBHOOK_ID]
    assert result["description_placeholders"]["webhook_url"].endswith(f"/api/webhook/{webhook_id}")
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"all_users": True, "target_entry_ids": [accounts.trakt.entry_id]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.scrobble is not None
    assert entry.runtime_data.scrobble.webhook_id == webhook_id
