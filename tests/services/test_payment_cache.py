"""PaymentCache: the local copy of the payments survives a restart, never half-written."""

from __future__ import annotations

import sqlite3
import stat
from contextlib import closing
from datetime import UTC
from pathlib import Path

from bucket_desktop.services.payment_book import PaymentBook
from bucket_desktop.services.payment_cache import PaymentCache, cache_file, records_of
from bucket_desktop.services.payment_rows import LocalDays
from tests.services.test_payment_book import NOW, item


def test_rows_and_cursor_come_back_after_a_restart(tmp_path: Path) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    change = book.apply([item("a", 1, status="pending"), item("b", 2, receipt="SKL2")])
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    cache.save(records_of(change.added), 2)
    update = book.apply([item("a", 3, receipt="SKL3")])
    cache.save(records_of(update.updated), 3)
    cache.save([], 2)  # a late, older save never moves the cursor back
    rows, cursor, _ = PaymentCache(cache.path).load(LocalDays(UTC))
    assert cursor == 3
    assert sorted((r.checkout_request_id, r.status.value, r.receipt, r.seq) for r in rows) == [
        ("a", "paid", "SKL3", 3),
        ("b", "paid", "SKL2", 2),
    ]
    restored = PaymentBook(tz=UTC, clock=lambda: NOW)
    restored.load_rows(rows)
    assert [r.checkout_request_id for r in restored.newest_first()] == ["b", "a"]
    assert restored.day_summary(restored.today()).count == 2
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600


def test_a_snapshot_saved_in_blocks_comes_back_with_the_rows_saved_after_it(
    tmp_path: Path,
) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    first = book.apply([item("a", 1, status="pending"), item("b", 2, receipt="SKL2")])
    cache.save_block(records_of(first.added), 2, "store-1")
    second = book.apply([item("c", 3, purpose="test", sent_by="Owner")])
    cache.save_block(records_of(second.added), 3, "store-1")
    # Then the feed's pages: "a" paid (a row newer than its block), a new payment "d".
    later = book.apply([item("a", 4, receipt="SKL4"), item("d", 5, status="pending")])
    cache.save(records_of([*later.added, *later.updated]), 5, "store-1")
    rows, cursor, store_id = PaymentCache(cache.path).load(LocalDays(UTC))
    assert (cursor, store_id) == (5, "store-1")
    assert sorted((r.checkout_request_id, r.status.value, r.receipt, r.seq, r.is_test)
                  for r in rows) == [
        ("a", "paid", "SKL4", 4, False),
        ("b", "paid", "SKL2", 2, False),
        ("c", "paid", "", 3, True),
        ("d", "pending", "", 5, False),
    ]  # fmt: skip
    assert rows == [row for row in (book.get(r.checkout_request_id) for r in rows)]


def test_a_damaged_block_is_dropped_and_costs_only_a_reload(tmp_path: Path) -> None:
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    cache.save_block(records_of(PaymentBook(tz=UTC).apply([item("a", 1)]).added), 1)
    with closing(sqlite3.connect(cache.path)) as conn, conn:
        conn.execute('UPDATE blocks SET rows = \'[["a", 1, "paid"\'')
    assert cache.load(LocalDays(UTC)) == ([], 0, None)
    assert not cache.path.exists()


def test_local_rows_not_yet_in_the_feed_are_not_saved(tmp_path: Path) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    change = book.apply([item("local", 0, status="pending")])
    assert records_of(change.added) == []


def test_a_damaged_cache_is_dropped_and_costs_only_a_reload(tmp_path: Path) -> None:
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    cache.path.write_bytes(b"not a database at all" * 100)
    assert cache.load(LocalDays(UTC)) == ([], 0, None)
    assert not cache.path.exists()


def test_each_relay_has_its_own_file(tmp_path: Path) -> None:
    first = cache_file(tmp_path, "https://a.example.com")
    assert first != cache_file(tmp_path, "https://b.example.com")
    assert first.parent == tmp_path and first.name.startswith("payments-")


def test_keeps_the_relay_store_identity_and_drops_an_older_schema(tmp_path: Path) -> None:
    book = PaymentBook(tz=UTC)
    change = book.apply([item("a", 1)])
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    cache.save(records_of(change.added), 1, "store-1")
    assert cache.load(LocalDays(UTC))[1:] == (1, "store-1")
    with sqlite3.connect(cache.path) as conn:  # as the previous version left it
        conn.execute("PRAGMA user_version = 1")
    conn.close()
    assert cache.load(LocalDays(UTC)) == ([], 0, None)
    assert not cache.path.exists()


def test_test_prompts_and_desks_survive_a_restart(tmp_path: Path) -> None:
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    change = book.apply(
        [item("t", 1, purpose="test", sent_by="Owner"), item("s", 2, sent_by="Counter 2")]
    )
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    cache.save(records_of(change.added), 2, "store-1")
    rows, _, _ = PaymentCache(cache.path).load(LocalDays(UTC))
    assert sorted((r.checkout_request_id, r.is_test, r.sent_by) for r in rows) == [
        ("s", False, "Counter 2"),
        ("t", True, "Owner"),
    ]


def test_a_cache_without_purpose_and_desk_is_fetched_again(tmp_path: Path) -> None:
    path = cache_file(tmp_path, "https://relay.example.com")
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE payments (checkout_request_id TEXT PRIMARY KEY)")
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('cursor', 40)")
        conn.execute("PRAGMA user_version = 2")  # store identity, but no purpose or desk
    # Cursor 0: the relay sends everything again, with purpose and desk.
    assert PaymentCache(path).load(LocalDays(UTC)) == ([], 0, None)
    assert not path.exists()


def test_a_copy_deleted_between_saves_is_made_afresh_with_its_schema(tmp_path: Path) -> None:
    # The schema is set up once per cache object; a file gone since is set up again.
    book = PaymentBook(tz=UTC, clock=lambda: NOW)
    cache = PaymentCache(cache_file(tmp_path, "https://relay.example.com"))
    first = book.apply([item("a", 1, receipt="SKL1")])
    cache.save_block(records_of(first.added), 1, "store-1")
    cache.discard()
    second = book.apply([item("b", 2, receipt="SKL2")])
    cache.save_block(records_of(second.added), 2, "store-1")
    third = book.apply([item("c", 3, status="pending")])
    cache.save(records_of(third.added), 3, "store-1")
    rows, cursor, store_id = PaymentCache(cache.path).load(LocalDays(UTC))
    assert (cursor, store_id) == (3, "store-1")
    assert sorted(r.checkout_request_id for r in rows) == ["b", "c"]
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
