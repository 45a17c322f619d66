"""The relay's refusals by code, for a person reading another language than the relay's.

The relay answers in English (its records and logs are read by support). In English the app
shows the relay's own sentence, which may carry details (seconds to wait, a field's rule); in
another language it shows the sentence kept here for the code, and the relay's English one
only for a code it does not know.
"""

from __future__ import annotations

from bucket_desktop.i18n import ENGLISH, N_, _, current_language

RELAY_ERROR_TEXTS = {
    "invalid_token": N_("This token is not valid: it is wrong or was revoked."),
    "not_authenticated": N_("The relay does not accept this token: it is wrong or was revoked."),
    "forbidden": N_("This token is not allowed to do that: only the owner's token may."),
    "provider_disabled": N_(
        "M-PESA payments for this hotspot are switched off by the platform administrator: "
        "ask the owner to contact them."
    ),
    "credentials_missing": N_(
        "No M-PESA credentials are on the relay yet: the owner sends them from the app's "
        "Payment settings page with Push to relay."
    ),
    "duplicate_push": N_(
        "A payment prompt was sent to this phone less than a minute ago: wait a minute "
        "before sending another."
    ),
    "too_many_pushes": N_(
        "Too many payment prompts in a minute: wait a minute before sending another."
    ),
    "subscriber_busy": N_(
        "Another M-PESA prompt is open on that phone: wait 1 to 2 minutes and try again."
    ),
    "daraja_unavailable": N_(
        "Safaricom's service is unavailable right now: try again in a few minutes."
    ),
    "daraja_rate_limited": N_("Safaricom is rate limiting this app: wait a minute and try again."),
    "mikrotik_off": N_(
        "MikroTik delivery is not set up for this provider: the owner tests the router and "
        "switches it on from a desk at the shop."
    ),
    "plan_not_found": N_("No such plan for this provider: refresh the plan list."),
    "nothing_to_retry": N_("Nothing is waiting to be delivered for this code."),
    "endpoint_disabled": N_("This endpoint is disabled: enable it first."),
    "in_flight": N_("This delivery is being sent right now: look at the log again in a moment."),
    "body_too_large": N_("The relay refused the request: it is too large."),
}


def relay_sentence(code: str | None, relay_text: str) -> str:
    """What to show for the relay's refusal `code` with its English sentence `relay_text`."""
    if current_language() == ENGLISH or code not in RELAY_ERROR_TEXTS:
        return relay_text
    return _(RELAY_ERROR_TEXTS[code])
