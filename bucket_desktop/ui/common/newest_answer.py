"""Only the newest of a view's overlapping fetches is shown."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


class NewestAnswer:
    """Numbers one view's fetches so that only the newest one's answer (or error) is shown.

    Fetches overlap: a page is opened while Check again is pressed, a second plans change
    arrives while the first fetch is still out. On a busy PC or a slow link the older request
    can answer last, and what it brings (the plans before a price change, the relay's state
    before a push) must not replace what the newer one showed.
    """

    __slots__ = ("_latest",)

    def __init__(self) -> None:
        self._latest = 0

    def ask(self) -> int:
        """Number a fetch that is about to start; any fetch still out is now stale."""
        self._latest += 1
        return self._latest

    def drop_pending(self) -> None:
        """Make every fetch still out stale: after a sign-out none of their answers is shown."""
        self._latest += 1

    def is_newest(self, number: int) -> bool:
        """True when no fetch started after the one numbered `number`."""
        return number == self._latest

    async def take(self, fetch: Awaitable[T]) -> T | None:
        """Await `fetch` as the newest fetch: its answer, or None when a newer fetch started or
        `drop_pending` was called meanwhile. Its error is raised only while it is the newest:
        the error of a stale fetch is not shown either."""
        number = self.ask()
        try:
            answer = await fetch
        except Exception:
            if self.is_newest(number):
                raise
            return None
        return answer if self.is_newest(number) else None
