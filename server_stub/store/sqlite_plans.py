"""Plans of the SQLite store: every write bumps the provider's `plans_version`.

A plan that any payment or voucher refers to is archived, never deleted: the payments keep
their own copy of its terms, and the history keeps its name.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from server_stub.access.voucher_csv import Voucher
from server_stub.audit.entries import Audit
from server_stub.plans.rules import PlanFields
from server_stub.store.records import PlanRecord, Removal, VoucherImport
from server_stub.store.sqlite_audit import audited
from server_stub.store.writer import GroupCommitWriter

PLAN_COLUMNS = (
    "id, provider_id, name, price, duration_minutes, data_cap_mb, speed, router_profile, "
    "account_reference, transaction_desc, archived_at"
)


def plan_from_row(row: tuple[Any, ...]) -> PlanRecord:
    """A PlanRecord from a row selected with PLAN_COLUMNS."""
    return PlanRecord(
        id=row[0],
        provider_id=row[1],
        name=row[2],
        price=row[3],
        duration_minutes=row[4],
        data_cap_mb=row[5],
        speed=row[6],
        router_profile=row[7],
        account_reference=row[8],
        transaction_desc=row[9],
        archived=row[10] is not None,
    )


def select_plan(conn: sqlite3.Connection, provider_id: int, plan_id: int) -> PlanRecord | None:
    """One plan of this provider (archived or not), or None."""
    row = conn.execute(
        f"SELECT {PLAN_COLUMNS} FROM plans WHERE id = ? AND provider_id = ?",  # noqa: S608
        (plan_id, provider_id),
    ).fetchone()
    return plan_from_row(row) if row else None


def bump_plans_version(conn: sqlite3.Connection, provider_id: int) -> None:
    conn.execute(
        "UPDATE providers SET plans_version = plans_version + 1 WHERE id = ?", (provider_id,)
    )


class SqlitePlans:
    """Plan reads (on the read connection) and writes (through the group-commit writer)."""

    def __init__(self, writer: GroupCommitWriter, read: sqlite3.Connection) -> None:
        self._writer = writer
        self._read = read

    async def list(self, provider_id: int, *, archived: bool) -> list[PlanRecord]:
        """The provider's plans, oldest first: current ones, or archived ones."""
        rows = self._read.execute(
            f"SELECT {PLAN_COLUMNS} FROM plans WHERE provider_id = ? "  # noqa: S608 - constant
            f"AND archived_at IS {'NOT ' if archived else ''}NULL ORDER BY id",
            (provider_id,),
        ).fetchall()
        return [plan_from_row(row) for row in rows]

    async def get(self, provider_id: int, plan_id: int) -> PlanRecord | None:
        """One plan of this provider, or None."""
        return select_plan(self._read, provider_id, plan_id)

    async def version(self, provider_id: int) -> int:
        """Bumped by every plan write: desks reload their plans when it changes."""
        row = self._read.execute(
            "SELECT plans_version FROM providers WHERE id = ?", (provider_id,)
        ).fetchone()
        return int(row[0]) if row else 0

    async def vouchers_left(self, provider_id: int) -> dict[int, tuple[int, int]]:
        """(unused, imported) vouchers per plan id; plans without a pool are absent."""
        rows = self._read.execute(
            "SELECT plan_id, SUM(CASE WHEN access_id IS NULL THEN 1 ELSE 0 END), COUNT(*) "
            "FROM vouchers "
            "WHERE provider_id = ? GROUP BY plan_id",
            (provider_id,),
        ).fetchall()
        return {int(plan): (int(left), int(total)) for plan, left, total in rows}

    async def create(
        self,
        provider_id: int,
        fields: PlanFields,
        now: float,
        *,
        audit: Audit[PlanRecord] | None = None,
    ) -> PlanRecord:
        """A new plan."""

        def insert(conn: sqlite3.Connection) -> PlanRecord:
            cursor = conn.execute(
                "INSERT INTO plans (provider_id, name, price, duration_minutes, data_cap_mb, "
                "speed, router_profile, account_reference, transaction_desc, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (provider_id, *_values(fields), now, now),
            )
            bump_plans_version(conn, provider_id)
            plan = select_plan(conn, provider_id, int(cursor.lastrowid or 0))
            assert plan is not None
            return plan

        return await self._writer.run(audited(insert, audit))

    async def update(
        self,
        provider_id: int,
        plan_id: int,
        fields: PlanFields,
        archived: bool | None,
        now: float,
        *,
        audit: Audit[PlanRecord] | None = None,
    ) -> PlanRecord | None:
        """Change a plan (payments already made keep their terms); None if not found."""

        def update(conn: sqlite3.Connection) -> PlanRecord | None:
            cursor = conn.execute(
                "UPDATE plans SET name = ?, price = ?, duration_minutes = ?, data_cap_mb = ?, "
                "speed = ?, router_profile = ?, account_reference = ?, transaction_desc = ?, "
                "updated_at = ?, archived_at = CASE WHEN ? IS NULL THEN archived_at "
                "WHEN ? THEN COALESCE(archived_at, ?) END WHERE id = ? AND provider_id = ?",
                (*_values(fields), now, archived, archived, now, plan_id, provider_id),
            )
            if cursor.rowcount != 1:
                return None
            bump_plans_version(conn, provider_id)
            return select_plan(conn, provider_id, plan_id)

        operation = audited(update, audit)
        return await self._writer.run(operation)

    async def add_vouchers(
        self,
        provider_id: int,
        plan_id: int,
        vouchers: Sequence[Voucher],
        now: float,
        *,
        audit: Audit[VoucherImport] | None = None,
    ) -> VoucherImport | None:
        """Add vouchers to a plan's pool in one transaction; None if the plan is not found."""
        operation = audited(
            lambda conn: import_vouchers(conn, provider_id, plan_id, vouchers, now), audit
        )
        return await self._writer.run(operation)

    async def remove(
        self, provider_id: int, plan_id: int, now: float, *, audit: Audit[Removal] | None = None
    ) -> Removal | None:
        """Archive a plan in use, delete one never used; None if not found."""

        def remove(conn: sqlite3.Connection) -> Removal | None:
            if select_plan(conn, provider_id, plan_id) is None:
                return None
            used = conn.execute(
                "SELECT EXISTS (SELECT 1 FROM payments WHERE plan_id = ?) "
                "OR EXISTS (SELECT 1 FROM vouchers WHERE plan_id = ?) "
                "OR EXISTS (SELECT 1 FROM access WHERE plan_id = ?)",
                (plan_id, plan_id, plan_id),
            ).fetchone()[0]
            bump_plans_version(conn, provider_id)
            if used:
                conn.execute(
                    "UPDATE plans SET archived_at = COALESCE(archived_at, ?), updated_at = ? "
                    "WHERE id = ?",
                    (now, now, plan_id),
                )
                return "archived"
            conn.execute("DELETE FROM plans WHERE id = ?", (plan_id,))
            return "deleted"

        operation = audited(remove, audit)
        return await self._writer.run(operation)


from server_stub.store.sqlite_vouchers import import_vouchers  # noqa: E402 - uses the above


def _values(fields: PlanFields) -> tuple[object, ...]:
    return (
        fields.name,
        fields.price,
        fields.duration_minutes,
        fields.data_cap_mb,
        fields.speed,
        fields.router_profile,
        fields.account_reference,
        fields.transaction_desc,
    )
