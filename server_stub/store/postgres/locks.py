"""The advisory locks a writer transaction holds, so instances write different providers at once.

Two kinds of transaction-level advisory lock (see `server_stub.store.write_scope` for which
operation takes which):

- the store lock, one key: shared by every operation that writes one provider's rows, exclusive
  for an operation that declared nothing (a cross-provider or rare one, and every `BEGIN
  IMMEDIATE` outside the writer, such as migrations), which thus runs alone as before;
- one key per provider, exclusive: two instances never write one provider at once, so the
  guards the operations check before they write hold, and a provider's feed numbers are
  committed in the order they are given (a reader never sees number 7 before number 6).

No deadlock between instances, and no instance idle behind another: an operation only tries
its lock, and one whose lock is taken raises `WriteConflict` for the writer to run it again,
first, in its next group, while the rest of its group goes on. There, put off once already, it
may wait, but only while its transaction holds nothing, which can close no cycle of waits.
Savepoints are followed because PostgreSQL releases the locks a rolled-back savepoint took.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from server_stub.store.write_scope import OPERATION_SAVEPOINTS, WriteConflict

# pg_advisory_xact_lock key of the store lock (one bigint key).
STORE_LOCK_KEY = 0x5042_5752  # "PBWR"
# First half of the two-integer keys of provider locks (a key space of its own in PostgreSQL).
PROVIDER_LOCK_SPACE = 0x5042_5056  # "PBPV"
BUSY = "Another relay instance is writing the same rows."

Run = Callable[[str, tuple[Any, ...]], Any]


@dataclass(frozen=True, slots=True)
class _Held:
    providers: frozenset[int] = frozenset()
    store: str | None = None  # "shared" or "exclusive"
    acted: bool = False  # a statement ran: the transaction may hold row locks


class WriteLocks:
    """Tracks and takes the writer transaction's advisory locks; `run` executes SQL."""

    def __init__(self, run: Run) -> None:
        self._run = run
        self._held = _Held()
        self._savepoints: list[tuple[str, _Held, bool]] = []
        # Whether the current operation has not yet said what it writes.
        self._undeclared = False
        # Whether the current operation may wait for a lock (see allow_wait).
        self._wait_allowed = True
        # Providers found locked by another instance in this transaction: later operations of
        # theirs give way without asking the server again.
        self._busy: set[int] = set()

    def before(self, sql: str) -> None:
        """Follow transactions and savepoints; lock the whole store for an undeclared write."""
        words = sql.split(None, 3)
        verb = words[0].upper() if words else ""
        if verb == "BEGIN":
            self._held, self._savepoints = _Held(), []
            self._busy.clear()
            self._undeclared = len(words) > 1 and words[1].upper() == "IMMEDIATE"
        elif verb in ("COMMIT", "END") or (verb == "ROLLBACK" and len(words) == 1):
            self._held, self._savepoints, self._undeclared = _Held(), [], False
        elif verb == "SAVEPOINT":
            name = words[1]
            self._savepoints.append((name, self._held, self._undeclared))
            if name in OPERATION_SAVEPOINTS:
                self._undeclared = True
        elif verb == "ROLLBACK":  # ROLLBACK TO [SAVEPOINT] name: its locks are gone
            name = words[-1]
            while self._savepoints and self._savepoints[-1][0] != name:
                self._savepoints.pop()
            if self._savepoints:
                _, self._held, self._undeclared = self._savepoints[-1]
        elif verb == "RELEASE":
            name = words[-1]
            while self._savepoints and self._savepoints.pop()[0] != name:
                pass
            if name in OPERATION_SAVEPOINTS:
                self._undeclared = False
        else:
            if self._undeclared:
                self.lock_store()
            if not self._held.acted:
                self._held = replace(self._held, acted=True)

    def allow_wait(self, allowed: bool) -> None:
        """Whether the next operation may wait for its lock (when it holds nothing) rather
        than give way at once; the writer allows it to operations put off before."""
        self._wait_allowed = allowed

    def lock_rows(self) -> None:
        """The operation relies on its own statements' row locks."""
        self._undeclared = False

    def lock_provider(self, provider_id: int) -> None:
        """The provider's lock (and the store lock, shared)."""
        self._undeclared = False
        held = self._held
        if held.store == "exclusive" or provider_id in held.providers:
            return
        store = "pg_advisory_xact_lock_shared(?), " if held.store is None else ""
        may_wait = self._may_wait()
        if not may_wait and provider_id in self._busy:
            raise WriteConflict(BUSY)
        if may_wait:
            self._run(
                f"SELECT {store}pg_advisory_xact_lock(?, ?)",
                (*self._store_key(held), PROVIDER_LOCK_SPACE, provider_id),
            )
        else:
            store = "pg_try_advisory_xact_lock_shared(?) AND " if held.store is None else ""
            row = self._run(
                f"SELECT {store}pg_try_advisory_xact_lock(?, ?)",
                (*self._store_key(held), PROVIDER_LOCK_SPACE, provider_id),
            ).fetchone()
            if not row[0]:
                self._busy.add(provider_id)
                raise WriteConflict(BUSY)
        self._held = replace(
            held, providers=held.providers | {provider_id}, store=held.store or "shared"
        )

    def lock_provider_of(self, lookup: str, params: tuple[Any, ...]) -> None:
        """The lock of the provider `lookup` names (nothing when it names none)."""
        row = self._run(lookup, params).fetchone()
        if row is None or row[0] is None:
            self.lock_rows()
        else:
            self.lock_provider(int(row[0]))

    def lock_store(self) -> None:
        """The store lock, exclusive: nothing else writes until this transaction ends."""
        self._undeclared = False
        if self._held.store == "exclusive":
            return
        if self._may_wait():
            self._run("SELECT pg_advisory_xact_lock(?)", (STORE_LOCK_KEY,))
        elif not self._run("SELECT pg_try_advisory_xact_lock(?)", (STORE_LOCK_KEY,)).fetchone()[0]:
            raise WriteConflict(BUSY)
        self._held = replace(self._held, store="exclusive")

    def _may_wait(self) -> bool:
        # Waiting while holding nothing can close no cycle of waits.
        held = self._held
        return self._wait_allowed and not (held.acted or held.providers or held.store)

    @staticmethod
    def _store_key(held: _Held) -> tuple[int, ...]:
        return (STORE_LOCK_KEY,) if held.store is None else ()
