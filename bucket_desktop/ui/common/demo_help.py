"""The demo's help: which simulator phone numbers do what."""

from __future__ import annotations

from bucket_desktop.demo import demo_phone_help, demo_phone_scenarios
from bucket_desktop.i18n import N_, _
from bucket_desktop.services.payment_rows import format_phone

DEMO_INTRO = N_(
    "Demo mode: nothing here touches real money. The relay and a pretend M-PESA run on this PC "
    "and stop when the window closes. Charge these numbers to see each outcome; any other pays."
)


# What each simulator scenario does, as short as the demo card needs (the simulator's own
# summaries are for developers: codes and timings, in English).
OUTCOMES = {
    "paid": N_("paid"),
    "insufficient_funds": N_("insufficient funds"),
    "cancelled": N_("cancelled by the customer"),
    "unreachable": N_("phone unreachable"),
    "expired": N_("prompt expired"),
    "wrong_pin": N_("wrong PIN"),
    "lost_callback": N_("paid, but the callback never comes"),
    "duplicate_callback": N_("paid, callback sent twice"),
    "late_callback": N_("paid, callback comes late"),
    "callback_before_response": N_("paid at once"),
    "query_disagrees": N_("callback says paid, the check says cancelled"),
    "server_error_after_prompt": N_("M-PESA answers an error, but the prompt went out"),
    "spike_arrest": N_("refused: too many prompts at once"),
    "query_processing": N_("paid, the check says “being processed” at first"),
    "query_errors": N_("paid, the first two checks fail"),
}


def demo_phones() -> list[tuple[str, str]]:
    """(phone as a person types it, what happens in short), for the demo card."""
    summaries = dict(demo_phone_help())
    # Written as on the Charge customer page: 0708 374 149.
    return [
        (format_phone(phone), _(OUTCOMES[name]) if name in OUTCOMES else _short(summaries[phone]))
        for phone, name in demo_phone_scenarios()
    ]


def _short(outcome: str) -> str:
    # A scenario added to the simulator without a text here: its summary, cut short.
    for mark in (" (", ";", ":", " with "):
        outcome = outcome.split(mark, 1)[0]
    return outcome
