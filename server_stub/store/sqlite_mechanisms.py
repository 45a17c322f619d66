"""Network access mechanisms of the SQLite store: per-provider switches, and delivery terms.

A mechanism switched on gets one `add` delivery for every access issued from then on, in the
commit that issues it (DESIGN.md section 13, "Delivery"); switching it off stops new ones and
leaves the deliveries already queued to run.
"""

from __future__ import annotations

import json
import sqlite3

from server_stub.audit.entries import Audit
from server_stub.store.records import (
    MIKROTIK,
    NETWORK_MECHANISMS,
    RADIUS,
    AccessChange,
    DeliveryTerms,
)
from server_stub.store.sqlite_audit import audited
from server_stub.store.writer import GroupCommitWriter

RADIUS_ROWS_KEPT_S = 86_400.0


def enabled_mechanisms(conn: sqlite3.Connection, provider_id: int) -> list[str]:
    """The network mechanisms the provider has switched on, in a fixed order."""
    rows = conn.execute(
        "SELECT mechanism FROM access_mechanisms WHERE provider_id = ? AND enabled = 1 "
        "ORDER BY mechanism",
        (provider_id,),
    ).fetchall()
    return [str(row[0]) for row in rows]


def queue_adds(
    conn: sqlite3.Connection,
    access_id: int,
    mechanisms: list[str],
    expires_at: float,
    now: float,
) -> None:
    """Queue an `add` delivery of a new access for each mechanism (in the issuing commit).

    A MikroTik user also gets its `remove` at expiry: `limit-uptime` counts time online, not
    wall-clock time, so only removing the user ends a plan on time (DESIGN.md section 13).
    FreeRADIUS itself refuses a login after `Expiration`; its rows are cleared a day later
    (kept meanwhile so the operator can see why a late login was refused).
    """
    rows = [(access_id, mechanism, "add", now) for mechanism in mechanisms]
    if MIKROTIK in mechanisms:
        rows.append((access_id, MIKROTIK, "remove", expires_at))
    if RADIUS in mechanisms:
        rows.append((access_id, RADIUS, "remove", expires_at + RADIUS_ROWS_KEPT_S))
    conn.executemany(
        "INSERT INTO deliveries (access_id, mechanism, action, state, next_try_at, created_at, "
        "updated_at) VALUES (?, ?, ?, 'pending', ?, ?, ?) "
        "ON CONFLICT (access_id, mechanism, action) DO NOTHING",
        [(*row, now, now) for row in rows],
    )


def delivery_terms(conn: sqlite3.Connection, access_id: int) -> DeliveryTerms | None:
    """The access's code and its payment's plan terms; None for an access without a plan."""
    row = conn.execute(
        "SELECT a.id, a.provider_id, a.code, a.starts_at, a.expires_at, a.plan_id, p.plan_terms "
        "FROM access a JOIN payments p ON p.id = a.payment_id WHERE a.id = ?",
        (access_id,),
    ).fetchone()
    if row is None or row[4] is None or row[6] is None:
        return None
    terms = json.loads(row[6])
    return DeliveryTerms(
        access_id=int(row[0]),
        provider_id=int(row[1]),
        code=str(row[2]),
        starts_at=float(row[3]),
        expires_at=float(row[4]),
        plan_id=row[5],
        duration_minutes=int(terms["duration_minutes"]),
        speed=terms.get("speed"),
        router_profile=terms.get("router_profile"),
        data_cap_mb=terms.get("data_cap_mb"),
    )


def switch(
    conn: sqlite3.Connection,
    provider_id: int,
    mechanism: str,
    enabled: bool,
    now: float,
    router_identity: str | None = None,
) -> None:
    """Switch a mechanism on or off (a router identity of None keeps the bound one)."""
    conn.execute(
        "INSERT INTO access_mechanisms (provider_id, mechanism, enabled, router_identity, "
        "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (provider_id, mechanism) "
        "DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at, "
        # Qualified: PostgreSQL calls a bare column here ambiguous (SQLite does not).
        "router_identity = "
        "COALESCE(excluded.router_identity, access_mechanisms.router_identity)",
        (provider_id, mechanism, int(enabled), router_identity, now),
    )


def change_settings(
    conn: sqlite3.Connection, provider_id: int, change: AccessChange, now: float
) -> bool:
    """Apply the settings `change` names; True (an owner's PUT is a change even when empty)."""
    if change.access_at_callback is not None:
        conn.execute(
            "UPDATE providers SET access_at_callback = ? WHERE id = ?",
            (int(change.access_at_callback), provider_id),
        )
    if change.radius_enabled is not None:
        switch(conn, provider_id, RADIUS, change.radius_enabled, now)
    if change.mikrotik_enabled is not None or change.router_identity is not None:
        enabled = change.mikrotik_enabled
        if enabled is None:  # a new router identity alone keeps the switch as it is
            enabled = MIKROTIK in enabled_mechanisms(conn, provider_id)
        switch(conn, provider_id, MIKROTIK, enabled, now, change.router_identity)
    return True


class SqliteMechanisms:
    """The mechanism switches, written through the store's group-commit writer."""

    def __init__(self, writer: GroupCommitWriter, read: sqlite3.Connection) -> None:
        self._writer = writer
        self._read = read

    async def enabled(self, provider_id: int) -> list[str]:
        """The network mechanisms the provider has switched on."""
        return enabled_mechanisms(self._read, provider_id)

    async def set_enabled(
        self,
        provider_id: int,
        mechanism: str,
        enabled: bool,
        now: float,
        router_identity: str | None = None,
    ) -> None:
        """Switch a mechanism on or off for the provider (MikroTik: bound to one router)."""
        if mechanism not in NETWORK_MECHANISMS:
            raise ValueError(f"Unknown access mechanism {mechanism!r}.")
        await self._writer.run(
            lambda conn: switch(conn, provider_id, mechanism, enabled, now, router_identity)
        )

    async def change_settings(
        self,
        provider_id: int,
        change: AccessChange,
        now: float,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Apply an owner's access settings together, in one transaction (always True)."""
        return await self._writer.run(
            audited(lambda conn: change_settings(conn, provider_id, change, now), audit)
        )

    async def router_identity(self, provider_id: int) -> str | None:
        """The identity of the router the provider's MikroTik deliveries are bound to."""
        row = self._read.execute(
            "SELECT router_identity FROM access_mechanisms WHERE provider_id = ? AND mechanism = ?",
            (provider_id, MIKROTIK),
        ).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    async def delivery_attempts(self, provider_id: int, delivery_id: int) -> int | None:
        """How many attempts a delivery of this provider has had; None when it is not theirs."""
        row = self._read.execute(
            "SELECT d.attempts FROM deliveries d JOIN access a ON a.id = d.access_id "
            "WHERE d.id = ? AND a.provider_id = ?",
            (delivery_id, provider_id),
        ).fetchone()
        return None if row is None else int(row[0])

    async def deliveries_due(self, mechanism: str, now: float) -> bool:
        """Whether any delivery of the mechanism is due (a read: idle workers write nothing)."""
        row = self._read.execute(
            "SELECT 1 FROM deliveries WHERE mechanism = ? AND ("
            "(state IN ('pending', 'failed') AND next_try_at <= ?) "
            "OR (state = 'leased' AND lease_until <= ?)) LIMIT 1",
            (mechanism, now, now),
        ).fetchone()
        return row is not None

    async def delivery_terms(self, access_id: int) -> DeliveryTerms | None:
        """What a delivery of this access puts on the network (None: no plan, nothing to put)."""
        return delivery_terms(self._read, access_id)
