"""When to ask Daraja again to confirm a paid callback (DESIGN.md section 13, "Confirmation").

Callbacks are not signed, so an STK query confirms each one: first `first_s` after it arrived,
then, while Daraja says "being processed" or errs transiently, with doubling gaps from 2 s up to
60 s for 15 minutes, then every 10 minutes up to 24 hours; after that a person must look.
"""

from __future__ import annotations

FAST_PHASE_S = 15 * 60.0
FAST_GAP_MAX_S = 60.0
SLOW_GAP_S = 10 * 60.0
GIVE_UP_S = 24 * 3600.0

GAVE_UP = (
    "M-PESA has not confirmed this payment for 24 hours: check the M-PESA statement before "
    "giving or refusing service."
)


def next_confirm_at(confirm_from: float, attempts_done: int, now: float) -> float | None:
    """When to query again after `attempts_done` answers without a result; None: give up."""
    elapsed = now - confirm_from
    if elapsed >= GIVE_UP_S:
        return None
    if elapsed < FAST_PHASE_S:
        gap = min(2.0 * 2.0 ** max(0, attempts_done - 1), FAST_GAP_MAX_S)
    else:
        gap = SLOW_GAP_S
    return min(now + gap, confirm_from + GIVE_UP_S)


def permanent_problem(reason: str) -> str:
    """The note kept on a payment whose confirmation cannot go on."""
    return (
        f"The payment could not be confirmed with M-PESA ({reason}): check the M-PESA "
        "statement before giving or refusing service."
    )
