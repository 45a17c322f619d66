"""Refusing query parameters a route does not know, so a typo never silently changes the answer.

`?afer=120` would otherwise read the feed from the start: a client would see old payments again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request

from server_stub.errors import RelayError

MAX_SHOWN = 40


def only_query(*names: str) -> Callable[[Request], Awaitable[None]]:
    """A dependency answering 400 for any query parameter other than `names`, or a repeat."""
    known = frozenset(names)
    listed = ", ".join(names) if names else "none"

    async def check(request: Request) -> None:
        seen: set[str] = set()
        for name, _ in request.query_params.multi_items():
            shown = name[:MAX_SHOWN].encode("unicode_escape").decode("ascii")
            if name not in known:
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

    return check
