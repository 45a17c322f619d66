"""The relay's store on each database it supports: SQLite files and a real PostgreSQL 15.

One throw-away cluster per test session; a template database migrated once, and a fresh copy
of it (CREATE DATABASE ... TEMPLATE, a file copy) for each store a test opens.

Tests name a store by the SQLite file it would live in (`tmp_path / "relay.db"`); `Databases`
maps each such path to the store under test, and `active()` is the one the running test's
`store_backend` chose (tests/server_stub/conftest.py), so the in-process relay
(tests.server_stub.inprocess.relay_settings), relay processes (`running_relay` below) and
stores opened directly (`open_store`) all land on the same backend.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server_stub.access.keys import AccessKeyring
from server_stub.operations.settings import RelaySettings
from server_stub.store.sqlite_store import SqliteStore
from server_stub.testing import RunningRelay
from server_stub.testing import relay_environment as relay_environment_on_sqlite
from server_stub.testing import running_relay as running_relay_on_sqlite
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
        return _postgres_sql(dsn, sql, params)
    assert store.path is not None
    return _sqlite_sql(store.path, sql, params)


@dataclass(eq=False)
class Databases:
    """The stores of one test on one backend, each named by the SQLite file it would use.

    The same path is the same database (a relay restarted on its folder finds its rows), another
    path another, empty one. On PostgreSQL each path gets its own copy of the migrated template;
    `drop` removes them.
    """

    backend: str
    cluster: PgCluster | None = None
    names: dict[Path, str] = field(default_factory=dict)

    def dsn_for(self, path: Path) -> str | None:
        """The PostgreSQL address standing for the SQLite file `path`; None on SQLite."""
        if self.cluster is None:
            return None
        key = Path(path).resolve()
        if key not in self.names:
            self.names[key] = self.cluster.new_database(TEMPLATE)
        return self.cluster.dsn(self.names[key])

    def url_for(self, path: Path) -> str:
        """The DATABASE_URL of the store at `path`."""
        return self.dsn_for(path) or f"sqlite:///{path}"

    def relay_env(self, folder: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """`env` plus the DATABASE_URL of a relay process run on `folder` (server_stub.testing)."""
        return self.data_env(folder / "relay", env)

    def data_env(self, data_dir: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
        """`env` plus the DATABASE_URL of a relay whose RELAY_DATA_DIR is `data_dir`."""
        extra = dict(env or {})
        dsn = self.dsn_for(data_dir / "relay.db")
        if dsn is not None and "DATABASE_URL" not in extra:
            extra["DATABASE_URL"] = dsn
        return extra

    def open(
        self,
        path: Path,
        clock: Callable[[], float],
        access_keys: AccessKeyring | None = None,
    ) -> SqliteStore:
        """The store at `path`, opened (and migrated) directly."""
        dsn = self.dsn_for(path)
        if dsn is None:
            return SqliteStore(path, clock, access_keys=access_keys)
        from server_stub.store.postgres.store import PostgresStore

        return PostgresStore(dsn, clock, access_keys=access_keys)

    def sql(self, path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (`?` placeholders) straight on the store at `path`; its rows."""
        dsn = self.dsn_for(path)
        if dsn is None:
            return _sqlite_sql(path, sql, params)
        return _postgres_sql(dsn, sql, params)

    def forget(self, path: Path) -> None:
        """Drop the store at `path` now (its connections closed), as deleting its file would."""
        name = self.names.pop(Path(path).resolve(), None)
        if name is not None and self.cluster is not None:
            self.cluster.drop_database(name)

    def drop(self) -> None:
        """Drop the PostgreSQL databases made so far."""
        if self.cluster is not None:
            for name in self.names.values():
                self.cluster.drop_database(name)
        self.names.clear()


# The running test's databases, set by tests/server_stub/conftest.py (a stack: a module's relay
# and a test's own stores may both be open).
_ACTIVE: list[Databases] = []


@contextmanager
def activated(databases: Databases) -> Iterator[Databases]:
    """Make `databases` the active ones for the block, dropping them afterwards."""
    _ACTIVE.append(databases)
    try:
        yield databases
    finally:
        del _ACTIVE[next(i for i, d in enumerate(_ACTIVE) if d is databases)]
        databases.drop()


def active() -> Databases:
    """The running test's databases; plain SQLite files outside tests/server_stub."""
    return _ACTIVE[-1] if _ACTIVE else Databases("sqlite")


def open_store(
    path: Path, clock: Callable[[], float], access_keys: AccessKeyring | None = None
) -> SqliteStore:
    """The store named `path` on the backend under test."""
    return active().open(path, clock, access_keys)


def store_sql(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement straight on the store named `path` (backend under test); its rows."""
    return active().sql(path, sql, params)


def settings_sql(
    settings: RelaySettings, sql: str, params: tuple[object, ...] = ()
) -> list[tuple[Any, ...]]:
    """Run one statement straight on the store of these relay settings; its rows."""
    if settings.database_dsn is not None:
        return _postgres_sql(settings.database_dsn, sql, params)
    return _sqlite_sql(settings.database_path, sql, params)


def relay_sql(relay: RunningRelay, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
    """Run one statement straight on a relay process's store; its rows."""
    url = relay.env.get("DATABASE_URL") or f"sqlite:///{relay.env['RELAY_DATA_DIR']}/relay.db"
    if url.startswith("sqlite:///"):
        return _sqlite_sql(Path(url.removeprefix("sqlite:///")), sql, params)
    return _postgres_sql(url, sql, params)


@contextmanager
def running_relay(
    tmp_path: Path, env: Mapping[str, str] | None = None, port: int = 0
) -> Iterator[RunningRelay]:
    """server_stub.testing.running_relay on the backend under test."""
    with running_relay_on_sqlite(tmp_path, active().relay_env(tmp_path, env), port) as relay:
        yield relay


def relay_environment(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """server_stub.testing.relay_environment on the backend under test."""
    return relay_environment_on_sqlite(data_dir, active().data_env(data_dir, extra))


def _sqlite_sql(path: Path, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as raw:
        rows = raw.execute(sql, params).fetchall()
    raw.close()
    return rows


def _postgres_sql(dsn: str, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    from server_stub.store.postgres.adapter import PgConnection

    conn = PgConnection(dsn)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()
