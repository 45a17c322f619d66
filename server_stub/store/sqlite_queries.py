"""STK query answers in the SQLite store: settling pending pushes and confirming paid ones.

Agreement is a change (DESIGN.md section 13): it sets `confirmation`, moves the payment to the
end of the feed and inserts the access row, all in one commit.
"""

from __future__ import annotations

import sqlite3

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.access.keys import AccessKeyring
from server_stub.payments.settlement import StkResult, decide_query
from server_stub.store import write_scope
from server_stub.store.feed_items import access_fields, iso_time, item_json, payment_fields
from server_stub.store.records import AccessRecord, Confirmation, PaymentRecord
from server_stub.store.sqlite_access import issue_access, issue_new_access, with_access
from server_stub.store.sqlite_payments import (
    PAYMENT_COLUMNS,
    PROVIDER_OF_PAYMENT,
    assign_seq,
    dispute,
    emit_changes,
    next_seq,
    payment_from_row,
    select_payment,
    webhooks_wanted,
    write_change,
)

_BY_ID = f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = ?"  # noqa: S608 - constant


def apply_query(
    conn: sqlite3.Connection,
    payment_id: int,
    result: StkResult | None,
    next_query_at: float | None,
    now: float,
    keyring: AccessKeyring,
    problem: str | None = None,
) -> PaymentRecord | None:
    """Record one STK query (None: no final answer yet); returns the payment if it changed.

    `next_query_at` is the caller's schedule for the next query; `problem` flags a payment
    whose confirmation cannot go on (the schedule ran out or the error was permanent).
    """
    write_scope.provider_of(conn, PROVIDER_OF_PAYMENT, (payment_id,))
    row = conn.execute(_BY_ID, (payment_id,)).fetchone()
    if row is None:
        return None
    # Webhook events compare the payment before and after, access included; without a webhook
    # its access rows are not needed (issue 21: a confirmation's statements at ingest rates).
    wanted = webhooks_wanted(conn, row[1])
    payment = payment_from_row(row)
    before = with_access(conn, [payment])[0] if wanted else payment
    changed = None
    if payment.status is PaymentStatus.PENDING:
        changed = _settle_pending(conn, payment, result, next_query_at, now, keyring)
    elif payment.status is PaymentStatus.PAID and payment.confirmation is Confirmation.PENDING:
        changed = _confirm(conn, payment, result, next_query_at, now, keyring, problem)
    else:
        conn.execute("UPDATE payments SET next_query_at = NULL WHERE id = ?", (payment_id,))
    if changed is not None and wanted:
        emit_changes(conn, before, now)
    return changed


def _settle_pending(
    conn: sqlite3.Connection,
    payment: PaymentRecord,
    result: StkResult | None,
    next_query_at: float | None,
    now: float,
    keyring: AccessKeyring,
) -> PaymentRecord | None:
    conn.execute(
        "UPDATE payments SET query_attempts = query_attempts + 1, next_query_at = ? WHERE id = ?",
        (next_query_at, payment.id),
    )
    change = decide_query(payment, result) if result is not None else None
    if change is None:
        return None
    write_change(conn, payment, change, now)
    if change.status is PaymentStatus.PAID:
        # Daraja's own answer over an authenticated call: nothing left to confirm.
        conn.execute("UPDATE payments SET confirmation = 'not_needed' WHERE id = ?", (payment.id,))
        _issue(conn, payment.id, keyring, now)
    return select_payment(conn, "id = ?", payment.id)


def _confirm(
    conn: sqlite3.Connection,
    payment: PaymentRecord,
    result: StkResult | None,
    next_query_at: float | None,
    now: float,
    keyring: AccessKeyring,
    problem: str | None,
) -> PaymentRecord | None:
    if result is not None and decide_query(payment, result) is None:
        # The query agrees: the access (issue_access reads only what confirmation leaves
        # unchanged), then attempts, confirmation, feed number and feed item in one statement.
        seq = next_seq(conn, payment.provider_id)
        access = issue_new_access(conn, payment, keyring, now)
        conn.execute(
            "UPDATE payments SET confirm_attempts = confirm_attempts + 1, next_query_at = NULL, "
            "confirmation = 'confirmed', confirm_problem = NULL, updated_at = ?, seq = ?, "
            "feed_json = ? WHERE id = ?",
            (now, seq, confirmed_json(payment, seq, now, access), payment.id),
        )
        return select_payment(conn, "id = ?", payment.id)
    conn.execute(
        "UPDATE payments SET confirm_attempts = confirm_attempts + 1, next_query_at = ? "
        "WHERE id = ?",
        (next_query_at if result is None and problem is None else None, payment.id),
    )
    if result is None:
        if problem is None or payment.confirm_problem == problem:
            return None
        conn.execute(
            "UPDATE payments SET confirm_problem = ?, updated_at = ? WHERE id = ?",
            (problem, now, payment.id),
        )
        assign_seq(conn, payment.provider_id, payment.id)
        return select_payment(conn, "id = ?", payment.id)
    change = decide_query(payment, result)
    assert change is not None  # agreement returned above: the query disagrees with the callback
    write_change(conn, payment, change, now)
    dispute(conn, payment.id, now)
    return select_payment(conn, "id = ?", payment.id)


def confirmed_json(
    payment: PaymentRecord, seq: int, now: float, access: AccessRecord | None
) -> bytes:
    """The feed item of a paid payment as its confirmation leaves it, with `access` (issue
    15: no read-back and second UPDATE at commit; `tests/server_stub/test_feed_items.py`
    holds it to a render of the row read back)."""
    fields = payment_fields(payment)
    fields.update(
        confirmation=Confirmation.CONFIRMED.value,
        confirmation_problem=None,
        updated_at=iso_time(now),
        seq=seq,
        access=access_fields(access) if access is not None else None,
    )
    return item_json(fields)


def _issue(conn: sqlite3.Connection, payment_id: int, keyring: AccessKeyring, now: float) -> None:
    paid = select_payment(conn, "id = ?", payment_id)
    assert paid is not None
    issue_access(conn, paid, keyring, now)
