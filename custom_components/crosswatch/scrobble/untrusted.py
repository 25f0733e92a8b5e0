"""Text that arrives from outside (websocket frames, webhook bodies): bounded parsing, safe logging.

Anyone on the network can send the webhook, and a server answers with whatever it holds, so a
body is parsed only when it is small and shallow: Plex's own are a few kilobytes and a handful of
levels deep, while a frame of ``[[[[…`` would exhaust the parser's recursion. Text from such a
body that reaches the log is escaped, so control and bidi characters cannot forge or hide lines.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any, Final

# Plex's frames and webhook payloads are a few KB; anything near this is not one of them. Parsed
# on the event loop: a flat 256 KiB array held it 30-60 ms here (a Raspberry Pi is 5-10x slower).
MAX_JSON_CHARS: Final = 64 * 1024
# Plex's deepest shapes (a webhook's Metadata → Guid → entry) are about five levels.
MAX_JSON_DEPTH: Final = 32
# How much of one untrusted value a log line shows.
MAX_LOGGED_CHARS: Final = 120


class UntrustedJsonError(ValueError):
    """The text is not JSON, or is larger or deeper than any Plex sends."""


def loads_bounded(
    text: str | bytes, *, max_chars: int = MAX_JSON_CHARS, max_depth: int = MAX_JSON_DEPTH
) -> Any:
    """``json.loads`` for untrusted text: refuses more than ``max_chars`` or ``max_depth``.

    Raises ``UntrustedJsonError`` (a ``ValueError``) for anything it refuses, never
    ``RecursionError``.
    """
    if len(text) > max_chars:
        raise UntrustedJsonError(f"over {max_chars} characters")
    try:
        data = json.loads(text)
    except RecursionError as err:
        raise UntrustedJsonError("nested too deep") from err
    except (ValueError, UnicodeDecodeError) as err:
        raise UntrustedJsonError("not JSON") from err
    if _depth_over(data, max_depth):
        raise UntrustedJsonError(f"nested deeper than {max_depth}")
    return data


def _depth_over(data: Any, limit: int) -> bool:
    """Whether parsed JSON nests deeper than ``limit`` (iterative: no recursion of our own)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loggable(value: object, limit: int = MAX_LOGGED_CHARS) -> str:
    """``value`` as text safe for one log line: control, format (bidi) characters escaped, cut.

    Line breaks, escape sequences and right-to-left overrides from a payload must not forge
    or reorder log lines.
    """
    text = str(value)
    cut = len(text) > limit
    out = []
    for char in text[:limit]:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp") or char == "\\":
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out) + ("…" if cut else "")
