"""The RADIUS worker over a real store and a real FreeRADIUS database: retries, crashes between
the write and the report, revocation racing a write, a database that is not there yet, codes
of two providers, and the Simultaneous-Use trap in Debian's SQLite queries.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from server_stub.access.outbox import OutboxWorker, TargetUnreachable
from server_stub.payments.settlement import StkResult
from server_stub.radius.mechanism import RadiusMechanism
from server_stub.radius.rows import RadiusUser
from server_stub.radius.sqlite_database import SqliteRadiusDatabase
from server_stub.security.tokens import token_hash
from server_stub.store.records import RADIUS, AccessState, PaymentRecord, PlanRecord, RawCallback
from server_stub.store.sqlite_store import SqliteStore
from tests.server_stub.inprocess import keyring_for_tests, new_plan, seed_pushes
from tests.server_stub.radius.freeradius import new_radius_database, running_freeradius
from tests.server_stub.stores import open_store


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def _plan(store: SqliteStore, provider: int, name: str, now: float) -> PlanRecord:
    return await new_plan(
        store,
        provider,
        name=name,
        duration_minutes=30,
        speed="1M/2M",
        account_reference="HOTSPOT1",
        transaction_desc="WiFi",
        now=now,
    )


@dataclass
class Relay:
    """A store with one provider that has RADIUS on, and the RADIUS worker over `radius_db`."""

    store: SqliteStore
    clock: Clock
    provider: int
    radius_db: Path

    def worker(self) -> OutboxWorker:
        mechanism = RadiusMechanism(
            SqliteRadiusDatabase(self.radius_db), self.store.mechanisms.delivery_terms
        )
        return OutboxWorker(self.store.outbox, mechanism, self.clock)

    async def confirmed_sale(self, number: int = 0, *, with_plan: bool = True) -> PaymentRecord:
        plan = None
        if with_plan:
            plan = await _plan(self.store, self.provider, f"Plan {number}", self.clock.now)
        [push] = await seed_pushes(self.store, self.provider, 1, plan=plan, tag=f"ws_{number}")
        record = await self.store.get_payment(self.provider, push.checkout_request_id)
        assert record is not None
        ok = StkResult("0", "ok", push.checkout_request_id)
        await self.store.apply_query(record.id, ok, next_query_at=None, now=self.clock.now)
        record = await self.store.get_payment(self.provider, push.checkout_request_id)
        assert record is not None and record.access is not None
        return record

    async def paid_at_callback(self) -> PaymentRecord:
        """A sale given access at its callback, its confirming query still to come."""
        await self.store.set_access_at_callback(self.provider, True)
        plan = await _plan(self.store, self.provider, "Callback plan", self.clock.now)
        [push] = await seed_pushes(self.store, self.provider, 1, plan=plan, tag="ws_cb")
        raw = RawCallback(
            self.clock.now, str(self.provider), token_hash(push.token), "127.0.0.1", b"{}"
        )
        paid = StkResult("0", "ok", push.checkout_request_id, "MR", "RDV0000001", 10)
        await self.store.ingest_callback(
            raw, provider_id=self.provider, result=paid, rejection=None, confirm_after_s=2.0
        )
        record = await self.store.get_payment(self.provider, push.checkout_request_id)
        assert record is not None and record.access is not None
        return record

    async def access(self, payment: PaymentRecord) -> tuple[AccessState, list[str]]:
        record = await self.store.get_payment(self.provider, payment.checkout_request_id or "")
        assert record is not None and record.access is not None
        deliveries = [
            f"{d.mechanism}:{d.action}:{d.state}:{d.attempts}" for d in record.access.deliveries
        ]
        return record.access.state, deliveries


@pytest.fixture
async def relay(tmp_path: Path, radius_db: Path) -> AsyncIterator[Relay]:
    clock = Clock()
    store = open_store(tmp_path / "relay.db", clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock.now)
    await store.mechanisms.set_enabled(provider, RADIUS, True, clock.now)
    yield Relay(store, clock, provider, radius_db)
    await store.close()


def _count(radius_db: Path, table: str) -> int:
    with sqlite3.connect(radius_db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


async def test_a_crash_between_the_write_and_the_report_leaves_one_set_of_rows(
    relay: Relay,
) -> None:
    payment = await relay.confirmed_sale()
    assert await relay.access(payment) == (
        AccessState.ISSUED,
        ["radius:add:pending:0", "radius:remove:pending:0"],
    )
    # The worker writes the rows, then dies before reporting: its lease runs out.
    [claimed] = await relay.store.outbox.claim_deliveries(RADIUS, None, 10, "dead", 60.0)
    mechanism = RadiusMechanism(
        SqliteRadiusDatabase(relay.radius_db), relay.store.mechanisms.delivery_terms
    )
    await mechanism.deliver(claimed)
    relay.clock.now += 61
    assert await relay.worker().run_once() == 1
    assert await relay.access(payment) == (
        AccessState.DELIVERED,
        ["radius:add:delivered:1", "radius:remove:pending:0"],
    )
    assert (_count(relay.radius_db, "radcheck"), _count(relay.radius_db, "radreply")) == (4, 2)
    assert _count(relay.radius_db, "radusergroup") == 1


async def test_a_dispute_while_the_write_is_in_flight_still_removes_the_rows(
    relay: Relay,
) -> None:
    payment = await relay.paid_at_callback()
    [claimed] = await relay.store.outbox.claim_deliveries(RADIUS, None, 10, "slow", 60.0)
    await relay.store.apply_query(
        payment.id, StkResult("1032", "cancelled", "x"), next_query_at=None, now=relay.clock.now
    )
    # The write that was in flight lands after the dispute; its late report is not taken.
    mechanism = RadiusMechanism(
        SqliteRadiusDatabase(relay.radius_db), relay.store.mechanisms.delivery_terms
    )
    await mechanism.deliver(claimed)
    report = await relay.store.outbox.report_delivery(
        claimed.delivery_id, claimed.lease_id, "delivered", None, None
    )
    assert not report
    assert _count(relay.radius_db, "radcheck") == 4
    # The remove waits for the add's lease to end, then takes the rows off.
    assert await relay.worker().run_once() == 0
    relay.clock.now += 61
    assert await relay.worker().run_once() == 1
    state, deliveries = await relay.access(payment)
    assert state is AccessState.REVOKED
    assert deliveries == ["radius:add:revoked:0", "radius:remove:delivered:1"]
    assert _count(relay.radius_db, "radcheck") == 0


async def test_a_missing_database_is_retried_without_counting_and_the_reason_shown(
    relay: Relay, tmp_path: Path
) -> None:
    relay.radius_db = tmp_path / "not-yet" / "radius.db"
    payment = await relay.confirmed_sale()
    assert await relay.worker().run_once() == 1
    record = await relay.store.get_payment(relay.provider, payment.checkout_request_id or "")
    assert record is not None and record.access is not None
    delivery = record.access.deliveries[0]
    assert (delivery.state, delivery.attempts) == ("failed", 0)
    assert delivery.last_error is not None and "cannot be opened" in delivery.last_error
    assert "RADIUS_DATABASE_URL" in delivery.last_error
    assert record.access.state is AccessState.FAILED
    # The operator creates it; the next round after the backoff delivers.
    relay.radius_db.parent.mkdir()
    new_radius_database(relay.radius_db)
    relay.clock.now = delivery.next_try_at or 0
    assert await relay.worker().run_once() == 1
    assert await relay.access(payment) == (
        AccessState.DELIVERED,
        ["radius:add:delivered:1", "radius:remove:pending:0"],
    )


async def test_a_sale_without_a_plan_gets_its_code_alone(relay: Relay) -> None:
    payment = await relay.confirmed_sale(with_plan=False)
    assert await relay.access(payment) == (AccessState.DELIVERED, [])
    assert await relay.worker().run_once() == 0


async def test_a_database_without_freeradius_tables_is_explained(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    problem = await SqliteRadiusDatabase(empty).check()
    assert problem is not None and "schema.sql" in problem
    with pytest.raises(TargetUnreachable, match="cannot be opened"):
        await SqliteRadiusDatabase(tmp_path / "absent.db").remove("X", "pb-1")


async def test_another_providers_code_is_never_overwritten_or_removed(radius_db: Path) -> None:
    database = SqliteRadiusDatabase(radius_db)
    theirs = RadiusUser(
        username="K7M2P9QX",
        nas_identifier="pb-1",
        check=(("Cleartext-Password", ":=", "K7M2P9QX"), ("NAS-Identifier", "==", "pb-1")),
        reply=(),
        group="pb_1_1",
    )
    await database.put(theirs)
    await database.put(theirs)  # idempotent
    assert _count(radius_db, "radcheck") == 2
    ours = RadiusUser(
        username="K7M2P9QX",
        nas_identifier="pb-2",
        check=(("Cleartext-Password", ":=", "K7M2P9QX"), ("NAS-Identifier", "==", "pb-2")),
        reply=(),
        group="pb_2_1",
    )
    with pytest.raises(Exception, match="another provider's hotspot"):
        await database.put(ours)
    await database.remove("K7M2P9QX", "pb-2")
    assert _count(radius_db, "radcheck") == 2
    await database.remove("K7M2P9QX", "pb-1")
    assert _count(radius_db, "radcheck") == 0


def test_debians_sqlite_queries_unfixed_let_a_code_log_in_twice(
    tmp_path: Path, radius_db: Path
) -> None:
    """Why docs/deploy.md has its `sed` line: without it Simultaneous-Use is never enforced."""
    with sqlite3.connect(radius_db) as conn:
        conn.executemany(
            "INSERT INTO radcheck (username, attribute, op, value) VALUES (?, ?, ?, ?)",
            [
                ("TWICE234", "Cleartext-Password", ":=", "TWICE234"),
                ("TWICE234", "Simultaneous-Use", ":=", "1"),
            ],
        )
    with running_freeradius(tmp_path / "raddb", radius_db, fix=False) as server:
        assert server.login("TWICE234", "TWICE234", "pb-1").accepted
        server.accounting("Start", "TWICE234", "session-1", "pb-1")
        assert server.login("TWICE234", "TWICE234", "pb-1").accepted  # the trap


async def test_the_rows_are_cleared_a_day_after_the_plan_ends(relay: Relay) -> None:
    payment = await relay.confirmed_sale()
    assert await relay.worker().run_once() == 1
    assert _count(relay.radius_db, "radcheck") == 4
    relay.clock.now += 30 * 60 + 86_400 - 5  # FreeRADIUS refuses it already; rows kept
    assert await relay.worker().run_once() == 0
    relay.clock.now += 10
    assert await relay.worker().run_once() == 1
    assert _count(relay.radius_db, "radcheck") == 0
    assert await relay.access(payment) == (
        AccessState.DELIVERED,
        ["radius:add:delivered:1", "radius:remove:delivered:1"],
    )
