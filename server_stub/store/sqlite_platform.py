"""The platform administrator's reads and writes in SQLite: health of every provider in a fixed
number of aggregate queries (never one per provider), disabling, admin tokens."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from server_stub.audit.entries import Audit
from server_stub.platform.health import HealthWindow, ProviderHealth
from server_stub.store import sqlite_tokens as tokens
from server_stub.store.records import Role, TokenRecord
from server_stub.store.sqlite_audit import audited
from server_stub.store.writer import GroupCommitWriter

_PROVIDERS = (
    "SELECT id, name, created_at, mpesa_consumer_key IS NOT NULL, mpesa_environment, "
    "mpesa_credentials_verified, mpesa_last_test, mpesa_test_status, last_callback_at, "
    "disabled_at FROM providers ORDER BY id"
)
# Accepted sales (a push Daraja refused has no seq; a test prompt is no sale), grouped once.
# Driven from providers so each provider's last 30 days are one range of the covering index
# payments_recent (schema 6): older history is never read.
_PAYMENTS = """
    SELECT p.id,
           SUM(CASE WHEN y.created_at >= :day THEN 1 ELSE 0 END),
           SUM(CASE WHEN y.created_at >= :day AND y.status = 'paid' THEN y.amount ELSE 0 END),
           COUNT(*),
           SUM(CASE WHEN y.status = 'paid' THEN y.amount ELSE 0 END),
           SUM(CASE WHEN y.status = 'disputed' THEN 1 ELSE 0 END),
           SUM(CASE WHEN y.created_at >= :since_24h THEN 1 ELSE 0 END)
    FROM providers p JOIN payments y ON y.provider_id = p.id
    WHERE y.created_at >= :since_30d AND y.seq IS NOT NULL AND y.purpose = 'sale'
    GROUP BY p.id
"""
# "Paid, not online" (DESIGN.md section 13): access still issued or failed; and deliveries that
# keep failing. Revoked and delivered accesses are settled.
_ACCESS = """
    SELECT provider_id, COUNT(*) FROM access WHERE state IN ('issued', 'failed')
    GROUP BY provider_id
"""
_FAILING = """
    SELECT a.provider_id, COUNT(*) FROM deliveries d JOIN access a ON a.id = d.access_id
    WHERE d.state = 'failed' GROUP BY a.provider_id
"""


def provider_health(conn: sqlite3.Connection, window: HealthWindow) -> list[ProviderHealth]:
    """Every provider's health, oldest provider first."""
    rows = {
        row[0]: ProviderHealth(
            id=row[0],
            name=row[1],
            created_at=row[2],
            credentials_set=bool(row[3]),
            environment=row[4],
            verified=bool(row[5]),
            last_test_at=row[6],
            last_test_status=row[7],
            last_callback_at=row[8],
            disabled_at=row[9],
        )
        for row in conn.execute(_PROVIDERS)
    }
    marks = {
        "day": window.day_start,
        "since_24h": window.since_24h,
        "since_30d": window.since_30d,
    }
    for pid, today, paid_today, count, paid, disputed, recent in conn.execute(_PAYMENTS, marks):
        if pid in rows:
            rows[pid] = replace(
                rows[pid],
                payments_today=int(today or 0),
                paid_today=int(paid_today or 0),
                payments_30d=int(count),
                paid_30d=int(paid or 0),
                disputed=int(disputed or 0),
                pushes_24h=int(recent or 0),
            )
    for pid, count in conn.execute(_ACCESS):
        if pid in rows:
            rows[pid] = replace(rows[pid], not_online=int(count))
    for pid, count in conn.execute(_FAILING):
        if pid in rows:
            rows[pid] = replace(rows[pid], failing_deliveries=int(count))
    return list(rows.values())


class SqlitePlatform:
    """Health reads on the read connection; state changes through the group-commit writer."""

    def __init__(self, writer: GroupCommitWriter, read: sqlite3.Connection) -> None:
        self._writer = writer
        self._read = read

    async def health(self, window: HealthWindow) -> list[ProviderHealth]:
        """Every provider's health (four queries, whatever the number of providers)."""
        return provider_health(self._read, window)

    async def disabled_at(self, provider_id: int) -> float | None:
        """When the provider was disabled, or None while it may take payments."""
        row = self._read.execute(
            "SELECT disabled_at FROM providers WHERE id = ?", (provider_id,)
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def set_disabled(
        self, provider_id: int, at: float | None, *, audit: Audit[bool] | None = None
    ) -> bool | None:
        """Disable (at a time) or enable (None); None if no such provider, else whether it
        changed (disabling a disabled provider keeps the first time)."""

        def update(conn: sqlite3.Connection) -> bool | None:
            row = conn.execute(
                "SELECT disabled_at FROM providers WHERE id = ?", (provider_id,)
            ).fetchone()
            if row is None:
                return None
            if (row[0] is None) == (at is None):
                return False
            conn.execute("UPDATE providers SET disabled_at = ? WHERE id = ?", (at, provider_id))
            return True

        operation = audited(update, audit)
        return await self._writer.run(operation)

    async def add_admin_token(
        self, token_hash: str, name: str, created_at: float, *, audit: Audit[int] | None = None
    ) -> int:
        """Store a platform administrator's token hash; returns its id."""

        def insert(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "INSERT INTO tokens (token_hash, provider_id, role, name, created_at) "
                "VALUES (?, NULL, ?, ?, ?)",
                (token_hash, Role.ADMIN.value, name, created_at),
            )
            return int(cursor.lastrowid or 0)

        return await self._writer.run(audited(insert, audit))

    async def token(self, token_id: int) -> TokenRecord | None:
        """Any token by its id (revoked ones too), or None."""
        row = self._read.execute(
            f"SELECT {tokens.DESK_COLUMNS} FROM tokens WHERE id = ?",  # noqa: S608 - constant
            (token_id,),
        ).fetchone()
        return tokens.token_from_row(row) if row else None
