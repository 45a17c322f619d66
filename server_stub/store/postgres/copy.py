"""`bucket-relay migrate-store --to postgresql://...`: copy a SQLite relay into PostgreSQL.

Every table is copied row for row in one PostgreSQL transaction (secrets stay encrypted with
the relay's ENCRYPTION_KEY, the store's identity is kept so desks need not reload), the
generated ids continue after the copied ones, and each table's row count is compared before
the commit. An empty target only: a database holding relay data is refused.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from server_stub.store.migrations import latest_version, migrate
from server_stub.store.postgres.adapter import PgConnection
from server_stub.store.postgres.schema import postgres_ddl

BATCH = 1000
# Parents before children (foreign keys); tables not named here (newer ones) follow.
ORDER = (
    "store_meta",
    "relay_secrets",
    "providers",
    "tokens",
    "plans",
    "payments",
    "raw_callbacks",
    "access",
    "vouchers",
    "deliveries",
    "audit_log",
    "webhook_endpoints",
    "webhook_events",
    "webhook_deliveries",
    "webhook_attempts",
    "access_mechanisms",
)
# Made by migrate() in the target; not copied.
SKIPPED = ("schema_version",)


class CopyError(RuntimeError):
    """The copy cannot be made; the message says why and what to do."""


def copy_store(source: Path, dsn: str) -> dict[str, int]:
    """Copy the SQLite relay at `source` into the empty PostgreSQL database; rows per table."""
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader:
        version = int(reader.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])
        if version != latest_version():
            raise CopyError(
                f"The SQLite database is at schema version {version}, not {latest_version()}: "
                "start this relay version on it once (or run bucket-relay init), then copy."
            )
        tables = _tables(reader)
        try:
            target = PgConnection(dsn)
        except sqlite3.Error as error:
            raise CopyError(f"Cannot reach the PostgreSQL database ({error}).") from None
        try:
            migrate(target, None, postgres_ddl)
            _refuse_non_empty(target, tables)
            return _copy(reader, target, tables)
        except sqlite3.Error as error:
            raise CopyError(f"The copy failed and was undone: {error}.") from None
        finally:
            target.close()


def _tables(reader: sqlite3.Connection) -> list[str]:
    names = [
        str(name)
        for (name,) in reader.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        if name not in SKIPPED
    ]
    known = [name for name in ORDER if name in names]
    return known + sorted(set(names) - set(known))


def _refuse_non_empty(target: PgConnection, tables: list[str]) -> None:
    held = [
        table
        for table in tables
        if target.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None  # noqa: S608
    ]
    if held:
        raise CopyError(
            f"The PostgreSQL database already holds relay data ({', '.join(held)}): "
            "migrate-store copies into an empty database only. Create a new one "
            "(createdb) and give its address."
        )


def _copy(reader: sqlite3.Connection, target: PgConnection, tables: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    target.execute("BEGIN IMMEDIATE")
    try:
        for table in tables:
            counts[table] = _copy_table(reader, target, table)
        for table, expected in counts.items():
            (found,) = target.execute(f"SELECT COUNT(*) FROM {table}").fetchone() or (0,)  # noqa: S608
            if int(found) != expected:
                raise CopyError(f"{table}: {expected} rows read but {found} written.")
        target.execute("COMMIT")
    except BaseException:
        if target.in_transaction:
            target.execute("ROLLBACK")
        raise
    return counts


def _copy_table(reader: sqlite3.Connection, target: PgConnection, table: str) -> int:
    cursor = reader.execute(f"SELECT * FROM {table}")  # noqa: S608 - names from sqlite_master
    columns = [column[0] for column in cursor.description]
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in columns)})"
    )
    copied = 0
    while rows := cursor.fetchmany(BATCH):
        target.executemany(insert, [_row(row) for row in rows])
        copied += len(rows)
    sequence = None
    if "id" in columns:
        sequence = target.execute("SELECT pg_get_serial_sequence(?, 'id')", (table,)).fetchone()
    if sequence is not None and sequence[0] is not None:
        # Identity columns given explicit ids: the next generated id follows the copied ones.
        target.execute(
            f"SELECT setval(?, (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)",  # noqa: S608
            (sequence[0],),
        )
    return copied


def _row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)
