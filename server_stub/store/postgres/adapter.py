"""The store's SQLite-dialect operations run on PostgreSQL: one copy of the relay's logic.

The store's operations take a `sqlite3.Connection`-like object: `execute(sql, params)` with `?`
placeholders, a cursor with `fetchone`, `fetchall`, `rowcount` and `lastrowid`, and the DB-API
errors of `sqlite3` (the operations catch `sqlite3.IntegrityError` and `sqlite3.Error`). These
classes give that shape on top of psycopg 3, translating the few spellings the two databases do
not share; everything else is portable SQL written once.

`BEGIN IMMEDIATE` keeps its SQLite meaning, "nobody else writes what I write": the writer's
connection takes transaction-level advisory locks (`locks`), per provider for the operations
that declare whose rows they write (`server_stub.store.write_scope`) and the whole store's lock
for the others. Writes of different providers thus commit at once on different instances,
while every guard the operations check before they write (one push per phone, idempotency
keys, the feed counter, voucher taking) holds as on SQLite; reads, long-polls and Daraja calls
run on every instance at once.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from server_stub.store.postgres.locks import WriteLocks
from server_stub.store.postgres.piggyback import Piggyback
from server_stub.store.write_scope import WriteConflict

_NUMERIC_OID = 1700
# Autocommit (the operations issue BEGIN and COMMIT, as on SQLite); values bound on the client,
# as literals, so that SQLite's untyped `? IS NULL` and `SELECT ?` need no casts; and no
# prepared statements, which makes the connections safe behind PgBouncer.
CONNECTION_OPTIONS: dict[str, Any] = {
    "autocommit": True,
    "prepare_threshold": None,
    "cursor_factory": psycopg.ClientCursor,
}
_EXACT_REWRITES = (
    # SQLite joins BLOBs with GROUP_CONCAT; PostgreSQL's string_agg joins bytea with a bytea.
    (
        "CAST(GROUP_CONCAT(feed_json, ',') AS BLOB)",
        "string_agg(feed_json, ','::bytea ORDER BY seq)",
    ),
)
_NAMED = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_SCALAR_MINMAX = re.compile(r"\b(MAX|MIN)\(", re.IGNORECASE)


class TransientStoreError(sqlite3.OperationalError):
    """A deadlock, a serialization failure or a lost connection: the same work may succeed again."""


class LockConflict(WriteConflict, TransientStoreError):
    """PostgreSQL broke a cycle of waits (or a serialization conflict) by failing this
    statement: the writer runs the operation again in its next group."""


@lru_cache(maxsize=1024)
def to_postgres(sql: str, named: bool = False) -> str:
    """The statement in PostgreSQL's spelling (placeholders, scalar MIN/MAX, BLOB casts)."""
    for old, new in _EXACT_REWRITES:
        sql = sql.replace(old, new)
    sql = _scalar_min_max(sql)
    sql = sql.replace("AS BLOB)", "AS BYTEA)")
    sql = sql.replace("%", "%%")
    if named:
        return _NAMED.sub(r"%(\1)s", sql)
    return sql.replace("?", "%s")


def _scalar_min_max(sql: str) -> str:
    # SQLite's two-argument MAX(a, b) and MIN(a, b) are PostgreSQL's GREATEST and LEAST; the
    # one-argument aggregates keep their names.
    out: list[str] = []
    position = 0
    for match in _SCALAR_MINMAX.finditer(sql):
        depth, index, comma = 1, match.end(), False
        while index < len(sql) and depth:
            char = sql[index]
            depth += {"(": 1, ")": -1}.get(char, 0)
            comma = comma or (char == "," and depth == 1)
            index += 1
        if comma:
            out.append(sql[position : match.start()])
            out.append("GREATEST(" if match.group(1).upper() == "MAX" else "LEAST(")
            position = match.end()
    out.append(sql[position:])
    return "".join(out)


def sqlite_error(error: psycopg.Error) -> sqlite3.Error:
    """The sqlite3 error the store's operations already handle, with PostgreSQL's first line.

    Only the primary message is kept: PostgreSQL's detail line quotes the offending values.
    """
    primary = error.diag.message_primary
    if not primary:
        # Client-side errors; a failed connection's text names the server, so it is not kept.
        lost = isinstance(error, psycopg.OperationalError)
        text = str(error).splitlines()[0] if str(error) and not lost else ""
        primary = text or "the connection to PostgreSQL failed or was lost"
    if isinstance(error, pg_errors.IntegrityError):
        return sqlite3.IntegrityError(primary)
    if isinstance(error, (pg_errors.DeadlockDetected, pg_errors.SerializationFailure)):
        return LockConflict(primary)
    if isinstance(error, psycopg.OperationalError):
        return TransientStoreError(primary)
    return sqlite3.OperationalError(primary)


class Rows:
    """A fetched result, shaped like a sqlite3 cursor."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int, lastrowid: Any = None) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self._lastrowid = lastrowid

    @property
    def lastrowid(self) -> int | None:
        """The id the last INSERT made (PostgreSQL's lastval(), read only when asked)."""
        if callable(self._lastrowid):
            self._lastrowid = self._lastrowid()
        return self._lastrowid  # type: ignore[no-any-return]

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The remaining rows."""
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


def _run(conn: psycopg.Connection[Any], sql: str, params: Any, prefix: str = "") -> Rows:
    named = isinstance(params, dict)
    bound = params if params else None
    try:
        cursor = conn.execute(
            prefix + (to_postgres(sql, named) if bound is not None else sql), bound
        )
        while prefix and cursor.nextset():
            pass  # the held-back statements' results come first (see piggyback)
        rows: list[tuple[Any, ...]] = []
        if cursor.description is not None:
            rows = cursor.fetchall()
            if any(column.type_code == _NUMERIC_OID for column in cursor.description):
                rows = [tuple(_plain(value) for value in row) for row in rows]
    except psycopg.Error as error:
        raise sqlite_error(error) from None
    lastrowid = None
    if sql.lstrip()[:6].upper() == "INSERT" and cursor.rowcount == 1:
        lastrowid = lambda: _lastval(conn)  # noqa: E731 - asked for rarely
    return Rows(rows, cursor.rowcount, lastrowid)


def _plain(value: Any) -> Any:
    # SUM over BIGINT is NUMERIC in PostgreSQL; SQLite answers an int (or a float).
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _lastval(conn: psycopg.Connection[Any]) -> int | None:
    try:
        row = conn.execute("SELECT lastval()").fetchone()
    except psycopg.Error:
        return None  # the table has no generated id
    return int(row[0]) if row else None


class PgConnection:
    """One PostgreSQL connection with sqlite3.Connection's shape (autocommit, explicit BEGIN).

    Used by the store's writer thread and by migrations; a lost connection is made again at the
    next BEGIN, so a PostgreSQL restart costs the groups in flight, not the relay.
    """

    # Claims pass over rows another instance holds (`write_scope.skip_locked`).
    shared = True

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn = _connect(dsn)
        self._held = Piggyback()
        self._locks = WriteLocks(self._send)
        # Called by the operations through `write_scope`.
        self.lock_provider = self._locks.lock_provider
        self.lock_provider_of = self._locks.lock_provider_of
        self.lock_rows = self._locks.lock_rows
        self.allow_lock_wait = self._locks.allow_wait

    def __repr__(self) -> str:
        return "PgConnection(<address hidden>)"

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open (like sqlite3.Connection.in_transaction)."""
        status = self._conn.info.transaction_status
        open_here = status != psycopg.pq.TransactionStatus.IDLE and not self._conn.closed
        return open_here or self._held.opened

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Rows:
        """Run one statement, first taking the locks it needs (see `locks`); transaction
        control goes out with the next statement (see `piggyback`)."""
        if sql.strip().upper() == "BEGIN IMMEDIATE":
            self._reconnect_if_lost()
            self._locks.before(sql)
            self._held.hold("BEGIN")
            return Rows([], -1)
        self._locks.before(sql)
        if self._held.hold(sql):
            return Rows([], -1)
        return self._send(sql, params)

    def _send(self, sql: str, params: Any) -> Rows:
        return _run(self._conn, sql, params, self._held.prefix())

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""
        self._locks.before(sql)
        prefix = self._held.prefix()
        if prefix:
            _run(self._conn, prefix.rstrip("; "), None)
        try:
            with self._conn.cursor() as cursor:
                cursor.executemany(to_postgres(sql), rows)
        except psycopg.Error as error:
            raise sqlite_error(error) from None

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def _reconnect_if_lost(self) -> None:
        if self._conn.closed or self._conn.info.transaction_status in (
            psycopg.pq.TransactionStatus.UNKNOWN,
            psycopg.pq.TransactionStatus.INERROR,
        ):
            self._conn.close()
            try:
                self._conn = _connect(self._dsn)
            except psycopg.Error as error:
                raise sqlite_error(error) from None


class PgReader:
    """Reads through a small psycopg pool, each statement on a pooled autocommit connection."""

    def __init__(self, pool: ConnectionPool[Any]) -> None:
        self._pool = pool

    def __repr__(self) -> str:
        return "PgReader(<address hidden>)"

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Rows:
        """Run one read statement on a pooled connection."""
        try:
            with self._pool.connection() as conn:
                return _run(conn, sql, params)
        except psycopg.Error as error:  # the pool's own errors (timeout, closed)
            raise sqlite_error(error) from None
        except Exception as error:
            if type(error).__module__.startswith("psycopg_pool"):
                raise TransientStoreError("The database pool gave no connection in time.") from None
            raise

    def close(self) -> None:
        """Close the pool's connections."""
        self._pool.close()


def _connect(dsn: str) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(dsn, connect_timeout=10, **CONNECTION_OPTIONS)
    except psycopg.Error as error:
        raise sqlite_error(error) from None


def reader_pool(dsn: str, size: int) -> ConnectionPool[Any]:
    """A pool of autocommit connections for reads, opened and checked now."""
    pool: ConnectionPool[Any] = ConnectionPool(
        dsn,
        min_size=1,
        max_size=size,
        kwargs=dict(CONNECTION_OPTIONS),
        open=False,
        name="relay-reads",
        max_lifetime=1800.0,
        check=ConnectionPool.check_connection,
    )
    pool.open(wait=True, timeout=15.0)
    return pool
