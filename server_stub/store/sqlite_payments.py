"""Payment and callback operations of the SQLite store, run on the writer's connection."""

from __future__ import annotations

import sqlite3
from typing import Any

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.payments.settlement import Change
from server_stub.store import write_scope
from server_stub.store.records import (
    AccessRecord,
    Confirmation,
    NewPush,
    PaymentRecord,
    Purpose,
    Reservation,
    ResolvedBy,
)
from server_stub.store.sqlite_access import revoke_access, with_access
from server_stub.webhooks.events import emit_payment_changes

PAYMENT_COLUMNS = (
    "id, provider_id, checkout_request_id, merchant_request_id, status, phone_number, amount, "
    "account_reference, transaction_desc, mpesa_receipt_number, result_code, result_desc, "
    "resolved_by, created_at, updated_at, seq, idempotency_key, query_attempts, next_query_at, "
    "purpose, sent_by_token_id, sent_by_name, "
    "plan_id, plan_terms, confirmation, confirm_attempts, confirm_problem, confirm_from"
)


# The provider whose lock an operation given a payment takes (see `write_scope`).
PROVIDER_OF_PAYMENT = "SELECT provider_id FROM payments WHERE id = ?"

# Stored values to members by dict: calling an Enum class costs a microsecond a value, and every
# callback and every rendered feed item reads a row.
_STATUS = {member.value: member for member in PaymentStatus}
_RESOLVED_BY = {member.value: member for member in ResolvedBy}
_PURPOSE = {member.value: member for member in Purpose}
_CONFIRMATION = {member.value: member for member in Confirmation}


def payment_from_row(row: tuple[Any, ...], access: AccessRecord | None = None) -> PaymentRecord:
    """A PaymentRecord from a row selected with PAYMENT_COLUMNS (with its access, if given)."""
    return PaymentRecord(
        id=row[0],
        provider_id=row[1],
        checkout_request_id=row[2],
        merchant_request_id=row[3],
        status=_STATUS[row[4]],
        phone_number=row[5],
        amount=row[6],
        account_reference=row[7],
        transaction_desc=row[8],
        mpesa_receipt_number=row[9],
        result_code=row[10],
        result_desc=row[11],
        resolved_by=_RESOLVED_BY[row[12]] if row[12] else None,
        created_at=row[13],
        updated_at=row[14],
        seq=row[15],
        idempotency_key=row[16],
        query_attempts=row[17],
        next_query_at=row[18],
        purpose=_PURPOSE[row[19]],
        sent_by_token_id=row[20],
        sent_by_name=row[21],
        plan_id=row[22],
        plan_terms=row[23],
        confirmation=_CONFIRMATION[row[24]] if row[24] else None,
        confirm_attempts=row[25],
        confirm_problem=row[26],
        confirm_from=row[27],
        access=access,
    )


def select_payment(conn: sqlite3.Connection, where: str, *args: Any) -> PaymentRecord | None:
    """The first payment matching a WHERE clause (with its access), or None."""
    row = conn.execute(f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE {where}", args).fetchone()  # noqa: S608 - fixed clauses
    return with_access(conn, [payment_from_row(row)])[0] if row else None


def reserve_push(conn: sqlite3.Connection, push: NewPush, guard_since: float) -> Reservation:
    """Check the Idempotency-Key and the one-minute guard, then insert the push (no seq yet)."""
    write_scope.provider(conn, push.provider_id)
    if push.idempotency_key is not None:
        same = select_payment(
            conn, "provider_id = ? AND idempotency_key = ?", push.provider_id, push.idempotency_key
        )
        if same is not None:
            return Reservation(same_key=same)
    recent = select_payment(
        conn,
        "provider_id = ? AND phone_number = ? AND created_at >= ? ORDER BY created_at DESC",
        push.provider_id,
        push.phone_number,
        guard_since,
    )
    if recent is not None:
        return Reservation(recent_to_phone=recent)
    cursor = conn.execute(
        "INSERT INTO payments (provider_id, callback_token_hash, idempotency_key, status, "
        "phone_number, amount, account_reference, transaction_desc, created_at, updated_at, "
        "purpose, sent_by_token_id, sent_by_name, plan_id, plan_terms) "
        "VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            push.provider_id,
            push.callback_token_hash,
            push.idempotency_key,
            push.phone_number,
            push.amount,
            push.account_reference,
            push.transaction_desc,
            push.created_at,
            push.created_at,
            push.purpose.value,
            push.sent_by_token_id,
            push.sent_by_name,
            push.plan_id,
            push.plan_terms,
        ),
    )
    return Reservation(created=select_payment(conn, "id = ?", cursor.lastrowid))


def confirm_push(
    conn: sqlite3.Connection,
    payment_id: int,
    checkout_request_id: str,
    merchant_request_id: str,
    first_query_at: float,
    now: float,
) -> PaymentRecord:
    """Record Daraja's ids; a callback may already have settled the push (it came first)."""
    write_scope.provider_of(conn, PROVIDER_OF_PAYMENT, (payment_id,))
    payment = select_payment(conn, "id = ?", payment_id)
    if payment is None:
        raise LookupError("The reserved push disappeared.")
    pending = payment.status is PaymentStatus.PENDING
    conn.execute(
        "UPDATE payments SET checkout_request_id = COALESCE(checkout_request_id, ?), "
        "merchant_request_id = COALESCE(merchant_request_id, ?), "
        "next_query_at = CASE WHEN ? THEN ? ELSE next_query_at END, "
        "updated_at = ? WHERE id = ?",
        # A callback that came first keeps the schedule it set (its confirming query).
        (checkout_request_id, merchant_request_id, pending, first_query_at, now, payment_id),
    )
    if payment.seq is None:
        assign_seq(conn, payment.provider_id, payment_id)
    confirmed = select_payment(conn, "id = ?", payment_id)
    assert confirmed is not None
    return confirmed


def announce(conn: sqlite3.Connection, before: PaymentRecord, now: float) -> None:
    """Write the webhook events of a payment's change, in the commit that makes it.

    `before` must carry its access as it was (`select_payment` attaches it).
    """
    if webhooks_wanted(conn, before.provider_id):
        emit_changes(conn, before, now)


def webhooks_wanted(conn: sqlite3.Connection, provider_id: int) -> bool:
    """Whether the provider has an enabled webhook endpoint (most have none: then a change
    costs this one indexed look instead of reading the payment back)."""
    return (
        conn.execute(
            "SELECT 1 FROM webhook_endpoints WHERE provider_id = ? AND enabled = 1 LIMIT 1",
            (provider_id,),
        ).fetchone()
        is not None
    )


def emit_changes(conn: sqlite3.Connection, before: PaymentRecord, now: float) -> None:
    """The webhook events from `before` to the payment as it is now."""
    after = select_payment(conn, "id = ?", before.id)
    if after is not None:
        emit_payment_changes(conn, before, after, now)


def access_at_callback(conn: sqlite3.Connection, provider_id: int) -> bool:
    """The provider's "give access at the callback" switch."""
    row = conn.execute(
        "SELECT access_at_callback FROM providers WHERE id = ?", (provider_id,)
    ).fetchone()
    return bool(row and row[0])


def dispute(conn: sqlite3.Connection, payment_id: int, now: float) -> None:
    """A disputed payment needs no confirmation any more and loses its access."""
    conn.execute(
        "UPDATE payments SET confirmation = NULL, next_query_at = NULL WHERE id = ?",
        (payment_id,),
    )
    revoke_access(conn, payment_id, now)


def write_change(
    conn: sqlite3.Connection, payment: PaymentRecord, change: Change, now: float
) -> None:
    """Write a settlement and move the payment to the end of its provider's feed."""
    conn.execute(
        "UPDATE payments SET status = ?, result_code = ?, result_desc = ?, "
        "mpesa_receipt_number = ?, resolved_by = ?, checkout_request_id = ?, "
        "merchant_request_id = ?, updated_at = ?, "
        "next_query_at = CASE WHEN ? = 'pending' THEN next_query_at END WHERE id = ?",
        (
            change.status.value,
            change.result_code,
            change.result_desc,
            change.receipt,
            change.resolved_by.value if change.resolved_by else None,
            change.checkout_request_id,
            change.merchant_request_id,
            now,
            change.status.value,
            payment.id,
        ),
    )
    assign_seq(conn, payment.provider_id, payment.id)


def assign_seq(conn: sqlite3.Connection, provider_id: int, payment_id: int) -> None:
    """Give the payment the provider's next feed number: every change desks must see calls this."""
    seq = next_seq(conn, provider_id)
    # The feed item is rendered again when this transaction commits (`sqlite_feed`), so it
    # shows everything else the transaction changes after this call too.
    conn.execute("UPDATE payments SET seq = ?, feed_json = NULL WHERE id = ?", (seq, payment_id))


def next_seq(conn: sqlite3.Connection, provider_id: int) -> int:
    """Take the provider's next feed number; the caller writes it with `feed_json = NULL`."""
    row = conn.execute(
        "UPDATE providers SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq",
        (provider_id,),
    ).fetchone()
    return int(row[0])
