"""A feed item's JSON says exactly what the payment says; a page joins items with its cursor."""

from __future__ import annotations

import dataclasses
import json

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.api.feed_json import page_json
from server_stub.api.schemas import PaymentItem, PaymentsPage, payment_fields
from server_stub.store.feed_items import payment_json
from server_stub.store.records import AccessRecord, AccessState, PaymentRecord, ResolvedBy

PENDING = PaymentRecord(
    id=7,
    provider_id=1,
    checkout_request_id="ws_CO_1",
    merchant_request_id="MR_1",
    status=PaymentStatus.PENDING,
    phone_number="254708374149",
    amount=10,
    account_reference="HOTSPOT1",
    transaction_desc="WiFi “1 hour”",
    mpesa_receipt_number=None,
    result_code=None,
    result_desc=None,
    resolved_by=None,
    created_at=1_790_000_000.123,
    updated_at=1_790_000_000.456,
    seq=3,
    idempotency_key=None,
    query_attempts=0,
    next_query_at=None,
)


def test_page_is_the_published_shape() -> None:
    store_id = "0b0e3c55-6f0e-4c43-9d0e-6f5b1c1d2e3f"
    page = json.loads(page_json(payment_json(PENDING), 3, store_id, 7, 2))
    assert page == {
        "items": [payment_fields(PENDING)],
        "cursor": 3,
        "store_id": store_id,
        "head": 7,
        "plans_version": 2,
    }
    assert PaymentsPage.model_validate(page).items[0].checkout_request_id == "ws_CO_1"
    empty = {"items": [], "cursor": 9, "store_id": store_id, "head": 9, "plans_version": 0}
    assert json.loads(page_json(b"", 9, store_id, 9, 0)) == empty


def test_the_access_state_is_in_the_item() -> None:
    access = AccessRecord(1, "ABCD2345", None, 1_790_000_001.0, None, AccessState.DELIVERED, False)
    paid = dataclasses.replace(PENDING, status=PaymentStatus.PAID, seq=4, access=access)
    revoked = dataclasses.replace(
        paid, access=dataclasses.replace(access, state=AccessState.REVOKED)
    )
    assert json.loads(payment_json(paid))["access"]["state"] == "delivered"
    assert json.loads(payment_json(revoked))["access"]["state"] == "revoked"
    assert PaymentItem.model_validate(json.loads(payment_json(revoked))).access is not None


def test_a_settled_payment_renders_its_outcome() -> None:
    paid = dataclasses.replace(
        PENDING,
        status=PaymentStatus.PAID,
        mpesa_receipt_number="NLJ7RT61SV",
        result_code="0",
        resolved_by=ResolvedBy.CALLBACK,
        seq=4,
    )
    after = json.loads(payment_json(paid))
    assert (after["status"], after["mpesa_receipt_number"], after["seq"]) == (
        "paid",
        "NLJ7RT61SV",
        4,
    )
    assert after == payment_fields(paid)
    assert PaymentItem.model_validate(after).status == "paid"
