"""The counter pages' shared source of truth: the payment book, fed live from the relay."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import QObject, Signal

from bucket_desktop.services.payment_book import BookChange, PaymentBook
from bucket_desktop.services.payment_feed import Backoff, FeedState, PaymentFeed
from bucket_desktop.services.payment_rows import PaymentRow
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import PaymentItem
from bucket_desktop.ui.counter_tasks import TaskSet


class LivePayments(QObject):
    """Runs the feed for the signed-in relay and tells the pages what changed."""

    book_changed = Signal(object)  # BookChange
    book_replaced = Signal()  # a new relay session: the whole book is new
    payment_paid = Signal(object)  # PaymentRow
    connection_changed = Signal(str, str)  # FeedState value, sentence

    def __init__(
        self,
        *,
        tz: tzinfo | None = None,
        wait_s: float = 25.0,
        backoff: Backoff | None = None,
    ) -> None:
        super().__init__()
        self.book = PaymentBook(tz=tz)
        self._tz = tz
        self._wait_s = wait_s
        self._backoff = backoff
        self._client: RelayClient | None = None
        self._feed: PaymentFeed | None = None
        self._tasks = TaskSet()
        self.state = FeedState.STOPPED
        self.state_message = "Not connected to a relay."
        # History loaded at sign-in is not news: notify only once the feed has caught up.
        self._caught_up = False

    @property
    def client(self) -> RelayClient | None:
        """The relay the pages talk to, None when signed out."""
        return self._client

    @property
    def cursor(self) -> int:
        """The feed's cursor (0 before the first page)."""
        return self._feed.cursor if self._feed else 0

    async def set_client(self, client: RelayClient | None) -> None:
        """Follow another relay session (or none): the old feed stops, the book starts empty."""
        await self.stop()
        self._client = client
        self.book = PaymentBook(tz=self._tz)
        self._caught_up = False
        self.book_replaced.emit()
        if client is None:
            self._on_state(FeedState.STOPPED, "Not connected to a relay.")
            return
        self._feed = PaymentFeed(
            client,
            on_items=self.apply_items,
            on_state=self._on_state,
            wait_s=self._wait_s,
            backoff=self._backoff,
        )
        self._tasks.start(self._feed.run())

    async def stop(self) -> None:
        """Stop following the feed (on sign-out and when the window closes)."""
        if self._feed is not None:
            self._feed.stop()
        await self._tasks.cancel_all()
        self._feed = None

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
        change: BookChange = self.book.apply(items)
        if change:
            self.book_changed.emit(change)
        if self._caught_up:
            for row in change.newly_paid:
                self.payment_paid.emit(row)
        return change

    def _on_state(self, state: FeedState, message: str) -> None:
        self.state = state
        self.state_message = message
        if state is FeedState.LIVE:
            self._caught_up = True
        self.connection_changed.emit(state.value, message)
