"""The SQLite store's operations on payments: pushes, callbacks, status queries, feed reads.

`PaymentOperations` is a base of `SqliteStore` (and so of the PostgreSQL store): its methods are
the `Store` protocol's payment methods, called directly (`ingest_callback`, the relay's hottest
write, is one method call away from the writer). The SQL they run lives in `sqlite_payments`,
`sqlite_callbacks`, `sqlite_queries` and `sqlite_feed`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

from server_stub.access.keys import AccessKeyring
from server_stub.payments.settlement import CallbackOutcome, StkResult
from server_stub.store import sqlite_callbacks as callbacks
from server_stub.store import sqlite_payments as payments
from server_stub.store import sqlite_queries as queries
from server_stub.store import write_scope
from server_stub.store.records import NewPush, PaymentRecord, RawCallback, Reservation
from server_stub.store.sqlite_access import with_access
from server_stub.store.sqlite_feed import feed_chunk, feed_items_after
from server_stub.store.writer import GroupCommitWriter

log = logging.getLogger(__name__)

# The condition lets SQLite answer from the partial index payments_due; without it MIN read
# every payment, on the event loop, after each reconciliation round (issue 15's ingest ratio).
NEXT_QUERY_DUE = "SELECT MIN(next_query_at) FROM payments WHERE next_query_at IS NOT NULL"


class PaymentOperations:
    """Payments of every provider: reads on `_read`, writes through `_writer`."""

    # Set by SqliteStore.__init__ and _assemble.
    _writer: GroupCommitWriter
    _read: sqlite3.Connection
    _clock: Callable[[], float]
    _keys: AccessKeyring | None

    async def callback_token_known(self, token_hash: str) -> bool:
        """Whether a push was made with this callback token."""
        row = self._read.execute(
            "SELECT 1 FROM payments WHERE callback_token_hash = ?", (token_hash,)
        ).fetchone()
        return row is not None

    async def reserve_push(self, push: NewPush, guard_since: float) -> Reservation:
        """Reserve a push unless its Idempotency-Key or a recent push to the phone answers it."""
        return await self._writer.run(lambda conn: payments.reserve_push(conn, push, guard_since))

    async def confirm_push(
        self,
        payment_id: int,
        *,
        checkout_request_id: str,
        merchant_request_id: str,
        first_query_at: float,
        now: float,
    ) -> PaymentRecord:
        """Record Daraja's ids and give the push its place in the feed."""
        return await self._writer.run(
            lambda conn: payments.confirm_push(
                conn, payment_id, checkout_request_id, merchant_request_id, first_query_at, now
            )
        )

    async def discard_push(self, payment_id: int) -> None:
        """Forget a reservation that Daraja refused (only while it has no feed place)."""

        def delete(conn: sqlite3.Connection) -> None:
            write_scope.provider_of(conn, payments.PROVIDER_OF_PAYMENT, (payment_id,))
            conn.execute("DELETE FROM payments WHERE id = ? AND seq IS NULL", (payment_id,))

        await self._writer.run(delete)

    async def get_payment(self, provider_id: int, checkout_request_id: str) -> PaymentRecord | None:
        """One accepted push of this provider, or None."""
        return payments.select_payment(
            self._read,
            "provider_id = ? AND checkout_request_id = ? AND seq IS NOT NULL",
            provider_id,
            checkout_request_id,
        )

    async def reconcile_backlog(self) -> tuple[int, float | None]:
        """Pushes still due a status query, and the creation time of the oldest of them."""
        row = self._read.execute(
            "SELECT COUNT(*), MIN(created_at) FROM payments WHERE next_query_at IS NOT NULL"
        ).fetchone()
        return int(row[0]), (float(row[1]) if row[1] is not None else None)

    async def feed_head(self, provider_id: int) -> int:
        """The provider's last feed sequence number (0 before its first payment)."""
        row = self._read.execute(
            "SELECT last_seq FROM providers WHERE id = ?", (provider_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    async def feed_items_after(
        self, provider_id: int, after_seq: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """`(seq, item JSON)` of the provider's changes after `after_seq`, oldest first."""
        return feed_items_after(self._read, provider_id, after_seq, limit)

    async def feed_chunk(
        self, provider_id: int, after_seq: int, upto_seq: int, limit: int
    ) -> tuple[int, int, bytes]:
        """(last seq, count, comma-joined items) after `after_seq` up to `upto_seq`."""
        return feed_chunk(self._read, provider_id, after_seq, upto_seq, limit)

    async def payments_after(
        self, provider_id: int, after_seq: int, limit: int
    ) -> list[PaymentRecord]:
        """The provider's payments changed after `after_seq`, oldest change first."""
        rows = self._read.execute(
            f"SELECT {payments.PAYMENT_COLUMNS} FROM payments "  # noqa: S608 - constant
            "WHERE provider_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (provider_id, after_seq, limit),
        ).fetchall()
        return with_access(self._read, [payments.payment_from_row(row) for row in rows])

    async def ingest_callback(
        self,
        raw: RawCallback,
        *,
        provider_id: int | None,
        result: StkResult | None,
        rejection: CallbackOutcome | None,
        confirm_after_s: float,
    ) -> tuple[CallbackOutcome, int | None]:
        """Store the raw callback and apply it in the same durable commit."""
        now = self._clock()
        keys = self._access_keys()
        try:
            return await self._writer.run(
                lambda conn: callbacks.ingest_callback(
                    conn, raw, provider_id, result, rejection, now, confirm_after_s, keys
                )
            )
        except callbacks.ApplyFailedError as error:
            # Undone by the writer: the raw callback is kept on its own, before the answer.
            log.error("Applying a callback failed (%s); its raw body is kept", error.__cause__)
            failed = CallbackOutcome.APPLY_FAILED
            return await self._writer.run(
                lambda conn: callbacks.ingest_callback(
                    conn, raw, provider_id, None, failed, now, confirm_after_s, keys
                )
            )

    async def due_for_query(self, now: float, limit: int) -> list[PaymentRecord]:
        """Pending pushes whose next reconciliation query is due."""
        rows = self._read.execute(
            f"SELECT {payments.PAYMENT_COLUMNS} FROM payments "  # noqa: S608 - constant
            "WHERE next_query_at IS NOT NULL AND next_query_at <= ? "
            "ORDER BY next_query_at LIMIT ?",
            (now, limit),
        ).fetchall()
        return [payments.payment_from_row(row) for row in rows]

    async def next_query_due(self) -> float | None:
        """When the earliest scheduled query is due, or None."""
        row = self._read.execute(NEXT_QUERY_DUE).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def apply_query(
        self,
        payment_id: int,
        result: StkResult | None,
        *,
        next_query_at: float | None,
        now: float,
        problem: str | None = None,
    ) -> PaymentRecord | None:
        """Record a query and reschedule; returns the payment if it changed."""
        keys = self._access_keys()
        return await self._writer.run(
            lambda conn: queries.apply_query(
                conn, payment_id, result, next_query_at, now, keys, problem
            )
        )

    def _access_keys(self) -> AccessKeyring:
        if self._keys is None:
            raise RuntimeError("This store was opened without access keys: it cannot settle.")
        return self._keys

    def raw_callback_outcomes(self) -> list[tuple[str, str]]:
        """(provider_ref, outcome) of every stored callback, oldest first (for checks)."""
        rows = self._read.execute(
            "SELECT provider_ref, outcome FROM raw_callbacks ORDER BY id"
        ).fetchall()
        return [(str(ref), str(outcome)) for ref, outcome in rows]
