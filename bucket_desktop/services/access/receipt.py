"""What a customer's paper receipt says (Qt-free; the printing lives in `ui/access/`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from bucket_desktop.i18n import _
from bucket_desktop.i18n.formatting import format_amount, format_datetime
from bucket_desktop.services.payment_rows import PaymentRow


@dataclass(frozen=True, slots=True)
class Receipt:
    """The lines of one receipt, top to bottom."""

    provider: str
    plan: str
    amount: str
    code_label: str  # "Access code" or "Voucher"
    code: str
    expiry: str
    mpesa_receipt: str
    time: str
    footer: str


def receipt_for(row: PaymentRow, provider: str, tz: tzinfo | None = None) -> Receipt | None:
    """The receipt of a confirmed sale with an access; None when there is nothing to print."""
    access = row.access
    if access is None or not row.is_sale or not row.is_confirmed or access.state == "revoked":
        return None
    voucher = access.voucher
    if access.expires_at is not None:
        # Paper outlives the day: always the full date.
        expiry = _("Valid until {moment}").format(
            moment=format_datetime(datetime.fromtimestamp(access.expires_at, tz))
        )
    else:
        expiry = _("Valid from your first login") if voucher else _("Valid without expiry")
    return Receipt(
        provider=provider or _("WiFi hotspot"),
        plan=row.plan_name or row.transaction_desc or "WiFi",
        amount=format_amount(row.amount),
        code_label=_("Voucher") if voucher else _("Access code"),
        code=access.code,
        expiry=expiry,
        mpesa_receipt=row.receipt or _("(in the customer's M-PESA SMS)"),
        time=format_datetime(datetime.fromtimestamp(row.created, tz)),
        footer=_("Connect to the WiFi and enter the code when asked."),
    )
