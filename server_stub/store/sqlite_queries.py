"""STK query answers in the SQLite store: settling pending pushes and confirming paid ones.

Agreement is a change (DESIGN.md section 13): it sets `confirmation`, moves the payment to the
end of the feed and inserts the access row, all in one commit.
"""

from __future__ import annotations

import sqlite3

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.access.keys import AccessKeyring
from server_stub.settlement import StkResult, decide_query
from server_stub.store.records import Confirmation, PaymentRecord
from server_stub.store.sqlite_access import issue_access
from server_stub.store.sqlite_payments import (
    announce,
    assign_seq,
    dispute,
    select_payment,
    write_change,
)


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
    payment = select_payment(conn, "id = ?", payment_id)
    if payment is None:
        return None
    changed = None
    if payment.status is PaymentStatus.PENDING:
        changed = _settle_pending(conn, payment, result, next_query_at, now, keyring)
    elif payment.status is PaymentStatus.PAID and payment.confirmation is Confirmation.PENDING:
        changed = _confirm(conn, payment, result, next_query_at, now, keyring, problem)
    else:
        conn.execute("UPDATE payments SET next_query_at = NULL WHERE id = ?", (payment_id,))
    if changed is not None:
        announce(conn, payment, now)
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
    if change is not None:  # the query disagrees with the callback
        write_change(conn, payment, change, now)
        dispute(conn, payment.id, now)
        return select_payment(conn, "id = ?", payment.id)
    conn.execute(
        "UPDATE payments SET confirmation = 'confirmed', confirm_problem = NULL, "
        "updated_at = ? WHERE id = ?",
        (now, payment.id),
    )
    assign_seq(conn, payment.provider_id, payment.id)
    _issue(conn, payment.id, keyring, now)
    return select_payment(conn, "id = ?", payment.id)


def _issue(conn: sqlite3.Connection, payment_id: int, keyring: AccessKeyring, now: float) -> None:
    paid = select_payment(conn, "id = ?", payment_id)
    assert paid is not None
    issue_access(conn, paid, keyring, now)
