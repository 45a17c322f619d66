"""One SQLite writer thread that groups queued operations into shared, durable commits.

Each operation runs inside its own SAVEPOINT (one failing operation does not undo the others in
its group), the group is committed once, and only then are the waiting callers answered: an
acknowledgement always means "on disk" (DESIGN.md section 5, issue 5's crash test).

With several relay instances on one PostgreSQL database an operation may find what it writes
held by another instance's group (`write_scope.WriteConflict`): it is undone to its savepoint
and run again first in the next group, where the connection may wait for the lock (see
`server_stub.store.postgres.locks`). On SQLite this never happens.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from server_stub.store.write_scope import FINISH, OPERATION, WriteConflict

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]

MAX_GROUP = 512
# Runs an operation may be put off by other instances' locks before its caller is told (a
# guard against a livelock: the most put-off operation heads the next group and may wait).
MAX_DEFERRALS = 100


class StoreClosedError(RuntimeError):
    """The store was closed before the operation could run."""


@dataclass(slots=True)
class _Job:
    operation: Operation[Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    deferrals: int = 0


_STOP = object()
_DEFERRED = (False, None)


class GroupCommitWriter:
    """Runs write operations on a dedicated connection, committing them in groups."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="relay-store-writer", daemon=True)
        self._closed = False
        # Operations put off by another instance's lock: the head of the next group.
        self._deferred: list[_Job] = []
        self._allow_lock_wait: Callable[[bool], None] | None = getattr(
            connection, "allow_lock_wait", None
        )
        self.commits = 0
        # Told the seconds each durable commit took (the relay's metrics), from this thread.
        self.on_commit: Callable[[float], None] | None = None
        # Runs last in every group, inside its transaction (the store renders feed items).
        self.before_commit: Callable[[sqlite3.Connection], object] | None = None
        # Runs after every durable commit, outside a transaction, for what may be kept only
        # once it is committed (the access keyring's newly made keys).
        self.after_commit: Callable[[sqlite3.Connection], object] | None = None
        self._thread.start()

    async def run(self, operation: Operation[T]) -> T:
        """Queue an operation and wait until its group is committed; returns its result."""
        if self._closed:
            raise StoreClosedError("The store is closed.")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(operation, loop, future))
        return await future

    def close(self) -> None:
        """Finish queued operations, then stop the thread and close the connection."""
        if self._closed:
            return
        self._closed = True
        self._jobs.put(_STOP)
        self._thread.join()
        self._connection.close()

    def _run(self) -> None:
        stopping = False
        while not stopping or self._deferred:
            group, stop = self._next_group(stopping)
            stopping = stopping or stop
            if group:
                self._commit_group(group)

    def _next_group(self, stopping: bool) -> tuple[list[_Job], bool]:
        group, self._deferred = self._deferred, []
        if stopping:
            return group, True
        if not group:
            first = self._jobs.get()
            if not isinstance(first, _Job):
                return [], True
            group = [first]
        while len(group) < MAX_GROUP:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, _Job):
                return group, True
            group.append(item)
        return group, False

    def _commit_group(self, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        deferred: list[_Job] = []
        conn = self._connection
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                outcomes.append(self._run_one(job))
            deferred = [job for job, done in zip(group, outcomes, strict=True) if done is _DEFERRED]
            if deferred:
                group = [
                    job for job, done in zip(group, outcomes, strict=True) if done is not _DEFERRED
                ]
                outcomes = [done for done in outcomes if done is not _DEFERRED]
            self._finish_group()
            conn.execute("COMMIT")
            self.commits += 1
            if self.on_commit is not None:
                self.on_commit(time.perf_counter() - started)
            self._after_commit()
        except sqlite3.Error as error:
            log.error("A store commit failed (%s); %d operations refused", error, len(group))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, StoreClosedError("The store could not save: try again."))] * len(
                group
            )
        self._deferred.extend(deferred)
        # The operation put off most often goes first: the head of a group may wait for its lock.
        self._deferred.sort(key=lambda job: -job.deferrals)
        # One wake-up per event loop for the whole group: each call_soon_threadsafe writes to
        # the loop's wake-up pipe, and a group holds up to MAX_GROUP jobs of the same loop.
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any]]] = {}
        for job, outcome in zip(group, outcomes, strict=True):
            by_loop.setdefault(job.loop, []).append((job.future, outcome))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_all, settled)
            except RuntimeError:  # the caller's loop has closed; nobody is waiting any more
                continue

    def _finish_group(self) -> None:
        if self.before_commit is None:
            return
        conn = self._connection
        conn.execute(f"SAVEPOINT {FINISH}")
        try:
            self.before_commit(conn)
        except Exception:
            # The group's own work still commits: what this step derives can be redone later.
            log.exception("Finishing a store commit failed; its operations are kept")
            conn.execute(f"ROLLBACK TO {FINISH}")
        conn.execute(f"RELEASE {FINISH}")

    def _after_commit(self) -> None:
        if self.after_commit is None:
            return
        try:
            self.after_commit(self._connection)
        except Exception:
            # The group is committed whatever happens here: its callers get their results.
            log.exception("A step after a store commit failed; the commit is kept")

    def _run_one(self, job: _Job) -> tuple[bool, Any]:
        conn = self._connection
        if self._allow_lock_wait is not None:
            # A first run gives way to another instance at once; a put-off one may wait.
            self._allow_lock_wait(job.deferrals > 0)
        conn.execute(f"SAVEPOINT {OPERATION}")
        try:
            result = job.operation(conn)
        except Exception as error:  # handed back to the caller, who decides what it means
            conn.execute(f"ROLLBACK TO {OPERATION}")
            conn.execute(f"RELEASE {OPERATION}")
            if isinstance(error, WriteConflict) and job.deferrals < MAX_DEFERRALS:
                job.deferrals += 1
                return _DEFERRED
            return False, error
        conn.execute(f"RELEASE {OPERATION}")
        return True, result


def _settle_all(settled: list[tuple[asyncio.Future[Any], tuple[bool, Any]]]) -> None:
    for future, (ok, value) in settled:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
