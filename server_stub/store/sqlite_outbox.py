"""The delivery outbox of the SQLite store: rows claimed with a lease, retried with backoff.

A worker claims due rows (one writer transaction), does its network call with no transaction
open, then reports; a worker killed mid-call leaves a lease that simply runs out, and the row is
claimed again (DESIGN.md section 9, "Outbox"). Each report recomputes the access's state.

Several relay instances on PostgreSQL claim at once: each passes over the rows another is
claiming (`FOR UPDATE SKIP LOCKED`), so no delivery is leased twice; a report locks the
access's provider, whose feed it numbers (`write_scope`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from server_stub.store import write_scope
from server_stub.store.feed_items import payment_fields
from server_stub.store.records import ClaimedDelivery, Purpose
from server_stub.store.sqlite_payments import assign_seq, select_payment
from server_stub.store.writer import GroupCommitWriter
from server_stub.webhooks.events import ACCESS_DELIVERED, emit

MAX_ERROR = 300
_DUE = (
    "SELECT d.id FROM deliveries d JOIN access a ON a.id = d.access_id "
    "WHERE d.mechanism = ? AND (? IS NULL OR a.provider_id = ?) AND ("
    "(d.state IN ('pending', 'failed') AND d.next_try_at <= ?) "
    "OR (d.state = 'leased' AND d.lease_until <= ?)) "
    "ORDER BY d.next_try_at, d.id LIMIT ?"
)
PROVIDER_OF_DELIVERY = (
    "SELECT a.provider_id FROM deliveries d JOIN access a ON a.id = d.access_id WHERE d.id = ?"
)


class SqliteOutbox:
    """The outbox operations, run through the store's group-commit writer."""

    def __init__(self, writer: GroupCommitWriter, clock: Callable[[], float]) -> None:
        self._writer = writer
        self._clock = clock

    async def enqueue_delivery(self, access_id: int, mechanism: str, action: str) -> None:
        """Queue a delivery of an access (once per access, mechanism and action)."""
        now = self._clock()
        await self._writer.run(lambda conn: enqueue(conn, access_id, mechanism, action, now))

    async def claim_deliveries(
        self, mechanism: str, provider_id: int | None, limit: int, lease_id: str, lease_s: float
    ) -> list[ClaimedDelivery]:
        """Lease up to `limit` due deliveries of a mechanism."""
        now = self._clock()
        return await self._writer.run(
            lambda conn: claim(conn, mechanism, provider_id, limit, lease_id, lease_s, now)
        )

    async def report_delivery(
        self,
        delivery_id: int,
        lease_id: str,
        outcome: str,
        error: str | None,
        next_try_at: float | None,
    ) -> bool:
        """Record a worker's result; False when the report is not taken."""
        now = self._clock()
        return await self._writer.run(
            lambda conn: report(conn, delivery_id, lease_id, outcome, error, next_try_at, now)
        )

    async def retry_now(self, provider_id: int, code: str) -> int | None:
        """Make a code's waiting deliveries due now; how many, or None for no such code."""
        now = self._clock()
        return await self._writer.run(lambda conn: retry_now(conn, provider_id, code, now))


def retry_now(conn: sqlite3.Connection, provider_id: int, code: str, now: float) -> int | None:
    """Make the code's failed or waiting deliveries due now (desks see it in the feed)."""
    write_scope.provider(conn, provider_id)
    row = conn.execute(
        "SELECT id, payment_id FROM access WHERE provider_id = ? AND code = ?",
        (provider_id, code),
    ).fetchone()
    if row is None:
        return None
    count = conn.execute(
        # A pending remove is the one waiting for the plan's expiry: it stays where it is.
        "UPDATE deliveries SET next_try_at = ?, updated_at = ? WHERE access_id = ? "
        "AND ((action = 'add' AND state IN ('pending', 'failed')) "
        "OR (action = 'remove' AND state = 'failed'))",
        (now, now, row[0]),
    ).rowcount
    if count:
        assign_seq(conn, provider_id, int(row[1]))
    return count


def enqueue(
    conn: sqlite3.Connection,
    access_id: int,
    mechanism: str,
    action: str,
    now: float,
    due_at: float | None = None,
) -> None:
    """Add a delivery (once per access, mechanism and action)."""
    write_scope.rows(conn)
    conn.execute(
        "INSERT INTO deliveries (access_id, mechanism, action, state, next_try_at, created_at, "
        "updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?) "
        "ON CONFLICT (access_id, mechanism, action) DO NOTHING",
        (access_id, mechanism, action, now if due_at is None else due_at, now, now),
    )


def claim(
    conn: sqlite3.Connection,
    mechanism: str,
    provider_id: int | None,
    limit: int,
    lease_id: str,
    lease_s: float,
    now: float,
) -> list[ClaimedDelivery]:
    """Lease up to `limit` due deliveries of a mechanism (optionally of one provider)."""
    write_scope.rows(conn)
    rows = conn.execute(
        _DUE + write_scope.skip_locked(conn, "d"),
        (mechanism, provider_id, provider_id, now, now, limit),
    ).fetchall()
    claimed = []
    for (delivery_id,) in rows:
        conn.execute(
            "UPDATE deliveries SET state = 'leased', lease_id = ?, lease_until = ?, "
            "updated_at = ? WHERE id = ?",
            (lease_id, now + lease_s, now, delivery_id),
        )
        row = conn.execute(
            "SELECT d.id, d.lease_id, d.lease_until, d.action, a.id, a.provider_id, a.code, "
            "a.plan_id, a.expires_at, d.attempts FROM deliveries d "
            "JOIN access a ON a.id = d.access_id WHERE d.id = ?",
            (delivery_id,),
        ).fetchone()
        claimed.append(ClaimedDelivery(*row))
    return claimed


def report(
    conn: sqlite3.Connection,
    delivery_id: int,
    lease_id: str,
    outcome: str,
    error: str | None,
    next_try_at: float | None,
    now: float,
) -> bool:
    """Record a worker's result: `delivered`, `failed` (counts an attempt) or `unreachable`.

    An unreachable target releases the lease without counting an attempt. A report on a lease
    that ran out (another worker may hold the row now) is accepted only when it says delivered.
    Returns whether the report was taken.
    """
    write_scope.provider_of(conn, PROVIDER_OF_DELIVERY, (delivery_id,))
    row = conn.execute(
        "SELECT state, lease_id, lease_until, access_id FROM deliveries WHERE id = ?",
        (delivery_id,),
    ).fetchone()
    if row is None or row[0] in ("delivered", "revoked"):
        return False
    own_lease = row[0] == "leased" and row[1] == lease_id and row[2] > now
    if outcome == "delivered":
        conn.execute(
            "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, "
            "last_error = NULL, next_try_at = NULL, lease_id = NULL, lease_until = NULL, "
            "updated_at = ? WHERE id = ?",
            (now, delivery_id),
        )
    elif not own_lease:
        return False
    elif outcome == "unreachable":
        conn.execute(
            "UPDATE deliveries SET state = 'failed', last_error = ?, next_try_at = ?, "
            "lease_id = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
            ((error or "")[:MAX_ERROR], next_try_at, now, delivery_id),
        )
    else:
        conn.execute(
            "UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?, "
            "next_try_at = ?, lease_id = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
            ((error or "")[:MAX_ERROR], next_try_at, now, delivery_id),
        )
    settle_access_state(conn, int(row[3]), now)
    return True


def settle_access_state(conn: sqlite3.Connection, access_id: int, now: float) -> None:
    """`delivered` once every add delivery succeeded, `failed` while any is retrying; desks told."""
    states = {
        state
        for (state,) in conn.execute(
            "SELECT state FROM deliveries WHERE access_id = ? AND action = 'add'", (access_id,)
        )
    }
    if not states or states == {"delivered"}:
        new = "delivered"
    elif "failed" in states:
        new = "failed"
    else:
        new = "issued"
    changed = conn.execute(
        "UPDATE access SET state = ?, updated_at = ? WHERE id = ? AND state NOT IN ('revoked', ?)",
        (new, now, access_id, new),
    ).rowcount
    # Desks see every delivery outcome through the feed (the state, attempts, last error and
    # next try), not only a change of the access state.
    owner = conn.execute(
        "SELECT provider_id, payment_id FROM access WHERE id = ?", (access_id,)
    ).fetchone()
    assign_seq(conn, int(owner[0]), int(owner[1]))
    if changed and new == "delivered":
        announce_delivered(conn, int(owner[1]), now)


def announce_delivered(conn: sqlite3.Connection, payment_id: int, now: float) -> None:
    """The `access.delivered` webhook event, in the commit that delivers the access."""
    payment = select_payment(conn, "id = ?", payment_id)
    if payment is not None and payment.purpose is Purpose.SALE:
        emit(conn, payment.provider_id, ACCESS_DELIVERED, payment_fields(payment), now, payment_id)
