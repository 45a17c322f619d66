"""How callbacks and queries settle a push: pure decisions shared by every store backend.

Rules (DESIGN.md sections 3-4): the first final result settles a pending push; a duplicate changes
nothing; a query never overturns a result, and two sources that disagree make the push `disputed`
for a person to check; a disputed push never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bucket_desktop.services.mpesa_rules import PaymentStatus, result_status
from server_stub.store.records import PaymentRecord, ResolvedBy


class CallbackOutcome(StrEnum):
    """What happened to a stored callback; kept with the raw body."""

    APPLIED = "applied"
    RECEIPT_ADDED = "receipt_added"
    DUPLICATE = "duplicate"
    DISPUTED = "disputed"
    IGNORED_DISPUTED = "ignored_disputed"
    UNKNOWN_PUSH = "unknown_push"
    WRONG_PROVIDER = "wrong_provider"
    CHECKOUT_MISMATCH = "checkout_mismatch"
    AMOUNT_MISMATCH = "amount_mismatch"
    RECEIPT_REUSED = "receipt_reused"
    MALFORMED = "malformed"
    SOURCE_REFUSED = "source_refused"
    APPLY_FAILED = "apply_failed"

    @property
    def changed_payment(self) -> bool:
        """The payment row changed, so the feed must wake."""
        return self in (self.APPLIED, self.RECEIPT_ADDED, self.DISPUTED)


@dataclass(frozen=True, slots=True)
class StkResult:
    """A final result from a callback (with receipt and amount) or a query (without)."""

    result_code: str
    result_desc: str
    checkout_request_id: str
    merchant_request_id: str | None = None
    receipt: str | None = None
    amount: int | None = None

    @property
    def status(self) -> PaymentStatus:
        """The status this result code means."""
        return result_status(self.result_code)


@dataclass(frozen=True, slots=True)
class Change:
    """New values for a payment's result fields."""

    status: PaymentStatus
    result_code: str | None
    result_desc: str | None
    receipt: str | None
    resolved_by: ResolvedBy | None
    checkout_request_id: str | None
    merchant_request_id: str | None


def decide_callback(
    payment: PaymentRecord, result: StkResult
) -> tuple[Change | None, CallbackOutcome]:
    """Apply a well-formed callback that carried this push's token."""
    if payment.checkout_request_id not in (None, result.checkout_request_id):
        return None, CallbackOutcome.CHECKOUT_MISMATCH
    status = result.status
    if status is PaymentStatus.PAID and result.amount != payment.amount:
        return None, CallbackOutcome.AMOUNT_MISMATCH
    if payment.status is PaymentStatus.DISPUTED:
        return None, CallbackOutcome.IGNORED_DISPUTED
    if payment.status is PaymentStatus.PENDING:
        return _settle(payment, result, ResolvedBy.CALLBACK), CallbackOutcome.APPLIED
    if _same(payment, result):
        return None, CallbackOutcome.DUPLICATE
    if (
        payment.resolved_by is ResolvedBy.QUERY
        and status is payment.status
        and payment.mpesa_receipt_number in (None, result.receipt)
    ):
        # The query settled it first; the late callback adds what a query cannot: the receipt.
        # A second receipt for the same push is no confirmation: it falls through to a dispute.
        return _settle(payment, result, ResolvedBy.QUERY), CallbackOutcome.RECEIPT_ADDED
    sources = (
        "two callbacks"
        if payment.resolved_by is ResolvedBy.CALLBACK or payment.mpesa_receipt_number
        else "the callback and the query"
    )
    return _dispute(payment, result, sources), CallbackOutcome.DISPUTED


def decide_query(payment: PaymentRecord, result: StkResult) -> Change | None:
    """Apply a final STK query answer; None when nothing changes."""
    if payment.status is PaymentStatus.PENDING:
        return _settle(payment, result, ResolvedBy.QUERY)
    if payment.status is PaymentStatus.DISPUTED or result.status is payment.status:
        return None
    return _dispute(payment, result, "the callback and the query")


def _same(payment: PaymentRecord, result: StkResult) -> bool:
    return payment.result_code == result.result_code and (
        payment.mpesa_receipt_number == result.receipt
    )


def _settle(payment: PaymentRecord, result: StkResult, source: ResolvedBy) -> Change:
    return Change(
        status=result.status,
        result_code=result.result_code,
        result_desc=result.result_desc,
        receipt=result.receipt or payment.mpesa_receipt_number,
        resolved_by=source,
        checkout_request_id=payment.checkout_request_id or result.checkout_request_id,
        merchant_request_id=payment.merchant_request_id or result.merchant_request_id,
    )


def _receipts(payment: PaymentRecord, result: StkResult) -> str:
    first, then = payment.mpesa_receipt_number, result.receipt
    return f" with two receipts, {first} and {then}" if first and then and first != then else ""


def _dispute(payment: PaymentRecord, result: StkResult, sources: str) -> Change:
    sentence = (
        f"Disputed: {sources} disagree (first {payment.status.value}, code "
        f"{payment.result_code}; then {result.status.value}, code {result.result_code})"
        f"{_receipts(payment, result)}. Check the M-PESA statement before giving or refusing "
        "service."
    )
    return Change(
        status=PaymentStatus.DISPUTED,
        result_code=payment.result_code,
        result_desc=sentence,
        receipt=payment.mpesa_receipt_number or result.receipt,
        resolved_by=payment.resolved_by,
        checkout_request_id=payment.checkout_request_id,
        merchant_request_id=payment.merchant_request_id,
    )
