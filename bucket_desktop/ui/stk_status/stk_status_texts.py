"""Sentences of the STK status page: a prompt's details line and the Resend question."""

from __future__ import annotations

from datetime import datetime

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_rows import PaymentRow, format_phone, status_sentence

SETTLED_PHRASES = {
    "callback": N_("confirmed by the M-PESA callback"),
    "query": N_("confirmed by an M-PESA status check"),
}


def details_text(row: PaymentRow) -> str:
    """When it was sent, its reference, how it was settled, and its checkout ID."""
    sent = datetime.fromtimestamp(row.created).strftime("%H:%M:%S")
    parts = [
        _("Sent at {sent}").format(sent=sent),
        _("reference {reference}").format(reference=row.account_reference),
    ]
    if row.status is PaymentStatus.DISPUTED and row.receipt:
        parts.append(_("receipt given by the callback {receipt}").format(receipt=row.receipt))
    if row.resolved_by and row.status is not PaymentStatus.DISPUTED:
        phrase = SETTLED_PHRASES.get(row.resolved_by)
        parts.append(_(phrase) if phrase else _("settled by {way}").format(way=row.resolved_by))
    checkout = _("Checkout ID {checkout_id}").format(checkout_id=row.checkout_request_id)
    return " · ".join(parts) + "\n" + checkout


def resend_question(row: PaymentRow) -> str:
    """Asked before a second prompt goes to the same phone."""
    phone = format_phone(row.phone_number)
    if row.is_pending:
        return _(
            "The earlier prompt to {phone} may still be open. Resend only if the "
            "customer says it did not arrive. Send a new prompt for KES {amount:,}?"
        ).format(phone=phone, amount=row.amount)
    return _(
        "The earlier prompt to {phone} did not succeed ({what}) Send "
        "a new prompt for KES {amount:,}?"
    ).format(phone=phone, what=status_sentence(row), amount=row.amount)
