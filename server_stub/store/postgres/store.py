"""The PostgreSQL store: the SQLite store's operations, writer and reads on psycopg 3.

Selected by `DATABASE_URL=postgresql://...` (DESIGN.md section 11). Several relay instances may
share the database: writes of different providers commit at once and writes of one provider
one after the other, through advisory locks the writer's connection takes (`locks`, declared by
the operations through `server_stub.store.write_scope`); long-polls are woken across instances
by LISTEN/NOTIFY (`channel`), and sweeps run on one leader (`leader`). The address, which may
hold a password, is never shown.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from collections.abc import Callable

from server_stub.access.keys import AccessKeyring
from server_stub.security.atrest import SecretBox
from server_stub.store.identity import ensure_store_id
from server_stub.store.migrations import migrate
from server_stub.store.postgres.adapter import PgConnection, PgReader, reader_pool
from server_stub.store.postgres.channel import FeedChannel
from server_stub.store.postgres.daraja_tokens import SharedDarajaTokens
from server_stub.store.postgres.leader import Leadership
from server_stub.store.postgres.schema import postgres_ddl
from server_stub.store.sqlite_store import SqliteStore, StoreOpenError, _render_feed_items

log = logging.getLogger(__name__)
READ_POOL_SIZE = 8
# pg_advisory_lock key held while one instance migrates (others wait, then find it done).
MIGRATE_LOCK_KEY = 0x5042_4D47  # "PBMG"
CANNOT_CONNECT = (
    "Cannot use the PostgreSQL database of DATABASE_URL ({reason}): check the address, the "
    "password and that PostgreSQL is running."
)


class PostgresStore(SqliteStore):
    """Store backed by PostgreSQL; see `server_stub.store.protocol.Store`."""

    shared = True

    def __init__(
        self,
        dsn: str,
        clock: Callable[[], float],
        *,
        access_keys: AccessKeyring | None = None,
    ) -> None:
        self._keys = access_keys
        self._dsn = dsn
        self.instance_id = uuid.uuid4().hex[:12]
        try:
            writer_conn = PgConnection(dsn)
        except sqlite3.Error as error:
            raise StoreOpenError(CANNOT_CONNECT.format(reason=error)) from None
        try:
            writer_conn.execute("SELECT pg_advisory_lock(?)", (MIGRATE_LOCK_KEY,))
            try:
                self.schema_version = migrate(writer_conn, None, postgres_ddl)
            finally:
                writer_conn.execute("SELECT pg_advisory_unlock(?)", (MIGRATE_LOCK_KEY,))
            # The adapter has sqlite3.Connection's shape (see adapter), not its type.
            self.store_id = ensure_store_id(writer_conn)  # type: ignore[arg-type]
            _render_feed_items(writer_conn)  # type: ignore[arg-type]
            read = PgReader(reader_pool(dsn, READ_POOL_SIZE))
        except sqlite3.Error as error:
            writer_conn.close()
            raise StoreOpenError(f"Cannot prepare the PostgreSQL database: {error}.") from None
        except Exception as error:
            writer_conn.close()
            if type(error).__module__.startswith("psycopg"):
                raise StoreOpenError(CANNOT_CONNECT.format(reason=type(error).__name__)) from None
            raise
        self._assemble(writer_conn, read, clock)
        self._channel: FeedChannel | None = None
        self._leadership = Leadership(dsn)

    def __repr__(self) -> str:
        return "PostgresStore(<address hidden>)"

    @property
    def path(self) -> None:  # type: ignore[override]
        """No file: the database lives on the PostgreSQL server."""
        return None

    def lead(self, task: str) -> bool:
        """Whether this instance holds `task`'s advisory lock (taking it when free)."""
        return self._leadership.holds(task)

    def share_daraja_tokens(self, box: SecretBox) -> None:
        """One Daraja OAuth token per app for every instance, kept encrypted in the database."""
        self.daraja_tokens = SharedDarajaTokens(self._dsn, box)

    def share_changes(self, notify: Callable[[int], None]) -> Callable[[int], None] | None:
        """Listen for other instances' feed changes (calling `notify` on this loop); returns
        the function that tells the other instances about this one's."""
        if self._channel is None:
            self._channel = FeedChannel(self._dsn, self.instance_id)
            self._channel.start(asyncio.get_running_loop(), notify)
        return self._channel.publish

    async def close(self) -> None:
        """Stop listening and leading, finish pending writes, close every connection."""
        if self._channel is not None:
            self._channel.close()
        self._leadership.close()
        await super().close()
