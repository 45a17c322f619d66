"""The feed's query string, parsed by hand: the hottest route skips FastAPI's parameter machinery.

Measured on the benchmark machine, FastAPI's dependency and parameter solving cost about as much
as the feed's own work. The parameters stay in the OpenAPI document (`FEED_PARAMETERS`), and the
schemathesis test holds this parser and that document to each other.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import QueryParams

from server_stub.api.query_guard import check_query_names
from server_stub.errors import RelayError

MAX_WAIT_S = 30.0
MAX_CURSOR = 2**62
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
_INTEGER = re.compile(r"[0-9]{1,19}")
_NUMBER = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?([eE][-+]?[0-9]{1,3})?")

FEED_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "after",
        "in": "query",
        "required": False,
        "description": "Last cursor seen",
        "schema": {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR, "default": 0},
    },
    {
        "name": "wait",
        "in": "query",
        "required": False,
        "description": "Seconds to wait for a change when there is none yet",
        "schema": {"type": "number", "minimum": 0, "maximum": MAX_WAIT_S, "default": 0},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Most items in one answer",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
]


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """A checked feed request."""

    after: int = 0
    wait: float = 0.0
    limit: int = DEFAULT_LIMIT


def check_feed_names(params: QueryParams) -> None:
    """400 for a query parameter the feed does not take, or one given twice."""
    check_query_names(params, ("after", "wait", "limit"))


def parse_feed_query(params: QueryParams) -> FeedQuery:
    """The feed's parameters; RelayError 400 naming the first bad one."""
    after = _integer(params.get("after"), "after", 0, MAX_CURSOR, 0)
    limit = _integer(params.get("limit"), "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
    raw_wait = params.get("wait")
    wait = 0.0
    if raw_wait is not None:
        value = float(raw_wait) if _NUMBER.fullmatch(raw_wait) else math.nan
        if not 0 <= value <= MAX_WAIT_S:
            raise _bad("wait", f"a number of seconds from 0 to {MAX_WAIT_S:g}")
        wait = value
    return FeedQuery(after, wait, limit)


def _integer(raw: str | None, name: str, low: int, high: int, default: int) -> int:
    if raw is None:
        return default
    value = int(raw) if _INTEGER.fullmatch(raw) else -1
    if not low <= value <= high:
        raise _bad(name, f"a whole number from {low} to {high}")
    return value


def _bad(name: str, wanted: str) -> RelayError:
    return RelayError(f"{name} must be {wanted}.", code="invalid", field=name)
