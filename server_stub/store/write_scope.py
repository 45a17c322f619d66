"""What a write operation locks when several relay instances share one PostgreSQL database.

An operation of the store's writer declares, before its first statement, whose rows it writes:

- `provider(conn, id)`: one provider's rows (its feed counter, payments, idempotency keys,
  phone guard, vouchers, access rows). Operations of different providers run at once on
  different instances; two of one provider run one after the other, so every "check, then
  write" guard of that provider and the commit order of its feed numbers hold across instances.
- `rows(conn)`: the operation is safe on its rows alone: single statements whose effect the
  database itself settles (a DELETE that takes a nonce once, an INSERT ... ON CONFLICT, claims
  made with `FOR UPDATE SKIP LOCKED`).
- nothing: the operation takes the whole store's write lock, as every write did before; the
  safe default for rare and cross-provider operations (administration, platform settings).

On SQLite these are no-ops: one writer thread per file already runs every write in turn. On
PostgreSQL the connection (`server_stub.store.postgres.adapter.PgConnection`) takes
transaction-level advisory locks; one that another instance holds, when this transaction
already holds something, is not waited for: the operation raises `WriteConflict` and the writer
runs it again first in its next group (see `writer`), so two instances never wait for each other.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# The writer's savepoint around each operation, and around its last step (see `writer`): an
# operation starts at one of these, so the connection knows when it has declared nothing.
OPERATION = "op"
FINISH = "finish"
OPERATION_SAVEPOINTS = (OPERATION, FINISH)


class WriteConflict(sqlite3.OperationalError):
    """Another instance holds what this operation needs: run it again in a later group."""


def provider(conn: Any, provider_id: int) -> None:
    """This operation writes `provider_id`'s rows (takes that provider's lock)."""
    lock = getattr(conn, "lock_provider", None)
    if lock is not None:
        lock(provider_id)


def provider_of(conn: Any, lookup: str, params: tuple[Any, ...]) -> None:
    """Lock the provider that `lookup` (one row, the provider's id first) names.

    For operations given a payment, a delivery or an access rather than a provider; an id that
    names nothing locks nothing (the operation then finds nothing to change).
    """
    lock = getattr(conn, "lock_provider_of", None)
    if lock is not None:
        lock(lookup, params)


def rows(conn: Any) -> None:
    """This operation needs no lock beyond the row locks its own statements take."""
    declare = getattr(conn, "lock_rows", None)
    if declare is not None:
        declare()


def skip_locked(conn: Any, table: str) -> str:
    """The clause making a claiming SELECT pass over `table`'s rows another instance is
    claiming (PostgreSQL); empty on SQLite, whose single writer never claims two at once."""
    return f" FOR UPDATE OF {table} SKIP LOCKED" if getattr(conn, "shared", False) else ""
