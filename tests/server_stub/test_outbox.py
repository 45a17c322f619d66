"""The delivery outbox: leases, backoff, late reports, access states, revocation.

A real SQLite store with a clock the test moves; the mechanism is a scripted one, standing in
for RADIUS and MikroTik (which come with their own wire-level tests).
"""

from __future__ import annotations

import time

import pytest

from server_stub.access.outbox import (
    DeliveryFailed,
    OutboxWorker,
    TargetUnreachable,
    retry_at,
)
from server_stub.payments.settlement import StkResult
from server_stub.security.tokens import token_hash
from server_stub.store.records import AccessState, ClaimedDelivery, RawCallback
from server_stub.store.sqlite_store import SqliteStore
from tests.server_stub.inprocess import keyring_for_tests, seed_pushes
from tests.server_stub.stores import StoreMaker


class ScriptedMechanism:
    """Answers each delivery with the next scripted outcome; records what it was asked."""

    name = "router"

    def __init__(self, script: list[Exception | None]) -> None:
        self.script = script
        self.calls: list[tuple[str, str]] = []

    async def deliver(self, delivery: ClaimedDelivery) -> None:
        """Pop the next outcome."""
        self.calls.append((delivery.action, delivery.code))
        outcome = self.script.pop(0)
        if outcome is not None:
            raise outcome


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def paid(new_store: StoreMaker) -> tuple[SqliteStore, Clock, int, int]:
    """A store with one confirmed payment: (store, clock, payment id, access id)."""
    clock = Clock()
    store = new_store(clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock.now)
    [push] = await seed_pushes(store, provider, 1)
    record = await store.get_payment(provider, push.checkout_request_id)
    assert record is not None
    await store.apply_query(
        record.id, StkResult("0", "ok", push.checkout_request_id), next_query_at=None, now=clock.now
    )
    record = await store.get_payment(provider, push.checkout_request_id)
    assert record is not None and record.access is not None
    return store, clock, record.id, record.access.id


async def _access(store: SqliteStore, payment_id: int) -> tuple[AccessState, list[str]]:
    payments = await store.payments_after(1, 0, 10)
    [payment] = [p for p in payments if p.id == payment_id]
    assert payment.access is not None
    return payment.access.state, [
        f"{d.action}:{d.state}:{d.attempts}" for d in payment.access.deliveries
    ]


async def test_a_failed_delivery_is_retried_with_backoff_then_delivered(
    paid: tuple[SqliteStore, Clock, int, int],
) -> None:
    store, clock, payment_id, access_id = paid
    await store.outbox.enqueue_delivery(access_id, "router", "add")
    mechanism = ScriptedMechanism([DeliveryFailed("already have user"), None])
    worker = OutboxWorker(store.outbox, mechanism, clock)
    assert await worker.run_once() == 1
    assert await _access(store, payment_id) == (AccessState.FAILED, ["add:failed:1"])
    assert await worker.run_once() == 0  # not due before its backoff
    clock.now = retry_at(1, clock.now) + 0.01
    assert await worker.run_once() == 1
    assert await _access(store, payment_id) == (AccessState.DELIVERED, ["add:delivered:2"])
    assert await worker.run_once() == 0
    await store.close()


async def test_unreachable_releases_without_counting_an_attempt(
    paid: tuple[SqliteStore, Clock, int, int],
) -> None:
    store, clock, payment_id, access_id = paid
    await store.outbox.enqueue_delivery(access_id, "router", "add")
    worker = OutboxWorker(store.outbox, ScriptedMechanism([TargetUnreachable("no route")]), clock)
    await worker.run_once()
    assert await _access(store, payment_id) == (AccessState.FAILED, ["add:failed:0"])
    await store.close()


async def test_a_lease_that_runs_out_is_claimed_again_and_a_late_report_only_counts_if_ok(
    paid: tuple[SqliteStore, Clock, int, int],
) -> None:
    store, clock, payment_id, access_id = paid
    await store.outbox.enqueue_delivery(access_id, "router", "add")
    [first] = await store.outbox.claim_deliveries("router", None, 10, "lease-1", 60.0)
    assert await store.outbox.claim_deliveries("router", None, 10, "lease-2", 60.0) == []
    clock.now += 61  # the first worker died mid-call
    [second] = await store.outbox.claim_deliveries("router", None, 10, "lease-2", 60.0)
    assert second.delivery_id == first.delivery_id
    assert not await store.outbox.report_delivery(first.delivery_id, "lease-1", "failed", "x", 0)
    assert await store.outbox.report_delivery(first.delivery_id, "lease-1", "delivered", None, None)
    assert await _access(store, payment_id) == (AccessState.DELIVERED, ["add:delivered:1"])
    assert not await store.outbox.report_delivery(second.delivery_id, "lease-2", "failed", "x", 0)
    await store.close()


async def test_a_dispute_revokes_pending_deliveries_and_removes_delivered_ones(
    new_store: StoreMaker,
) -> None:
    clock = Clock()
    store = new_store(clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock.now)
    await store.set_access_at_callback(provider, True)
    pushes = await seed_pushes(store, provider, 2)
    access_ids = []
    for number, push in enumerate(pushes):
        raw = RawCallback(clock.now, str(provider), token_hash(push.token), "127.0.0.1", b"{}")
        paid = StkResult("0", "ok", push.checkout_request_id, "MR", f"RDV00000{number}", 10)
        await store.ingest_callback(
            raw, provider_id=provider, result=paid, rejection=None, confirm_after_s=2.0
        )
        record = await store.get_payment(provider, push.checkout_request_id)
        assert record is not None and record.access is not None
        access_ids.append((record.id, record.access.id))
        await store.outbox.enqueue_delivery(record.access.id, "router", "add")
    # The first push's delivery succeeds; the second's is still pending when both are disputed.
    await store.outbox.claim_deliveries("router", None, 1, "lease", 60.0)
    await store.outbox.report_delivery(1, "lease", "delivered", None, None)
    for payment_id, _ in access_ids:
        await store.apply_query(
            payment_id, StkResult("1032", "cancelled", "x"), next_query_at=None, now=clock.now
        )
    first, second = [await _access(store, payment_id) for payment_id, _ in access_ids]
    assert first == (AccessState.REVOKED, ["add:delivered:1", "remove:pending:0"])
    assert second == (AccessState.REVOKED, ["add:revoked:0"])
    mechanism = ScriptedMechanism([None])
    assert await OutboxWorker(store.outbox, mechanism, clock).run_once() == 1
    assert [action for action, _ in mechanism.calls] == ["remove"]
    await store.close()
