"""A local copy of the payment book in the app's data folder, so a restart shows every payment
at once and the feed resumes from the saved cursor instead of fetching everything again.

Blocking SQLite work: callers run these methods in a thread (asyncio.to_thread).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from bucket_desktop.services.access.models import Access
from bucket_desktop.services.gc_pause import gc_paused
from bucket_desktop.services.mpesa_rules import PaymentStatus
from bucket_desktop.services.payment_rows import QUARTER_HOUR_S, LocalDays, PaymentRow, parse_status

# 2: the relay's store identity is kept with the cursor (a restored relay is seen as one).
# 3: each payment's purpose (sale or the owner's test) and the desk that sent it.
# 4: plan name, confirmation and the access (code or voucher, deliveries) as JSON.
# 5: a snapshot's lines saved whole, as blocks of rows (see `save_block`).
SCHEMA_VERSION = 5
_COLUMNS = (
    "checkout_request_id, seq, status, phone_number, amount, account_reference, "
    "transaction_desc, receipt, result_code, result_desc, resolved_by, created, is_test, sent_by, "
    "plan_name, confirmation, confirmation_problem, access"
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS payments (
    checkout_request_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, status TEXT NOT NULL,
    phone_number TEXT NOT NULL, amount INTEGER NOT NULL, account_reference TEXT NOT NULL,
    transaction_desc TEXT NOT NULL, receipt TEXT NOT NULL, result_code TEXT, result_desc TEXT,
    resolved_by TEXT, created REAL NOT NULL, is_test INTEGER NOT NULL, sent_by TEXT NOT NULL,
    plan_name TEXT NOT NULL, confirmation TEXT, confirmation_problem TEXT, access TEXT
);
CREATE TABLE IF NOT EXISTS blocks (id INTEGER PRIMARY KEY, rows BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value NOT NULL);
PRAGMA user_version = {SCHEMA_VERSION};
"""


_STATUS_TEXT = {status: status.value for status in PaymentStatus}  # .value costs a call


def cache_file(folder: Path, relay_url: str) -> Path:
    """The cache file for a relay (whose history it is gets checked at sign-in)."""
    digest = hashlib.sha256(relay_url.encode()).hexdigest()[:24]
    return folder / f"payments-{digest}.sqlite3"


Record = tuple[Any, ...]


def records_of(rows: Iterable[PaymentRow]) -> list[Record]:
    """Plain copies of rows, taken on the caller's thread before a save in another."""
    return [_values(row) for row in rows if row.seq > 0]


class PaymentCache:
    """Payments and the feed cursor, saved after each feed page in one transaction.

    A feed page's rows are upserted one by one into `payments`. A snapshot's line (a new desk
    reading its whole history) is saved whole, as one JSON array of rows in `blocks`: 2,000
    upserts per line made saving a fifth of a catch-up's work, and reading the blocks back is
    faster than reading the rows. A payment can be in both: a row wins over a block when its
    `seq` is higher, a later block over an earlier one (blocks are saved in feed order).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        # This file was checked and given the schema by this object: a catch-up saves 50
        # blocks, and checking the version and running the schema script again for each (a
        # second connection and a write of the version, so one more sync) cost more than
        # saving the block.
        self._ready = False

    def load(self, days: LocalDays) -> tuple[list[PaymentRow], int, str | None]:
        """The saved rows (unordered), cursor and relay store identity; nothing when absent,
        unreadable or of an older schema."""
        if not self.path.exists():
            return [], 0, None
        if _version_of(self.path) != SCHEMA_VERSION:
            # Damaged, or older (no store identity, purpose or desk): one full reload instead.
            self.discard()
            return [], 0, None
        try:
            # 100,000 rows that all live on: walked once by the collector, at the end.
            with gc_paused(settle=True), contextlib.closing(self._connect()) as conn:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
                blocks = conn.execute("SELECT rows FROM blocks ORDER BY id").fetchall()
                # Unordered: PaymentBook sorts what it loads anyway.
                rows = conn.execute(f"SELECT {_COLUMNS} FROM payments").fetchall()  # noqa: S608
                loaded = [_row(values, days) for values in _latest(blocks, rows)]
                # Search texts built here, in the thread that reads the copy before the table
                # shows, rather than at the first search (a first start leaves them to be
                # built in steps once live: there the catch-up is the longer wait).
                for row in loaded:
                    row.prepare_search()
        except (sqlite3.Error, ValueError, TypeError, IndexError):
            # A damaged cache costs one full download from the relay, nothing more.
            self.discard()
            return [], 0, None
        store_id = meta.get("store_id")
        return (
            loaded,
            int(meta.get("cursor", 0)),
            store_id if isinstance(store_id, str) else None,
        )

    def save(self, records: list[Record], cursor: int, store_id: str | None = None) -> None:
        """Upsert changed rows (see `records_of`) and move the cursor, all or nothing."""
        with contextlib.closing(self._connect()) as conn, conn:
            conn.executemany(
                f"INSERT OR REPLACE INTO payments ({_COLUMNS}) "  # noqa: S608 - constant
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                records,
            )
            _move_cursor(conn, cursor, store_id)

    def save_block(self, records: list[Record], cursor: int, store_id: str | None = None) -> None:
        """Save many rows as one block (a snapshot's line) and move the cursor, all or nothing.

        The rows must be newer than the same payments' in earlier blocks, as the feed's are.
        """
        # orjson writes this eight times as fast as the standard library, and reads it twice.
        block = orjson.dumps(records)
        with contextlib.closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO blocks (rows) VALUES (?)", (block,))
            _move_cursor(conn, cursor, store_id)

    def discard(self) -> None:
        """Delete the cache (a damaged file, or the relay's history was reset)."""
        self._ready = False
        for suffix in ("", "-wal", "-shm", "-journal"):
            with contextlib.suppress(FileNotFoundError):
                Path(str(self.path) + suffix).unlink()

    def _connect(self) -> sqlite3.Connection:
        if self._ready and self.path.exists():
            return sqlite3.connect(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() and _version_of(self.path) != SCHEMA_VERSION:
            # An older cache lacks what this version keeps: start afresh from the relay.
            self.discard()
        new = not self.path.exists()
        conn = sqlite3.connect(self.path)
        try:
            if new:
                # Phone numbers and receipts: readable by this user only.
                os.chmod(self.path, 0o600)
            conn.executescript(_SCHEMA)
        except BaseException:
            conn.close()
            raise
        self._ready = True
        return conn


def _move_cursor(conn: sqlite3.Connection, cursor: int, store_id: str | None) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('cursor', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
        (cursor,),
    )
    if store_id is not None:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('store_id', ?)", (store_id,))


def _latest(blocks: list[tuple[bytes]], rows: list[Record]) -> Iterable[Record]:
    """Each payment's newest saved version: blocks in the order saved, then upserted rows."""
    # Blocks are saved in feed order, so a later one holds the newer version of a payment.
    latest: dict[str, Record] = {
        values[0]: values for (block,) in blocks for values in orjson.loads(block)
    }
    for values in rows:
        known = latest.get(values[0])
        if known is None or values[1] > known[1]:
            latest[values[0]] = values
    return latest.values()


def _version_of(path: Path) -> int:
    try:
        with contextlib.closing(sqlite3.connect(path)) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return -1


def _values(row: PaymentRow) -> Record:
    return (
        row.checkout_request_id,
        row.seq,
        _STATUS_TEXT[row.status],
        row.phone_number,
        row.amount,
        row.account_reference,
        row.transaction_desc,
        row.receipt,
        row.result_code,
        row.result_desc,
        row.resolved_by,
        row.created,
        int(row.is_test),
        row.sent_by,
        row.plan_name,
        row.confirmation,
        row.confirmation_problem,
        None if row.access is None else json.dumps(row.access.to_json(), separators=(",", ":")),
    )


def _row(values: Record, days: LocalDays) -> PaymentRow:
    # Positional and without conversions: this runs 100,000 times at start-up.
    (checkout, seq, status, phone, amount, reference, desc, receipt, code, text, by, created) = (
        values[:12]
    )
    is_test, sent_by, plan_name, confirmation, problem, access_json = values[12:18]
    # Plan texts, result texts and "callback"/"query" repeat: one shared copy of each.
    reference, desc = sys.intern(reference), sys.intern(desc)
    code = None if code is None else sys.intern(code)
    text = None if text is None else sys.intern(text)
    by = None if by is None else sys.intern(by)
    access = None if access_json is None else Access.from_json(json.loads(access_json))
    day = days.by_quarter.get(created // QUARTER_HOUR_S)
    if day is None:
        day = days(created)
    return PaymentRow(
        checkout,
        parse_status(status),
        phone,
        amount,
        reference,
        desc,
        receipt,
        code,
        text,
        by,
        created,
        day,
        seq,
        bool(is_test),
        sys.intern(sent_by),
        sys.intern(plan_name),
        None if confirmation is None else sys.intern(confirmation),
        problem,
        access,
    )
