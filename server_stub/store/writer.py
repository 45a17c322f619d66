"""One SQLite writer thread that groups queued operations into shared, durable commits.

Each operation runs inside its own SAVEPOINT (one failing operation does not undo the others in
its group), the group is committed once, and only then are the waiting callers answered: an
acknowledgement always means "on disk" (DESIGN.md section 5, issue 5's crash test).
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

log = logging.getLogger(__name__)

T = TypeVar("T")
Operation = Callable[[sqlite3.Connection], T]

MAX_GROUP = 512


class StoreClosedError(RuntimeError):
    """The store was closed before the operation could run."""


@dataclass(slots=True)
class _Job:
    operation: Operation[Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


_STOP = object()


class GroupCommitWriter:
    """Runs write operations on a dedicated connection, committing them in groups."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="relay-store-writer", daemon=True)
        self._closed = False
        self.commits = 0
        # Told the seconds each durable commit took (the relay's metrics), from this thread.
        self.on_commit: Callable[[float], None] | None = None
        # Runs last in every group, inside its transaction (the store renders feed items).
        self.before_commit: Callable[[sqlite3.Connection], object] | None = None
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
        while not stopping:
            group, stopping = self._next_group()
            if group:
                self._commit_group(group)

    def _next_group(self) -> tuple[list[_Job], bool]:
        first = self._jobs.get()
        if first is _STOP:
            return [], True
        group = [first]
        while len(group) < MAX_GROUP:
            try:
                item = self._jobs.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return [job for job in group if isinstance(job, _Job)], True
            group.append(item)
        return [job for job in group if isinstance(job, _Job)], False

    def _commit_group(self, group: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        conn = self._connection
        started = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                outcomes.append(self._run_one(job))
            self._finish_group()
            conn.execute("COMMIT")
            self.commits += 1
            if self.on_commit is not None:
                self.on_commit(time.perf_counter() - started)
        except sqlite3.Error as error:
            log.error("A store commit failed (%s); %d operations refused", error, len(group))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, StoreClosedError("The store could not save: try again."))] * len(
                group
            )
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
        conn.execute("SAVEPOINT finish")
        try:
            self.before_commit(conn)
        except Exception:
            # The group's own work still commits: what this step derives can be redone later.
            log.exception("Finishing a store commit failed; its operations are kept")
            conn.execute("ROLLBACK TO finish")
        conn.execute("RELEASE finish")

    def _run_one(self, job: _Job) -> tuple[bool, Any]:
        conn = self._connection
        conn.execute("SAVEPOINT op")
        try:
            result = job.operation(conn)
        except Exception as error:  # handed back to the caller, who decides what it means
            conn.execute("ROLLBACK TO op")
            conn.execute("RELEASE op")
            return False, error
        conn.execute("RELEASE op")
        return True, result


def _settle_all(settled: list[tuple[asyncio.Future[Any], tuple[bool, Any]]]) -> None:
    for future, (ok, value) in settled:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
