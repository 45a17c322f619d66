"""Abuse limits: failed token checks per client address, STK initiations per provider.

Each limit is a `SlidingWindow` per key, in memory; when several relay instances share the
database (PostgreSQL) the events are kept there instead, so a guesser or a flood of prompts
spread by a load balancer meets one limit, not one per instance. The client address honours
`X-Forwarded-For` only from TRUSTED_PROXIES (`server_stub.payments.callbacks.client_address`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from fastapi import FastAPI, Request

from server_stub.api.state import relay_of
from server_stub.errors import RelayError
from server_stub.operations.settings import DEFAULT_PUSHES_PER_MINUTE
from server_stub.payments.callbacks import client_address
from server_stub.security.sliding_window import WINDOW_S, SlidingWindow

FAILED_TOKENS_PER_MINUTE = 10


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The relay's limits, one set per app."""

    failed_tokens: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(FAILED_TOKENS_PER_MINUTE)
    )
    stk_pushes: SlidingWindow = field(
        default_factory=lambda: SlidingWindow(DEFAULT_PUSHES_PER_MINUTE)
    )


def install_rate_limits(app: FastAPI, pushes_per_minute: int = DEFAULT_PUSHES_PER_MINUTE) -> None:
    """Give the app fresh limits, with this default STK push budget per provider."""
    app.state.limits = RateLimits(stk_pushes=SlidingWindow(pushes_per_minute))


def caller_address(request: Request) -> str:
    """The client's address, trusting X-Forwarded-For only from TRUSTED_PROXIES."""
    peer = request.client.host if request.client else ""
    trusted = relay_of(request).settings.trusted_proxies
    return client_address(peer, request.headers.get("x-forwarded-for"), trusted)


async def refuse_if_locked_out(request: Request) -> None:
    """429 when this address failed too many token checks in the last minute (for a failure)."""
    window = _limits(request).failed_tokens
    wait = await _wait(request, "failed_tokens", window, caller_address(request), window.limit)
    if wait > 0:
        raise RelayError(
            "Too many wrong tokens from your address: wait "
            f"{math.ceil(wait)} seconds before trying again.",
            code="too_many_attempts",
            status=429,
            retry_after_s=wait,
        )


async def note_failed_token(request: Request) -> None:
    """Count a failed token check against the caller's address."""
    await _record(request, "failed_tokens", _limits(request).failed_tokens, caller_address(request))


async def charge_stk_push(request: Request, provider_id: int) -> None:
    """Count one STK initiation for the provider; 429 once it is over its budget.

    The budget is the provider's own (`bucket-relay set-push-limit`), read at each push so a
    change applies at once, or RELAY_PUSHES_PER_MINUTE.
    """
    window = _limits(request).stk_pushes
    limit = await relay_of(request).store.push_limit(provider_id) or window.limit
    key = str(provider_id)
    wait = await _wait(request, "stk_pushes", window, key, limit)
    if wait > 0:
        raise RelayError(
            f"More than {limit} payment prompts in a minute: wait {math.ceil(wait)} "
            "seconds before sending another.",
            code="too_many_pushes",
            status=429,
            retry_after_s=wait,
        )
    await _record(request, "stk_pushes", window, key)


async def _wait(request: Request, kind: str, window: SlidingWindow, key: str, limit: int) -> float:
    store = relay_of(request).store
    if store.shared:
        return await store.limit_wait(kind, key, limit, WINDOW_S, time.time())
    return window.wait_s(key, limit)


async def _record(request: Request, kind: str, window: SlidingWindow, key: str) -> None:
    store = relay_of(request).store
    if store.shared:
        await store.limit_record(kind, key, WINDOW_S, time.time())
    else:
        window.record(key)


def _limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.limits
    return limits
