"""The settlement rules: final results never change except to disputed; duplicates are no-ops."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.payments.settlement import (
    CallbackOutcome,
    StkResult,
    decide_callback,
    decide_query,
)
from server_stub.store.records import PaymentRecord, ResolvedBy

PENDING = PaymentRecord(
    id=1,
    provider_id=1,
    checkout_request_id="ws_CO_1",
    merchant_request_id="m-1",
    status=PaymentStatus.PENDING,
    phone_number="254708374149",
    amount=10,
    account_reference="REF",
    transaction_desc="WiFi",
    mpesa_receipt_number=None,
    result_code=None,
    result_desc=None,
    resolved_by=None,
    created_at=0.0,
    updated_at=0.0,
    seq=1,
    idempotency_key=None,
    query_attempts=0,
    next_query_at=20.0,
)
PAID_CALLBACK = StkResult("0", "ok", "ws_CO_1", "m-1", receipt="R1", amount=10)
CANCELLED = StkResult("1032", "Request cancelled by user", "ws_CO_1")


def settled(result: StkResult, source: ResolvedBy) -> PaymentRecord:
    """PENDING after `result` settled it."""
    change = decide_query(PENDING, result)
    assert change is not None
    return replace(
        PENDING,
        status=change.status,
        result_code=change.result_code,
        mpesa_receipt_number=change.receipt,
        resolved_by=source,
    )


def test_callback_settles_a_pending_push() -> None:
    change, outcome = decide_callback(PENDING, PAID_CALLBACK)
    assert outcome is CallbackOutcome.APPLIED
    assert change is not None
    assert (change.status, change.receipt, change.resolved_by) == (
        PaymentStatus.PAID,
        "R1",
        ResolvedBy.CALLBACK,
    )


def test_duplicate_callback_changes_nothing() -> None:
    paid = replace(settled(PAID_CALLBACK, ResolvedBy.CALLBACK), mpesa_receipt_number="R1")
    assert decide_callback(paid, PAID_CALLBACK) == (None, CallbackOutcome.DUPLICATE)


def test_second_callback_that_disagrees_disputes() -> None:
    paid = replace(settled(PAID_CALLBACK, ResolvedBy.CALLBACK), mpesa_receipt_number="R1")
    change, outcome = decide_callback(paid, CANCELLED)
    assert outcome is CallbackOutcome.DISPUTED
    assert change is not None and change.status is PaymentStatus.DISPUTED
    assert change.receipt == "R1"


def test_late_callback_confirms_a_query_result_and_adds_the_receipt() -> None:
    by_query = settled(StkResult("0", "ok", "ws_CO_1"), ResolvedBy.QUERY)
    change, outcome = decide_callback(by_query, PAID_CALLBACK)
    assert outcome is CallbackOutcome.RECEIPT_ADDED
    assert change is not None
    assert (change.status, change.receipt, change.resolved_by) == (
        PaymentStatus.PAID,
        "R1",
        ResolvedBy.QUERY,
    )


def test_query_never_overturns_a_callback_it_disputes_it() -> None:
    paid = replace(settled(PAID_CALLBACK, ResolvedBy.CALLBACK), mpesa_receipt_number="R1")
    agreeing = decide_query(paid, StkResult("0", "ok", "ws_CO_1"))
    assert agreeing is None
    disputed = decide_query(paid, CANCELLED)
    assert disputed is not None and disputed.status is PaymentStatus.DISPUTED


def test_disputed_never_changes() -> None:
    disputed = replace(PENDING, status=PaymentStatus.DISPUTED, resolved_by=ResolvedBy.CALLBACK)
    assert decide_callback(disputed, PAID_CALLBACK) == (None, CallbackOutcome.IGNORED_DISPUTED)
    assert decide_query(disputed, CANCELLED) is None


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        (replace(PAID_CALLBACK, amount=11), CallbackOutcome.AMOUNT_MISMATCH),
        (replace(PAID_CALLBACK, checkout_request_id="ws_CO_2"), CallbackOutcome.CHECKOUT_MISMATCH),
    ],
)
def test_mismatched_callbacks_are_not_applied(result: StkResult, outcome: CallbackOutcome) -> None:
    assert decide_callback(PENDING, result) == (None, outcome)


def test_callback_before_the_push_response_adopts_daraja_ids() -> None:
    reserved = replace(PENDING, checkout_request_id=None, merchant_request_id=None, seq=None)
    change, outcome = decide_callback(reserved, PAID_CALLBACK)
    assert outcome is CallbackOutcome.APPLIED
    assert change is not None
    assert (change.checkout_request_id, change.merchant_request_id) == ("ws_CO_1", "m-1")


def test_sfc_string_code_fails_the_push() -> None:
    change, _ = decide_callback(PENDING, StkResult("SFC_IC0003", "wrong type", "ws_CO_1"))
    assert change is not None and change.status is PaymentStatus.FAILED


def test_second_receipt_for_a_query_settled_push_disputes() -> None:
    by_query = settled(StkResult("0", "ok", "ws_CO_1"), ResolvedBy.QUERY)
    confirmed = replace(by_query, mpesa_receipt_number="R1")
    change, outcome = decide_callback(confirmed, replace(PAID_CALLBACK, receipt="R2"))
    assert outcome is CallbackOutcome.DISPUTED
    assert change is not None and change.receipt == "R1"
