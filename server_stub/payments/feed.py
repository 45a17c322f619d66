"""Wakes long-polling feed readers when their provider's payments change (no polling loops)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable, Iterator

from server_stub.errors import RelayError


class FeedNotifier:
    """One event per provider, replaced each time it fires."""

    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}
        # Tells other relay instances on the same database (PostgreSQL) of this one's changes.
        self.publish: Callable[[int], None] | None = None
        # With other instances, a reader also looks again this often (a hint may be lost).
        self.recheck_s: float | None = None

    def current(self, provider_id: int) -> asyncio.Event:
        """The event the next change of this provider will set; take it before reading."""
        event = self._events.get(provider_id)
        if event is None:
            event = self._events[provider_id] = asyncio.Event()
        return event

    def notify(self, provider_id: int) -> None:
        """A change was committed: wake every reader of this provider, on every instance."""
        self.wake(provider_id)
        if self.publish is not None:
            self.publish(provider_id)

    def wake(self, provider_id: int) -> None:
        """Wake this instance's readers of the provider (another instance's change)."""
        event = self._events.pop(provider_id, None)
        if event is not None:
            event.set()


class WaiterLimit:
    """At most `per_token` long-polls held open at once by one token.

    A desk holds one; a stolen or buggy token must not hold thousands of requests open. A wait
    whose client went away stays counted until it times out (30 s at most), so the limit leaves
    room for a desk that reconnects after a network blip.
    """

    def __init__(self, per_token: int) -> None:
        self.per_token = per_token
        self._open: Counter[str] = Counter()
        # All waits open now, an int so the metrics thread can read it at any time.
        self.total = 0

    def held(self, token_key: str) -> int:
        """How many waits this token holds open now."""
        return self._open[token_key]

    def check(self, token_key: str) -> None:
        """429 when the token already holds its share of open waits."""
        if self._open[token_key] >= self.per_token:
            raise RelayError(
                f"This token already has {self.per_token} live payment views waiting: close "
                "one, or give each desk its own token.",
                code="too_many_waits",
                status=429,
                retry_after_s=5,
            )

    @contextlib.contextmanager
    def holding(self, token_key: str) -> Iterator[None]:
        """Count one open wait for the token while inside; 429 when it already holds its share."""
        self.check(token_key)
        with self.counted(token_key):
            yield

    @contextlib.contextmanager
    def counted(self, token_key: str) -> Iterator[None]:
        """Count one open wait without checking (the caller checked before answering)."""
        self._open[token_key] += 1
        self.total += 1
        try:
            yield
        finally:
            self.total -= 1
            self._open[token_key] -= 1
            if self._open[token_key] <= 0:
                del self._open[token_key]
