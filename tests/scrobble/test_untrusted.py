"""Bounded parsing and log-safe text for what arrives from outside."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.crosswatch.scrobble.untrusted import (
    MAX_JSON_CHARS,
    MAX_JSON_DEPTH,
    UntrustedJsonError,
    loads_bounded,
    loggable,
)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_plex_shapes_parse() -> None:
    frame = {"NotificationContainer": {"PlaySessionStateNotification": [{"Guid": [{"id": "x"}]}]}}
    assert loads_bounded(json.dumps(frame)) == frame
    assert loads_bounded(b'{"a": 1}') == {"a": 1}
    assert loads_bounded(_nested(MAX_JSON_DEPTH)) is not None


@pytest.mark.parametrize(
    "text",
    [
        "[" * 200_000,  # the parser's own recursion limit
        _nested(MAX_JSON_DEPTH + 1),  # parses, but deeper than Plex ever nests
        '{"a": ' * 40 + "1" + "}" * 40,
        " " * (MAX_JSON_CHARS + 1),
        "not json",
        b"\xff\xfe",
    ],
)
def test_refused(text: str | bytes) -> None:
    with pytest.raises(UntrustedJsonError):
        loads_bounded(text)


def test_loggable_escapes_control_and_bidi_and_cuts() -> None:
    assert loggable("media.play") == "media.play"
    assert loggable("a\nb\r\x1b[2J\u202eevil\u2066\\") == "a\\nb\\r\\x1b[2J\\u202eevil\\u2066\\\\"
    assert loggable("x" * 500, limit=10) == "x" * 10 + "…"
    assert loggable(None) == "None"


@given(st.text())
def test_loggable_never_leaves_a_control_or_format_character(text: str) -> None:
    out = loggable(text, limit=len(text) + 1)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in out)
