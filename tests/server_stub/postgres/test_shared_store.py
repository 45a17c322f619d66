"""Two PostgreSQL stores on one database, as two relay instances have: leader, wake-ups, feed."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.daraja_client import DarajaClient
from server_stub.daraja_sim.testing import running_simulator
from server_stub.operations.settings import load_settings
from server_stub.payments.settlement import StkResult
from server_stub.payments.setup_checks import NonceBook
from server_stub.security.atrest import SecretBox
from server_stub.store.postgres.store import PostgresStore
from server_stub.store.sqlite_store import StoreOpenError
from tests.postgres_cluster import PgCluster
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import keyring_for_tests, seed_pushes
from tests.server_stub.stores import TEMPLATE, run_sql

DEADLINE_S = 20.0


@pytest.fixture
async def pair(relay_pg: PgCluster) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    """Two stores (two instances) on one fresh database."""
    name = relay_pg.new_database(TEMPLATE)
    # Instances of one relay share its ENCRYPTION_KEY (see test_write_locks' pair).
    at_rest_key = Fernet.generate_key()
    keys = (keyring_for_tests(at_rest_key), keyring_for_tests(at_rest_key))
    first = PostgresStore(relay_pg.dsn(name), time.time, access_keys=keys[0])
    second = PostgresStore(relay_pg.dsn(name), time.time, access_keys=keys[1])
    yield first, second
    await first.close()
    await second.close()
    relay_pg.drop_database(name)


async def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


async def test_one_leader_at_a_time_and_a_gone_leader_is_replaced(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    assert first.lead("reconcile")
    assert not second.lead("reconcile")
    assert first.lead("reconcile")  # kept while its session lives
    assert second.lead("other task")  # each task has its own leader
    await first.close()  # its session ends, as a killed instance's does
    await _until(lambda: second.lead("reconcile"))


async def test_a_change_on_one_instance_reaches_the_other(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    heard_first: list[int] = []
    heard_second: list[int] = []
    publish = first.share_changes(heard_first.append)
    second.share_changes(heard_second.append)
    assert publish is not None and first._channel and second._channel
    await _until(first._channel.listening.is_set)
    await _until(second._channel.listening.is_set)
    publish(7)
    publish(9)
    await _until(lambda: sorted(heard_second) == [7, 9])
    assert heard_first == []  # an instance does not hear itself: it woke its readers already


async def test_two_instances_writing_at_once_leave_no_gap_in_the_feed(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    provider = await first.create_provider("Shared Net", time.time())
    seen: dict[int, str] = {}
    done = asyncio.Event()

    async def follow() -> None:
        # A desk's cursor: what it skips past is never shown to it again.
        cursor = 0
        while True:
            finished = done.is_set()
            rows = await second.feed_items_after(provider, cursor, 500)
            for seq, item in rows:
                seen[seq] = item.decode()
            cursor = rows[-1][0] if rows else cursor
            if finished and not rows:
                return
            await asyncio.sleep(0)

    follower = asyncio.create_task(follow())
    # seed_pushes reserves and confirms: each confirm takes a feed position.
    batches = await asyncio.gather(
        *(seed_pushes(store, provider, 40, tag=f"tag{n}") for n, store in enumerate(pair * 3))
    )
    done.set()
    await follower
    checkouts = {push.checkout_request_id for batch in batches for push in batch}
    assert len(checkouts) == 240
    head = await first.feed_head(provider)
    assert sorted(seen) == list(range(1, head + 1))  # every position, none skipped
    assert {c for c in checkouts if any(c in item for item in seen.values())} == checkouts


async def test_limits_and_nonces_are_shared_by_the_instances(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, second = pair
    now = time.time()
    # Ten wrong tokens from one address, spread over both instances: both refuse the next.
    for attempt in range(10):
        store = pair[attempt % 2]
        assert await store.limit_wait("failed_tokens", "198.51.100.7", 10, 60.0, now) == 0
        await store.limit_record("failed_tokens", "198.51.100.7", 60.0, now + attempt * 0.01)
    for store in pair:
        assert await store.limit_wait("failed_tokens", "198.51.100.7", 10, 60.0, now + 1) > 58
        assert await store.limit_wait("failed_tokens", "203.0.113.9", 10, 60.0, now + 1) == 0
    assert await first.limit_wait("failed_tokens", "198.51.100.7", 10, 60.0, now + 61) == 0
    # A nonce issued by one instance is good once, on the other.
    nonces = NonceBook(time.time, first)
    other = NonceBook(time.time, second)
    nonce = await nonces.issue()
    assert await other.consume(nonce)
    assert not await nonces.consume(nonce)


async def test_instances_share_one_daraja_token_per_app(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    box = SecretBox([Fernet.generate_key()])
    creds = DarajaCredentials.from_json(json.dumps(PAYBILL_CREDENTIALS).encode())
    with running_simulator() as sim:
        async with httpx.AsyncClient() as http:
            clients = []
            for store in pair:
                store.share_daraja_tokens(box)
                client = DarajaClient(http, base_url_override=sim.base_url)
                client.shared_tokens = store.daraja_tokens
                clients.append(client)
            # Both instances, many callers at once: one sign-in, one token.
            tokens = await asyncio.gather(*(c.access_token(creds) for c in clients * 5))
        signed_in = await asyncio.to_thread(sim.request_log, "oauth")
    assert len(set(tokens)) == 1
    assert len(signed_in) == 1
    [(stored,)] = run_sql(first_of(pair), "SELECT token FROM daraja_tokens")
    assert tokens[0].encode() not in bytes(stored)  # kept encrypted


def first_of(pair: tuple[PostgresStore, PostgresStore]) -> PostgresStore:
    """The first instance's store."""
    return pair[0]


async def test_two_instances_never_claim_the_same_delivery(
    pair: tuple[PostgresStore, PostgresStore],
) -> None:
    first, _ = pair
    provider = await first.create_provider("Outbox Net", time.time())
    for push in await seed_pushes(first, provider, 30):
        record = await first.get_payment(provider, push.checkout_request_id)
        assert record is not None
        paid = StkResult("0", "ok", push.checkout_request_id)
        settled = await first.apply_query(record.id, paid, next_query_at=None, now=time.time())
        assert settled is not None and settled.access is not None
        await first.outbox.enqueue_delivery(settled.access.id, "router", "add")
    claimed: list[int] = []

    async def worker(store: PostgresStore, name: str) -> None:
        for round_number in range(100):
            lease = f"{name}-{round_number}"
            batch = await store.outbox.claim_deliveries("router", None, 3, lease, 600.0)
            if not batch:
                return
            claimed.extend(delivery.delivery_id for delivery in batch)

    await asyncio.gather(*(worker(store, f"w{n}") for n, store in enumerate(pair * 2)))
    assert len(claimed) == 30  # one delivery per paid payment
    assert len(set(claimed)) == len(claimed), "a delivery was claimed twice"


async def test_the_database_address_is_never_shown(
    pair: tuple[PostgresStore, PostgresStore], tmp_path: Path
) -> None:
    first, _ = pair
    address = "postgresql://relay:s3cret-pw@127.0.0.1:1/relay"
    settings = load_settings({"DATABASE_URL": address, "RELAY_DATA_DIR": str(tmp_path)})
    shown = " ".join(
        [
            repr(settings),
            settings.database_label,
            repr(first),
            repr(first._read),
            repr(first._writer),
        ]
    )
    assert "s3cret-pw" not in shown and first._dsn not in shown
    with pytest.raises(StoreOpenError) as refused:
        PostgresStore(address, time.time)
    assert "s3cret-pw" not in str(refused.value) and "DATABASE_URL" in str(refused.value)
