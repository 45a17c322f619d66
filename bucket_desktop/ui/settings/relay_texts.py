"""Sentences of the relay panel: what Verify and a test prompt proved, the first-key question."""

from __future__ import annotations

from datetime import datetime

from bucket_desktop.i18n import ENGLISH, N_, _, current_language
from bucket_desktop.i18n.formatting import format_date, format_time
from bucket_desktop.services.relay_models import CredentialsSummary

# The relay's public address is the operator's to set; the owner can only ask for it.
ASK_FOR_PUBLIC_ADDRESS = N_(
    "Ask your relay operator to give the relay a public HTTPS address that leads to it."
)

# The relay's setup checks by name and outcome. The relay answers in English (support reads its
# records); a desk in another language says the check in its own words. The relay's sentence
# also names the addresses it checked, which the panel shows elsewhere.
CHECK_TEXTS = {
    ("credentials", True): N_("Daraja accepted the consumer key and secret."),
    ("callback_url", True): N_("The callback address suits Safaricom."),
    ("callback_url", False): N_("The callback address does not suit Safaricom."),
    ("base_url", True): N_("Payment results sent to the relay's public address reach it."),
    ("base_url", False): N_(
        "Payment results sent to the relay's public address would not reach it."
    ),
}
NEEDS_PUBLIC_ADDRESS = {"callback_url", "base_url"}
VERIFY_WARNING = N_(
    "The consumer key and secret work, but Safaricom cannot send payment results back to this "
    "relay yet (see the checks)."
)


def check_text(name: str, ok: bool, relay_text: str) -> str:
    """One of Verify's checks in the desk's language (in English, the relay's own sentence)."""
    if current_language() == ENGLISH and relay_text:
        return relay_text
    known = CHECK_TEXTS.get((name, ok))
    if known is None:
        # A Daraja refusal the desk knows word for word is translated; else the relay's English.
        return _(relay_text) if relay_text else name
    if not ok and name in NEEDS_PUBLIC_ADDRESS:
        return f"{_(known)} {_(ASK_FOR_PUBLIC_ADDRESS)}"
    return _(known)


def verification_message(status: str | None, relay_text: str) -> str:
    """Verify's overall sentence in the desk's language, from the relay's status and sentence."""
    if current_language() == ENGLISH or not relay_text:
        return relay_text
    if status == "warning":
        # The relay adds that a test prompt proves the rest: the checks' last line says so.
        return _(VERIFY_WARNING)
    return _(relay_text)


def first_key_question(relay_url: str, fingerprint: str) -> str:
    """The question at the first Push: compare the key with the one the operator sent."""
    return _(
        "This is the first time this PC sends your M-PESA credentials to "
        "{relay_url}. The relay's key fingerprint is:\n\n        {fingerprint}\n\n"
        "Your relay operator should have sent you a fingerprint with your "
        "tokens. Does it match this one exactly, every letter and digit?\n\n"
        "Press Yes only if it matches. If it differs, or you have none, press No "
        "and ask your relay operator: someone could be pretending to be your "
        "relay."
    ).format(relay_url=relay_url, fingerprint=fingerprint)


def relay_holds_text(summary: CredentialsSummary) -> str:
    """What the relay holds: account, number, environment and when it was pushed."""
    if not summary.configured:
        return _("Nothing yet")
    if summary.account_type == "till":
        account = _("Till {till} (store {shortcode})").format(
            till=summary.till_number or "?", shortcode=summary.shortcode
        )
    else:
        account = _("Paybill {shortcode}").format(shortcode=summary.shortcode)
    environment = _("Production") if summary.environment == "production" else _("Sandbox")
    if summary.pushed_at:
        return _("{account} · {environment} · pushed {time}").format(
            account=account, environment=environment, time=friendly_time(summary.pushed_at)
        )
    return _("{account} · {environment}").format(account=account, environment=environment)


def verification_text(summary: CredentialsSummary) -> str:
    """What Verify proved, and no more: it checks the consumer key and secret only."""
    if not summary.configured:
        return _("No credentials on the relay yet")
    if not summary.verified:
        return _("Not verified yet")
    if summary.prompt_proven_at is None:
        return _("Consumer key and secret accepted")
    return _("Verified: key, secret, shortcode and passkey")


def proven_text(summary: CredentialsSummary) -> str:
    """Whether a test prompt has proven the shortcode and passkey the relay holds."""
    if not summary.configured:
        return "—"
    if summary.prompt_proven_at is None:
        return _("Not yet proven: send a test prompt to your phone")
    return _("Proven by a test prompt on {time}").format(
        time=friendly_time(summary.prompt_proven_at)
    )


def friendly_time(iso: str) -> str:
    """'26 Nov 2026, 14:02' in this PC's time zone, or the text as given if unreadable."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return f"{format_date(moment)}, {format_time(moment)}"


def prompt_line(proven: bool) -> str:
    """The line under Verify's checks about what Verify cannot check."""
    if proven:
        return _("A test prompt proved the shortcode and passkey.")
    return _(
        "The shortcode and passkey are proven only by a test prompt to your phone (Daraja "
        "checks them on a payment prompt and nowhere else): press “Send a test prompt…”."
    )
