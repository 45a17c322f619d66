"""Sentences of the relay panel: what Verify and a test prompt proved, the first-key question."""

from __future__ import annotations

from datetime import datetime

from bucket_desktop.i18n import N_, _
from bucket_desktop.i18n.formatting import format_date, format_time
from bucket_desktop.services.relay_models import CredentialsSummary

# The relay's public address is the operator's to set; the owner can only ask for it.
ASK_FOR_PUBLIC_ADDRESS = N_(
    "Ask your relay operator to give the relay a public HTTPS address that leads to it."
)


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
