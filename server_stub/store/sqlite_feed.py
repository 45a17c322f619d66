"""Feed items stored as rendered JSON: written once per change, read as bytes.

A payment's feed item changes only with its feed number (`assign_seq`), which clears
`payments.feed_json`. Just before each group commit the writer renders every cleared row from
its final state in that transaction, so a committed row with a number always has its item.
Reads then join stored bytes: a full page or a whole history costs a few microseconds an item
instead of building records and JSON every time.
"""

from __future__ import annotations

import sqlite3

from server_stub.store import write_scope
from server_stub.store.feed_items import payment_json
from server_stub.store.sqlite_access import access_by_payment, with_access
from server_stub.store.sqlite_payments import PAYMENT_COLUMNS, payment_from_row

RENDER_BATCH = 500


def render_unrendered(conn: sqlite3.Connection) -> int:
    """Render and store every numbered payment's missing feed item; returns how many."""
    # Rows this transaction numbered (their providers locked by the operations that did).
    write_scope.rows(conn)
    rendered = 0
    while True:
        rows = conn.execute(
            f"SELECT {PAYMENT_COLUMNS} FROM payments "  # noqa: S608 - constant
            "WHERE feed_json IS NULL AND seq IS NOT NULL LIMIT ?",
            (RENDER_BATCH,),
        ).fetchall()
        if not rows:
            return rendered
        found = access_by_payment(conn, [row[0] for row in rows])
        payments = [payment_from_row(row, found.get(row[0])) for row in rows]
        conn.executemany(
            "UPDATE payments SET feed_json = ? WHERE id = ?",
            [(payment_json(payment), payment.id) for payment in payments],
        )
        rendered += len(payments)


def feed_items_after(
    conn: sqlite3.Connection, provider_id: int, after_seq: int, limit: int
) -> list[tuple[int, bytes]]:
    """`(seq, item JSON)` of the provider's changes after `after_seq`, oldest first."""
    rows: list[tuple[int, bytes | None, int]] = conn.execute(
        "SELECT seq, feed_json, id FROM payments WHERE provider_id = ? AND seq > ? "
        "ORDER BY seq LIMIT ?",
        (provider_id, after_seq, limit),
    ).fetchall()
    if all(row[1] is not None for row in rows):
        return [(row[0], row[1]) for row in rows if row[1] is not None]
    return _with_missing_rendered(conn, rows)


def _with_missing_rendered(
    conn: sqlite3.Connection, rows: list[tuple[int, bytes | None, int]]
) -> list[tuple[int, bytes]]:
    # Only when rendering at commit failed (it is logged there): render for this read alone.
    missing = [row[2] for row in rows if row[1] is None]
    marks = ",".join("?" * len(missing))
    records = conn.execute(
        f"SELECT {PAYMENT_COLUMNS} FROM payments WHERE id IN ({marks})",  # noqa: S608
        missing,
    ).fetchall()
    rendered = {
        payment.id: payment_json(payment)
        for payment in with_access(conn, [payment_from_row(row) for row in records])
    }
    return [(row[0], row[1] if row[1] is not None else rendered[row[2]]) for row in rows]


def feed_chunk(
    conn: sqlite3.Connection, provider_id: int, after_seq: int, upto_seq: int, limit: int
) -> tuple[int, int, bytes]:
    """Up to `limit` items with `after_seq < seq <= upto_seq`, comma-joined by the database.

    Returns (last seq, how many, the joined items): one query and one bytes object for a whole
    feed page or snapshot line, oldest first on PostgreSQL (string_agg ... ORDER BY seq) and in
    practice on SQLite, whose GROUP_CONCAT follows the ordered subquery; a desk does not rely
    on the order inside a page (each payment appears once, the cursor is the highest seq).
    """
    last, count, rendered, joined = conn.execute(
        "SELECT MAX(seq), COUNT(*), COUNT(feed_json), CAST(GROUP_CONCAT(feed_json, ',') AS BLOB) "
        "FROM (SELECT seq, feed_json FROM payments WHERE provider_id = ? AND seq > ? "
        "AND seq <= ? ORDER BY seq LIMIT ?) AS page",
        (provider_id, after_seq, upto_seq, limit),
    ).fetchone()
    if rendered != count:  # only when rendering at commit failed: the slower, exact way
        rows = feed_items_after(conn, provider_id, after_seq, limit)
        rows = [(seq, item) for seq, item in rows if seq <= upto_seq]
        return (rows[-1][0] if rows else after_seq), len(rows), b",".join(i for _, i in rows)
    return (int(last) if last is not None else after_seq), int(count), joined or b""
