"""A payment as the feed and `status` show it: plain JSON data, rendered from stored records.

The store renders each payment's feed item once per change, when the change commits (see
`SqliteStore`), so a feed page is a join of stored bytes. The pydantic models in
`server_stub.api.schemas` publish the same shape in the OpenAPI document; a test holds the two
to each other.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from server_stub.store.records import AccessRecord, PaymentRecord


def payment_fields(payment: PaymentRecord) -> dict[str, Any]:
    """A PaymentItem as plain JSON data (the feed sends these without re-validating them)."""
    return {
        "checkout_request_id": payment.checkout_request_id or "",
        "merchant_request_id": payment.merchant_request_id,
        "status": payment.status.value,
        "phone_number": payment.phone_number,
        "amount": payment.amount,
        "account_reference": payment.account_reference,
        "transaction_desc": payment.transaction_desc,
        "mpesa_receipt_number": payment.mpesa_receipt_number,
        "result_code": payment.result_code,
        "result_desc": payment.result_desc,
        "resolved_by": payment.resolved_by.value if payment.resolved_by else None,
        "created_at": iso_time(payment.created_at),
        "updated_at": iso_time(payment.updated_at),
        "seq": payment.seq or 0,
        "purpose": payment.purpose.value,
        "sent_by": (
            {"token_id": payment.sent_by_token_id, "name": payment.sent_by_name or ""}
            if payment.sent_by_token_id is not None
            else None
        ),
        "plan_id": payment.plan_id,
        "plan": json.loads(payment.plan_terms) if payment.plan_terms else None,
        "confirmation": payment.confirmation.value if payment.confirmation else None,
        "confirmation_problem": payment.confirm_problem,
        "access": access_fields(payment.access) if payment.access else None,
    }


def access_fields(access: AccessRecord) -> dict[str, Any]:
    """An AccessItem as plain JSON data."""
    return {
        "code": access.code,
        "plan_id": access.plan_id,
        "starts_at": iso_time(access.starts_at),
        "expires_at": iso_time(access.expires_at) or None,
        "state": access.state.value,
        "voucher": access.voucher,
        "deliveries": [
            {
                "mechanism": delivery.mechanism,
                "action": delivery.action,
                "state": delivery.state,
                "attempts": delivery.attempts,
                "last_error": delivery.last_error,
                "next_try_at": iso_time(delivery.next_try_at) or None,
            }
            for delivery in access.deliveries
        ],
    }


def iso_time(epoch: float | None) -> str:
    """UTC ISO 8601 with milliseconds, or '' for None."""
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")


# Built once: json.dumps with options makes a new encoder for every item it renders.
_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def payment_json(payment: PaymentRecord) -> bytes:
    """One feed item as compact UTF-8 JSON (what the store keeps in `payments.feed_json`)."""
    return _ENCODE(payment_fields(payment)).encode("utf-8")


def item_json(fields: dict[str, Any]) -> bytes:
    """`payment_fields` data (possibly with fields changed) as a stored feed item."""
    return _ENCODE(fields).encode("utf-8")
