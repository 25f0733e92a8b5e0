"""A JSON list decoded one element at a time.

One ``json.loads`` of a large list holds the interpreter throughout (its C decoder never lets go),
and with it Home Assistant's event loop, even from the executor; element by element, other
threads run in between. Decoded as they are reached, a list's elements can also be turned into
something compact before the next one exists: a whole list of dicts alive at once lives through
young garbage collections and counts towards a full one (which walks all of Home Assistant's
memory while holding the loop).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _skip_space(text: str, at: int) -> int:
    found = _SPACE.match(text, at)
    return at if found is None else found.end()


def json_list_items(text: str) -> Iterator[Any]:
    """Each element of the JSON list ``text``, decoded when reached.

    Raises ``json.JSONDecodeError`` (with ``json.loads``'s line and column) where ``text`` is not
    a JSON list, when that point is reached.
    """
    at = _skip_space(text, 0)
    if not text.startswith("[", at):
        raise json.JSONDecodeError("Expecting '['", text, at)
    at = _skip_space(text, at + 1)
    if text.startswith("]", at):
        end = at + 1
    else:
        while True:
            row, at = _DECODER.raw_decode(text, at)
            yield row
            at = _skip_space(text, at)
            if text.startswith("]", at):
                end = at + 1
                break
            if not text.startswith(",", at):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
            at = _skip_space(text, at + 1)
    after = _skip_space(text, end)
    if after != len(text):
        raise json.JSONDecodeError("Extra data", text, after)
