"""Voucher pools of the SQLite store: an import is one transaction (all of it or nothing)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from server_stub.access.voucher_csv import Voucher
from server_stub.store import sqlite_plans
from server_stub.store.records import VoucherImport


def import_vouchers(
    conn: sqlite3.Connection,
    provider_id: int,
    plan_id: int,
    vouchers: Sequence[Voucher],
    now: float,
) -> VoucherImport | None:
    """Add the vouchers to the plan's pool; None when the plan is not this provider's."""
    plan = sqlite_plans.select_plan(conn, provider_id, plan_id)
    if plan is None or plan.archived:
        return None
    added = 0
    for voucher in vouchers:
        # A code already in any of the provider's pools, or already given as an access code,
        # is a duplicate: the router has one user per name.
        cursor = conn.execute(
            "INSERT INTO vouchers (provider_id, plan_id, code, password, imported_at) "
            "SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS "
            "(SELECT 1 FROM access WHERE provider_id = ? AND code = ?) "
            "ON CONFLICT (provider_id, code) DO NOTHING",
            (provider_id, plan_id, voucher.code, voucher.password, now, provider_id, voucher.code),
        )
        added += cursor.rowcount
    sqlite_plans.bump_plans_version(conn, provider_id)
    remaining = conn.execute(
        "SELECT COUNT(*) FROM vouchers WHERE plan_id = ? AND access_id IS NULL", (plan_id,)
    ).fetchone()[0]
    return VoucherImport(added, len(vouchers) - added, int(remaining))
