"""A table of hostile request bodies (issue 5) and the check that a refusal is a proper one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.server_stub.inprocess import as_bytes

JSON = "application/json"


@dataclass(frozen=True)
class BadBody:
    """One hostile request body and the content type it is sent with."""

    name: str
    body: bytes
    content_type: str = JSON


def _nest(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def generic_bad_bodies(valid: dict[str, Any], cap: int) -> list[BadBody]:
    """Bodies that are bad whatever the route: framing, encoding and JSON-level tricks."""
    text = as_bytes(valid)
    first_key = next(iter(valid))
    return [
        BadBody("empty body", b""),
        BadBody("whitespace only", b"  \n "),
        BadBody("not JSON", b"hello there"),
        BadBody("truncated JSON", text[:-3]),
        BadBody("JSON array", b"[" + text + b"]"),
        BadBody("JSON number", b"42"),
        BadBody("JSON string", b'"Body"'),
        BadBody("JSON null", b"null"),
        BadBody("wrong content type (text/plain)", text, "text/plain"),
        BadBody("form content type", b"a=1&b=2", "application/x-www-form-urlencoded"),
        BadBody("no content type", text, ""),
        BadBody("over the size cap", b'{"x": "' + b"a" * cap + b'"}'),
        BadBody("NaN", text[:-1] + b',"n": NaN}'),
        BadBody("Infinity", text[:-1] + b',"n": Infinity}'),
        BadBody("-Infinity", text[:-1] + b',"n": -Infinity}'),
        BadBody("5,000-digit number", text[:-1] + b',"n": ' + b"9" * 5000 + b"}"),
        BadBody("1e309", text[:-1] + b',"n": 1e309}'),
        BadBody("100,000-deep nesting", text[:-1] + b',"n": ' + _nest(100_000) + b"}"),
        BadBody("invalid UTF-8", text[:-1] + b',"n": "\xff\xfe\xc3"}'),
        BadBody("byte order mark", b"\xef\xbb\xbf" + text),
        BadBody("lone surrogate escape", text[:-1] + b',"n": "\\ud800"}'),
        BadBody("lone surrogate in a key", text[:-1] + b',"\\udfff": 1}'),
        BadBody("NUL escape", text[:-1] + b',"n": "a\\u0000b"}'),
        BadBody("raw NUL byte", text[:-1] + b',"n": "a\x00b"}'),
        BadBody("very long string", text[:-1] + b',"n": "' + b"x" * 60_000 + b'"}'),
        BadBody(
            "duplicate top-level key",
            b"{" + json.dumps(first_key).encode() + b": 1, " + text[1:],
        ),
    ]


def refusal_problems(case: str, response: httpx.Response) -> list[str]:
    """What is wrong with a response to a bad body (empty when it is a proper refusal)."""
    problems = []
    if not 400 <= response.status_code < 500:
        problems.append(f"{case}: status {response.status_code}")
    if "Traceback" in response.text or 'File "' in response.text:
        problems.append(f"{case}: traceback in the answer")
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"{case}: answer is not JSON: {response.text[:80]!r}"]
    error = body.get("error") if isinstance(body, dict) else None
    if body.get("success") is not False or not isinstance(error, dict):
        problems.append(f"{case}: not the error shape: {body!r:.120}")
    elif not (isinstance(error.get("code"), str) and isinstance(error.get("message"), str)):
        problems.append(f"{case}: error without code and message: {error!r:.120}")
    elif len(error["message"]) > 300 or not error["message"].strip():
        problems.append(f"{case}: message not a readable sentence: {error['message'][:80]!r}")
    return problems


async def post(client: httpx.AsyncClient, path: str, case: BadBody, method: str = "POST") -> Any:
    headers = {"Content-Type": case.content_type} if case.content_type else {}
    return await client.request(method, path, content=case.body, headers=headers)
