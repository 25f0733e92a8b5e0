"""The Plex webhook: one Home Assistant webhook per Plex account with scrobble routes.

Plex POSTs ``multipart/form-data`` with a JSON ``payload`` part (and sometimes a ``thumb``
JPEG); plain JSON bodies are accepted too. Whatever arrives is answered 200 so Plex never
retries or disables the hook, except a body over ``MAX_BODY_BYTES`` (413). Malformed or
foreign bodies are logged at debug and change nothing. The webhook id is a secret (anyone
holding the URL can post plays), so it is redacted in diagnostics and never logged: Home
Assistant logs it with any error our handler raises, or with a method it does not accept, so
the handler never raises and takes every method (answering 405 itself to all but POST). Text
from a payload reaches the log only escaped (``loggable``).
"""

from __future__ import annotations

import logging
from email.message import Message
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs

from aiohttp import web
from homeassistant.components import webhook
from homeassistant.helpers.network import NoURLAvailableError

from ...const import CONF_WEBHOOK_ID, DOMAIN
from ...scrobble.untrusted import loggable
from .webhook_payload import parse_payload_text

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.core import HomeAssistant

_LOGGER = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 1024 * 1024
# Every method Home Assistant routes to a webhook but HEAD (which it answers itself).
ALL_METHODS: Final = ("GET", "POST", "PUT")
PAYLOAD_FIELD: Final = "payload"
_READ_CHUNK: Final = 64 * 1024
# Bounds on the multipart walk: Plex sends two parts, each header ~100 bytes.
MAX_FORM_PARTS: Final = 8
MAX_PART_HEAD_BYTES: Final = 1024


class BodyTooLargeError(Exception):
    """The request body is over ``MAX_BODY_BYTES``."""


async def read_capped(request: web.Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """Read the body, refusing (early when announced) anything over ``limit`` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLargeError
    body = bytearray()
    while chunk := await request.content.read(_READ_CHUNK):
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLargeError
    return bytes(body)


def parse_body(content_type: str, body: bytes) -> dict[str, Any] | None:
    """The Plex payload in a multipart form, an urlencoded form, or a JSON body; else ``None``."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data":
        return _multipart_payload(content_type, body)
    if media_type == "application/x-www-form-urlencoded":
        try:
            values = parse_qs(body.decode(), max_num_fields=20).get(PAYLOAD_FIELD)
        except UnicodeDecodeError, ValueError:
            return None
        return parse_payload_text(values[0]) if values else None
    return parse_payload_text(body)


def _multipart_payload(content_type: str, body: bytes) -> dict[str, Any] | None:
    """Find the ``payload`` part among the first few parts, by searching for the boundary.

    Only the small part headers are parsed: a generic MIME parser would walk the thumbnail too.
    The work is bounded whatever the body holds, as it runs in the event loop: Plex sends two
    parts (``payload``, and a ``thumb`` on play and rate) with headers of ~100 bytes, so only
    the first ``MAX_FORM_PARTS`` parts are looked at and a header over ``MAX_PART_HEAD_BYTES``
    is skipped unread (parsing every part of 1 MiB of empty parts held the loop 100-300 ms).
    """
    header = Message()
    header["content-type"] = content_type
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not boundary:
        return None
    try:
        delimiter = b"--" + boundary.encode("latin-1")
    except UnicodeEncodeError:
        return None
    start = body.find(delimiter)
    for _ in range(MAX_FORM_PARTS):
        if start < 0:
            return None
        start += len(delimiter)
        end = body.find(delimiter, start)
        part_end = len(body) if end < 0 else end
        head_end = body.find(b"\r\n\r\n", start, min(part_end, start + MAX_PART_HEAD_BYTES))
        if head_end >= 0 and _part_name(body[start:head_end]) == PAYLOAD_FIELD:
            return parse_payload_text(body[head_end + 4 : part_end].removesuffix(b"\r\n"))
        start = end
    return None


def _part_name(head: bytes) -> str | None:
    for line in head.decode("latin-1").split("\r\n"):
        key, _, value = line.partition(":")
        if key.strip().lower() == "content-disposition":
            disposition = Message()
            disposition["content-disposition"] = value.strip()
            name = disposition.get_param("name", header="content-disposition")
            return name if isinstance(name, str) else None
    return None


# Where a parsed payload goes (the scrobbler's ``async_handle_webhook``).
type PayloadHandler = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]


async def _receive(
    hass: HomeAssistant,
    entry: ConfigEntry,
    deliver: PayloadHandler,
    request: web.Request,
) -> web.Response:
    """Read, parse and hand over one webhook POST."""
    try:
        body = await read_capped(request)
    except BodyTooLargeError:
        _LOGGER.debug("Ignoring a Plex webhook body over %d bytes", MAX_BODY_BYTES)
        return web.Response(status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    payload = parse_body(request.headers.get("Content-Type", ""), body)
    if payload is None:
        _LOGGER.debug("Ignoring a webhook body that holds no Plex payload")
        return web.Response(status=HTTPStatus.OK)
    _LOGGER.debug("Plex webhook %s", loggable(payload.get("event")))
    # Answer Plex at once; delivery (and its retries) must not hold the request.
    entry.async_create_task(hass, deliver(payload), "crosswatch plex webhook")
    return web.Response(status=HTTPStatus.OK)


def webhook_url(hass: HomeAssistant, webhook_id: str) -> str | None:
    """The URL to paste into Plex (``None`` while Home Assistant knows no URL of its own)."""
    try:
        return webhook.async_generate_url(hass, webhook_id)
    except NoURLAvailableError:
        return None


def ensure_webhook_id(hass: HomeAssistant, entry: ConfigEntry) -> str:
    """The entry's webhook id, generated and stored on first use."""
    webhook_id: str | None = entry.data.get(CONF_WEBHOOK_ID)
    if not webhook_id:
        webhook_id = webhook.async_generate_id()
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_WEBHOOK_ID: webhook_id}
        )
    return webhook_id


def async_setup_webhook(hass: HomeAssistant, entry: ConfigEntry, deliver: PayloadHandler) -> str:
    """Register the entry's webhook (unregistered on unload); returns its id."""
    webhook_id = ensure_webhook_id(hass, entry)

    async def handle(hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.Response(status=HTTPStatus.METHOD_NOT_ALLOWED)
        try:
            return await _receive(hass, entry, deliver, request)
        except Exception as err:  # noqa: BLE001 - the boundary: Home Assistant would log the id
            _LOGGER.debug("Ignoring a Plex webhook that could not be handled: %s", type(err))
            return web.Response(status=HTTPStatus.OK)

    webhook.async_register(
        hass,
        DOMAIN,
        f"CrossWatch {entry.title}",
        webhook_id,
        handle,
        allowed_methods=list(ALL_METHODS),
    )
    entry.async_on_unload(lambda: webhook.async_unregister(hass, webhook_id))
    return webhook_id
