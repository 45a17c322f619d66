"""Refusing query parameters a route does not know, so a typo never silently changes the answer.

`?afer=120` would otherwise read the feed from the start: a client would see old payments again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from starlette.datastructures import QueryParams

from server_stub.errors import RelayError

MAX_SHOWN = 40


def only_query(*names: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency answering 400 for any query parameter other than `names`, or a repeat."""

    async def check(request: Request) -> None:
        check_query_names(request.query_params, names)

    return check


def check_query_names(params: QueryParams, names: tuple[str, ...]) -> None:
    """RelayError 400 for a query parameter not in `names`, or one given twice."""
    if not params:
        return
    listed = ", ".join(names) if names else "none"
    seen: set[str] = set()
    for name, _ in params.multi_items():
        shown = name[:MAX_SHOWN].encode("unicode_escape").decode("ascii")
        if name not in names:
            raise RelayError(
                f"Unknown query parameter '{shown}': this address takes {listed}.",
                code="unknown_parameter",
                field=shown,
            )
        if name in seen:
            raise RelayError(
                f"The query parameter '{shown}' is given twice: give it once.",
                code="repeated_parameter",
                field=shown,
            )
        seen.add(name)
