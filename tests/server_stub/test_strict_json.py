"""Strict JSON's shortcuts (issue 21) refuse exactly what the full checks refuse."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server_stub.payments import strict_json
from server_stub.payments.strict_json import MAX_DEPTH, JsonBodyError, parse_strict


def _full_verdict(raw: bytes) -> str | None:
    """The refusal with every check run on every body (what parse_strict did before)."""
    text = raw.decode("utf-8")
    try:
        strict_json._check_depth(text)
        data = json.loads(
            text,
            object_pairs_hook=strict_json._object_without_duplicates,
            parse_constant=strict_json._refuse_constant,
            parse_int=strict_json._bounded_int,
            parse_float=strict_json._bounded_float,
        )
        strict_json._check_strings(data)
    except JsonBodyError as error:
        return error.message
    return None


def _verdict(raw: bytes) -> str | None:
    try:
        parse_strict(raw)
    except JsonBodyError as error:
        return error.message
    return None


# Escapes of every kind, the risky ones (NUL, either surrogate half, any case) included.
_ESCAPES = st.sampled_from(
    [
        "\\u0000",
        "\\ud800",
        "\\uDBFF",
        "\\udc00",
        "\\uDFFF",
        "\\ud83d\\ude00",
        "\\u00e9",
        "\\\\u0000",
    ]
)
_TEXT = st.lists(st.one_of(_ESCAPES, st.text(alphabet="ab\u00e9 ", max_size=4)), max_size=4).map(
    "".join
)


def _json_value() -> st.SearchStrategy[str]:
    leaves = st.one_of(_TEXT.map(lambda t: f'"{t}"'), st.integers().map(str), st.just("null"))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(lambda items: "[" + ",".join(items) + "]"),
            st.lists(st.tuples(_TEXT, inner), max_size=3).map(
                lambda pairs: "{" + ",".join(f'"{k}":{v}' for k, v in pairs) + "}"
            ),
        ),
        max_leaves=12,
    )


@settings(max_examples=300, deadline=None)
@given(_json_value())
def test_shortcuts_refuse_exactly_what_the_full_checks_refuse(body: str) -> None:
    raw = body.encode("utf-8")
    assert _verdict(raw) == _full_verdict(raw)


@pytest.mark.parametrize(
    "body",
    [
        b'{"k": "\\uDFFF"}',
        b'{"\\uDBFF": 1}',
        b'{"a": ["\\u0000"]}',
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"long": "' + b"x" * (strict_json.MAX_STRING_CHARS + 1) + b'"}',
    ],
)
def test_each_refusal_a_shortcut_could_skip_still_happens(body: bytes) -> None:
    with pytest.raises(JsonBodyError):
        parse_strict(body)


def test_brackets_inside_strings_do_not_count_as_depth() -> None:
    body: dict[str, Any] = {"text": "[" * (MAX_DEPTH + 5)}
    assert parse_strict(json.dumps(body).encode()) == body
