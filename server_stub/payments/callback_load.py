"""Confirming queries give way to callbacks while callbacks saturate the relay (issue 15).

Safaricom waits on every callback's answer and gives up after a few seconds; a confirmation may
come seconds later without harm. On one core an STK query costs the relay several callbacks'
worth of CPU, so during a flood of callbacks the confirmations would take the callbacks' time
(and Daraja's rate limits would refuse a query rate to match anyway).

`CallbackLoad` measures the share of recent time during which at least one callback was being
handled (an exponential average over about `WINDOW_S`). While that share is above `SATURATED`,
`ConfirmationPacer` lets confirming queries through one every `BUSY_GAP_S`; otherwise at once.
At a hotspot's rates (a few callbacks a minute, or a hundred a second on a busy platform, each
handled in about a millisecond) the share stays far below it and nothing waits. The pace never
stops: a flood delays confirmations, it does not starve them, and the backlog drains at full
speed once the flood ends. Real time (time.monotonic), not the relay's clock: this shares CPU.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

WINDOW_S = 0.25
SATURATED = 0.5
BUSY_GAP_S = 0.05
POLL_S = 0.05


class CallbackLoad:
    """The recent share of time with a callback in hand."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, window_s: float = WINDOW_S
    ) -> None:
        self._clock = clock
        self._window_s = window_s
        self._in_flight = 0
        self._share = 0.0
        self._since = clock()

    def started(self) -> None:
        """A callback is being handled."""
        if self._in_flight == 0:
            self._settle(busy=False)
        self._in_flight += 1

    def finished(self) -> None:
        """A callback was answered (or refused)."""
        self._in_flight -= 1
        if self._in_flight == 0:
            self._settle(busy=True)

    def share(self) -> float:
        """The recent share of time with at least one callback in hand (0 to 1)."""
        return self._decayed(self._in_flight > 0, self._clock())

    def saturated(self) -> bool:
        """Whether callbacks keep the relay busy now."""
        return self.share() > SATURATED

    def _settle(self, *, busy: bool) -> None:
        # Called when the in-hand state flips: the interval just ended had state `busy`.
        now = self._clock()
        self._share = self._decayed(busy, now)
        self._since = now

    def _decayed(self, busy: bool, now: float) -> float:
        kept = math.exp(-max(0.0, now - self._since) / self._window_s)
        return self._share * kept + (1.0 - kept) * (1.0 if busy else 0.0)


class ConfirmationPacer:
    """Lets confirming queries through: at once, or one a gap while callbacks saturate."""

    def __init__(
        self,
        load: CallbackLoad,
        clock: Callable[[], float] = time.monotonic,
        gap_s: float = BUSY_GAP_S,
        poll_s: float = POLL_S,
    ) -> None:
        self._load = load
        self._clock = clock
        self._gap_s = gap_s
        self._poll_s = poll_s
        self._next_slot = float("-inf")
        self.waited = 0  # confirmations that waited for a slot (tests read it)
        # One waiter looks at the clock at a time; the others queue behind it, asleep.
        self._turns = asyncio.Lock()

    async def turn(self) -> None:
        """Return when this confirming query may go."""
        async with self._turns:
            waited = False
            while self._load.saturated():
                now = self._clock()
                if now >= self._next_slot:
                    self._next_slot = now + self._gap_s
                    break
                waited = True
                await asyncio.sleep(min(self._next_slot - now, self._poll_s))
            self.waited += waited
