"""Starting an STK push through the relay, shared by Charge customer and Resend."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from bucket_desktop.services.relay_models import InitiatedPush, PaymentItem


@dataclass(frozen=True, slots=True)
class PushForm:
    """A push's values, already checked by the M-PESA rules."""

    phone_number: str
    amount: int
    account_reference: str
    transaction_desc: str
    plan_id: int | None = None  # a relay plan: the relay keeps its terms with the payment


class PushStarter(Protocol):
    """What starts a push (RelayClient does)."""

    async def initiate(
        self,
        *,
        phone_number: str,
        amount: int,
        account_reference: str,
        transaction_desc: str,
        idempotency_key: str | None = None,
        plan_id: int | None = None,
    ) -> InitiatedPush:
        """Ask for an STK push."""
        ...


async def start_push(relay: PushStarter, form: PushForm) -> PaymentItem:
    """Ask the relay for the push; returns it as a pending item to show until the feed has it."""
    # One key per attempt: a retried request after a network drop cannot push twice.
    push = await relay.initiate(
        phone_number=form.phone_number,
        amount=form.amount,
        account_reference=form.account_reference,
        transaction_desc=form.transaction_desc,
        idempotency_key=uuid.uuid4().hex,
        plan_id=form.plan_id,
    )
    status = push.status or "pending"
    return PaymentItem(
        checkout_request_id=push.checkout_request_id,
        merchant_request_id=push.merchant_request_id,
        status=status,
        phone_number=form.phone_number,
        amount=form.amount,
        account_reference=form.account_reference,
        transaction_desc=form.transaction_desc,
        mpesa_receipt_number=None,
        result_code=None,
        result_desc=None,
        resolved_by=None,
        created_at=datetime.now(UTC).isoformat(),
        updated_at=None,
        seq=0,  # any version from the feed replaces this one
        # A callback can beat the push's answer, which then says paid: still to be confirmed
        # (never "Paid ✓" before the feed brings the relay's confirmation).
        confirmation="pending" if status == "paid" else None,
    )
