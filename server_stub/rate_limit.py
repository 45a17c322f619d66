"""Abuse limits: failed token checks per client address, STK initiations per provider.

Each limit is a sliding window of event times per key, kept in memory (one relay process; a
restart forgets them, which only ever loosens a limit for a minute). The client address honours
`X-Forwarded-For` only from TRUSTED_PROXIES (`server_stub.callbacks.client_address`).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI, Request

from server_stub.api.state import relay_of
from server_stub.callbacks import client_address
from server_stub.errors import RelayError

FAILED_TOKENS_PER_MINUTE = 10
STK_PUSHES_PER_MINUTE = 30
WINDOW_S = 60.0
MAX_KEYS = 50_000


class SlidingWindow:
    """At most `limit` events per key in any `window_s` seconds."""

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

    def wait_s(self, key: str) -> float:
        """Seconds until `key` may act again; 0 when it is under the limit now."""
        events = self._recent(key)
        if len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window_s - self._clock())

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


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The relay's limits, one set per app."""

    failed_tokens: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(FAILED_TOKENS_PER_MINUTE)
    )
    stk_pushes: SlidingWindow = field(default_factory=lambda: SlidingWindow(STK_PUSHES_PER_MINUTE))


def install_rate_limits(app: FastAPI, limits: RateLimits | None = None) -> None:
    """Give the app its limits (fresh ones unless given)."""
    app.state.limits = limits or RateLimits()


def caller_address(request: Request) -> str:
    """The client's address, trusting X-Forwarded-For only from TRUSTED_PROXIES."""
    peer = request.client.host if request.client else ""
    trusted = relay_of(request).settings.trusted_proxies
    return client_address(peer, request.headers.get("x-forwarded-for"), trusted)


def refuse_if_locked_out(request: Request) -> None:
    """429 when this address failed too many token checks in the last minute (for a failure)."""
    wait = _limits(request).failed_tokens.wait_s(caller_address(request))
    if wait > 0:
        raise RelayError(
            "Too many wrong tokens from your address: wait "
            f"{math.ceil(wait)} seconds before trying again.",
            code="too_many_attempts",
            status=429,
        )


def note_failed_token(request: Request) -> None:
    """Count a failed token check against the caller's address."""
    _limits(request).failed_tokens.record(caller_address(request))


def charge_stk_push(request: Request, provider_id: int) -> None:
    """Count one STK initiation for the provider; 429 once it is over its budget."""
    window = _limits(request).stk_pushes
    key = str(provider_id)
    wait = window.wait_s(key)
    if wait > 0:
        raise RelayError(
            f"More than {window.limit} payment prompts in a minute: wait {math.ceil(wait)} "
            "seconds before sending another.",
            code="too_many_pushes",
            status=429,
        )
    window.record(key)


def _limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.limits
    return limits
