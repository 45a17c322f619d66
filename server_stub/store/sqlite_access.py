"""Access rows of the SQLite store, written inside the commit that confirms a payment.

One row per payment (UNIQUE payment_id), so a duplicate callback, a late callback or a retried
query can never make a second code; the code comes from an HMAC of the CheckoutRequestID, so a
retry after a crash reproduces it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from server_stub.access.codes import access_code
from server_stub.access.keys import AccessKeyring, secret_name
from server_stub.store.records import (
    AccessRecord,
    AccessState,
    DeliveryRecord,
    PaymentRecord,
    Purpose,
)
from server_stub.store.sqlite_mechanisms import enabled_mechanisms, queue_adds
from server_stub.store.sqlite_providers import secret_setting

MAX_REHASH = 64
ACCESS_COLUMNS = "id, payment_id, code, plan_id, starts_at, expires_at, state, voucher_id"
_HAS_ACCESS = "SELECT 1 FROM access WHERE payment_id = ?"
# Stored values to members by dict (as sqlite_payments does): every rendered feed item with an
# access reads one.
_STATE = {member.value: member for member in AccessState}
# Nothing inserted when the payment has its access already or the code is another's.
_INSERT_CODE = (
    "INSERT INTO access (provider_id, payment_id, plan_id, code, starts_at, expires_at, state, "
    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING "
    "RETURNING id"
)


class AccessCodeExhausted(sqlite3.Error):
    """No free code after many rehashes (never seen: 31^8 codes per provider)."""


def issue_access(
    conn: sqlite3.Connection,
    payment: PaymentRecord,
    keyring: AccessKeyring,
    now: float,
    checkout_request_id: str | None = None,
) -> AccessRecord | None:
    """Give a paid sale its access: the next unused voucher of its plan, else its code.

    `checkout_request_id` is the payment's when the record given predates it (a callback
    settling the push in this transaction): the callback path builds no new record for it.
    Returns the access inserted when that row is all of it (no delivery queued), so the
    caller can write the payment's feed item in its own UPDATE (issue 15); None when nothing
    was inserted or deliveries were queued (`issue_new_access` reads it back then).
    """
    checkout = checkout_request_id or payment.checkout_request_id
    if payment.purpose is not Purpose.SALE or checkout is None:
        return None  # the owner's test prompt never gives access (DESIGN.md section 13)
    if payment.plan_id is not None:
        # Only a plan has a voucher pool: a voucher is taken only by a payment without access.
        if conn.execute(_HAS_ACCESS, (payment.id,)).fetchone():
            return None
        voucher = _next_voucher(conn, payment)
        if voucher is not None:
            voucher_access = _insert_voucher(conn, payment, voucher, now)
            taken = conn.execute(
                "UPDATE vouchers SET access_id = ? WHERE id = ? AND access_id IS NULL",
                (voucher_access, voucher[0]),
            )
            if taken.rowcount != 1:
                raise sqlite3.IntegrityError("The voucher was taken twice.")
            return AccessRecord(
                voucher_access, voucher[1], payment.plan_id, now, None, AccessState.DELIVERED, True
            )
    terms = json.loads(payment.plan_terms) if payment.plan_terms else None
    expires = now + 60.0 * int(terms["duration_minutes"]) if terms else None
    # Only a plan says how long and how fast an access is, so only a plan's access is put on
    # the network; a payment without one gets its code alone.
    mechanisms = enabled_mechanisms(conn, payment.provider_id) if terms else []
    # With no network mechanism to wait for, the code is delivered the moment it is issued.
    state = AccessState.ISSUED if mechanisms else AccessState.DELIVERED
    inserted = _insert_code(conn, payment, checkout, keyring, now, expires, state)
    if inserted is None:
        return None
    access_id, code = inserted
    if mechanisms:
        assert expires is not None  # only a plan's access is put on the network
        queue_adds(conn, access_id, mechanisms, expires, now)
        return None
    return AccessRecord(access_id, code, payment.plan_id, now, expires, state, False)


def issue_new_access(
    conn: sqlite3.Connection,
    payment: PaymentRecord,
    keyring: AccessKeyring,
    now: float,
    checkout_request_id: str | None = None,
) -> AccessRecord | None:
    """`issue_access`, then the payment's access as this transaction now has it (None: the
    payment has none): what its feed item shows, without reading it back in the usual case."""
    issued = issue_access(conn, payment, keyring, now, checkout_request_id)
    if issued is not None:
        return issued
    return access_by_payment(conn, [payment.id]).get(payment.id)


def revoke_access(conn: sqlite3.Connection, payment_id: int, now: float) -> None:
    """A dispute revokes the payment's access; a voucher is never returned to its pool."""
    row = conn.execute("SELECT id FROM access WHERE payment_id = ?", (payment_id,)).fetchone()
    if row is None:
        return
    conn.execute("UPDATE access SET state = 'revoked', updated_at = ? WHERE id = ?", (now, row[0]))
    # What a mechanism already put on the network is taken off again (RADIUS rows deleted, the
    # MikroTik user removed); what it has not delivered yet is never delivered. An add that was
    # ever tried may have reached the network without its report (a worker killed mid-call, a
    # report lost), and one in flight right now may still land: both get a remove, the in-flight
    # one only after its lease ends, so the remove runs after the add.
    conn.execute(
        "INSERT INTO deliveries (access_id, mechanism, action, state, next_try_at, created_at, "
        "updated_at) SELECT access_id, mechanism, 'remove', 'pending', "
        "MAX(?, COALESCE(lease_until, 0)), ?, ? FROM deliveries "
        "WHERE access_id = ? AND action = 'add' AND (state IN ('delivered', 'leased') "
        "OR (state = 'failed' AND attempts > 0)) "
        "ON CONFLICT (access_id, mechanism, action) DO UPDATE SET "
        "next_try_at = MIN(deliveries.next_try_at, excluded.next_try_at)",
        (now, now, now, row[0]),
    )
    conn.execute(
        "UPDATE deliveries SET state = 'revoked', lease_id = NULL, lease_until = NULL, "
        "next_try_at = NULL, updated_at = ? WHERE access_id = ? AND action = 'add' "
        "AND state IN ('pending', 'failed', 'leased')",
        (now, row[0]),
    )


def with_access(conn: sqlite3.Connection, payments: Sequence[PaymentRecord]) -> list[PaymentRecord]:
    """The payments with their access rows (and deliveries) attached."""
    if not payments:
        return []
    by_payment = access_by_payment(conn, [payment.id for payment in payments])
    if not by_payment:
        return list(payments)
    return [
        replace(payment, access=by_payment[payment.id]) if payment.id in by_payment else payment
        for payment in payments
    ]


def access_by_payment(conn: sqlite3.Connection, payment_ids: list[int]) -> dict[int, AccessRecord]:
    """The access rows (with deliveries) of these payments, by payment id.

    For building records with their access at once: dataclasses.replace on a payment record
    took longer than rendering its feed item (issue 21).
    """
    if not payment_ids:
        return {}
    marks = ",".join("?" * len(payment_ids))
    rows = conn.execute(
        f"SELECT {ACCESS_COLUMNS} FROM access WHERE payment_id IN ({marks})",  # noqa: S608
        payment_ids,
    ).fetchall()
    if not rows:
        return {}
    deliveries = _deliveries(conn, [row[0] for row in rows])
    return {row[1]: _access_from_row(row, deliveries.get(row[0], ())) for row in rows}


def _insert_voucher(
    conn: sqlite3.Connection, payment: PaymentRecord, voucher: tuple[int, str], now: float
) -> int:
    # A voucher is already on the router: its access is delivered the moment it is issued
    # (DESIGN.md section 13, "Delivery"), and the router's own profile says how long it lasts.
    cursor = conn.execute(
        "INSERT INTO access (provider_id, payment_id, plan_id, code, voucher_id, starts_at, "
        "expires_at, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)",
        (
            payment.provider_id,
            payment.id,
            payment.plan_id,
            voucher[1],
            voucher[0],
            now,
            AccessState.DELIVERED.value,
            now,
            now,
        ),
    )
    return int(cursor.lastrowid or 0)


def _next_voucher(conn: sqlite3.Connection, payment: PaymentRecord) -> tuple[int, str] | None:
    row = conn.execute(
        "SELECT v.id, v.code FROM vouchers v WHERE v.plan_id = ? AND v.access_id IS NULL "
        "AND NOT EXISTS (SELECT 1 FROM access a WHERE a.provider_id = v.provider_id "
        "AND a.code = v.code) ORDER BY v.id LIMIT 1",
        (payment.plan_id,),
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _insert_code(
    conn: sqlite3.Connection,
    payment: PaymentRecord,
    checkout_request_id: str,
    keyring: AccessKeyring,
    now: float,
    expires_at: float | None,
    state: AccessState,
) -> tuple[int, str] | None:
    """Insert the payment's code access: (its id, its code); None when the payment already
    has its access.

    One statement in the usual case (a callback at ingest rates, issue 15): the row's unique
    payment and unique code are checked by the insert itself, and only when it inserts nothing
    is it asked which of the two it was (a clash of codes rehashes).
    """
    key = keyring.key(
        payment.provider_id,
        lambda make: secret_setting(conn, secret_name(payment.provider_id), make),
    )
    for collision in range(MAX_REHASH):
        code = access_code(key, checkout_request_id, collision)
        row = conn.execute(
            _INSERT_CODE,
            (
                payment.provider_id,
                payment.id,
                payment.plan_id,
                code,
                now,
                expires_at,
                state.value,
                now,
                now,
            ),
        ).fetchone()
        if row is not None:
            return int(row[0]), code
        if conn.execute(_HAS_ACCESS, (payment.id,)).fetchone():
            return None
    raise AccessCodeExhausted("No free access code.")


def _deliveries(
    conn: sqlite3.Connection, access_ids: list[int]
) -> dict[int, tuple[DeliveryRecord, ...]]:
    marks = ",".join("?" * len(access_ids))
    rows = conn.execute(
        "SELECT access_id, id, mechanism, action, state, attempts, last_error, next_try_at "  # noqa: S608
        f"FROM deliveries WHERE access_id IN ({marks}) ORDER BY id",
        access_ids,
    ).fetchall()
    found: dict[int, list[DeliveryRecord]] = {}
    for row in rows:
        found.setdefault(row[0], []).append(DeliveryRecord(*row[1:]))
    return {key: tuple(value) for key, value in found.items()}


def _access_from_row(row: tuple[Any, ...], deliveries: tuple[DeliveryRecord, ...]) -> AccessRecord:
    return AccessRecord(
        id=row[0],
        code=row[2],
        plan_id=row[3],
        starts_at=row[4],
        expires_at=row[5],
        state=_STATE[row[6]],
        voucher=row[7] is not None,
        deliveries=deliveries,
    )
