"""One leader at a time for periodic work across relay instances: PostgreSQL advisory locks.

Each task's lock is a session lock held on a connection of its own: while the leader lives it
keeps the lock; when it dies (even by kill -9) PostgreSQL closes its session and frees the lock,
and the next instance to ask takes it over (ACTIVATION.md section D.2).
"""

from __future__ import annotations

import logging
import threading
import zlib
from typing import Any

import psycopg

log = logging.getLogger(__name__)
_KEY_BASE = 0x5042_0000  # "PB" then a task's hash


def task_key(task: str) -> int:
    """The advisory lock key of a task name."""
    return _KEY_BASE + zlib.crc32(task.encode()) % 0xFFFF


class Leadership:
    """Holds (or not) each task's advisory lock on one dedicated connection."""

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._conn: psycopg.Connection[Any] | None = None
        self._held: set[str] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Leadership(held={sorted(self._held)})"

    def holds(self, task: str) -> bool:
        """Whether this instance leads `task` now, taking the lock when it is free."""
        with self._lock:
            try:
                conn = self._connection()
                if task in self._held:
                    conn.execute("SELECT 1")  # the session, and so the lock, is still there
                    return True
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (task_key(task),)).fetchone()
            except psycopg.Error:
                self._drop()
                return False
            if row is not None and row[0]:
                self._held.add(task)
                log.info("This relay instance now leads %s.", task)
                return True
            return False

    def close(self) -> None:
        """Give up every lock (closing the session frees them)."""
        with self._lock:
            self._drop()

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            self._held.clear()
            self._conn = psycopg.connect(
                self._dsn, autocommit=True, prepare_threshold=None, connect_timeout=5
            )
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._held.clear()
