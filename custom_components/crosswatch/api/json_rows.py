"""A JSON list decoded one element at a time (alone, or as a member of an object).

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
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

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
    yield from _items(text, at, partial(_nothing_after, text))


def json_with_list(text: str, key: str) -> Any:
    """``json.loads(text)``, except that its list comes as ``json_list_items`` gives one.

    The list is ``text`` itself, or a top-level object's member ``key``: that object is returned
    with the list's iterator as ``key``, and the members after ``key`` join it once the iterator
    has ended (an import file's rows come first, the rest of the file when they are read).
    """
    at = _skip_space(text, 0)
    if text.startswith("[", at):
        return json_list_items(text)
    if not text.startswith("{", at):
        return json.loads(text)
    members: dict[str, Any] = {}
    first = _first_member(text, at)
    if first is not None:
        _members(text, first, members, key)
    return members


type RowConvert = Callable[[str, Any], Any]


def loads_by_rows(text: str, convert: RowConvert | None = None) -> Any:
    """``json.loads(text)``; a top-level list and a top-level object's lists element by element.

    Other values are decoded whole. Run from the executor, Home Assistant's loop gets the
    interpreter between elements: one ``json.loads`` of a service's multi-megabyte answer (SIMKL's
    whole library) holds it for tens of milliseconds here, wherever it runs.

    ``convert(name, element)`` turns each element of a top-level object's list ``name`` (``""``
    for a top-level list) as it is decoded (``None``: leave it out), so the raw elements never
    exist all at once.
    """
    at = _skip_space(text, 0)
    if text.startswith("[", at):
        elements = json_list_items(text)
        return list(elements) if convert is None else _converted(convert, "", elements)
    if not text.startswith("{", at):
        return json.loads(text)
    members: dict[str, Any] = {}
    next_at = _first_member(text, at)
    ends: list[int] = []
    while next_at is not None:
        name, at = _member_name(text, next_at)
        if text.startswith("[", at):
            elements = _items(text, at, ends.append)
            members[name] = (
                list(elements) if convert is None else _converted(convert, name, elements)
            )
            at = ends.pop()
        else:
            members[name], at = _DECODER.raw_decode(text, at)
        next_at = _next_member(text, at)
    return members


def _converted(convert: RowConvert, name: str, elements: Iterator[Any]) -> list[Any]:
    converted = (convert(name, element) for element in elements)
    return [row for row in converted if row is not None]


def _items(text: str, at: int, after: Callable[[int], None]) -> Iterator[Any]:
    """The elements of the list whose ``[`` is at ``at``; then ``after(position past its ]``)."""
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
    after(end)


def _members(text: str, at: int | None, members: dict[str, Any], key: str | None) -> None:
    """An object's members, from the name at ``at`` to the object's end, into ``members``.

    A list at ``key`` goes in as an iterator (``_items``) that reads the rest once it has ended.
    """
    while at is not None:
        name, at = _member_name(text, at)
        if name == key and text.startswith("[", at):
            members[name] = _items(
                text, at, lambda end: _members(text, _next_member(text, end), members, None)
            )
            return
        members[name], at = _DECODER.raw_decode(text, at)
        at = _next_member(text, at)


def _first_member(text: str, at: int) -> int | None:
    """Past the ``{`` at ``at``: where the first member's name starts, or ``None`` if empty."""
    at = _skip_space(text, at + 1)
    if text.startswith("}", at):
        _nothing_after(text, at + 1)
        return None
    return at


def _member_name(text: str, at: int) -> tuple[str, int]:
    """The member name at ``at``, and where its value starts."""
    if not text.startswith('"', at):
        raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, at)
    name, at = _DECODER.raw_decode(text, at)
    at = _skip_space(text, at)
    if not text.startswith(":", at):
        raise json.JSONDecodeError("Expecting ':' delimiter", text, at)
    return name, _skip_space(text, at + 1)


def _next_member(text: str, at: int) -> int | None:
    """Past a member's value: where the next member's name starts, or ``None`` at the end."""
    at = _skip_space(text, at)
    if text.startswith("}", at):
        _nothing_after(text, at + 1)
        return None
    if not text.startswith(",", at):
        raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
    return _skip_space(text, at + 1)


def _nothing_after(text: str, at: int) -> None:
    """Nothing but space may follow the top-level value that ended before ``at``."""
    after = _skip_space(text, at)
    if after != len(text):
        raise json.JSONDecodeError("Extra data", text, after)
