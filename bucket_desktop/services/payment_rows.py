"""One payment as the counter pages hold it: parsed once, searchable, with its plain sentence."""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from types import MappingProxyType

from bucket_desktop.i18n import _
from bucket_desktop.services.access.models import Access
from bucket_desktop.services.mpesa_rules import PaymentStatus, result_meaning
from bucket_desktop.services.relay_models import PaymentItem


@dataclass(slots=True)
class PaymentRow:
    """A payment's latest known state; mutable so views keep their reference across updates."""

    checkout_request_id: str
    status: PaymentStatus
    phone_number: str
    amount: int
    account_reference: str
    transaction_desc: str
    receipt: str
    result_code: str | None
    result_desc: str | None
    resolved_by: str | None
    created: float  # Unix time
    day: date  # local calendar day of `created`, for date filters and daily totals
    seq: int  # 0 until the relay's feed has delivered this payment
    is_test: bool = False  # the owner's test prompt: shown, never counted as a sale
    sent_by: str = ""  # the name of the desk that sent the push
    plan_name: str = ""
    confirmation: str | None = None  # pending, confirmed, not_needed; None while unpaid
    confirmation_problem: str | None = None
    access: Access | None = None  # the code or voucher a paid sale gives
    # What a search looks in, built on the first search that reads it (`haystack`) rather
    # than for each of a new desk's 100,000 rows; None again whenever the row changes.
    _haystack: str | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def haystack(self) -> str:
        """Lower-case text that a search looks in (see `make_haystack`)."""
        haystack = self._haystack
        if haystack is None:
            haystack = self._haystack = self._make_haystack()
        return haystack

    def prepare_search(self) -> None:
        """Build the search text now, where time is cheaper than at the first search."""
        if self._haystack is None:
            self._haystack = self._make_haystack()

    def _make_haystack(self) -> str:
        access = self.access
        return make_haystack(
            self.phone_number,
            self.receipt,
            self.account_reference,
            self.transaction_desc,
            self.amount,
            self.checkout_request_id,
            access.code if access is not None else "",
        )

    @property
    def is_sale(self) -> bool:
        """A paid sale (what totals count)."""
        return self.status is PaymentStatus.PAID and not self.is_test

    @property
    def is_confirmed(self) -> bool:
        """Paid and confirmed by M-PESA (or settled by a query, which needs no confirming).

        A relay older than confirmation sends none: its paid payments count as confirmed.
        """
        return self.status is PaymentStatus.PAID and self.confirmation != "pending"

    @property
    def is_pending(self) -> bool:
        """Still waiting for the customer or for M-PESA's answer."""
        return self.status is PaymentStatus.PENDING

    def update_from(self, other: PaymentRow) -> None:
        """Take over the newer state of the same payment; its creation time stays as first seen."""
        for name in _MUTABLE_FIELDS:
            setattr(self, name, getattr(other, name))
        self._haystack = None  # the search text follows the new state


_MUTABLE_FIELDS = (
    "status",
    "phone_number",
    "amount",
    "account_reference",
    "transaction_desc",
    "receipt",
    "result_code",
    "result_desc",
    "resolved_by",
    "seq",
    "is_test",
    "sent_by",
    "plan_name",
    "confirmation",
    "confirmation_problem",
    "access",
)


def row_from_item(item: PaymentItem, *, received_at: float, days: LocalDays) -> PaymentRow:
    """Parse a relay payment item; a missing creation time becomes the time it was received."""
    phone = item.phone_number or ""
    receipt = item.mpesa_receipt_number or ""
    # The same few plan texts repeat on every row: one shared copy each saves memory.
    reference = sys.intern(item.account_reference or "")
    desc = sys.intern(item.transaction_desc or "")
    amount = item.amount if item.amount is not None else 0
    parsed = parse_timestamp(item.created_at)
    created = parsed if parsed is not None else received_at
    return PaymentRow(
        checkout_request_id=item.checkout_request_id,
        status=parse_status(item.status),
        phone_number=phone,
        amount=amount,
        account_reference=reference,
        transaction_desc=desc,
        receipt=receipt,
        result_code=_shared(item.result_code),
        result_desc=_shared(item.result_desc),
        resolved_by=_shared(item.resolved_by),
        created=created,
        day=days(created),
        seq=item.seq or 0,
        is_test=item.is_test,
        sent_by=sys.intern(item.sent_by or ""),
        plan_name=item.plan_name,
        confirmation=item.confirmation,
        confirmation_problem=item.confirmation_problem,
        access=item.access,
    )


def _shared(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


def make_haystack(
    phone: str,
    receipt: str,
    reference: str,
    desc: str,
    amount: int,
    checkout_id: str,
    code: str = "",
) -> str:
    """What a search matches: phone (also in 07... form), receipt, reference, text, amount, ID
    and the access code (a customer at the counter quotes it)."""
    local = "0" + phone[3:] if phone.startswith("254") else phone
    parts = (phone, local, receipt, reference, desc, str(amount), checkout_id, code)
    return "\x1f".join(parts).lower()


_STATUSES = MappingProxyType({status.value: status for status in PaymentStatus})
_FAILED = PaymentStatus.FAILED  # read once: a member looked up on its class costs a call
_fromisoformat = datetime.fromisoformat


def parse_status(raw: str) -> PaymentStatus:
    """The relay's status word; an unknown word is treated as failed rather than crashing."""
    return _STATUSES.get(raw, _FAILED)


def parse_timestamp(raw: str | float | None) -> float | None:
    """Unix time from an ISO 8601 text (naive means UTC) or a number of seconds."""
    # The relay's own text first, as plainly as it can be read: 100,000 of them in a catch-up.
    if isinstance(raw, str) and len(raw) >= 11 and raw[4] == "-" and raw[-1] > " ":
        try:
            moment = _fromisoformat(raw)
        except ValueError:
            pass
        else:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
    return _parse_any_timestamp(raw)


def _parse_any_timestamp(raw: str | float | None) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, int | float):
        return float(raw) if math.isfinite(raw) else None
    text = raw.strip()
    if len(text) < 11 or text[4] != "-":  # not the relay's 2026-11-30T...: seconds, or nothing
        try:
            seconds = float(text)
        except ValueError:
            pass
        else:  # "nan" and "inf" are no time: they would break the order and the day
            return seconds if math.isfinite(seconds) else None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


QUARTER_HOUR_S = 900  # `created // QUARTER_HOUR_S` is the key of `LocalDays.by_quarter`


class LocalDays:
    """Calendar days of Unix times in the shop's time zone (None: the PC's own), memoised.

    Every real UTC offset is a whole number of quarter hours, so all instants of one UTC
    quarter hour share their local day: 100,000 payments need only a few thousand lookups.
    """

    def __init__(self, tz: tzinfo | None) -> None:
        self.tz = tz
        # Quarter hour (`created // QUARTER_HOUR_S`, a float or an int: equal numbers are one
        # key) to its day. Readers of 100,000 rows look here first and call only when it is missing:
        # calling an instance costs more than the lookup.
        self.by_quarter: dict[float, date] = {}

    def __call__(self, created: float) -> date:
        quarter = created // QUARTER_HOUR_S
        day = self.by_quarter.get(quarter)
        if day is None:
            day = datetime.fromtimestamp(int(quarter) * QUARTER_HOUR_S, self.tz).date()
            self.by_quarter[quarter] = day
        return day


def status_sentence(row: PaymentRow) -> str:
    """What happened to the push, in one plain sentence for the attendant."""
    sentence = _status_sentence(row)
    return (
        _("Owner's test prompt (not a sale). {sentence}").format(sentence=sentence)
        if row.is_test
        else sentence
    )


def _status_sentence(row: PaymentRow) -> str:
    if row.status is PaymentStatus.PAID:
        if not row.is_confirmed:
            return _confirming_sentence(row)
        if row.access is not None:
            paid = (
                _("M-PESA receipt {receipt}").format(receipt=row.receipt)
                if row.receipt
                else _("confirmed by M-PESA")
            )
            if row.access.voucher:
                return _("Paid ({paid}). Give the customer this voucher.").format(paid=paid)
            return _("Paid ({paid}). Give the customer this access code.").format(paid=paid)
        if row.receipt:
            return _("Paid: M-PESA receipt {receipt}.").format(receipt=row.receipt)
        # An STK query confirms payment but carries no receipt number (DARAJA.md).
        return _(
            "Paid, confirmed by an M-PESA status check (the receipt is in the customer's SMS)."
        )
    if row.status is PaymentStatus.PENDING:
        return _("Waiting for the customer to enter their M-PESA PIN.")
    if row.status is PaymentStatus.DISPUTED:
        return _(
            "M-PESA gave two different answers for this payment: check the M-PESA "
            "statement before giving access."
        )
    if row.result_code:
        return result_meaning(row.result_code, row.result_desc).sentence
    if row.status is PaymentStatus.CANCELLED:
        return _("The customer cancelled the prompt.")
    if row.status is PaymentStatus.EXPIRED:
        return _("The prompt expired before the customer answered.")
    return _("M-PESA did not complete it: {result_desc}.").format(
        result_desc=row.result_desc or _("no reason given")
    )


def _confirming_sentence(row: PaymentRow) -> str:
    said = (
        _("M-PESA says paid (receipt {receipt})").format(receipt=row.receipt)
        if row.receipt
        else _("M-PESA says paid")
    )
    if row.confirmation_problem:
        return _("{said}, but the relay could not confirm it: {problem}").format(
            said=said, problem=row.confirmation_problem
        )
    if row.access is not None:
        return _("{said}; the relay is double-checking. The code below already works.").format(
            said=said
        )
    return _(
        "{said}; the relay is double-checking with M-PESA. The code appears in a few seconds."
    ).format(said=said)


def format_phone(phone: str) -> str:
    """`0712 345 678` for `254712345678` or `0712345678`; anything else unchanged."""
    if len(phone) == 12 and phone.startswith("254") and phone.isdigit():
        phone = "0" + phone[3:]
    if len(phone) == 10 and phone.startswith("0") and phone.isdigit():
        return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
    return phone
