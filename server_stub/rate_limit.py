"""Abuse limits: failed token checks per client address, STK initiations per provider.

Each limit is a `SlidingWindow` per key. The client address honours `X-Forwarded-For` only from
TRUSTED_PROXIES (`server_stub.callbacks.client_address`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from fastapi import FastAPI, Request

from server_stub.api.state import relay_of
from server_stub.callbacks import client_address
from server_stub.errors import RelayError
from server_stub.settings import DEFAULT_PUSHES_PER_MINUTE
from server_stub.sliding_window import SlidingWindow

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


def refuse_if_locked_out(request: Request) -> None:
    """429 when this address failed too many token checks in the last minute (for a failure)."""
    wait = _limits(request).failed_tokens.wait_s(caller_address(request))
    if wait > 0:
        raise RelayError(
            "Too many wrong tokens from your address: wait "
            f"{math.ceil(wait)} seconds before trying again.",
            code="too_many_attempts",
            status=429,
            retry_after_s=wait,
        )


def note_failed_token(request: Request) -> None:
    """Count a failed token check against the caller's address."""
    _limits(request).failed_tokens.record(caller_address(request))


async def charge_stk_push(request: Request, provider_id: int) -> None:
    """Count one STK initiation for the provider; 429 once it is over its budget.

    The budget is the provider's own (`bucket-relay set-push-limit`), read at each push so a
    change applies at once, or RELAY_PUSHES_PER_MINUTE.
    """
    window = _limits(request).stk_pushes
    limit = await relay_of(request).store.push_limit(provider_id) or window.limit
    key = str(provider_id)
    wait = window.wait_s(key, limit)
    if wait > 0:
        raise RelayError(
            f"More than {limit} payment prompts in a minute: wait {math.ceil(wait)} "
            "seconds before sending another.",
            code="too_many_pushes",
            status=429,
            retry_after_s=wait,
        )
    window.record(key)


def _limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.limits
    return limits
