"""The desk reloads from zero, and says so, when the relay's store identity is not the one its
saved copy was made under (a restored or replaced relay database)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from pytestqt.qtbot import QtBot

from bucket_desktop.services.payment_feed import RESET_SENTENCE
from server_stub.testing import RunningRelay
from tests.ui.counter_support import (
    RecordingClient,
    counter_pages,
    fast_relay,  # noqa: F401 (the relay fixture)
    new_provider,
)
from tests.ui.test_payments_page import charge, settled

SETTLE_MS = 30_000


def saved_store_id(folder: Path) -> str | None:
    """The relay store identity the desk's saved copy belongs to (None before the first save)."""
    caches = list(folder.glob("payments-*.sqlite3"))
    if not caches:
        return None
    try:
        with contextlib.closing(sqlite3.connect(caches[0])) as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'store_id'").fetchone()
    except sqlite3.OperationalError:
        return None  # caught between the file's creation and its tables
    return str(row[0]) if row else None


def test_a_new_relay_identity_makes_the_desk_reload_everything(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    tmp_path: Path,
) -> None:
    provider = new_provider(relay, "Restored shop")
    token = provider["attendant_token"]
    with counter_pages(qtbot, run, http, relay, token, cache_dir=tmp_path) as pages:
        charge(qtbot, pages, "0708 374 149")
        qtbot.waitUntil(settled(pages, 1), timeout=SETTLE_MS)
        real_id = httpx.get(f"{relay.base_url}/healthz", timeout=10).json()["store_id"]
        qtbot.waitUntil(lambda: saved_store_id(tmp_path) == real_id)
    # The copy on this PC was made under another store (the relay's database was restored).
    (cache,) = tmp_path.glob("payments-*.sqlite3")
    with contextlib.closing(sqlite3.connect(cache)) as conn, conn:
        conn.execute("UPDATE meta SET value = 'an-older-store' WHERE key = 'store_id'")
    recording = RecordingClient(http, relay.base_url, token)
    with counter_pages(
        qtbot, run, http, relay, token, cache_dir=tmp_path, client=recording
    ) as again:
        qtbot.waitUntil(settled(again, 1), timeout=SETTLE_MS)
        assert again.live.reset_message == RESET_SENTENCE
        assert recording.cursors[0] > 0 and 0 in recording.cursors  # asked again from zero
        qtbot.waitUntil(lambda: saved_store_id(tmp_path) == real_id)
        assert again.payments.model.rowCount() == 1
