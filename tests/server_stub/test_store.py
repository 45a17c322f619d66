"""The SQLite store on real files: durability settings, migrations, group commits, guards."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from server_stub.payments.settlement import CallbackOutcome, StkResult
from server_stub.store.migrations import MIGRATIONS
from server_stub.store.records import NewPush, RawCallback, Role
from server_stub.store.sqlite_store import SqliteStore
from tests.server_stub.inprocess import keyring_for_tests
from tests.server_stub.stores import StoreMaker


def push(provider_id: int, phone: str, token: str, at: float, key: str | None = None) -> NewPush:
    """A push to reserve."""
    return NewPush(provider_id, token, key, phone, 10, "REF", "WiFi", at)


@pytest.fixture
async def store(new_store: StoreMaker) -> SqliteStore:
    """A store on a fresh file (closed by the test)."""
    return new_store(clock=lambda: 5.0, access_keys=keyring_for_tests())


async def test_opens_in_wal_with_full_sync_and_current_schema(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    identities = set()
    for _ in range(2):  # reopening applies nothing twice and keeps the identity
        store = SqliteStore(path, clock=lambda: 0.0)
        identities.add(store.store_id)
        assert store.schema_version == MIGRATIONS[-1][0]
        await store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        versions = conn.execute("SELECT version FROM schema_version").fetchall()
    assert versions == [(number,) for number, _ in MIGRATIONS]
    assert len(identities) == 1 and len(identities.pop()) == 36


async def test_concurrent_writes_share_commits(store: SqliteStore) -> None:
    provider = await store.create_provider("P", 0.0)
    before = store.commits
    await asyncio.gather(
        *(store.add_token(f"hash-{n}", provider, Role.ATTENDANT, 0.0) for n in range(200))
    )
    assert store.commits - before < 200
    assert await store.find_token("hash-199") is not None
    await store.close()


async def test_a_failing_operation_does_not_undo_its_group(store: SqliteStore) -> None:
    provider = await store.create_provider("P", 0.0)
    results = await asyncio.gather(
        store.add_token("same", provider, Role.OWNER, 0.0),
        store.add_token("same", provider, Role.OWNER, 0.0),
        store.add_token("other", provider, Role.OWNER, 0.0),
        return_exceptions=True,
    )
    assert sum(isinstance(result, sqlite3.IntegrityError) for result in results) == 1
    assert await store.find_token("other") is not None
    await store.close()


async def test_push_guard_and_idempotency_key(store: SqliteStore) -> None:
    provider = await store.create_provider("P", 0.0)
    first = await store.reserve_push(push(provider, "254711000001", "t1", 100.0, "k1"), 40.0)
    assert first.created is not None
    blocked = await store.reserve_push(push(provider, "254711000001", "t2", 110.0), 50.0)
    assert blocked.recent_to_phone == first.created
    repeated = await store.reserve_push(push(provider, "254711000001", "t3", 110.0, "k1"), 50.0)
    assert repeated.same_key == first.created
    later = await store.reserve_push(push(provider, "254711000001", "t4", 170.0), 110.5)
    assert later.created is not None
    await store.close()


async def test_callbacks_are_stored_raw_and_applied_once_in_feed_order(
    store: SqliteStore,
) -> None:
    provider = await store.create_provider("P", 0.0)
    reserved = await store.reserve_push(push(provider, "254711000002", "tok", 1.0), 0.0)
    assert reserved.created is not None
    confirmed = await store.confirm_push(
        reserved.created.id,
        checkout_request_id="ws_1",
        merchant_request_id="m",
        first_query_at=20.0,
        now=2.0,
    )
    paid = StkResult("0", "ok", "ws_1", "m", receipt="RCPT000001", amount=10)
    raw = RawCallback(3.0, str(provider), "tok", "127.0.0.1", b"{}")
    outcomes = [
        await store.ingest_callback(
            raw, provider_id=provider, result=paid, rejection=None, confirm_after_s=2.0
        )
        for _ in range(2)
    ]
    assert outcomes == [(CallbackOutcome.APPLIED, provider), (CallbackOutcome.DUPLICATE, None)]
    feed = await store.payments_after(provider, confirmed.seq or 0, 10)
    assert [(p.status, p.mpesa_receipt_number) for p in feed] == [("paid", "RCPT000001")]
    assert store.raw_callback_outcomes() == [
        (str(provider), "applied"),
        (str(provider), "duplicate"),
    ]
    # The confirming query, from the callback's time (the store's clock says 5.0).
    assert (feed[0].confirmation, feed[0].next_query_at) == ("pending", 7.0)
    await store.close()


async def test_a_callback_ahead_of_darajas_answer_gives_the_push_its_checkout_id(
    store: SqliteStore,
) -> None:
    # The callback can arrive before the push's own answer from Daraja is recorded: the
    # callback's CheckoutRequestID is then the push's (issue 21 writes it apart from the rest).
    provider = await store.create_provider("P", 0.0)
    reserved = await store.reserve_push(push(provider, "254711000003", "tok3", 1.0), 0.0)
    assert reserved.created is not None and reserved.created.checkout_request_id is None
    paid = StkResult("0", "ok", "ws_early", "m", receipt="RCPT000003", amount=10)
    raw = RawCallback(3.0, str(provider), "tok3", "127.0.0.1", b"{}")
    outcome = await store.ingest_callback(
        raw, provider_id=provider, result=paid, rejection=None, confirm_after_s=2.0
    )
    assert outcome == (CallbackOutcome.APPLIED, provider)
    found = await store.get_payment(provider, "ws_early")
    assert found is not None and (found.id, found.status) == (reserved.created.id, "paid")
    [(_, item)] = await store.feed_items_after(provider, 0, 10)
    assert json.loads(item)["checkout_request_id"] == "ws_early"
    await store.close()


async def test_reencrypt_rewrites_every_secret_in_one_go(store: SqliteStore) -> None:
    await store.secret_setting("relay_key", lambda: b"enc-1")
    count = await store.reencrypt_secrets(lambda value: b"re-" + value)
    assert count == 1
    assert await store.secret_setting("relay_key", lambda: b"unused") == b"re-enc-1"
    await store.close()


async def test_database_and_folder_are_private_whatever_the_umask(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "relay-data"
    old_umask = os.umask(0o022)
    try:
        store = SqliteStore(folder / "relay.db", clock=lambda: 0.0)
        await store.create_provider("P", 0.0)  # the WAL and shared-memory files now exist
        modes = {path.name: _mode(path) for path in (folder, *folder.glob("relay.db*"))}
        await store.close()
    finally:
        os.umask(old_umask)
    assert modes == {
        "relay-data": 0o700,
        "relay.db": 0o600,
        "relay.db-wal": 0o600,
        "relay.db-shm": 0o600,
    }


async def test_an_existing_readable_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    store = SqliteStore(path, clock=lambda: 0.0)
    await store.close()
    os.chmod(path, 0o644)  # as an older version, or a copy with cp, left it
    os.chmod(tmp_path, 0o755)
    store = SqliteStore(path, clock=lambda: 0.0)
    await store.close()
    assert _mode(path) == 0o600
    # A folder that already existed is not ours to change (it may be /var/lib).
    assert _mode(tmp_path) == 0o755


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


async def test_tokens_of_an_old_database_keep_working_with_names(tmp_path: Path) -> None:
    path = tmp_path / "relay.db"
    with sqlite3.connect(path) as conn:  # a database made before desks had ids and names
        conn.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at REAL)")
        for statement in MIGRATIONS[0][1].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("INSERT INTO schema_version VALUES (1, 0)")
        conn.execute("INSERT INTO providers (name, created_at) VALUES ('Old shop', 0)")
        conn.execute("INSERT INTO tokens VALUES ('owner-hash', 1, 'owner', 1.0, NULL)")
        conn.execute("INSERT INTO tokens VALUES ('desk-hash', 1, 'attendant', 2.0, NULL)")
        conn.execute("INSERT INTO tokens VALUES ('gone-hash', 1, 'attendant', 3.0, 4.0)")
    store = SqliteStore(path, clock=lambda: 5.0)
    owner = await store.find_token("owner-hash")
    gone = await store.find_token("gone-hash")
    desks = await store.provider_tokens(1)
    await store.close()
    assert owner is not None and owner.role is Role.OWNER and owner.name == "Owner"
    assert gone is not None and gone.revoked
    assert [(desk.name, desk.role) for desk in desks] == [
        ("Owner", Role.OWNER),
        ("Attendant desk", Role.ATTENDANT),
    ]


async def test_desks_are_renamed_revoked_and_touched_per_provider(store: SqliteStore) -> None:
    mine = await store.create_provider("Mine", 0.0)
    theirs = await store.create_provider("Theirs", 0.0)
    desk = await store.add_token("desk", mine, Role.ATTENDANT, 1.0, "Counter 2")
    assert not await store.rename_token(theirs, desk, "Stolen")  # another provider's desk
    assert await store.rename_token(mine, desk, "Back room")
    await store.touch_token(desk, 9.0, "192.0.2.7")
    found = await store.find_token("desk")
    assert found is not None
    assert (found.name, found.last_used_at, found.last_address) == ("Back room", 9.0, "192.0.2.7")
    assert not await store.revoke_token_id(theirs, desk, 10.0)
    assert await store.revoke_token_id(mine, desk, 10.0)
    assert not await store.revoke_token_id(mine, desk, 11.0)  # already revoked
    assert await store.provider_tokens(mine) == []
    await store.close()
