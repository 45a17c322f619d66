"""Feed items rendered at commit: always the payment's state as of its feed number.

A real SQLite store; every check compares the stored bytes with a fresh render of the payment
read back from its rows, so the stored item can never say something the payment does not.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from server_stub.access.outbox import DeliveryFailed, OutboxWorker
from server_stub.access.voucher_csv import Voucher
from server_stub.payments.settlement import StkResult
from server_stub.security.tokens import token_hash
from server_stub.store.feed_items import payment_json
from server_stub.store.records import AccessState, ClaimedDelivery, RawCallback
from server_stub.store.sqlite_store import SqliteStore
from tests.server_stub.inprocess import keyring_for_tests, new_plan, seed_pushes
from tests.server_stub.stores import StoreMaker, open_store, run_sql, store_sql


class FailingOnce:
    """A delivery mechanism whose first attempt fails."""

    name = "router"

    def __init__(self) -> None:
        self.calls = 0

    async def deliver(self, delivery: ClaimedDelivery) -> None:
        """Fail the first call, succeed after."""
        self.calls += 1
        if self.calls == 1:
            raise DeliveryFailed("router busy")


async def _stored_and_live(store: SqliteStore, provider: int) -> tuple[list[bytes], list[bytes]]:
    stored = [item for _, item in await store.feed_items_after(provider, 0, 500)]
    live = [payment_json(payment) for payment in await store.payments_after(provider, 0, 500)]
    return stored, live


async def test_every_change_desks_see_is_rendered_when_it_commits(new_store: StoreMaker) -> None:
    store = new_store(time.time, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", time.time())
    await store.set_access_at_callback(provider, True)
    pushes = await seed_pushes(store, provider, 4)
    # One paid by callback (access issued in the same commit), one cancelled, one settled by a
    # query, one left pending.
    for number, (push, code) in enumerate(zip(pushes[:2], ("0", "1032"), strict=True)):
        raw = RawCallback(time.time(), str(provider), token_hash(push.token), "127.0.0.1", b"{}")
        receipt = f"RFI00000{number}" if code == "0" else None
        result = StkResult(code, "ok", push.checkout_request_id, "MR", receipt, 10)
        await store.ingest_callback(
            raw, provider_id=provider, result=result, rejection=None, confirm_after_s=2.0
        )
    queried = await store.get_payment(provider, pushes[2].checkout_request_id)
    assert queried is not None
    await store.apply_query(
        queried.id,
        StkResult("0", "ok", queried.checkout_request_id),
        next_query_at=None,
        now=time.time(),
    )
    stored, live = await _stored_and_live(store, provider)
    assert stored == live and len(stored) == 4
    assert {json.loads(item)["status"] for item in stored} == {"paid", "cancelled", "pending"}

    # A delivery's outcome (attempt, error, next try) reaches desks with a new feed number.
    paid = await store.get_payment(provider, pushes[0].checkout_request_id)
    assert paid is not None and paid.access is not None
    head = await store.feed_head(provider)
    await store.outbox.enqueue_delivery(paid.access.id, "router", "add")
    worker = OutboxWorker(store.outbox, FailingOnce(), time.time)
    assert await worker.run_once() == 1
    [(seq, item)] = await store.feed_items_after(provider, head, 10)
    access = json.loads(item)["access"]
    assert seq > head and access["state"] == AccessState.FAILED.value
    assert access["deliveries"][0]["last_error"] == "router busy"
    stored, live = await _stored_and_live(store, provider)
    assert stored == live
    await store.close()


async def _stored_column(store: SqliteStore, provider: int) -> list[bytes | None]:
    # The stored bytes themselves: reads render a missing item, so they cannot tell.
    rows = run_sql(
        store,
        "SELECT feed_json FROM payments WHERE provider_id = ? AND seq IS NOT NULL ORDER BY seq",
        (provider,),
    )
    return [bytes(row[0]) if row[0] is not None else None for row in rows]


async def test_items_written_with_a_callback_are_the_rows_as_committed(
    new_store: StoreMaker,
) -> None:
    # A callback that leaves no access row to show writes its item with the settlement (issue
    # 21); one that issues, finds or revokes an access leaves it to the render at commit.
    store = new_store(time.time, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", time.time())
    plan = await new_plan(store, provider)
    pushes = await seed_pushes(store, provider, 4, plan=plan)

    async def callback(number: int, code: str, receipt: str | None) -> None:
        push = pushes[number]
        raw = RawCallback(time.time(), str(provider), token_hash(push.token), "127.0.0.1", b"{}")
        result = StkResult(code, "ok", push.checkout_request_id, "MR", receipt, 10)
        await store.ingest_callback(
            raw, provider_id=provider, result=result, rejection=None, confirm_after_s=2.0
        )

    render_at_commit = store._writer.before_commit
    store._writer.before_commit = None
    await callback(0, "0", "RFI0000000")  # paid, its confirmation pending, no access yet
    await callback(1, "1032", None)  # cancelled
    live = [payment_json(payment) for payment in await store.payments_after(provider, 0, 10)]
    assert await _stored_column(store, provider) == live

    store._writer.before_commit = render_at_commit
    queried = await store.get_payment(provider, pushes[2].checkout_request_id)
    assert queried is not None
    await store.apply_query(
        queried.id, StkResult("0", "ok", queried.checkout_request_id), next_query_at=None,
        now=time.time(),
    )  # fmt: skip
    await callback(2, "0", "RFI0000002")  # the receipt added to a payment with its access
    await callback(0, "1032", None)  # two callbacks disagree: a dispute
    live = [payment_json(payment) for payment in await store.payments_after(provider, 0, 10)]
    assert await _stored_column(store, provider) == live and len(live) == 4
    by_checkout = {item["checkout_request_id"]: item for item in map(json.loads, live)}
    paid, cancelled, receipt_added, pending = (
        by_checkout[push.checkout_request_id] for push in pushes
    )
    assert paid["status"] == "disputed" and paid["plan"]["duration_minutes"] == 60
    assert cancelled["status"] == "cancelled" and cancelled["access"] is None
    assert receipt_added["mpesa_receipt_number"] == "RFI0000002"
    assert receipt_added["access"] is not None
    assert pending["status"] == "pending"
    await store.close()


async def test_items_missing_from_the_file_are_rendered_at_open_and_on_read(
    tmp_path: Path,
) -> None:
    path = tmp_path / "relay.db"
    store = open_store(path, time.time, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", time.time())
    await seed_pushes(store, provider, 3)
    expected, _ = await _stored_and_live(store, provider)
    # As a database from before rendered items, or rows written straight into the file.
    store_sql(path, "UPDATE payments SET feed_json = NULL")
    stored, live = await _stored_and_live(store, provider)
    assert stored == live == expected  # rendered for the read alone
    await store.close()

    reopened = open_store(path, time.time, access_keys=keyring_for_tests())
    assert store_sql(path, "SELECT COUNT(*) FROM payments WHERE feed_json IS NULL") == [(0,)]
    assert (await _stored_and_live(reopened, provider))[0] == expected
    await reopened.close()


async def test_a_failed_render_keeps_the_change_and_the_read_still_answers(
    new_store: StoreMaker,
) -> None:
    store = new_store(time.time, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", time.time())

    def broken(_: sqlite3.Connection) -> None:
        raise ValueError("rendering broke")

    store._writer.before_commit = broken
    [push] = await seed_pushes(store, provider, 1)
    assert await store.get_payment(provider, push.checkout_request_id) is not None
    stored, live = await _stored_and_live(store, provider)
    assert stored == live and len(stored) == 1
    await store.close()


async def test_snapshot_chunks_hold_each_item_once_up_to_the_head(tmp_path: Path) -> None:
    store = open_store(tmp_path / "relay.db", time.time, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", time.time())
    await seed_pushes(store, provider, 7)
    by_seq = {seq: json.loads(item) for seq, item in await store.feed_items_after(provider, 0, 99)}
    assert sorted(by_seq) == [1, 2, 3, 4, 5, 6, 7]

    async def read_up_to(head: int, limit: int) -> list[dict[str, object]]:
        items: list[dict[str, object]] = []
        cursor = 0
        while True:
            cursor, count, joined = await store.feed_chunk(provider, cursor, head, limit)
            items += json.loads(b"[" + joined + b"]")
            if count < limit:
                return items

    chunked = await read_up_to(6, 4)  # chunks of 4, stopping at the head 6
    assert sorted(int(str(item["seq"])) for item in chunked) == [1, 2, 3, 4, 5, 6]
    assert all(item == by_seq[int(str(item["seq"]))] for item in chunked)
    # A render that failed at commit: the chunk renders on the read instead, the same items.
    store_sql(tmp_path / "relay.db", "UPDATE payments SET feed_json = NULL WHERE seq = 2")
    assert sorted(await read_up_to(7, 10), key=lambda item: str(item["seq"])) == [
        by_seq[seq] for seq in sorted(by_seq, key=str)
    ]
    await store.close()


async def test_items_with_the_access_they_issue_are_written_with_it(
    new_store: StoreMaker,
) -> None:
    # A callback or a confirmation that issues an access writes the payment's item, access
    # included, in its own statements (issue 15): nothing is left to the render at commit, and
    # the stored item is the row as committed, for a code, a voucher, an access with its
    # deliveries queued, and an access there before the confirmation.
    store = new_store(time.time, access_keys=keyring_for_tests())
    store._writer.before_commit = None
    at_callback = await store.create_provider("At the callback", time.time())
    await store.set_access_at_callback(at_callback, True)
    await store.mechanisms.set_enabled(at_callback, "radius", True, time.time())
    plan = await new_plan(store, at_callback)
    pool = [Voucher(2, "VOUCHER01")]
    assert await store.plans.add_vouchers(at_callback, plan.id, pool, time.time()) is not None
    at_confirmation = await store.create_provider("At the confirmation", time.time())
    pushes = {
        at_callback: await seed_pushes(store, at_callback, 1)
        + await seed_pushes(store, at_callback, 2, tag="ws_PL", plan=plan),
        at_confirmation: await seed_pushes(store, at_confirmation, 2),
    }
    receipts = iter(f"RFI{number:07d}" for number in range(100))
    for provider, sent in pushes.items():
        for push in sent:
            raw = RawCallback(time.time(), str(provider), token_hash(push.token), "::1", b"{}")
            result = StkResult("0", "ok", push.checkout_request_id, "MR", next(receipts), 10)
            await store.ingest_callback(
                raw, provider_id=provider, result=result, rejection=None, confirm_after_s=2.0
            )
        for push in sent:
            paid = await store.get_payment(provider, push.checkout_request_id)
            assert paid is not None
            agrees = StkResult("0", "ok", paid.checkout_request_id)
            await store.apply_query(paid.id, agrees, next_query_at=None, now=time.time())
    for provider in pushes:
        live = [payment_json(payment) for payment in await store.payments_after(provider, 0, 10)]
        assert await _stored_column(store, provider) == live
        items = [json.loads(item) for item in live]
        assert all(item["confirmation"] == "confirmed" and item["access"] for item in items)
    items = [json.loads(item) for item in await _stored_column(store, at_callback) if item]
    access = sorted(
        (item["access"]["voucher"], bool(item["access"]["deliveries"])) for item in items
    )
    # The payment without a plan: its code alone; the plan's first: the pool's voucher; its
    # second: a code with its RADIUS deliveries queued.
    assert access == [(False, False), (False, True), (True, False)]
    await store.close()
