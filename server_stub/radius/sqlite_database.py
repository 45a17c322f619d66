"""FreeRADIUS's SQLite database (`RADIUS_DATABASE_URL=sqlite:////path/radius.db`)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

from server_stub.access.outbox import DeliveryFailed, TargetUnreachable
from server_stub.radius.database import Statements, schema_missing
from server_stub.radius.rows import RadiusUser

# FreeRADIUS holds the write lock while it records accounting; wait for it rather than fail.
BUSY_TIMEOUT_S = 10.0
_STATEMENTS = Statements("?")

_Work = Callable[[sqlite3.Cursor], None]


class SqliteRadiusDatabase:
    """The user rows of access codes in one SQLite file FreeRADIUS also uses."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"SqliteRadiusDatabase({str(self.path)!r})"

    async def put(self, user: RadiusUser) -> None:
        """Write (or rewrite) the user's rows; DeliveryFailed says why not in one sentence."""
        await asyncio.to_thread(self._run, lambda cursor: _STATEMENTS.put(cursor, user))

    async def remove(self, username: str, nas_identifier: str) -> None:
        """Delete the user's rows (if they are this provider's); nothing to delete is fine."""
        await asyncio.to_thread(
            self._run, lambda cursor: _STATEMENTS.remove(cursor, username, nas_identifier)
        )

    async def check(self) -> str | None:
        """None when the database opens and has FreeRADIUS's tables, else the problem."""
        try:
            await asyncio.to_thread(self._run, _STATEMENTS.check)
        except DeliveryFailed as problem:
            return problem.message
        return None

    def _run(self, work: _Work) -> None:
        try:
            conn = sqlite3.connect(
                self.path.as_uri() + "?mode=rw",
                uri=True,
                timeout=BUSY_TIMEOUT_S,
                isolation_level=None,
            )
        except sqlite3.Error:
            raise TargetUnreachable(
                f"The RADIUS database {self.path} cannot be opened: check RADIUS_DATABASE_URL "
                "and that the relay's user may write the file and its folder."
            ) from None
        try:
            conn.execute("BEGIN IMMEDIATE")
            work(conn.cursor())
            conn.execute("COMMIT")
        except sqlite3.Error as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise _explained(error, self.path) from None
        except DeliveryFailed:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()


def _explained(error: sqlite3.Error, path: Path) -> DeliveryFailed:
    text = str(error)
    if "locked" in text or "busy" in text:
        return TargetUnreachable("The RADIUS database stayed busy; the relay tries again.")
    if "no such table" in text:
        return schema_missing(str(path))
    if "readonly" in text or "read-only" in text:
        return TargetUnreachable(
            f"The relay may not write the RADIUS database {path}: give its user write access "
            "to the file and its folder (docs/deploy.md)."
        )
    return DeliveryFailed(f"The RADIUS database refused the write ({text}).")
