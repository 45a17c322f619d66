"""The counter pages' shared source of truth: the payment book, fed live from the relay."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from datetime import tzinfo
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from bucket_desktop.i18n import _
from bucket_desktop.services.payment_book import BookChange, PaymentBook
from bucket_desktop.services.payment_cache import PaymentCache, Record, cache_file, records_of
from bucket_desktop.services.payment_feed import Backoff, FeedState, PaymentFeed
from bucket_desktop.services.payment_rows import LocalDays, PaymentRow
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_errors import RelayError
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.ui.common.counter_tasks import TaskSet

log = logging.getLogger(__name__)

WAKE_CHECK_MS = 5_000
WAKE_GAP_S = 10.0
SEARCH_PREP_ROWS = 2_000  # search texts built per step once live: a few ms, the UI stays lively


class LivePayments(QObject):
    """Runs the feed for the signed-in relay and tells the pages what changed."""

    book_changed = Signal(object)  # BookChange
    book_replaced = Signal()  # a new relay session: the whole book is new
    payment_paid = Signal(object)  # PaymentRow
    payment_disputed = Signal(object)  # PaymentRow that was shown as paid
    connection_changed = Signal(str, str)  # FeedState value, sentence
    history_reset = Signal(str)  # the relay's store was restored or replaced; the sentence
    plans_version_changed = Signal(int)  # the relay's plans changed (or were first seen)

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        wait_s: float = 25.0,
        backoff: Backoff | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.book = PaymentBook(tz=tz)
        self._tz = tz
        self._wait_s = wait_s
        self._backoff = backoff
        self._cache_dir = cache_dir
        self._cache: PaymentCache | None = None
        self._save_lock = asyncio.Lock()
        self._switch_lock = asyncio.Lock()
        self._client: RelayClient | None = None
        self._feed: PaymentFeed | None = None
        self._tasks = TaskSet()
        self._saves = TaskSet()
        self.state = FeedState.STOPPED
        self.state_message = _("Not connected to a relay.")
        # Why the book was last reloaded from zero (a restored relay), for the pages to show.
        self.reset_message: str | None = None
        # History loaded at sign-in is not news: notify only once the feed has caught up.
        self._caught_up = False
        self._last_tick = (time.monotonic(), time.time())
        self._wake_watch = QTimer(self, interval=WAKE_CHECK_MS)
        self._wake_watch.timeout.connect(self._check_wake)
        self._wake_watch.start()
        # After a catch-up, the rows' search texts are built a step at a time while the desk
        # is idle, so the first search does not build them all at once.
        self._search_prep = QTimer(self, interval=0)
        self._search_prep.timeout.connect(self._prepare_search_step)

    @property
    def client(self) -> RelayClient | None:
        """The relay the pages talk to, None when signed out."""
        return self._client

    @property
    def cursor(self) -> int:
        """The feed's cursor (0 before the first page)."""
        return self._feed.cursor if self._feed else 0

    async def set_client(self, client: RelayClient | None) -> None:
        """Follow another relay session (or none): the saved copy first, then the live feed."""
        # One switch at a time: two quick sign-ins must not leave two feeds filling one book.
        async with self._switch_lock:
            await self._switch(client)

    async def _switch(self, client: RelayClient | None) -> None:
        await self.stop()
        self._client = client
        self._cache = None
        self.book = PaymentBook(tz=self._tz)
        self._caught_up = False
        cursor, store_id = await self._load_cache(client) if client is not None else (0, None)
        self.book_replaced.emit()
        if client is None:
            self._on_state(FeedState.STOPPED, _("Not connected to a relay."))
            return
        self._start_feed(client, cursor, store_id)

    def _start_feed(self, client: RelayClient, cursor: int, store_id: str | None) -> None:
        self._feed = PaymentFeed(
            client,
            on_items=self._on_feed_items,
            on_plans_version=self.plans_version_changed.emit,
            on_snapshot_items=self._on_snapshot_items,
            on_state=self._on_state,
            on_reset=self._on_history_reset,
            cursor=cursor,
            store_id=store_id,
            wait_s=self._wait_s,
            backoff=self._backoff,
        )
        self._tasks.start(self._feed.run())

    async def resume(self) -> None:
        """Drop the request in flight and ask again from the cursor (after the PC slept)."""
        async with self._switch_lock:
            if self._feed is None or self._client is None:
                return
            cursor, store_id = self._feed.cursor, self._feed.store_id
            await self.stop()
            self._start_feed(self._client, cursor, store_id)

    def _check_wake(self) -> None:
        mono, wall = time.monotonic(), time.time()
        last_mono, last_wall = self._last_tick
        self._last_tick = (mono, wall)
        # Time asleep passes on the wall clock but not on the monotonic one (Linux, macOS);
        # a long-poll from before the sleep may hang on a dead connection, so start afresh.
        if (wall - last_wall) - (mono - last_mono) > WAKE_GAP_S:
            self._tasks.start(self.resume())

    async def stop(self) -> None:
        """Stop following the feed (on sign-out and when the window closes)."""
        if self._feed is not None:
            self._feed.stop()
        await self._tasks.cancel_all()
        self._feed = None
        # Saves finish (each is short): the saved cursor then matches what was shown.
        await self._saves.wait_all()

    async def close(self) -> None:
        """Stop for good: the window is closing."""
        self._wake_watch.stop()
        self._search_prep.stop()
        await self.stop()

    def add_local(self, item: PaymentItem) -> PaymentRow:
        """Show a push the relay just accepted, before the feed reports it."""
        known = self.book.get(item.checkout_request_id)
        if known is not None:
            return known
        change = self.book.apply([item])
        self.book_changed.emit(change)
        return change.added[0]

    def apply_items(self, items: tuple[PaymentItem, ...]) -> BookChange:
        """Merge payments from the feed or from a status check, and tell the pages."""
        return self._announce(self.book.apply(items))

    def _announce(self, change: BookChange) -> BookChange:
        if change:
            self.book_changed.emit(change)
        if self._caught_up:
            for row in change.newly_paid:
                self.payment_paid.emit(row)
        # Always news, even while catching up: the saved copy may have shown it as paid.
        for row in change.newly_disputed:
            self.payment_disputed.emit(row)
        return change

    def _on_feed_items(self, items: tuple[PaymentItem, ...]) -> None:
        self._keep(self.apply_items(items), bulk=False)

    def _on_snapshot_items(self, items: list[dict[str, Any]]) -> None:
        # A snapshot's line: read straight into rows, saved as one block.
        self._keep(self._announce(self.book.apply_json(items)), bulk=True)

    def _keep(self, change: BookChange, *, bulk: bool) -> None:
        """Save what a feed batch changed, with the cursor it brings the copy to."""
        if self._cache is not None and change.top_seq:
            records = records_of([*change.added, *change.updated])
            store_id = self._feed.store_id if self._feed is not None else None
            self._saves.start(self._save(self._cache, records, change.top_seq, store_id, bulk))

    def _on_history_reset(self, sentence: str) -> None:
        """The relay's store was restored or replaced: forget this copy and reload from zero."""
        log.warning("%s", sentence)
        self.reset_message = sentence
        self.book = PaymentBook(tz=self._tz)
        self._caught_up = False
        self.book_replaced.emit()
        self.history_reset.emit(sentence)
        if self._cache is not None:
            self._saves.start(self._discard(self._cache))

    async def _discard(self, cache: PaymentCache) -> None:
        # Under the save lock: saves queued before the reset finish first, then all goes.
        async with self._save_lock:
            try:
                await asyncio.to_thread(cache.discard)
            except OSError as error:
                log.warning("Could not clear the saved payments %s: %s", cache.path, error)

    async def _save(
        self,
        cache: PaymentCache,
        records: list[Record],
        cursor: int,
        store_id: str | None,
        bulk: bool,
    ) -> None:
        # One save at a time, in feed order, so an older version never overwrites a newer one.
        async with self._save_lock:
            try:
                save = cache.save_block if bulk else cache.save
                await asyncio.to_thread(save, records, cursor, store_id)
            except (OSError, sqlite3.Error, TypeError, OverflowError) as error:
                # Only the local copy suffers: the next start fetches more from the relay.
                # (TypeError, OverflowError: a number too large for SQLite or JSON.)
                log.warning("Could not save payments to %s: %s", cache.path, error)

    async def _load_cache(self, client: RelayClient) -> tuple[int, str | None]:
        """Fill the book from the saved copy if it belongs to this relay session; the cursor
        and the relay store identity it was saved under."""
        if self._cache_dir is None:
            return 0, None
        cache = PaymentCache(cache_file(self._cache_dir, client.base_url))
        self._cache = cache
        rows, cursor, store_id = await asyncio.to_thread(cache.load, LocalDays(self._tz))
        if rows and not await _same_history(client, rows):
            await asyncio.to_thread(cache.discard)
            return 0, None
        self.book.load_rows(rows)
        return cursor, store_id

    def _on_state(self, state: FeedState, message: str) -> None:
        self.state = state
        self.state_message = message
        if state is FeedState.LIVE:
            self._caught_up = True
            if not self.book.search_ready:
                self._search_prep.start()
        self.connection_changed.emit(state.value, message)

    def _prepare_search_step(self) -> None:
        if not self.book.prepare_search(SEARCH_PREP_ROWS):
            self._search_prep.stop()


async def _same_history(client: RelayClient, rows: list[PaymentRow]) -> bool:
    """Whether the saved payments are this token's: the relay must know a settled one by ID.

    Checkout IDs are unique across M-PESA, so another provider's feed (or a relay whose store
    was replaced) cannot answer with the same payment at the same place.
    """
    settled = [row for row in rows if row.status.is_final and row.seq > 0]
    if not settled:
        return False  # nothing to check against; a few pending rows are cheap to fetch again
    probe = max(settled, key=lambda row: row.seq)
    try:
        page = await client.payments(after=probe.seq - 1, wait=0, limit=1)
    except RelayError:
        return True  # offline: show the saved copy; the feed catches up when the relay is back
    return bool(page.items) and page.items[0].checkout_request_id == probe.checkout_request_id
