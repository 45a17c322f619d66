"""Pictures of paid -> online for scripts/screenshot_pages.py: the STK status states and the
receipt print previews.

Saves docs/stk-status-confirming-<size>.png (a paid prompt while M-PESA confirms it),
docs/receipt-preview-58mm.png and docs/receipt-preview-80mm.png. The paid prompt with its code is
docs/stk-status-page-<size>.png, the disputed one docs/stk-status-disputed-1024x600.png.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bucket_desktop.ui.access.access_card import AccessCard
from bucket_desktop.ui.access.receipt_paint import RECEIPT_WIDTHS_MM
from bucket_desktop.ui.access.receipt_print import preview_dialog
from bucket_desktop.ui.payments.payments_model import COL_PHONE, COL_STATUS
from bucket_desktop.ui.shell.main_window_view import MainWindowView
from bucket_desktop.ui.stk_status.stk_status_page_view import StkStatusPageView

TIMEOUT_S = 60.0


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait for `condition()` to become true, or give up saying what was awaited."""
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        await asyncio.sleep(0.1)


def unconfirm(relay_db: Path, phone: str) -> None:
    """Put today's paid payment from `phone` back to "paid, being confirmed" in the demo store.

    What the feed carries between the paid callback and the confirming STK query (about a
    second in the demo: too short to photograph); the feed brings it at its next long-poll.
    """
    with sqlite3.connect(relay_db, timeout=30) as conn:
        provider_id, last_seq = conn.execute("SELECT id, last_seq FROM providers").fetchone()
        (payment_id,) = conn.execute(
            "SELECT id FROM payments WHERE phone_number = ? AND status = 'paid' "
            "AND provider_id = ?",
            (phone, provider_id),
        ).fetchone()
        conn.execute("DELETE FROM access WHERE payment_id = ?", (payment_id,))
        conn.execute(
            "UPDATE payments SET confirmation = 'pending', seq = ?, feed_json = NULL WHERE id = ?",
            (last_seq + 1, payment_id),
        )
        conn.execute("UPDATE providers SET last_seq = ? WHERE id = ?", (last_seq + 1, provider_id))
    conn.close()


def revoke(relay_db: Path, phone: str) -> None:
    """A disputed payment's access is revoked, as the relay does (after `dispute_one`)."""
    with sqlite3.connect(relay_db, timeout=30) as conn:
        conn.execute(
            "UPDATE access SET state = 'revoked' WHERE payment_id IN "
            "(SELECT id FROM payments WHERE phone_number = ? AND status = 'disputed')",
            (phone,),
        )
    conn.close()


def select_phone(stk: StkStatusPageView, phone: str, status: str | None = None) -> bool:
    """Choose the prompt to `phone` (shown as 0712 345 678) in the list; False if not there."""
    model = stk.table.model()
    for row in range(model.rowCount()):
        if model.index(row, COL_PHONE).data() == phone and (
            status is None or model.index(row, COL_STATUS).data() == status
        ):
            stk.table.selectRow(row)
            return True
    return False


async def grab_confirming(
    view: MainWindowView,
    relay_db: Path,
    out: Path,
    sizes: Sequence[tuple[int, int]],
    show: Callable[[MainWindowView, str], None],
) -> None:
    """A paid prompt whose confirmation is pending, at every picture size."""
    stk = view.findChild(StkStatusPageView)
    assert stk is not None
    unconfirm(relay_db, "254711250778")
    show(view, "STK status")
    await until(
        lambda: select_phone(stk, "0711 250 778", "Paid · confirming…"), "the confirming prompt"
    )
    for width, height in sizes:
        view.resize(width, height)
        await asyncio.sleep(0.4)  # let the layout settle
        path = out / f"stk-status-confirming-{width}x{height}.png"
        view.grab().save(str(path))
        print(f"saved {path}")


async def grab_receipts(view: MainWindowView, out: Path) -> None:
    """The print preview of the selected paid prompt's receipt, on 58 mm and 80 mm paper."""
    stk = view.findChild(StkStatusPageView)
    assert stk is not None
    await until(lambda: select_phone(stk, "0712 345 678", "Paid ✓"), "a paid prompt with a code")
    card = stk.findChild(AccessCard)
    assert card is not None
    await until(lambda: card.receipt is not None, "the receipt")
    for width_mm in RECEIPT_WIDTHS_MM:
        receipt = card.receipt
        assert receipt is not None
        dialog = preview_dialog(view, receipt, width_mm)
        dialog.resize(560, 700)
        dialog.show()
        await asyncio.sleep(0.8)  # the preview paints the page
        path = out / f"receipt-preview-{width_mm}mm.png"
        dialog.grab().save(str(path))
        print(f"saved {path}")
        dialog.close()
