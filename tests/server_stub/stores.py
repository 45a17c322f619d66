"""The relay's store on each database it supports: SQLite files and a real PostgreSQL 15.

One throw-away cluster per test session; a template database migrated once, and a fresh copy
of it (CREATE DATABASE ... TEMPLATE, a file copy) for each store a test opens.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server_stub.access.keys import AccessKeyring
from server_stub.store.sqlite_store import SqliteStore
from tests.postgres_cluster import PgCluster, running_cluster

BACKENDS = ("sqlite", "postgresql")
TEMPLATE = "relay_template"


@contextmanager
def relay_cluster() -> Iterator[PgCluster]:
    """A cluster holding the migrated template database (no store identity of its own)."""
    from server_stub.store.postgres.store import PostgresStore

    with running_cluster("pb-relay-pg-") as cluster:
        cluster.sql(f"CREATE DATABASE {TEMPLATE}")
        store = PostgresStore(cluster.dsn(TEMPLATE), time.time)
        asyncio.run(store.close())
        # Each copy makes its own identity when first opened, as a new database would.
        import psycopg

        with psycopg.connect(cluster.dsn(TEMPLATE), autocommit=True) as conn:
            conn.execute("DELETE FROM store_meta")
        yield cluster


@dataclass
class StoreMaker:
    """Opens stores of one backend for a test; PostgreSQL databases are dropped afterwards."""

    backend: str
    folder: Path
    cluster: PgCluster | None = None
    databases: list[str] = field(default_factory=list)

    def database_url(self) -> str:
        """A new empty relay database's DATABASE_URL (for a relay process)."""
        if self.cluster is None:
            return f"sqlite:///{self.folder / f'relay{len(self.databases)}.db'}"
        name = self.cluster.new_database(TEMPLATE)
        self.databases.append(name)
        return self.cluster.dsn(name)

    def __call__(
        self, clock: Callable[[], float], access_keys: AccessKeyring | None = None
    ) -> SqliteStore:
        """A new store on a new database."""
        if self.cluster is None:
            self.databases.append(str(len(self.databases)))
            path = self.folder / f"relay{len(self.databases)}.db"
            return SqliteStore(path, clock, access_keys=access_keys)
        from server_stub.store.postgres.store import PostgresStore

        return PostgresStore(self.database_url(), clock, access_keys=access_keys)

    def drop(self) -> None:
        """Drop the PostgreSQL databases made for the test."""
        if self.cluster is not None:
            for name in self.databases:
                self.cluster.drop_database(name)


def run_sql(store: SqliteStore, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement straight on the store's database, committed at once; its rows."""
    dsn = getattr(store, "_dsn", None)
    if dsn is not None:
        from server_stub.store.postgres.adapter import PgConnection

        conn = PgConnection(dsn)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()
    assert store.path is not None
    with sqlite3.connect(store.path) as raw:
        rows = raw.execute(sql, params).fetchall()
    raw.close()
    return rows
