"""Two instances writing one PostgreSQL store at once: providers in parallel, guards kept.

Writes of different providers no longer wait for each other (a provider lock each, see
`server_stub.store.postgres.locks`); writes of one provider still run one after the other, so
idempotency keys, voucher taking, the feed counter and claims stay exactly-once.
"""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.fernet import Fernet

from server_stub.access.voucher_csv import Voucher
from server_stub.payments.settlement import StkResult
from server_stub.plans.charging import plan_terms
from server_stub.security.tokens import new_token, token_hash
from server_stub.store.postgres.locks import PROVIDER_LOCK_SPACE, STORE_LOCK_KEY
from server_stub.store.postgres.store import PostgresStore
from server_stub.store.records import NewPush, PlanRecord
from server_stub.store.write_scope import WriteConflict
from server_stub.store.writer import GroupCommitWriter
from server_stub.webhooks.events import TEST_EVENT
from tests.postgres_cluster import PgCluster
from tests.server_stub.inprocess import keyring_for_tests, new_plan, seed_pushes
from tests.server_stub.stores import TEMPLATE, run_sql

DEADLINE_S = 60.0
_phones = itertools.count(1)


@pytest.fixture
async def pair(relay_pg: PgCluster) -> AsyncIterator[tuple[PostgresStore, PostgresStore, str]]:
    """Two stores (two instances) on one fresh database, and its address."""
    name = relay_pg.new_database(TEMPLATE)
    dsn = relay_pg.dsn(name)
    # Instances of one relay share its ENCRYPTION_KEY: each reads the access-code keys the
    # other made (with a key each, a code issued on the second instance could not be).
    at_rest_key = Fernet.generate_key()
    first = PostgresStore(dsn, time.time, access_keys=keyring_for_tests(at_rest_key))
    second = PostgresStore(dsn, time.time, access_keys=keyring_for_tests(at_rest_key))
    yield first, second, dsn
    await first.close()
    await second.close()
    relay_pg.drop_database(name)


async def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


def _push(provider_id: int, key: str | None = None, plan: PlanRecord | None = None) -> NewPush:
    now = time.time()
    return NewPush(
        provider_id=provider_id,
        callback_token_hash=token_hash(new_token()),
        idempotency_key=key,
        phone_number=f"254722{next(_phones):06d}",
        amount=10,
        account_reference="HOTSPOT1",
        transaction_desc="WiFi 1 hour",
        created_at=now,
        plan_id=plan.id if plan else None,
        plan_terms=plan_terms(plan),
    )


def _waiting_for_provider(dsn: str, provider_id: int) -> bool:
    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = %s AND objid = %s AND objsubid = 2",
            (PROVIDER_LOCK_SPACE, provider_id),
        ).fetchone()
    return bool(row and row[0])


async def test_a_provider_held_elsewhere_stops_only_that_providers_writes(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, dsn = pair
    held = await first.create_provider("Held Net", time.time())
    free = await first.create_provider("Free Net", time.time())
    # A third instance in the middle of a write group for `held`.
    other = psycopg.connect(dsn, autocommit=True)
    try:
        other.execute("BEGIN")
        other.execute(
            "SELECT pg_advisory_xact_lock_shared(%s), pg_advisory_xact_lock(%s, %s)",
            (STORE_LOCK_KEY, PROVIDER_LOCK_SPACE, held),
        )
        waiting = asyncio.create_task(first.reserve_push(_push(held), time.time() + 1))
        await _until(lambda: _waiting_for_provider(dsn, held))
        # Another instance writes another provider meanwhile: it commits.
        done = await asyncio.wait_for(second.reserve_push(_push(free), time.time() + 1), DEADLINE_S)
        assert done.created is not None
        assert run_sql(second, "SELECT COUNT(*) FROM payments WHERE provider_id = ?", (free,)) == [
            (1,)
        ]
        assert not waiting.done()  # the held provider's write waits for the lock
        other.execute("COMMIT")
        reservation = await asyncio.wait_for(waiting, DEADLINE_S)
        assert reservation.created is not None
    finally:
        other.close()


async def test_one_idempotency_key_sent_to_both_instances_at_once_makes_one_push(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, _ = pair
    provider = await first.create_provider("Retry Net", time.time())
    tries = [_push(provider, key="order-42") for _ in range(12)]
    answers = await asyncio.gather(
        *(
            store.reserve_push(push, push.created_at + 1)
            for store, push in zip((first, second) * 6, tries, strict=True)
        )
    )
    created = [answer.created for answer in answers if answer.created is not None]
    assert len(created) == 1
    same = {answer.same_key.id for answer in answers if answer.same_key is not None}
    assert same == {created[0].id} and len(answers) == 12
    assert run_sql(first, "SELECT COUNT(*) FROM payments") == [(1,)]


async def _plan_with_vouchers(store: PostgresStore, provider: int, count: int) -> PlanRecord:
    plan = await new_plan(store, provider)
    pool = [Voucher(line, f"VC{line:05d}") for line in range(2, count + 2)]
    assert await store.plans.add_vouchers(provider, plan.id, pool, time.time()) is not None
    return plan


async def test_both_instances_paying_at_once_give_each_voucher_once(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, _ = pair
    providers = [await first.create_provider(f"Voucher Net {n}", time.time()) for n in range(2)]
    pushes: list[tuple[int, Any]] = []
    for provider in providers:
        plan = await _plan_with_vouchers(first, provider, 15)
        for seeded in await seed_pushes(first, provider, 20, plan=plan):
            record = await first.get_payment(provider, seeded.checkout_request_id)
            assert record is not None
            pushes.append((record.id, seeded.checkout_request_id))

    async def pay(store: PostgresStore, payment_id: int, checkout: str) -> None:
        paid = StkResult("0", "ok", checkout)
        settled = await store.apply_query(payment_id, paid, next_query_at=None, now=time.time())
        assert settled is not None and settled.access is not None

    # Every payment paid once, the two providers' payments spread over both instances.
    await asyncio.gather(
        *(pay(store, *push) for store, push in zip(itertools.cycle((first, second)), pushes))
    )
    rows = run_sql(
        first,
        "SELECT a.provider_id, a.voucher_id, v.access_id = a.id FROM access a "
        "LEFT JOIN vouchers v ON v.id = a.voucher_id",
    )
    assert len(rows) == 40  # one access per paid payment
    for provider in providers:
        given = [voucher for owner, voucher, _ in rows if owner == provider and voucher]
        assert len(given) == 15 and len(set(given)) == 15  # the pool, each voucher once
    assert all(linked for _, voucher, linked in rows if voucher)
    [(taken,)] = run_sql(first, "SELECT COUNT(*) FROM vouchers WHERE access_id IS NOT NULL")
    assert taken == 30


async def test_writes_of_many_providers_on_both_instances_leave_no_gap_in_any_feed(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, _ = pair
    providers = [await first.create_provider(f"Feed Net {n}", time.time()) for n in range(4)]
    # seed_pushes reserves and confirms: each confirm takes a feed position.
    await asyncio.gather(
        *(
            seed_pushes(store, provider, 25, tag=f"t{n}")
            for provider in providers
            for n, store in enumerate((first, second))
        )
    )
    for provider in providers:
        head = await second.feed_head(provider)
        seqs = [seq for seq, _ in await second.feed_items_after(provider, 0, 500)]
        assert head == 50 and seqs == list(range(1, 51))


async def _deliveries_for_claims(store: PostgresStore, count: int) -> list[int]:
    provider = await store.create_provider("Outbox Net", time.time())
    ids = []
    for seeded in await seed_pushes(store, provider, count):
        record = await store.get_payment(provider, seeded.checkout_request_id)
        assert record is not None
        paid = StkResult("0", "ok", seeded.checkout_request_id)
        settled = await store.apply_query(record.id, paid, next_query_at=None, now=time.time())
        assert settled is not None and settled.access is not None
        await store.outbox.enqueue_delivery(settled.access.id, "router", "add")
    for (delivery_id,) in run_sql(store, "SELECT id FROM deliveries ORDER BY id"):
        ids.append(int(delivery_id))
    return ids


async def test_a_claim_passes_over_deliveries_another_instance_is_claiming(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, dsn = pair
    ids = await _deliveries_for_claims(first, 12)
    other = psycopg.connect(dsn, autocommit=True)
    try:
        other.execute("BEGIN")  # another instance's claim, not yet committed
        other.execute("SELECT id FROM deliveries WHERE id = ANY(%s) FOR UPDATE", (ids[:5],))
        batch = await asyncio.wait_for(
            second.outbox.claim_deliveries("router", None, 20, "b-1", 600.0), DEADLINE_S
        )
        assert sorted(d.delivery_id for d in batch) == ids[5:]  # no wait, none taken twice
        other.execute("ROLLBACK")
    finally:
        other.close()
    rest = await first.outbox.claim_deliveries("router", None, 20, "a-1", 600.0)
    assert sorted(d.delivery_id for d in rest) == ids[:5]


async def test_both_instances_claiming_at_once_share_the_outbox(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, _ = pair
    ids = await _deliveries_for_claims(first, 40)
    claimed: dict[str, list[int]] = {"first": [], "second": []}
    for round_number in itertools.count():
        batches = await asyncio.gather(
            *(
                store.outbox.claim_deliveries("router", None, 4, f"{name}-{round_number}", 600.0)
                for name, store in (("first", first), ("second", second))
            )
        )
        for name, batch in zip(claimed, batches, strict=True):
            claimed[name] += [delivery.delivery_id for delivery in batch]
        if not any(batches):
            break
    every = claimed["first"] + claimed["second"]
    assert sorted(every) == ids  # each delivery claimed, none twice
    assert claimed["first"] and claimed["second"]  # both instances got work


async def test_both_instances_claiming_webhooks_at_once_never_send_one_twice(
    pair: tuple[PostgresStore, PostgresStore, str],
) -> None:
    first, second, _ = pair
    provider = await first.create_provider("Hook Net", time.time())
    endpoint = await first.webhooks.add(
        provider, "https://hooks.example/pay", ["payment.paid"], "", b"secret"
    )
    for number in range(30):
        await first.webhooks.send_test(provider, endpoint.id, {"n": number})
    claimed: dict[str, list[int]] = {"first": [], "second": []}
    for round_number in itertools.count():
        batches = await asyncio.gather(
            *(
                store.webhooks.claim(3, f"{name}-{round_number}", 600.0, {}, 100)
                for name, store in (("first", first), ("second", second))
            )
        )
        for name, batch in zip(claimed, batches, strict=True):
            claimed[name] += [hook.delivery_id for hook in batch]
        if not any(batches):
            break
    every = claimed["first"] + claimed["second"]
    assert len(every) == 30 and len(set(every)) == 30
    assert claimed["first"] and claimed["second"]
    assert {hook for (hook,) in run_sql(first, "SELECT type FROM webhook_events")} == {TEST_EVENT}


async def test_an_operation_put_off_by_a_lock_runs_again_and_its_group_still_commits(
    tmp_path: Path,
) -> None:
    # The writer's side of giving way, on any connection: the others of the group commit, the
    # put-off one runs again in a later group and its caller gets its result.
    conn = sqlite3.connect(tmp_path / "w.db", isolation_level=None, check_same_thread=False)
    conn.execute("CREATE TABLE t (v TEXT)")
    writer = GroupCommitWriter(conn)
    tries: list[str] = []

    def busy_once(db: sqlite3.Connection) -> str:
        tries.append("busy")
        if len(tries) == 1:
            db.execute("INSERT INTO t VALUES ('undone')")  # rolled back with its savepoint
            raise WriteConflict("another instance holds it")
        db.execute("INSERT INTO t VALUES ('late')")
        return "late"

    def plain(db: sqlite3.Connection) -> str:
        db.execute("INSERT INTO t VALUES ('plain')")
        return "plain"

    gate = threading.Event()
    try:
        # Both queued while the writer is busy: they make one group.
        held = asyncio.ensure_future(writer.run(lambda db: gate.wait(DEADLINE_S)))
        both = asyncio.gather(writer.run(busy_once), writer.run(plain))
        await asyncio.sleep(0)
        gate.set()
        assert await held
        results = await both
        assert results == ["late", "plain"] and tries == ["busy", "busy"]
        rows = [v for (v,) in conn.execute("SELECT v FROM t ORDER BY rowid")]
        assert rows == ["plain", "late"]
    finally:
        writer.close()
