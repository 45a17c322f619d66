"""Ingesting one STK callback in the SQLite store, on the writer's connection (issue 21).

A paid callback for a pending push is the relay's most frequent write, so it takes as few
statements as its checks allow: the push by its token hash with its receipt's uniqueness and
whether it has an access row in the same SELECT, one UPDATE of the provider (feed number, last
callback; RETURNING them with its access switch and whether it has a webhook), one UPDATE of the
payment (settlement, feed number, confirmation schedule and its feed item), then the raw body
with its outcome. Decisions stay in `server_stub.payments.settlement`, shared with every backend.
"""

from __future__ import annotations

import sqlite3

from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.access.keys import AccessKeyring
from server_stub.payments.settlement import CallbackOutcome, Change, StkResult, decide_callback
from server_stub.store import write_scope
from server_stub.store.feed_items import access_fields, iso_time, item_json, payment_fields
from server_stub.store.records import (
    UNMATCHED_BODY_PREFIX,
    AccessRecord,
    Confirmation,
    PaymentRecord,
    RawCallback,
)
from server_stub.store.sqlite_access import issue_access, issue_new_access, with_access
from server_stub.store.sqlite_payments import (
    PAYMENT_COLUMNS,
    dispute,
    emit_changes,
    payment_from_row,
)

# The push, whether another payment already holds the callback's receipt, and whether the
# push has an access row (then its feed item is rendered at commit, with the access).
BY_TOKEN = (
    f"SELECT {PAYMENT_COLUMNS}, EXISTS (SELECT 1 FROM payments other "  # noqa: S608 - constant
    "WHERE other.mpesa_receipt_number = ? AND other.id != payments.id), "
    "EXISTS (SELECT 1 FROM access WHERE access.payment_id = payments.id) "
    "FROM payments WHERE callback_token_hash = ?"
)
# The next feed number, the last callback's time, the provider's access switch and whether it
# has a webhook endpoint (then the events need the payment as it was).
NEXT_SEQ = (
    "UPDATE providers SET last_seq = last_seq + 1, "
    "last_callback_at = MAX(COALESCE(last_callback_at, 0), ?) "
    "WHERE id = ? RETURNING last_seq, access_at_callback, EXISTS (SELECT 1 FROM "
    "webhook_endpoints WHERE webhook_endpoints.provider_id = providers.id AND enabled = 1)"
)
SETTLE = (
    "UPDATE payments SET status = ?, result_code = ?, result_desc = ?, "
    "mpesa_receipt_number = ?, resolved_by = ?, "
    "merchant_request_id = ?, updated_at = ?, seq = ?, feed_json = ?, "
    "next_query_at = CASE WHEN ? THEN ? WHEN ? = 'pending' THEN next_query_at END, "
    "confirmation = CASE WHEN ? THEN 'pending' ELSE confirmation END, "
    "confirm_from = CASE WHEN ? THEN ? ELSE confirm_from END, "
    "confirm_attempts = CASE WHEN ? THEN 0 ELSE confirm_attempts END "
    "WHERE id = ?"
)

# Every callback, applied or refused, kept with its outcome.
INSERT_RAW = (
    "INSERT INTO raw_callbacks (received_at, provider_ref, source_address, body, outcome, "
    "payment_id) VALUES (?, ?, ?, ?, ?, ?)"
)


def ingest_callback(
    conn: sqlite3.Connection,
    raw: RawCallback,
    provider_id: int | None,
    result: StkResult | None,
    rejection: CallbackOutcome | None,
    now: float,
    confirm_after_s: float,
    keyring: AccessKeyring,
) -> tuple[CallbackOutcome, int | None]:
    """Apply the callback, then store its raw body with the outcome.

    ApplyFailedError when applying it failed: the caller undoes the operation and stores the raw
    callback again with `rejection` APPLY_FAILED (`SqliteStore.ingest_callback`).
    """
    # The provider the callback came for: a payment of another one is not changed.
    if provider_id is None:
        write_scope.rows(conn)
    else:
        write_scope.provider(conn, provider_id)
    receipt = result.receipt if result is not None else None
    row = conn.execute(BY_TOKEN, (receipt, raw.token_hash)).fetchone()
    payment = payment_from_row(row) if row else None
    receipt_reused, had_access = (bool(row[-2]), bool(row[-1])) if row else (False, False)
    outcome, changed = rejection, None
    if outcome is None:
        try:
            outcome, changed = _apply(
                conn,
                payment,
                provider_id,
                result,
                receipt_reused,
                had_access,
                raw,
                now,
                confirm_after_s,
                keyring,
            )
        except write_scope.WriteConflict:
            # Another instance holds a row this needs (PostgreSQL): the writer runs the whole
            # callback again in its next group rather than record it as failed.
            raise
        except sqlite3.Error as error:
            # The writer undoes this operation to its savepoint; the store then keeps the raw
            # callback alone (a savepoint of its own here cost two statements every callback).
            raise ApplyFailedError from error
    conn.execute(
        INSERT_RAW,
        (
            raw.received_at,
            raw.provider_ref,
            raw.source_address,
            raw.body if payment else raw.body[:UNMATCHED_BODY_PREFIX],
            outcome.value,
            payment.id if payment else None,
        ),
    )
    if changed is None and payment is not None and payment.provider_id == provider_id:
        # For the platform's health list: Safaricom reaches this provider's callback address
        # (a change writes it with the feed number, in `_settle`).
        conn.execute(
            "UPDATE providers SET last_callback_at = MAX(COALESCE(last_callback_at, 0), ?) "
            "WHERE id = ?",
            (raw.received_at, provider_id),
        )
    return outcome, changed


class ApplyFailedError(Exception):
    """Applying a callback failed: its operation is undone, its raw body is still to be kept."""


def _apply(
    conn: sqlite3.Connection,
    payment: PaymentRecord | None,
    provider_id: int | None,
    result: StkResult | None,
    receipt_reused: bool,
    had_access: bool,
    raw: RawCallback,
    now: float,
    confirm_after_s: float,
    keyring: AccessKeyring,
) -> tuple[CallbackOutcome, int | None]:
    if payment is None or result is None:
        return CallbackOutcome.UNKNOWN_PUSH, None
    if payment.provider_id != provider_id:
        return CallbackOutcome.WRONG_PROVIDER, None
    if receipt_reused:
        return CallbackOutcome.RECEIPT_REUSED, None
    change, outcome = decide_callback(payment, result)
    if change is None:
        return outcome, None
    # Callbacks are not signed: an STK query confirms every payment a callback settled.
    confirm = outcome is CallbackOutcome.APPLIED and change.status is PaymentStatus.PAID
    wanted = _settle(
        conn,
        payment,
        change,
        raw.received_at,
        now,
        now + confirm_after_s if confirm else None,
        had_access,
        keyring,
    )
    # Webhook events compare the payment before and after, access included: an access row
    # there before this callback, never the one `_settle` may just have issued.
    before = with_access(conn, [payment])[0] if wanted and had_access else payment
    if change.status is PaymentStatus.DISPUTED:
        dispute(conn, payment.id, now)
    if wanted:
        emit_changes(conn, before, now)
    return outcome, payment.provider_id


def _settle(
    conn: sqlite3.Connection,
    payment: PaymentRecord,
    change: Change,
    received_at: float,
    now: float,
    confirm_at: float | None,
    had_access: bool,
    keyring: AccessKeyring,
) -> bool:
    """Write the settlement with its feed number and, for a newly paid push, the schedule of
    its confirming query and (access at the callback) its access; returns whether the
    provider has a webhook endpoint."""
    seq, access_at_callback, webhooks = conn.execute(
        NEXT_SEQ, (received_at, payment.provider_id)
    ).fetchone()
    confirm = confirm_at is not None
    status = change.status.value
    # The feed item goes in with the settlement, with the access this callback issues (issue
    # 15). Only an access there before and one a dispute revokes are rendered at commit
    # (`sqlite_feed`), from the rows as the callback leaves them.
    item = None
    if confirm and access_at_callback and had_access:
        # Its item is rendered at commit: no need to read the access back here.
        issue_access(conn, payment, keyring, now, change.checkout_request_id)
    elif confirm and access_at_callback:
        access = issue_new_access(conn, payment, keyring, now, change.checkout_request_id)
        item = settled_json(payment, change, seq, now, confirm, access)
    elif not (had_access or change.status is PaymentStatus.DISPUTED):
        item = settled_json(payment, change, seq, now, confirm)
    if payment.checkout_request_id is None:
        # A callback ahead of Daraja's answer to the push. Otherwise the id is the push's own
        # (`decide_callback`), and naming it in SETTLE would rewrite its UNIQUE index entry.
        conn.execute(
            "UPDATE payments SET checkout_request_id = ? WHERE id = ?",
            (change.checkout_request_id, payment.id),
        )
    conn.execute(
        SETTLE,
        (
            status,
            change.result_code,
            change.result_desc,
            change.receipt,
            change.resolved_by.value if change.resolved_by else None,
            change.merchant_request_id,
            now,
            seq,
            item,
            confirm,
            confirm_at,
            status,
            confirm,
            confirm,
            now,
            confirm,
            payment.id,
        ),
    )
    return bool(webhooks)


def settled_json(
    payment: PaymentRecord,
    change: Change,
    seq: int,
    now: float,
    confirm: bool,
    access: AccessRecord | None = None,
) -> bytes:
    """The feed item of a payment once `SETTLE` has written `change`, with `access` when this
    callback issued it (the payment had none before).

    Built from the item of the payment as read, with the fields the settlement writes replaced:
    a second PaymentRecord (dataclasses.replace) cost as much as rendering the item
    (`tests/server_stub/test_feed_items.py` holds the result to a render of the row read back).
    """
    fields = payment_fields(payment)
    fields.update(
        status=change.status.value,
        result_code=change.result_code,
        result_desc=change.result_desc,
        mpesa_receipt_number=change.receipt,
        resolved_by=change.resolved_by.value if change.resolved_by else None,
        checkout_request_id=change.checkout_request_id or "",
        merchant_request_id=change.merchant_request_id,
        updated_at=iso_time(now),
        seq=seq,
    )
    if confirm:
        fields["confirmation"] = Confirmation.PENDING.value
    if access is not None:
        fields["access"] = access_fields(access)
    return item_json(fields)
