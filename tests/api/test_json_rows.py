"""A JSON list decoded element by element, exactly as ``json.loads`` decodes it."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.crosswatch.api.json_rows import json_list_items

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
