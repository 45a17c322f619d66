"""A payment's access on the desk: parsing, "Paid, not online", the cache, search and receipt."""

from __future__ import annotations

import csv
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bucket_desktop.services.access.models import Access
from bucket_desktop.services.access.online import access_cell, dispute_advice, paid_not_online
from bucket_desktop.services.access.receipt import receipt_for
from bucket_desktop.services.payment_book import PaymentBook, PaymentFilter
from bucket_desktop.services.payment_cache import PaymentCache, records_of
from bucket_desktop.services.payment_export import export_csv
from bucket_desktop.services.relay_models import PaymentItem
from tests.services.test_payment_book import NOW, item

EXPIRES = datetime.fromtimestamp(NOW + 3600, UTC).isoformat()


def access_json(state: str = "delivered", **changes: Any) -> dict[str, Any]:
    """An `access` as the relay's feed carries it."""
    data: dict[str, Any] = {
        "code": "K7PQ2M9X",
        "plan_id": 3,
        "starts_at": datetime.fromtimestamp(NOW, UTC).isoformat(),
        "expires_at": EXPIRES,
        "state": state,
        "voucher": False,
        "deliveries": [],
    }
    data.update(changes)
    return data


def paid(checkout: str, seq: int, access: dict[str, Any] | None, **changes: Any) -> PaymentItem:
    """A paid, confirmed sale on the 1-hour plan with the given access."""
    fields = {"plan_name": "1 hour", "confirmation": "confirmed", **changes}
    base = item(checkout, seq, receipt=f"RDV{seq:06d}")
    return dataclasses.replace(base, access=Access.from_json(access), **fields)


def test_an_access_is_read_leniently() -> None:
    failed = {"mechanism": "radius", "state": "failed", "attempts": 2, "last_error": "refused"}
    access = Access.from_json(access_json("failed", deliveries=[failed, "junk", {}]))
    assert access is not None and access.code == "K7PQ2M9X"
    assert access.expires_at == NOW + 3600
    assert [d.mechanism for d in access.failed_deliveries] == ["radius"]
    assert Access.from_json(access_json(state="made-up")).state == "issued"  # type: ignore[union-attr]
    for bad in (None, "K7PQ", {"code": ""}, {"code": 5}):
        assert Access.from_json(bad) is None
    item_json = {"checkout_request_id": "ws_1", "status": "paid", "confirmation": "weird"}
    assert PaymentItem.from_json(item_json).confirmation is None


def test_paid_not_online_is_exactly_the_paid_sales_without_delivered_access() -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    book.apply(
        [
            paid("delivered", 1, access_json("delivered")),
            paid("issued", 2, access_json("issued")),
            paid("failed", 3, access_json("failed")),
            paid("revoked", 4, access_json("revoked")),
            paid("confirmed-no-access", 5, None),
            paid("confirming", 6, None, confirmation="pending"),
            paid("stuck", 7, None, confirmation="pending", confirmation_problem="Query failed."),
            paid("before-access", 8, None, confirmation="not_needed"),
            paid("test", 9, access_json("failed"), purpose="test"),
            dataclasses.replace(paid("disputed", 10, access_json("revoked")), status="disputed"),
        ]
    )
    shown = book.newest_first(PaymentFilter(not_online=True))
    assert sorted(row.checkout_request_id for row in shown) == [
        "confirmed-no-access",
        "failed",
        "issued",
        "stuck",
    ]
    row = book.get("failed")
    assert row is not None and paid_not_online(row)
    assert access_cell(row, UTC, NOW) == "K7PQ2M9X · Delivery failed · 1 hour · until 13:00"
    confirming = book.get("confirming")
    assert confirming is not None and access_cell(confirming, UTC, NOW) == "Confirming…"
    # A customer quoting the code at the counter is found by it.
    assert book.newest_first(PaymentFilter(text="k7pq2m9x"))


def test_the_cache_keeps_confirmation_plan_and_access(tmp_path: Path) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    failed = {"mechanism": "mikrotik", "state": "failed", "attempts": 1, "next_try_at": EXPIRES}
    book.apply([paid("a", 1, access_json("failed", deliveries=[failed]))])
    cache = PaymentCache(tmp_path / "cache.sqlite3")
    cache.save(records_of(book.newest_first()), 1)
    [row], cursor, _ = cache.load(book.days)
    original = book.get("a")
    assert original is not None and cursor == 1
    assert (row.plan_name, row.confirmation, row.access) == (
        "1 hour",
        "confirmed",
        original.access,
    )
    assert "k7pq2m9x" in row.haystack


def test_a_receipt_has_every_line_and_none_for_a_dispute_or_a_test() -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    book.apply(
        [
            paid("a", 1, access_json()),
            paid("v", 2, access_json(code="vc-001", voucher=True, expires_at=None)),
            paid("t", 3, access_json(), purpose="test"),
            paid("p", 4, access_json(), confirmation="pending"),
        ]
    )
    row = book.get("a")
    assert row is not None
    receipt = receipt_for(row, "Kibera WiFi", UTC)
    assert receipt is not None
    assert (receipt.provider, receipt.plan, receipt.amount) == ("Kibera WiFi", "1 hour", "KES 50")
    assert (receipt.code_label, receipt.code) == ("Access code", "K7PQ2M9X")
    assert receipt.expiry == "Valid until 26 Nov 2026 13:00"
    assert (receipt.mpesa_receipt, receipt.time) == ("RDV000001", "26 Nov 2026 12:00")
    voucher = book.get("v")
    assert voucher is not None
    printed = receipt_for(voucher, "", UTC)
    assert printed is not None and printed.code_label == "Voucher"
    assert printed.expiry == "Valid from your first login" and printed.provider == "WiFi hotspot"
    for checkout in ("t", "p"):
        other = book.get(checkout)
        assert other is not None and receipt_for(other, "X", UTC) is None
    row.status = type(row.status)("disputed")
    assert receipt_for(row, "X", UTC) is None
    assert "K7PQ2M9X" not in dispute_advice(row) and "cancelled" in dispute_advice(row)


def test_the_csv_export_carries_plan_and_access(tmp_path: Path) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    book.apply([paid("a", 1, access_json("failed"))])
    target = tmp_path / "payments.csv"
    assert export_csv(book.newest_first(), target, tz=UTC) == 1
    with target.open(encoding="utf-8-sig", newline="") as handle:
        [header, record] = list(csv.reader(handle))
    cells = dict(zip(header, record, strict=True))
    assert (cells["Plan"], cells["Access code"], cells["Access state"]) == (
        "1 hour",
        "K7PQ2M9X",
        "failed",
    )
    assert cells["Access expires"] == "2026-11-26 13:00:00+00:00"
