"""When a failed webhook is tried again, and when an endpoint is given up on.

Svix's schedule (../shared/ACTIVATION.md section C): after the first attempt, 5 s, 5 min,
30 min, 2 h, 5 h, 10 h and 10 h, about 28 hours in all. An endpoint with no success for 72 hours
is disabled, and at once when it answers 410 Gone (DESIGN.md section 13).
"""

from __future__ import annotations

RETRY_GAPS_S = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
DISABLE_AFTER_S = 72 * 3600.0
TIMEOUT_S = 10.0
GONE = 410


def next_try_at(attempts_made: int, now: float) -> float | None:
    """When to try after `attempts_made` failed attempts; None when the schedule is used up."""
    if attempts_made < 1 or attempts_made > len(RETRY_GAPS_S):
        return None
    return now + RETRY_GAPS_S[attempts_made - 1]


def disable_reason(status_code: int | None, failing_since: float, now: float) -> str | None:
    """Why a failing endpoint is switched off now, or None to keep trying."""
    if status_code == GONE:
        return "The receiver answered 410 Gone, which asks for no more deliveries."
    if now - failing_since >= DISABLE_AFTER_S:
        return "No delivery succeeded for 3 days: check the receiver, then enable it again."
    return None
