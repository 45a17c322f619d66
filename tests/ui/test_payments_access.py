"""Payments page and paid -> online: the Access column, "Paid, not online" and Retry delivery.

A real relay process and the simulator; the failed router delivery is recorded through the
relay's own outbox (claimed, then reported failed), as a RADIUS or MikroTik worker would.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pytestqt.qtbot import QtBot

from bucket_desktop.ui.payments.payments_model import COL_ACCESS, COL_STATUS
from server_stub.store.sqlite_store import SqliteStore
from server_stub.testing import RunningRelay
from tests.ui.counter_support import (
    counter_pages,
    fast_relay,  # noqa: F401 (the relay fixture)
    new_provider,
)
from tests.ui.test_payments_page import charge, shown

SETTLE_MS = 30_000


def _relay_db(relay: RunningRelay) -> Path:
    return Path(relay.env["RELAY_DATA_DIR"]) / "relay.db"


async def _fail_router_delivery(db: Path, code: str) -> None:
    """The router refused the access once; its next try is ten minutes away."""
    with sqlite3.connect(db) as conn:
        (access_id,) = conn.execute("SELECT id FROM access WHERE code = ?", (code,)).fetchone()
    store = SqliteStore(db, time.time)
    try:
        await store.outbox.enqueue_delivery(access_id, "radius", "add")
        [claimed] = await store.outbox.claim_deliveries("radius", None, 1, "lease", 60.0)
        await store.outbox.report_delivery(
            claimed.delivery_id, "lease", "failed", "RADIUS refused the row", time.time() + 600
        )
    finally:
        await store.close()


def _next_try(db: Path, code: str) -> float:
    with sqlite3.connect(db) as conn:
        (due,) = conn.execute(
            "SELECT d.next_try_at FROM deliveries d JOIN access a ON a.id = d.access_id "
            "WHERE a.code = ?",
            (code,),
        ).fetchone()
    return float(due)


def test_a_failed_delivery_shows_as_paid_not_online_and_retry_makes_it_due_now(
    qtbot: QtBot, run: Callable[..., Any], http: httpx.AsyncClient, relay: RunningRelay
) -> None:
    provider = new_provider(relay)
    with counter_pages(qtbot, run, http, relay, provider["attendant_token"]) as pages:
        charge(qtbot, pages, "0708 374 149")
        charge(qtbot, pages, "0700 000 007")
        book = pages.live.book
        qtbot.waitUntil(
            lambda: len(book) == 2 and all(r.access for r in book.newest_first()),
            timeout=SETTLE_MS,
        )
        view = pages.payments_view
        qtbot.waitUntil(lambda: shown(pages, COL_STATUS) == ["Paid ✓"] * 2, timeout=SETTLE_MS)
        cells = shown(pages, COL_ACCESS)
        codes = [row.access.code for row in pages.payments.model.rows()]  # type: ignore[union-attr]
        for cell, code in zip(cells, codes, strict=True):
            assert cell.startswith(f"{code} · Delivered · ")

        view.status_combo.setCurrentText("Paid, not online")
        assert pages.payments.model.rowCount() == 0
        failing = codes[1]
        run(_fail_router_delivery(_relay_db(relay), failing))
        # The feed brings the access's new state: it appears under the filter by itself.
        qtbot.waitUntil(lambda: pages.payments.model.rowCount() == 1, timeout=SETTLE_MS)
        row = pages.payments.model.row_at(0)
        assert row is not None and row.access is not None and row.access.code == failing
        assert shown(pages, COL_ACCESS)[0].startswith(f"{failing} · Delivery failed")
        tooltip = pages.payments.model.index(0, COL_ACCESS).data(3)  # ToolTipRole
        assert "radius: failed, 1 attempt (RADIUS refused the row)" in tooltip

        assert not view.retry_button.isVisible()  # nothing chosen yet
        view.table.selectRow(0)
        assert view.retry_button.isVisible()
        assert _next_try(_relay_db(relay), failing) > time.time() + 60
        view.retry_button.click()
        qtbot.waitUntil(lambda: "tried again now" in view.status.text())
        assert view.status.text().startswith(f"The delivery of {failing} will be tried again")
        assert _next_try(_relay_db(relay), failing) <= time.time()

        # The other payment, delivered, offers no retry.
        view.status_combo.setCurrentText("All statuses")
        model = pages.payments.model
        [delivered] = [
            i for i, r in enumerate(model.rows()) if r.access and r.access.code != failing
        ]
        view.table.selectRow(delivered)
        assert not view.retry_button.isVisible()
