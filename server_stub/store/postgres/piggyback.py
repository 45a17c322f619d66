"""Transaction-control statements sent ahead of the next real one, in the same round trip.

The writer wraps every operation in `SAVEPOINT op` ... `RELEASE op` and every group in `BEGIN`
... `COMMIT`. On SQLite these cost microseconds; on PostgreSQL each is a network round trip, a
quarter of a paid callback's. They carry no answer the caller needs, so they are held back and
sent as a prefix of the next statement (`RELEASE op; SAVEPOINT op; SELECT ...`: one simple-query
message, client-side binding allows it). A savepoint that is rolled back to or released before
anything ran inside it is never sent at all (an operation put off before its first statement).
An error in the held-back part surfaces with the statement that carried it, and the transaction
then fails as it would have.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Send = Callable[[str, Any], Any]


class Piggyback:
    """Holds back BEGIN, SAVEPOINT and RELEASE until the next statement that must go out."""

    def __init__(self) -> None:
        self._held: list[str] = []

    def hold(self, sql: str) -> bool:
        """Whether `sql` is held back (or settled without the server); False: send it now."""
        words = sql.split()
        verb = words[0].upper() if words else ""
        if verb == "BEGIN":
            self._held = ["BEGIN"]
            return True
        if verb == "SAVEPOINT":
            self._held.append(sql.strip())
            return True
        if verb == "RELEASE":
            start = self._unsent(words[-1])
            if start is None:
                self._held.append(sql.strip())
            else:  # made and released with nothing in it: never sent
                del self._held[start:]
            return True
        if verb == "ROLLBACK" and len(words) > 1:  # ROLLBACK TO [SAVEPOINT] name
            start = self._unsent(words[-1])
            if start is None:
                return False
            del self._held[start + 1 :]  # nothing ran since it: it still stands, unsent
            return True
        if verb == "ROLLBACK" and self._held[:1] == ["BEGIN"]:
            self._held = []  # the transaction was never opened on the server
            return True
        if verb == "ROLLBACK":
            self._held = []
        return False

    def prefix(self) -> str:
        """The held-back statements to send before the next one (and forget them)."""
        if not self._held:
            return ""
        held, self._held = self._held, []
        return "; ".join(held) + "; "

    @property
    def opened(self) -> bool:
        """Whether a BEGIN is held back (the transaction is open though the server knows not)."""
        return self._held[:1] == ["BEGIN"]

    def _unsent(self, name: str) -> int | None:
        for index in range(len(self._held) - 1, -1, -1):
            words = self._held[index].split()
            if words[0].upper() == "SAVEPOINT" and words[-1] == name:
                return index
        return None
