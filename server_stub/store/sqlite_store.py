"""The SQLite store: WAL with synchronous=FULL, one group-committing writer, a read connection.

This module opens the database file and assembles the store from its parts; the operations on
providers and their tokens are in `sqlite_store_providers`, those on payments in
`sqlite_store_payments`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bucket_desktop.services.daraja_client import SharedTokens
from server_stub.access.keys import AccessKeyring
from server_stub.security.atrest import SecretBox
from server_stub.store import shared_state
from server_stub.store import sqlite_providers as providers
from server_stub.store.identity import ensure_store_id
from server_stub.store.migrations import migrate
from server_stub.store.sqlite_audit import SqliteAudit
from server_stub.store.sqlite_feed import render_unrendered
from server_stub.store.sqlite_mechanisms import SqliteMechanisms
from server_stub.store.sqlite_outbox import SqliteOutbox
from server_stub.store.sqlite_plans import SqlitePlans
from server_stub.store.sqlite_platform import SqlitePlatform
from server_stub.store.sqlite_store_payments import PaymentOperations
from server_stub.store.sqlite_store_providers import ProviderOperations
from server_stub.store.writer import GroupCommitWriter
from server_stub.webhooks.store import SqliteWebhooks

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 5000
_SYNCHRONOUS_FULL = 2


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


# The Store protocol's provider and payment methods come from the bases, one module per concern;
# inherited rather than delegated, so that a call (ingest_callback above all) takes no extra hop
# to the writer. The parts callers reach as attributes (store.plans, store.outbox...) are
# composed in _assemble.
class SqliteStore(ProviderOperations, PaymentOperations):
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

    def observe_commits(self, observe: Callable[[float], None]) -> None:
        """Tell `observe` how long each durable commit took (called on the writer thread)."""
        self._writer.on_commit = observe
