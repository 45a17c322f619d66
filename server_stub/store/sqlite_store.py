"""The SQLite store: WAL with synchronous=FULL, one group-committing writer, a read connection."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bucket_desktop.services.daraja_client import SharedTokens
from server_stub.access.keys import AccessKeyring
from server_stub.audit.entries import Audit
from server_stub.payments.settlement import CallbackOutcome, StkResult
from server_stub.security.atrest import SecretBox
from server_stub.store import shared_state, write_scope
from server_stub.store import sqlite_callbacks as callbacks
from server_stub.store import sqlite_payments as payments
from server_stub.store import sqlite_providers as providers
from server_stub.store import sqlite_queries as queries
from server_stub.store import sqlite_tokens as tokens
from server_stub.store.identity import ensure_store_id
from server_stub.store.migrations import migrate
from server_stub.store.records import (
    CreatedProvider,
    EncryptedCredentials,
    NewPush,
    NewToken,
    PaymentRecord,
    ProviderRecord,
    RawCallback,
    Reservation,
    Role,
    TokenRecord,
)
from server_stub.store.sqlite_access import with_access
from server_stub.store.sqlite_audit import SqliteAudit, audited
from server_stub.store.sqlite_feed import feed_chunk, feed_items_after, render_unrendered
from server_stub.store.sqlite_mechanisms import SqliteMechanisms
from server_stub.store.sqlite_outbox import SqliteOutbox
from server_stub.store.sqlite_plans import SqlitePlans
from server_stub.store.sqlite_platform import SqlitePlatform
from server_stub.store.writer import GroupCommitWriter
from server_stub.webhooks.store import SqliteWebhooks

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 5000
_SYNCHRONOUS_FULL = 2
# The condition lets SQLite answer from the partial index payments_due; without it MIN read
# every payment, on the event loop, after each reconciliation round (issue 15's ingest ratio).
NEXT_QUERY_DUE = "SELECT MIN(next_query_at) FROM payments WHERE next_query_at IS NOT NULL"


class StoreOpenError(RuntimeError):
    """The database cannot be opened with the durability the relay needs."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the store's file in WAL mode with synchronous=FULL (StoreOpenError if
    the file cannot have them)."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = FULL")
        synchronous = conn.execute("PRAGMA synchronous").fetchone()[0]
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as error:
        raise StoreOpenError(f"Cannot open the database {path}: {error}.") from None
    if str(mode).lower() != "wal" or synchronous != _SYNCHRONOUS_FULL:
        conn.close()
        raise StoreOpenError(
            f"The database {path} cannot use WAL with synchronous=FULL (got {mode}, "
            f"{synchronous}): put it on a local disk."
        )
    return conn


def _private_database_file(path: Path) -> None:
    """Create the folder (0700) and the database file (0600) for this user alone.

    The database holds phone numbers, receipts and raw callbacks; SQLite gives its -wal and -shm
    files the database file's mode, so making the file first, 0600, whatever the umask, covers
    all three. A folder that already exists is left as it is (it may be shared, like /var/lib).
    """
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True)
            path.parent.chmod(0o700)  # mkdir's mode is masked by the umask
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another command created it at the same moment, with the same mode
    except OSError as error:
        raise StoreOpenError(
            f"Cannot create the database {path}: {error.strerror}. Check that the folder "
            "exists and that this user may write to it."
        ) from None
    for file in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)  # made by an older version, or copied in with cp
        except OSError:
            log.warning("%s can be read by other users: make it private with chmod 600.", file)


def _render_feed_items(conn: sqlite3.Connection) -> None:
    # Rows from before schema 6, or written straight into the file: rendered once, at open.
    conn.execute("BEGIN IMMEDIATE")
    try:
        count = render_unrendered(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    if count:
        log.info("Rendered the feed items of %d payments", count)


class SqliteStore:
    """Store backed by one SQLite file; see `server_stub.store.protocol.Store`."""

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float],
        *,
        access_keys: AccessKeyring | None = None,
    ) -> None:
        _private_database_file(path)
        # Needed only by the operations that confirm payments (they issue access codes); the
        # administration commands open the store without it.
        self._keys = access_keys
        writer_conn = connect(path)
        try:
            self.schema_version = migrate(writer_conn, path)
            self.store_id = ensure_store_id(writer_conn)
            _render_feed_items(writer_conn)
        except sqlite3.Error as error:
            writer_conn.close()
            raise StoreOpenError(f"Cannot prepare the database {path}: {error}.") from None
        except BaseException:
            writer_conn.close()
            raise
        # Reads run on the caller's thread: WAL readers never wait for the writer, and every
        # read is a bounded indexed lookup.
        read = connect(path)
        read.execute("PRAGMA query_only = ON")
        self._assemble(writer_conn, read, clock)
        self.path = path

    def _assemble(self, writer_conn: Any, read: Any, clock: Callable[[], float]) -> None:
        # Shared with the PostgreSQL store, which passes connections of sqlite3's shape.
        self._read = read
        self._writer = GroupCommitWriter(writer_conn)
        self._writer.before_commit = render_unrendered
        keys = self._keys
        if keys is not None:
            # Access-code keys are kept open only once committed (see AccessKeyring).
            self._writer.after_commit = lambda conn: keys.confirm(
                lambda name: providers.stored_secret(conn, name)
            )
        self.plans = SqlitePlans(self._writer, self._read)
        self.outbox = SqliteOutbox(self._writer, clock)
        self.audit = SqliteAudit(self._read)
        self.platform = SqlitePlatform(self._writer, self._read)
        self.webhooks = SqliteWebhooks(self._writer, self._read, clock)
        self.mechanisms = SqliteMechanisms(self._writer, self._read)
        self._clock = clock

    # Several relay instances share this store (PostgreSQL): long-polls re-check on a timer,
    # and periodic work goes to one leader. One SQLite file has one relay.
    shared = False

    def lead(self, task: str) -> bool:
        """Whether this instance runs `task` (a sweep) now; always, with one relay."""
        return True

    def share_changes(self, notify: Callable[[int], None]) -> Callable[[int], None] | None:
        """Hook for other instances' changes; None: nobody else writes here."""
        return None

    # Daraja OAuth tokens shared with other instances (None: this relay's client keeps its own).
    daraja_tokens: SharedTokens | None = None

    def share_daraja_tokens(self, box: SecretBox) -> None:
        """Keep Daraja tokens, encrypted with `box`, for every instance (a shared store only)."""

    async def limit_wait(
        self, kind: str, key: str, limit: int, window_s: float, now: float
    ) -> float:
        """Seconds until `key` may act again under a shared limit; 0 if now."""
        return shared_state.limit_wait(self._read, kind, key, limit, window_s, now)

    async def limit_record(self, kind: str, key: str, window_s: float, now: float) -> None:
        """Count one event of a shared limit."""
        await self._writer.run(
            lambda conn: shared_state.limit_record(conn, kind, key, window_s, now)
        )

    async def add_nonce(self, nonce: str, expires_at: float, now: float) -> None:
        """Keep a one-time nonce for every instance."""
        await self._writer.run(lambda conn: shared_state.add_nonce(conn, nonce, expires_at, now))

    async def take_nonce(self, nonce: str, now: float) -> bool:
        """True once for a kept, unexpired nonce."""
        return await self._writer.run(lambda conn: shared_state.take_nonce(conn, nonce, now))

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    @property
    def commits(self) -> int:
        """Commits made so far (for grouping figures)."""
        return self._writer.commits

    async def close(self) -> None:
        """Finish pending writes and close both connections."""
        self._writer.close()
        self._read.close()

    async def healthy(self) -> bool:
        """The read connection answers."""
        try:
            row = self._read.execute("SELECT 1").fetchone()
        except sqlite3.Error:
            return False
        return bool(row == (1,))

    async def create_provider(self, name: str, created_at: float) -> int:
        """A new provider; returns its id."""

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO providers (name, created_at) VALUES (?, ?)", (name, created_at)
            )
            return int(cursor.lastrowid or 0)

        return await self._writer.run(insert)

    async def create_provider_with_tokens(
        self,
        name: str,
        created_at: float,
        new_tokens: Sequence[NewToken],
        *,
        audit: Audit[CreatedProvider] | None = None,
    ) -> CreatedProvider:
        """A new provider with its first tokens, in one transaction."""

        def insert(conn: sqlite3.Connection) -> CreatedProvider:
            cursor = conn.execute(
                "INSERT INTO providers (name, created_at) VALUES (?, ?)", (name, created_at)
            )
            provider_id = int(cursor.lastrowid or 0)
            token_ids = tuple(
                tokens.insert_token(
                    conn, new.token_hash, provider_id, new.role, _name(new), created_at
                )
                for new in new_tokens
            )
            return CreatedProvider(provider_id, token_ids)

        return await self._writer.run(audited(insert, audit))

    async def get_provider(self, provider_id: int) -> ProviderRecord | None:
        """One provider, or None."""
        return providers.select_provider(self._read, provider_id)

    async def save_credentials(
        self,
        provider_id: int,
        credentials: EncryptedCredentials,
        callback_url: str,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Replace a provider's credentials and clear the verification fields."""
        now = self._clock()

        def save(conn: sqlite3.Connection) -> bool:
            return providers.save_credentials(conn, provider_id, credentials, callback_url, now)

        return await self._writer.run(audited(save, audit))

    async def record_credentials_test(
        self,
        provider_id: int,
        *,
        verified: bool,
        tested_at: float,
        status: str,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Keep the outcome of a credentials test; False when there is no such provider."""

        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE providers SET mpesa_credentials_verified = ?, mpesa_last_test = ?, "
                "mpesa_test_status = ? WHERE id = ?",
                (int(verified), tested_at, status, provider_id),
            )
            return cursor.rowcount == 1

        return await self._writer.run(audited(update, audit))

    async def reencrypt_secrets(
        self, rotate: Callable[[bytes], bytes], *, audit: Audit[int] | None = None
    ) -> int:
        """Re-encrypt every provider secret and relay secret in one transaction."""
        return await self._writer.run(
            audited(lambda conn: providers.reencrypt_secrets(conn, rotate), audit)
        )

    async def secret_setting(self, name: str, make: Callable[[], bytes]) -> bytes:
        """The stored value `name`, created with `make` once (first writer wins)."""
        return await self._writer.run(lambda conn: providers.secret_setting(conn, name, make))

    async def push_limit(self, provider_id: int) -> int | None:
        """The provider's own STK pushes-per-minute limit, or None for the relay's default."""
        row = self._read.execute(
            "SELECT pushes_per_minute FROM providers WHERE id = ?", (provider_id,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    async def set_push_limit(
        self, provider_id: int, per_minute: int | None, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Set (None: clear) the provider's push limit; False when there is no such provider."""

        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE providers SET pushes_per_minute = ? WHERE id = ?",
                (per_minute, provider_id),
            )
            return cursor.rowcount == 1

        return await self._writer.run(audited(update, audit))

    async def access_at_callback(self, provider_id: int) -> bool:
        """Whether the provider gives access at the callback, before confirmation."""
        return payments.access_at_callback(self._read, provider_id)

    async def set_access_at_callback(self, provider_id: int, enabled: bool) -> None:
        """Switch access at the callback on or off for the provider."""

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE providers SET access_at_callback = ? WHERE id = ?",
                (int(enabled), provider_id),
            )

        await self._writer.run(update)

    async def callback_token_known(self, token_hash: str) -> bool:
        """Whether a push was made with this callback token."""
        row = self._read.execute(
            "SELECT 1 FROM payments WHERE callback_token_hash = ?", (token_hash,)
        ).fetchone()
        return row is not None

    async def add_token(
        self,
        token_hash: str,
        provider_id: int,
        role: Role,
        created_at: float,
        name: str = "",
        *,
        audit: Audit[int] | None = None,
    ) -> int:
        """Store a new token's hash; returns its id."""
        name = _name(NewToken("", role, name))

        def insert(conn: sqlite3.Connection) -> int:
            return tokens.insert_token(conn, token_hash, provider_id, role, name, created_at)

        return await self._writer.run(audited(insert, audit))

    async def find_token(self, token_hash: str) -> TokenRecord | None:
        """The token with this hash, or None."""
        return tokens.select_by_hash(self._read, token_hash)

    async def provider_tokens(self, provider_id: int) -> list[TokenRecord]:
        """The provider's tokens that are not revoked, oldest first."""
        return tokens.select_of_provider(self._read, provider_id)

    async def rename_token(
        self, provider_id: int, token_id: int, name: str, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Rename one of the provider's tokens; False when it has no such live token."""
        return await self._writer.run(
            audited(lambda conn: tokens.rename(conn, provider_id, token_id, name), audit)
        )

    async def revoke_token_id(
        self,
        provider_id: int,
        token_id: int,
        revoked_at: float,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Revoke one of the provider's tokens; False when it has no such live token."""
        return await self._writer.run(
            audited(
                lambda conn: tokens.revoke_by_id(conn, provider_id, token_id, revoked_at), audit
            )
        )

    async def touch_token(self, token_id: int, used_at: float, address: str) -> None:
        """Note when and from where a token was last used."""
        await self._writer.run(lambda conn: tokens.touch(conn, token_id, used_at, address))

    async def mark_prompt_proven(self, provider_id: int, at: float) -> None:
        """Daraja accepted a test prompt sent with the provider's current credentials."""

        def update(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE providers SET prompt_proven_at = ? WHERE id = ?", (at, provider_id)
            )

        await self._writer.run(update)

    async def token_revoked_at(self, token_hash: str) -> float | None:
        """When a token was revoked, or None (never revoked, or no such token)."""
        row = self._read.execute(
            "SELECT revoked_at FROM tokens WHERE token_hash = ?", (token_hash,)
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def revoke_token(
        self, token_hash: str, revoked_at: float, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Revoke a token; False when no such token exists."""

        def update(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE token_hash = ?",
                (revoked_at, token_hash),
            )
            return cursor.rowcount == 1

        return await self._writer.run(audited(update, audit))

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

    def observe_commits(self, observe: Callable[[float], None]) -> None:
        """Tell `observe` how long each durable commit took (called on the writer thread)."""
        self._writer.on_commit = observe

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


def _name(token: NewToken) -> str:
    return token.name or ("Owner" if token.role is Role.OWNER else "Attendant desk")
