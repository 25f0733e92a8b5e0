"""A JSON list (alone or an object's member) decoded element by element, as ``json.loads`` would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.crosswatch.api.json_rows import (
    json_list_items,
    json_with_list,
    loads_by_rows,
)

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(st.lists(_JSON, max_size=8), st.sampled_from([None, 0, 2]), st.sampled_from(["", " \n"]))
def test_rows_decode_one_by_one_as_json_loads_decodes_them(rows, indent, pad) -> None:
    text = pad + json.dumps(rows, indent=indent) + pad
    assert list(json_list_items(text)) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    ['[{"a": 1}, {"b": 2}', '[{"a": 1} {"b": 2}]', '[{"a": 1},\n  {"b": }]', "[1, 2] 3", "[", ""],
)
def test_broken_rows_fail_where_json_loads_fails(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as ours:
        list(json_list_items(text))
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    assert (ours.value.lineno, ours.value.colno) == (theirs.value.lineno, theirs.value.colno)


def test_elements_come_one_at_a_time_and_a_late_break_fails_when_reached() -> None:
    rows = json_list_items('[{"a": 1}, {"b": 2}, {"c": }]')
    assert next(rows) == {"a": 1}
    assert next(rows) == {"b": 2}
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        next(rows)
    with pytest.raises(json.JSONDecodeError, match=r"Expecting '\['"):
        next(json_list_items('{"a": 1}'))


def whole(text: str, key: str = "rows") -> Any:
    """``json_with_list``'s answer whole: its list decoded to the end (the members after an
    object's list join the object then)."""
    body = json_with_list(text, key)
    if isinstance(body, Iterator):
        return list(body)
    if isinstance(body, dict) and isinstance(body.get(key), Iterator):
        body[key] = list(body[key])
    return body


@given(
    st.dictionaries(st.text(), _JSON, max_size=4),
    st.lists(_JSON, max_size=6),
    st.dictionaries(st.text(), _JSON, max_size=4),
    st.sampled_from([None, 0, 2]),
)
def test_an_objects_list_decodes_one_by_one_as_json_loads_decodes_it(
    before, rows, after, indent
) -> None:
    body = {**{k: v for k, v in before.items() if k != "rows"}, "rows": rows}
    body.update({k: v for k, v in after.items() if k != "rows"})
    text = json.dumps(body, indent=indent)
    assert whole(text) == json.loads(text)
    assert isinstance(json_with_list(text, "rows")["rows"], Iterator)
    assert whole(json.dumps(rows)) == rows  # a list alone


@pytest.mark.parametrize(
    "text",
    [
        '{"rows": [1, 2], "more": }',
        '{"rows": [1, 2] "more": 1}',
        '{"rows": [1, 2]} x',
        '{"a" 1, "rows": []}',
        '{"a": 1 "rows": []}',
        '{1: 2, "rows": []}',
        '{"rows": [1 2]}',
        '{"a": 1} x',
        "{} x",
        "[1, 2] 3",
    ],
)
def test_a_broken_object_fails_as_json_loads_fails(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        whole(text)


def test_the_list_comes_first_and_the_rest_of_the_object_after_it() -> None:
    body = json_with_list('{"format": "x", "rows": [{"a": 1}, {"b": }], "version": 1}', "rows")
    assert body["format"] == "x"
    rows = body["rows"]
    assert next(rows) == {"a": 1}
    assert "version" not in body
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        next(rows)
    ended = json_with_list('{"rows": [], "version": 1}', "rows")
    assert list(ended["rows"]) == []
    assert ended["version"] == 1


def test_an_object_without_the_list_is_decoded_whole() -> None:
    text = ' {"movies": [1, 2], "rows": 3} '
    assert json_with_list(text, "rows") == {"movies": [1, 2], "rows": 3}
    assert json_with_list("{ }", "rows") == {}
    assert json_with_list(" 3 ", "rows") == 3


@given(
    st.dictionaries(st.text(), _JSON | st.lists(_JSON, max_size=5), max_size=5)
    | st.lists(_JSON, max_size=6)
    | _JSON,
    st.sampled_from([None, 0, 2]),
)
def test_an_answer_decoded_by_rows_is_what_json_loads_gives(body, indent) -> None:
    text = json.dumps(body, indent=indent)
    assert loads_by_rows(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        '{"shows": [1, 2], "movies": }',
        '{"shows": [1, 2] "movies": []}',
        '{"shows": [1, 2]} x',
        '{"a" 1, "shows": []}',
        "{1: 2}",
        '{"shows": [1 2]}',
        '{"shows": [1, 2], "movies": [{"a": }]}',
        "{} x",
        "[1, 2] 3",
    ],
)
def test_a_broken_answer_fails_where_json_loads_fails(text: str) -> None:
    with pytest.raises(json.JSONDecodeError) as theirs:
        json.loads(text)
    with pytest.raises(json.JSONDecodeError) as ours:
        loads_by_rows(text)
    assert (ours.value.lineno, ours.value.colno) == (theirs.value.lineno, theirs.value.colno)


def test_an_objects_list_elements_are_converted_as_decoded_and_none_left_out() -> None:
    seen: list[tuple[str, object]] = []

    def convert(name: str, element: object) -> object:
        seen.append((name, element))
        return None if element == 2 else (name, element)

    text = '{"shows": [1, 2, {"a": [3]}], "total": 3, "movies": [], "anime": null}'
    assert loads_by_rows(text, convert) == {
        "shows": [("shows", 1), ("shows", {"a": [3]})],
        "total": 3,
        "movies": [],
        "anime": None,
    }
    assert seen == [("shows", 1), ("shows", 2), ("shows", {"a": [3]})]
    seen.clear()
    assert loads_by_rows("[1, 2, 3]", convert) == [("", 1), ("", 3)]  # a top-level list: ""
    assert seen == [("", 1), ("", 2), ("", 3)]
