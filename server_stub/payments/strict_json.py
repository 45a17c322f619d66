"""Strict JSON for untrusted bodies: UTF-8 only, no duplicate keys, no NaN, bounded sizes.

Python's `json` accepts duplicate keys (last wins), NaN/Infinity and arbitrarily deep nesting;
each of those has been used to smuggle a different meaning past a validator (issue 5's table).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 24
MAX_STRING_CHARS = 4096
# Only the characters that open or close strings and containers matter for depth.
_STRUCTURAL = re.compile(r'["\\\[\]{}]')
_SURROGATE = re.compile("[\ud800-\udfff]")
# Escapes that can make a NUL or a lone surrogate: without one, decoded text holds neither (the
# UTF-8 decoder refuses encoded surrogates; json refuses raw control characters in strings).
_RISKY_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


class JsonBodyError(ValueError):
    """A body that is not acceptable JSON; the message says why in one sentence."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def parse_strict(raw: bytes) -> Any:
    """Decode and parse `raw` strictly; JsonBodyError explains any refusal."""
    if not raw.strip():
        raise JsonBodyError("The request body is empty: send a JSON object.")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise JsonBodyError("The body starts with a byte order mark: send plain UTF-8 JSON.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonBodyError("The body is not valid UTF-8 text.") from None
    # Deeper than MAX_DEPTH needs more than MAX_DEPTH opening brackets: count them in C first
    # and walk the structure only when there are that many (issue 21: the walk was a fifth of
    # a callback's parse).
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
        _check_depth(text)
    try:
        data = _DECODER.decode(text)
    except JsonBodyError:
        raise
    except (ValueError, RecursionError):
        raise JsonBodyError("The body is not valid JSON.") from None
    # Every string is shorter than the text, and NULs and lone surrogates come only from
    # escapes: without a long text or such an escape, no string can fail the walk below.
    if len(text) > MAX_STRING_CHARS or _RISKY_ESCAPE.search(text):
        _check_strings(data)
    return data


def parse_strict_object(raw: bytes) -> dict[str, Any]:
    """Like `parse_strict`, but the top level must be an object."""
    data = parse_strict(raw)
    if not isinstance(data, dict):
        raise JsonBodyError("The body must be a JSON object ({...}).")
    return data


def _check_depth(text: str) -> None:
    # Count brackets outside strings before parsing, so deep nesting never reaches the parser.
    # One pass over the structural characters: a regex that matches whole strings backtracks
    # quadratically on unterminated escapes ('"' + '\\"' * 32767 took 25 s, issue 11).
    depth = 0
    in_string = False
    escaped_at = -1
    for match in _STRUCTURAL.finditer(text):
        position = match.start()
        if position == escaped_at:
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                escaped_at = position + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise JsonBodyError(f"The JSON is nested more than {MAX_DEPTH} levels deep.")
        elif char in "]}":
            depth -= 1


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonBodyError(
                f"The key {_shown(key)} appears twice in one object.", _field_name(key)
            )
        result[key] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise JsonBodyError(f"{name} is not a JSON number: send a real number.")


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonBodyError(f"A number has more than {MAX_NUMBER_CHARS} digits.")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonBodyError(f"A number has more than {MAX_NUMBER_CHARS} characters.")
    value = float(text)
    if not math.isfinite(value):
        raise JsonBodyError("A number is too large to be represented.")
    return value


# Made once: json.loads with hooks builds a new decoder and scanner for every call, which took
# as long as parsing a callback body with them (issue 21).
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object_without_duplicates,
    parse_constant=_refuse_constant,
    parse_int=_bounded_int,
    parse_float=_bounded_float,
)


def _check_strings(data: Any) -> None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                _check_text(key, _field_name(key))
                if isinstance(value, str):  # a text value is refused naming its field
                    _check_text(value, _field_name(key))
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            _check_text(item, None)


def _check_text(text: str, field: str | None) -> None:
    if len(text) > MAX_STRING_CHARS:
        raise JsonBodyError(f"A text value is longer than {MAX_STRING_CHARS} characters.", field)
    if "\x00" in text:
        raise JsonBodyError("Text values must not contain NUL characters.", field)
    if _SURROGATE.search(text):
        raise JsonBodyError("A text value contains an unpaired surrogate (invalid Unicode).", field)


def _shown(key: str) -> str:
    return repr(key[:40])


def _field_name(key: str) -> str | None:
    # The key is echoed back as the error's field: only a short, clean one is worth naming
    # (a lone surrogate cannot even be encoded into the answer).
    if len(key) > 64 or not key.isprintable() or _SURROGATE.search(key):
        return None
    return key
