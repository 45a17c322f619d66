"""PaymentFeed: long-polls from its cursor, resumes after drops without gaps or duplicates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from bucket_desktop.services.payment_book import PaymentBook
from bucket_desktop.services.payment_feed import (
    RESET_SENTENCE,
    Backoff,
    FeedState,
    PaymentFeed,
)
from bucket_desktop.services.relay_errors import RelayAuthError, RelayUnavailable
from bucket_desktop.services.relay_models import PaymentItem, PaymentsPage


def payment(seq: int) -> PaymentItem:
    return PaymentItem(
        checkout_request_id=f"ws_CO_{seq}",
        merchant_request_id=None,
        status="paid",
        phone_number="254712345678",
        amount=seq,
        account_reference="WIFI",
        transaction_desc="WiFi",
        mpesa_receipt_number=f"R{seq}",
        result_code="0",
        result_desc=None,
        resolved_by="callback",
        created_at=str(1_700_000_000 + seq),
        updated_at=None,
        seq=seq,
    )


def as_json(item: PaymentItem) -> dict[str, Any]:
    """The item as the relay's JSON (the fields these tests set)."""
    names = ("checkout_request_id", "status", "phone_number", "amount", "account_reference",
             "transaction_desc", "mpesa_receipt_number", "result_code", "resolved_by",
             "created_at", "seq")  # fmt: skip
    return {name: getattr(item, name) for name in names}


class ScriptedRelay:
    """An in-memory feed: a growing log of changes, with drops scripted by the test."""

    def __init__(self) -> None:
        self.log: list[PaymentItem] = []
        self.failures: list[Exception] = []
        self.requests: list[tuple[int, float]] = []
        self.changed = asyncio.Event()

    def add(self, count: int) -> None:
        start = len(self.log)
        self.log.extend(payment(start + i + 1) for i in range(count))
        self.changed.set()

    async def payments(self, *, after: int = 0, wait: float = 0, limit: int = 500) -> PaymentsPage:
        self.requests.append((after, wait))
        if self.failures:
            raise self.failures.pop(0)
        if wait and not any(p.seq and p.seq > after for p in self.log):
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), wait)
        items = tuple(p for p in self.log if p.seq and p.seq > after)[:limit]
        cursor = items[-1].seq if items and items[-1].seq else after
        return PaymentsPage(items=items, cursor=cursor)


class Recorder:
    def __init__(self) -> None:
        self.book = PaymentBook()
        self.seen: list[int] = []
        self.states: list[FeedState] = []

    def on_items(self, items: tuple[PaymentItem, ...]) -> None:
        self.seen.extend(i.seq or 0 for i in items)
        self.book.apply(items)

    def on_state(self, state: FeedState, message: str) -> None:
        assert message
        self.states.append(state)


async def wait_for(condition: Callable[[], bool]) -> None:
    """Wait until the condition holds (the feed runs on this loop), at most 30 s."""
    async with asyncio.timeout(30):
        while not condition():  # noqa: ASYNC110 - the feed exposes no event to wait on
            await asyncio.sleep(0.005)


FAST = Backoff(first_s=0.01, max_s=0.05, jitter=0.0)


async def test_catches_up_in_pages_then_long_polls() -> None:
    relay, seen = ScriptedRelay(), Recorder()
    relay.add(1200)
    feed = PaymentFeed(relay, on_items=seen.on_items, on_state=seen.on_state, wait_s=5)
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.state is FeedState.LIVE)
    assert seen.seen == list(range(1, 1201))
    relay.add(3)
    await wait_for(lambda: len(seen.seen) == 1203)
    assert feed.cursor == 1203
    assert [after for after, _ in relay.requests[:3]] == [0, 500, 1000]
    assert relay.requests[-1][1] == 5
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen.states[-1] is FeedState.STOPPED


async def test_resumes_from_its_cursor_after_drops_without_gaps_or_duplicates() -> None:
    relay, seen = ScriptedRelay(), Recorder()
    relay.add(5)
    feed = PaymentFeed(
        relay, on_items=seen.on_items, on_state=seen.on_state, wait_s=5, backoff=FAST
    )
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: len(seen.seen) == 5)
    relay.failures = [RelayUnavailable("The relay cannot be reached.", code="network")] * 3
    relay.changed.set()  # end the current long poll so the next requests fail
    relay.add(2)
    await wait_for(lambda: len(seen.seen) >= 7)
    relay.add(1)
    await wait_for(lambda: len(seen.seen) >= 8)
    assert seen.seen == list(range(1, 9))
    assert FeedState.RECONNECTING in seen.states
    assert seen.states[-1] is FeedState.LIVE
    assert len(seen.book) == 8
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_refused_token_stops_the_feed_with_its_sentence() -> None:
    relay, seen = ScriptedRelay(), Recorder()
    relay.failures = [RelayAuthError("The relay does not accept this token.", code="auth")]
    messages: list[str] = []
    feed = PaymentFeed(
        relay,
        on_items=seen.on_items,
        on_state=lambda state, message: messages.append(f"{state}:{message}"),
    )
    await asyncio.wait_for(feed.run(), 5)
    assert feed.state is FeedState.REFUSED
    assert messages[-1] == "refused:The relay does not accept this token."


async def test_stop_ends_the_loop_after_the_current_request() -> None:
    relay, seen = ScriptedRelay(), Recorder()
    feed = PaymentFeed(relay, on_items=seen.on_items, on_state=seen.on_state, wait_s=0.05)
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.state is FeedState.LIVE)
    feed.stop()
    await asyncio.wait_for(task, 5)
    assert feed.state is FeedState.STOPPED


def test_backoff_doubles_up_to_its_ceiling() -> None:
    backoff = Backoff(first_s=0.5, max_s=4, jitter=0)
    assert [backoff.delay(n) for n in range(1, 6)] == [0.5, 1, 2, 4, 4]
    jittered = Backoff(first_s=1, max_s=1, jitter=0.2)
    assert all(0.8 <= jittered.delay(3) <= 1.2 for _ in range(50))


class RestorableRelay(ScriptedRelay):
    """A relay whose store can be swapped for an older copy with a new identity."""

    def __init__(self) -> None:
        super().__init__()
        self.store_id = "store-a"

    def restore_to(self, count: int, store_id: str) -> None:
        self.log = self.log[:count]
        self.store_id = store_id
        self.changed.set()

    async def payments(self, *, after: int = 0, wait: float = 0, limit: int = 500) -> PaymentsPage:
        page = await super().payments(after=after, wait=wait, limit=limit)
        head = self.log[-1].seq or 0 if self.log else 0
        return PaymentsPage(page.items, page.cursor, store_id=self.store_id, head=head)


@pytest.mark.parametrize("new_identity", ["store-b", "store-a"])
async def test_a_restored_relay_is_reloaded_from_zero(new_identity: str) -> None:
    relay = RestorableRelay()
    relay.add(5)
    seen, resets = Recorder(), []
    feed = PaymentFeed(
        relay, on_items=seen.on_items, on_state=seen.on_state, on_reset=resets.append, wait_s=5
    )
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.cursor == 5)
    assert feed.store_id == "store-a"
    # Restored to a backup holding 3 payments; then 1 new payment takes seq 4 again. With the
    # same identity (a database copied back by hand) only head < cursor gives it away.
    relay.restore_to(3, new_identity)
    relay.add(1)
    await wait_for(lambda: len(resets) == 1 and feed.cursor == 4)
    assert resets == [RESET_SENTENCE]
    assert "restored or replaced" in RESET_SENTENCE
    assert feed.store_id == new_identity
    assert seen.seen[-4:] == [1, 2, 3, 4]  # everything again, from zero
    assert relay.requests[-1][0] == 4
    feed.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


class SnapshotRelay(ScriptedRelay):
    """A relay with the snapshot route: the whole log streamed in chunks of `chunk`."""

    def __init__(self, *, has_snapshot: bool = True, chunk: int = 2000) -> None:
        super().__init__()
        self.has_snapshot = has_snapshot
        self.chunk = chunk
        self.snapshots = 0
        self.cut_after: int | None = None  # chunks sent before the connection drops

    async def snapshot(
        self, on_items: Callable[[list[dict[str, Any]]], None]
    ) -> PaymentsPage | None:
        self.snapshots += 1
        if not self.has_snapshot:
            return None
        head = self.log[-1].seq or 0 if self.log else 0
        for number, start in enumerate(range(0, len(self.log), self.chunk)):
            if number == self.cut_after:
                self.cut_after = None
                raise RelayUnavailable("The relay stopped part way.", code="network")
            on_items([as_json(item) for item in self.log[start : start + self.chunk]])
            await asyncio.sleep(0)
        return PaymentsPage(items=(), cursor=head, head=head)


async def test_a_new_desk_starts_from_one_streamed_snapshot() -> None:
    relay, seen = SnapshotRelay(chunk=2000), Recorder()
    relay.add(4007)
    feed = PaymentFeed(relay, on_items=seen.on_items, on_state=seen.on_state, wait_s=5)
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.state is FeedState.LIVE)
    assert seen.seen == list(range(1, 4008))
    assert relay.snapshots == 1 and all(after == 4007 for after, _ in relay.requests)
    relay.add(2)  # then it follows the feed from the snapshot's cursor
    await wait_for(lambda: len(seen.seen) == 4009)
    assert relay.snapshots == 1
    feed.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_snapshot_s_items_go_as_sent_to_their_own_handler_when_given() -> None:
    relay, seen = SnapshotRelay(chunk=300), Recorder()
    relay.add(700)
    lines: list[list[dict[str, Any]]] = []

    def on_snapshot_items(items: list[dict[str, Any]]) -> None:
        lines.append(items)
        seen.book.apply_json(items)

    feed = PaymentFeed(
        relay,
        on_items=seen.on_items,
        on_snapshot_items=on_snapshot_items,
        on_state=seen.on_state,
        wait_s=5,
    )
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.state is FeedState.LIVE)
    assert [len(line) for line in lines] == [300, 300, 100] and seen.seen == []
    assert len(seen.book) == 700 and feed.cursor == 700
    relay.add(1)  # what follows the snapshot comes through the feed's pages as before
    await wait_for(lambda: seen.seen == [701])
    feed.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_snapshot_cut_off_part_way_is_read_again_without_moving_the_cursor() -> None:
    relay, seen = SnapshotRelay(chunk=100), Recorder()
    relay.add(350)
    relay.cut_after = 2
    feed = PaymentFeed(
        relay, on_items=seen.on_items, on_state=seen.on_state, wait_s=5, backoff=FAST
    )
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.state is FeedState.LIVE)
    assert relay.snapshots == 2 and feed.cursor == 350
    assert seen.seen == list(range(1, 201)) + list(range(1, 351))  # shown again: harmless
    assert len(seen.book) == 350
    assert FeedState.RECONNECTING in seen.states
    feed.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_a_relay_without_snapshots_is_read_page_by_page() -> None:
    relay, seen = SnapshotRelay(has_snapshot=False), Recorder()
    relay.add(1200)
    feed = PaymentFeed(relay, on_items=seen.on_items, on_state=seen.on_state, wait_s=5)
    task = asyncio.create_task(feed.run())
    await wait_for(lambda: feed.state is FeedState.LIVE)
    assert seen.seen == list(range(1, 1201))
    assert relay.snapshots == 1 and [after for after, _ in relay.requests[:3]] == [0, 500, 1000]
    feed.stop()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
