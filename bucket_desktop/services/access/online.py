"""Whether a paid customer is online yet, and how a desk words a payment's access."""

from __future__ import annotations

from datetime import datetime, tzinfo

from bucket_desktop.i18n import N_, _
from bucket_desktop.i18n.formatting import format_day, format_time
from bucket_desktop.services.access.models import Access
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_rows import PaymentRow

ACCESS_STATE_WORDS = {
    "issued": N_("Not yet delivered"),
    "delivered": N_("Delivered"),
    "failed": N_("Delivery failed"),
    "revoked": N_("Revoked"),
}


def paid_not_online(row: PaymentRow) -> bool:
    """A paid sale whose customer may not be online: the "Paid, not online" filter.

    Precisely (DESIGN.md section 13, "Delivery"), a paid sale (not the owner's test) where
    - an access exists and is still `issued` or `failed`: the relay leaves an access there only
      while a network mechanism (RADIUS, MikroTik) has not yet put it on the router; or
    - M-PESA confirmed it and there is no access at all (never expected: a person must look); or
    - confirming it needs a person (`confirmation_problem`), so no access will come by itself.
    A payment still being confirmed, normally, is not counted: its code comes in seconds.
    Payments paid before the relay gave access (`not_needed` without an access) are not counted
    either: they were handled by hand then. Disputed payments are never "paid".
    """
    if row.status is not PaymentStatus.PAID or row.is_test:
        return False
    if row.access is not None:
        return row.access.state in ("issued", "failed")
    return row.confirmation == "confirmed" or bool(row.confirmation_problem)


def access_state_word(access: Access) -> str:
    """The access's state in a word or two."""
    return _(ACCESS_STATE_WORDS.get(access.state, access.state))


def expiry_text(access: Access, tz: tzinfo | None, now: float) -> str:
    """Until when the access works: "until 14:35", "until 3 Dec 09:10", or the voucher rule."""
    if access.expires_at is None:
        if access.voucher:
            return _("starts at first login")
        return _("no time limit (sold without a plan)")
    moment = datetime.fromtimestamp(access.expires_at, tz)
    today = datetime.fromtimestamp(now, tz).date()
    if moment.date() == today:
        return _("until {time}").format(time=format_time(moment))
    return _("until {day} {time}").format(day=format_day(moment), time=format_time(moment))


def access_cell(row: PaymentRow, tz: tzinfo | None, now: float) -> str:
    """The Payments table's Access cell: code, plan, expiry and state."""
    access = row.access
    if access is None:
        if row.status is PaymentStatus.PAID and row.confirmation == "pending":
            return _("Confirming…")
        return ""
    # Code and state first: they matter most, and a narrow column cuts the end of the text.
    parts = [access.code, access_state_word(access)]
    if row.plan_name:
        parts.append(row.plan_name)
    if access.state != "revoked":
        parts.append(expiry_text(access, tz, now))
    return " · ".join(parts)


def dispute_advice(row: PaymentRow) -> str:
    """What happened to a disputed payment and what to do, for the red box (never the code)."""
    text = _(
        "The money may not have arrived. Ask for the customer's M-PESA SMS and "
        "compare its receipt with your M-PESA statement or app. If they differ or "
        "you are unsure, tell the owner or call Safaricom on 100."
    )
    access = row.access
    if access is None:
        return text
    if access.voucher:
        return _(
            "{text} The voucher {code} was handed out: disable it in Mikhmon or User Manager."
        ).format(text=text, code=access.code)
    return _("{text} Its access code was cancelled.").format(text=text)
