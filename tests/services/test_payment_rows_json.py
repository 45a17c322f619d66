"""row_from_json: a snapshot's items read straight into rows, exactly as through PaymentItem."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bucket_desktop.services.payment_rows import LocalDays, row_from_item
from bucket_desktop.services.payment_rows_json import row_from_json
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse
from bucket_desktop.services.relay_models import PaymentItem

RECEIVED = 1_764_500_000.0
DAYS = LocalDays(UTC)
ITEM: dict[str, Any] = {
    "checkout_request_id": "ws_CO_1",
    "merchant_request_id": "1-bench",
    "status": "paid",
    "phone_number": "254712345678",
    "amount": 50,
    "account_reference": "WIFI1D",
    "transaction_desc": "WiFi 1 day",
    "mpesa_receipt_number": "SKL1",
    "result_code": "0",
    "result_desc": "ok",
    "resolved_by": "callback",
    "created_at": "2026-11-30T16:26:30.653+00:00",
    "updated_at": "2026-11-30T16:26:34.653+00:00",
    "seq": 7,
    "purpose": "sale",
    "sent_by": {"token_id": 3, "name": "Front desk"},
    "plan_id": 2,
    "plan": {"name": "1 day"},
    "confirmation": "confirmed",
    "confirmation_problem": None,
    "access": {
        "code": "KX7-P2M",
        "plan_id": 2,
        "starts_at": "2026-11-30T16:26:35+00:00",
        "expires_at": "2026-12-01T16:26:35+00:00",
        "state": "delivered",
        "voucher": False,
        "deliveries": [{"mechanism": "radius", "state": "delivered", "attempts": 1}],
    },
}


def through_item(data: dict[str, Any]) -> Any:
    return row_from_item(PaymentItem.from_json(data), received_at=RECEIVED, days=DAYS)


def test_a_full_item_reads_as_through_payment_item() -> None:
    row = row_from_json(ITEM, received_at=RECEIVED, days=DAYS)
    assert row == through_item(ITEM)
    assert (row.checkout_request_id, row.status.value, row.amount, row.seq) == (
        "ws_CO_1",
        "paid",
        50,
        7,
    )
    assert (row.sent_by, row.plan_name, row.access and row.access.code) == (
        "Front desk",
        "1 day",
        "KX7-P2M",
    )
    assert "kx7-p2m" in row.haystack and "0712345678" in row.haystack


@pytest.mark.parametrize(
    "odd",
    [
        {"merchant_request_id": 42, "account_reference": "   ", "transaction_desc": ["x"]},
        {"amount": "15", "seq": True, "result_code": 0, "purpose": "test"},
        {"amount": None, "seq": "12", "phone_number": None, "mpesa_receipt_number": ""},
        {"created_at": None, "result_desc": 3, "resolved_by": " ", "sent_by": "Front desk"},
        {"created_at": "1764500000", "plan": "1 day", "confirmation": "maybe", "access": 5},
        {"created_at": "yesterday", "status": "refunded", "access": {"code": " "}},
        {"created_at": 1764500000.5, "confirmation_problem": "  ", "sent_by": {"name": 7}},
    ],
)
def test_odd_fields_are_read_as_leniently_as_through_payment_item(odd: dict[str, Any]) -> None:
    data = {**ITEM, **odd}
    assert row_from_json(data, received_at=RECEIVED, days=DAYS) == through_item(data)


@pytest.mark.parametrize(
    "missing", [{"status": " "}, {"checkout_request_id": None}, {"status": 1.5}]
)
def test_an_item_without_id_or_status_is_refused_with_a_sentence(missing: dict[str, Any]) -> None:
    with pytest.raises(RelayUnexpectedResponse) as raised:
        row_from_json({**ITEM, **missing}, received_at=RECEIVED, days=DAYS)
    assert "no ID or status" in str(raised.value)


_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["paid", "pending", "2026-11-30T16:26:30+03:00", "  ", "42", "test"]),
    st.dictionaries(st.sampled_from(["name", "code", "state"]), st.text(max_size=6), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(ITEM)), _VALUES, max_size=len(ITEM)))
def test_any_item_reads_the_same_both_ways(changes: dict[str, Any]) -> None:
    data = {**ITEM, **changes}
    try:
        expected = through_item(data)
    except RelayUnexpectedResponse:
        with pytest.raises(RelayUnexpectedResponse):
            row_from_json(data, received_at=RECEIVED, days=DAYS)
        return
    row = row_from_json(data, received_at=RECEIVED, days=DAYS)
    assert row == expected
    assert row.haystack == expected.haystack  # built on first use, not compared by ==
