"""PaymentBook: idempotent merging, ordering, search and filters, totals, CSV export."""

from __future__ import annotations

import csv
import stat
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_book import PaymentBook, PaymentFilter
from bucket_desktop.services.payment_export import CSV_HEADER, export_csv, neutralise
from bucket_desktop.services.payment_rows import (
    LocalDays,
    format_phone,
    make_haystack,
    parse_timestamp,
    status_sentence,
)
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse
from bucket_desktop.services.relay_models import PaymentItem

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC).timestamp()


def item(
    checkout: str,
    seq: int,
    *,
    status: str = "paid",
    phone: str = "254712345678",
    amount: int = 50,
    receipt: str | None = None,
    reference: str = "WIFI1D",
    created: float = NOW,
    result_code: str | None = None,
    purpose: str = "sale",
    sent_by: str | None = None,
) -> PaymentItem:
    """A relay payment item as the feed delivers it."""
    return PaymentItem(
        checkout_request_id=checkout,
        merchant_request_id=None,
        status=status,
        phone_number=phone,
        amount=amount,
        account_reference=reference,
        transaction_desc="WiFi 1 day",
        mpesa_receipt_number=receipt,
        result_code=result_code,
        result_desc=None,
        resolved_by="callback" if status != "pending" else None,
        created_at=datetime.fromtimestamp(created, UTC).isoformat(),
        updated_at=None,
        seq=seq,
        purpose=purpose,
        sent_by=sent_by,
    )


def book() -> PaymentBook:
    return PaymentBook(tz=UTC, clock=lambda: NOW)


def test_replayed_and_stale_items_change_nothing() -> None:
    payments = book()
    first = payments.apply([item("a", 1, status="pending"), item("b", 2, status="pending")])
    assert [r.checkout_request_id for r in first.added] == ["a", "b"]
    paid = payments.apply([item("a", 3, status="paid", receipt="SKL1")])
    assert [r.checkout_request_id for r in paid.newly_paid] == ["a"]
    replay = payments.apply([item("a", 1, status="pending"), item("a", 3, receipt="SKL1")])
    assert not replay
    assert len(payments) == 2
    assert payments.get("a") is not None and payments.get("a").status is PaymentStatus.PAID


def test_a_snapshot_s_json_items_merge_like_items_and_an_unreadable_one_changes_nothing() -> None:
    payments = book()
    payments.apply([item("a", 1, status="pending")])
    line = [
        {"checkout_request_id": "a", "status": "paid", "amount": 50, "seq": 3,
         "mpesa_receipt_number": "SKL3", "created_at": "2026-11-26T11:00:00+00:00"},
        {"checkout_request_id": "b", "status": "paid", "amount": 20, "seq": 2},
        {"checkout_request_id": "c", "status": "pending", "seq": 1},
    ]  # fmt: skip
    change = payments.apply_json(line)
    assert [r.checkout_request_id for r in change.added] == ["b", "c"]
    assert [r.checkout_request_id for r in change.updated] == ["a"]
    assert [r.checkout_request_id for r in change.newly_paid] == ["a", "b"]
    assert change.top_seq == 3 and payments.day_summary(payments.today()).amount == 70
    assert not payments.apply_json(line)  # replayed: nothing changes
    broken = [{"checkout_request_id": "d", "status": "paid", "seq": 4}, {"seq": 5}]
    with pytest.raises(RelayUnexpectedResponse):
        payments.apply_json(broken)
    assert payments.get("d") is None and len(payments) == 3


def test_only_a_paid_payment_turning_disputed_is_newly_disputed() -> None:
    payments = book()
    payments.apply([item("a", 1, receipt="SKL1"), item("b", 2, status="pending")])
    change = payments.apply([item("a", 3, status="disputed"), item("b", 4, status="disputed")])
    assert [r.checkout_request_id for r in change.newly_disputed] == ["a"]
    assert not payments.apply([item("a", 3, status="disputed")]).newly_disputed


def test_update_keeps_the_row_object_and_its_place() -> None:
    payments = book()
    payments.apply([item("old", 1, created=NOW - 60), item("new", 2, created=NOW)])
    row = payments.get("old")
    payments.apply([item("old", 3, status="cancelled", result_code="1032", created=NOW - 60)])
    assert payments.get("old") is row and row is not None
    assert row.status is PaymentStatus.CANCELLED
    assert [r.checkout_request_id for r in payments.newest_first()] == ["new", "old"]


def test_rows_are_newest_first_whatever_the_feed_order() -> None:
    payments = book()
    payments.apply([item(f"p{i}", 100 - i, created=NOW - i) for i in range(100)])
    payments.apply([item("late-but-old", 200, created=NOW - 1000)])
    order = [r.checkout_request_id for r in payments.newest_first()]
    assert order[:2] == ["p0", "p1"] and order[-1] == "late-but-old"


def test_search_matches_phone_in_any_form_receipt_and_reference() -> None:
    payments = book()
    payments.apply(
        [
            item("a", 1, phone="254712345678", receipt="SKL7QWE12"),
            item("b", 2, phone="254722000111", reference="ROOM4"),
        ]
    )

    def found(text: str) -> list[str]:
        return [r.checkout_request_id for r in payments.newest_first(PaymentFilter(text=text))]

    assert found("0712 345") == ["a"]
    assert found("+254722") == ["b"]
    assert found("skl7") == ["a"]
    assert found("room4") == ["b"]
    assert found("wifi 1") == ["b", "a"]
    assert found("nothing") == []


def test_a_search_after_a_catch_up_finds_what_it_found_when_rows_were_built_with_it() -> None:
    # The search text is built on first search now; it was built with each row before.
    payments = book()
    line = [
        {"checkout_request_id": f"ws_CO_{i}", "status": "paid" if i % 3 else "cancelled",
         "phone_number": f"2547{i:08d}", "amount": 10 * (i % 5 + 1), "seq": i + 1,
         "account_reference": f"WIFI{i % 4}D", "transaction_desc": f"WiFi {i % 4} day",
         "mpesa_receipt_number": f"SKL{i:05d}" if i % 3 else None,
         "created_at": datetime.fromtimestamp(NOW - 60 * i, UTC).isoformat(),
         "access": {"code": f"KX{i:03d}-P"} if i % 7 == 0 else None}
        for i in range(300)
    ]  # fmt: skip
    payments.apply_json(line)
    searches = ["0700000012", "+2547 0000 0012", "skl00", "wifi 2", "kx014-p", "ws_co_29", "30"]
    for text in searches:
        wanted, needles = PaymentFilter(text=text), PaymentFilter(text=text).needles()
        expected = [
            r.checkout_request_id
            for r in payments.newest_first()
            if all(
                needle in make_haystack(r.phone_number, r.receipt, r.account_reference,
                                        r.transaction_desc, r.amount, r.checkout_request_id,
                                        r.access.code if r.access else "")
                for needle in needles
            )
        ]  # fmt: skip
        assert expected, text
        assert [r.checkout_request_id for r in payments.newest_first(wanted)] == expected


def test_a_row_changed_by_a_live_update_is_found_by_its_new_text() -> None:
    payments = book()
    payments.apply([item("a", 1, status="pending"), item("b", 2, status="pending")])
    pending = payments.newest_first(PaymentFilter(text="wifi"))  # builds both search texts
    assert [r.checkout_request_id for r in pending] == ["b", "a"]
    payments.apply([item("a", 3, receipt="SKL9ZZ1", phone="254733111222")])
    for text in ("skl9zz1", "0733 111"):
        assert [r.checkout_request_id for r in payments.newest_first(PaymentFilter(text))] == ["a"]
    assert payments.newest_first(PaymentFilter("0712 345 678")) == [payments.get("b")]


def test_each_filter_selects_exactly_what_accepts_accepts() -> None:
    payments = book()
    payments.apply(
        [
            item(f"p{i}", i + 1, status=("paid", "pending", "cancelled")[i % 3],
                 phone=f"25471{i % 10:07d}", created=NOW - 7_200 * i,
                 receipt=f"SKL{i}" if i % 3 == 0 else None, purpose="test" if i == 4 else "sale")
            for i in range(60)
        ]
    )  # fmt: skip
    paid = frozenset({PaymentStatus.PAID})
    today = payments.today()
    filters = [
        PaymentFilter(),
        PaymentFilter(text="0710000003"),
        PaymentFilter(text="skl1 wifi", statuses=paid),
        PaymentFilter(statuses=frozenset({PaymentStatus.PENDING, PaymentStatus.CANCELLED})),
        PaymentFilter(first_day=today, last_day=today),
        PaymentFilter(text="wifi", first_day=date(2026, 11, 25), last_day=date(2026, 11, 25)),
        PaymentFilter(statuses=paid, not_online=True),
    ]
    for wanted in filters:
        needles = wanted.needles()
        expected = [r for r in payments.newest_first() if wanted.accepts(r, needles)]
        assert payments.newest_first(wanted) == expected, wanted


def test_status_and_day_filters() -> None:
    payments = book()
    yesterday = NOW - 86_400
    payments.apply(
        [
            item("paid-today", 1),
            item("failed-today", 2, status="failed", result_code="2001"),
            item("paid-yesterday", 3, created=yesterday),
        ]
    )
    today = date(2026, 11, 26)
    only_paid = PaymentFilter(statuses=frozenset({PaymentStatus.PAID}))
    assert [r.checkout_request_id for r in payments.newest_first(only_paid)] == [
        "paid-today",
        "paid-yesterday",
    ]
    today_only = PaymentFilter(first_day=today, last_day=today)
    assert {r.checkout_request_id for r in payments.newest_first(today_only)} == {
        "paid-today",
        "failed-today",
    }


def test_day_summary_and_daily_totals_count_paid_only() -> None:
    payments = book()
    payments.apply(
        [
            item("a", 1, amount=10),
            item("b", 2, amount=50),
            item("c", 3, amount=999, status="cancelled"),
            item("d", 4, amount=20, created=NOW - 2 * 86_400),
            item("e", 5, amount=70, created=NOW - 40 * 86_400),
            item("t", 6, amount=1, purpose="test"),  # the owner's test prompt: not a sale
        ]
    )
    summary = payments.day_summary(date(2026, 11, 26))
    assert (summary.amount, summary.count) == (60, 2)
    totals = payments.daily_totals(30)
    assert len(totals) == 30
    assert totals[-1].day == date(2026, 11, 26) and totals[-1].amount == 60
    assert totals[-3].amount == 20 and totals[-3].count == 1
    assert sum(t.amount for t in totals) == 80


def test_totals_follow_payments_that_change_after_arriving() -> None:
    payments = book()
    payments.apply([item("a", 1, status="pending", amount=10), item("b", 2, amount=50)])
    assert payments.day_summary(date(2026, 11, 26)).amount == 50
    payments.apply([item("a", 3, amount=10)])  # the customer paid
    payments.apply([item("b", 4, status="disputed", amount=50)])  # M-PESA said otherwise
    payments.apply([item("b", 2, amount=50)])  # a stale repeat changes nothing
    summary = payments.day_summary(date(2026, 11, 26))
    assert (summary.amount, summary.count) == (10, 1)
    assert payments.daily_totals(30)[-1] == summary
    saved = PaymentBook(tz=UTC, clock=lambda: NOW)
    saved.load_rows(payments.newest_first())  # the next start, from the local copy
    assert saved.daily_totals(30) == payments.daily_totals(30)


def test_pending_for_phone_finds_the_push_in_flight() -> None:
    payments = book()
    payments.apply([item("a", 1, status="pending"), item("b", 2, phone="254700000001")])
    pending = payments.pending_for_phone("254712345678")
    assert pending is not None and pending.checkout_request_id == "a"
    assert payments.pending_for_phone("254700000001") is None


def test_csv_export_writes_the_filtered_rows_and_neutralises_formulas(tmp_path: Path) -> None:
    payments = book()
    payments.apply(
        [
            item("a", 1, reference="=HYPERLINK()", receipt="SKL1"),
            item("b", 2, status="failed", result_code="1"),
            item("c", 3, reference="@SUM(A1)", receipt="SKL2", purpose="test", sent_by="Owner"),
        ]
    )
    rows = payments.newest_first(PaymentFilter(statuses=frozenset({PaymentStatus.PAID})))
    target = tmp_path / "payments.csv"
    assert export_csv(rows, target, tz=UTC) == 2
    with target.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.reader(handle))
    assert tuple(records[0]) == CSV_HEADER
    assert [r[10:13] for r in records[1:]] == [["c", "Test prompt", "Owner"], ["a", "Sale", ""]]
    # No plan and no access on these payments: the access columns are there, empty.
    assert [r[13:] for r in records[1:]] == [["", "", "", ""]] * 2
    assert [r[4] for r in records[1:]] == ["'@SUM(A1)", "'=HYPERLINK()"]
    assert records[1][0] == "2026-11-26 12:00:00+00:00"
    # Phone numbers and receipts: readable by this user only.
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_neutralise_leaves_ordinary_text() -> None:
    assert neutralise("WIFI1D") == "WIFI1D"
    assert neutralise("-1") == "'-1"
    assert neutralise("+254") == "'+254"


def test_plain_sentences_and_formats() -> None:
    payments = book()
    payments.apply(
        [
            item("a", 1, receipt="SKL1"),
            item("b", 2, status="failed", result_code="2001"),
            item("c", 3, status="pending"),
            item("d", 4, status="disputed"),
        ]
    )
    sentences = {k: status_sentence(payments.get(k)) for k in "abcd"}  # type: ignore[arg-type]
    assert sentences["a"] == "Paid: M-PESA receipt SKL1."
    assert sentences["b"].startswith("The customer entered the wrong M-PESA PIN: send the prompt")
    assert "PIN" in sentences["c"]
    assert "two different answers" in sentences["d"]
    assert format_phone("254712345678") == "0712 345 678"
    assert parse_timestamp("2026-11-26T15:00:00+03:00") == NOW
    assert parse_timestamp("1700000000.5") == 1_700_000_000.5
    assert parse_timestamp("  1700000000 ") == 1_700_000_000
    assert parse_timestamp("2026-11-26T12:00:00") == NOW  # naive is UTC
    assert parse_timestamp("nan") is None and parse_timestamp(float("inf")) is None
    assert parse_timestamp("2026-13-45T99:00:00") is None
    assert parse_timestamp("yesterday") is None


def test_large_book_filters_quickly() -> None:
    payments = book()
    start = NOW - 30 * 86_400
    payments.apply(
        [item(f"c{i}", i + 1, created=start + i * 25, phone=f"2547{i:08d}") for i in range(100_000)]
    )
    assert len(payments.newest_first(PaymentFilter(text="070001234"))) == 10
    assert len(payments.daily_totals()) == 30
    assert payments.newest_first()[0].checkout_request_id == "c99999"


def test_local_days_are_the_shop_s_calendar_days_whichever_way_they_are_looked_up() -> None:
    nairobi, marquesas = timezone(timedelta(hours=3)), timezone(-timedelta(hours=9, minutes=30))
    for tz in (nairobi, marquesas, UTC):
        days = LocalDays(tz)
        midnight = datetime(2026, 11, 26, tzinfo=tz).timestamp()
        for created in (midnight - 0.5, midnight, midnight + 899.9, float(int(midnight) + 1)):
            expected = datetime.fromtimestamp(created, tz).date()
            assert days(created) == expected
            # The readers of many rows look in the memo first, with the float quarter.
            assert days.by_quarter[created // 900] == expected


def test_search_texts_prepared_in_steps_give_the_same_results() -> None:
    payments, ahead = book(), book()
    items = [item(f"c{i}", i + 1, created=NOW - i, phone=f"2547{i:08d}") for i in range(250)]
    payments.apply(items)
    ahead.apply(items)
    steps = 0
    while ahead.prepare_search(100):
        steps += 1
    assert steps == 2 and ahead.search_ready and not payments.search_ready
    for text in ("0700000012", "c24", "wifi 1 day", "nothing"):
        assert ahead.newest_first(PaymentFilter(text)) == payments.newest_first(PaymentFilter(text))
