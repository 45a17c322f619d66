"""A sliding-window counter: at most `limit` events per key in any `window_s` seconds.

Kept in memory (one relay process; a restart forgets it, which only ever loosens a limit for a
minute), with a bounded number of keys so a flood of distinct addresses cannot grow it.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable

WINDOW_S = 60.0
MAX_KEYS = 50_000


class SlidingWindow:
    """At most `limit` events per key in any `window_s` seconds (a key may have its own)."""

    def __init__(
        self,
        limit: int,
        window_s: float = WINDOW_S,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._max_keys = max_keys
        self._events: OrderedDict[str, deque[float]] = OrderedDict()

    def wait_s(self, key: str, limit: int | None = None) -> float:
        """Seconds until `key` may act again under `limit` (default: the window's); 0 if now."""
        events = self._recent(key)
        if len(events) < (limit or self.limit):
            return 0.0
        # With a lowered limit more events than it allows may be in the window: the key may act
        # again once enough of them have aged out.
        oldest_to_expire = events[len(events) - (limit or self.limit)]
        return max(0.0, oldest_to_expire + self.window_s - self._clock())

    def record(self, key: str) -> None:
        """Count one event for `key` now."""
        events = self._recent(key)
        events.append(self._clock())
        self._events[key] = events
        self._events.move_to_end(key)
        # A flood of distinct addresses must not grow memory without bound: forget the stalest.
        while len(self._events) > self._max_keys:
            self._events.popitem(last=False)

    def _recent(self, key: str) -> deque[float]:
        events = self._events.get(key, deque())
        horizon = self._clock() - self.window_s
        while events and events[0] <= horizon:
            events.popleft()
        return events
