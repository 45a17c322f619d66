"""The live payment feed: a long-poll loop on the relay's cursor (DESIGN.md section 3).

The cursor only moves after a page has been handed over, so a drop, a relay restart or a
laptop waking from sleep resumes exactly where it stopped: nothing is skipped, and a page that
is delivered twice is harmless because `PaymentBook.apply` ignores versions it already has.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.relay_errors import (
    RelayAuthError,
    RelayError,
    RelayForbidden,
)
from bucket_desktop.services.relay_models import PaymentItem, PaymentsPage

LONG_POLL_WAIT_S = 25.0
PAGE_LIMIT = 500


class FeedSource(Protocol):
    """Anything that serves the relay's payment feed (RelayClient does)."""

    async def payments(self, *, after: int = 0, wait: float = 0, limit: int = 500) -> PaymentsPage:
        """Payment changes after cursor `after`, waiting up to `wait` seconds when none."""
        ...


@runtime_checkable
class SnapshotSource(Protocol):
    """A feed source that can also send the whole history in one answer (RelayClient can)."""

    async def snapshot(
        self, on_items: Callable[[list[dict[str, Any]]], None]
    ) -> PaymentsPage | None:
        """Every payment, handed to `on_items` as it arrives (feed items as the relay sent
        them); then the cursor to follow on from (an empty page). None when the relay cannot."""
        ...


class FeedState(StrEnum):
    """How the feed's connection to the relay is doing."""

    CONNECTING = "connecting"
    LIVE = "live"
    RECONNECTING = "reconnecting"
    REFUSED = "refused"  # the token was refused: retrying cannot help
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between failed attempts: doubling from `first_s` up to `max_s`, with jitter."""

    first_s: float = 0.5
    max_s: float = 15.0
    jitter: float = 0.2

    def delay(self, failures: int) -> float:
        """Seconds to wait after `failures` failures in a row (1 or more)."""
        base = min(self.max_s, self.first_s * 2.0 ** max(0, failures - 1))
        # Jitter spreads the reconnects of many desks after a relay restart.
        return base * (1 + self.jitter * (2 * random.random() - 1))  # noqa: S311


ItemsHandler = Callable[[tuple[PaymentItem, ...]], None]
JsonItemsHandler = Callable[[list[dict[str, Any]]], None]
StateHandler = Callable[[FeedState, str], None]
ResetHandler = Callable[[str], None]
VersionHandler = Callable[[int], None]
RESET_SENTENCE = N_(
    "The relay's records were restored or replaced: loading every payment again from the relay."
)


def _ignore_reset(_: str) -> None:
    return None


def _ignore_version(_: int) -> None:
    return None


class PaymentFeed:
    """Follows the relay's payment feed from a cursor until stopped."""

    def __init__(
        self,
        source: FeedSource,
        *,
        on_items: ItemsHandler,
        on_state: StateHandler,
        cursor: int = 0,
        store_id: str | None = None,
        on_reset: ResetHandler = _ignore_reset,
        on_plans_version: VersionHandler = _ignore_version,
        on_snapshot_items: JsonItemsHandler | None = None,
        wait_s: float = LONG_POLL_WAIT_S,
        backoff: Backoff | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._source = source
        self._on_items = on_items
        self._on_state = on_state
        self._cursor = cursor
        self._store_id = store_id
        self._on_reset = on_reset
        # Every page carries the plans' version: a change means another desk edited them.
        self._on_plans_version = on_plans_version
        self._plans_version: int | None = None
        self._wait_s = wait_s
        self._backoff = backoff or Backoff()
        self._sleep = sleep
        self._state = FeedState.STOPPED
        self._stopping = False
        # Starting from zero, one snapshot replaces hundreds of pages (relays that have it).
        self._snapshots = source if isinstance(source, SnapshotSource) else None
        # A snapshot's items as the relay sent them; without a handler they are read into
        # PaymentItems for `on_items`.
        self._on_snapshot_items = on_snapshot_items or self._read_snapshot_items

    @property
    def cursor(self) -> int:
        """The last sequence number handed over; the next request asks for what follows it."""
        return self._cursor

    @property
    def store_id(self) -> str | None:
        """The identity of the relay store the cursor belongs to (None until known)."""
        return self._store_id

    @property
    def state(self) -> FeedState:
        """The current connection state."""
        return self._state

    def stop(self) -> None:
        """Ask the loop to end after the current request (cancel its task to end it at once)."""
        self._stopping = True

    async def run(self) -> None:
        """Poll until stopped or the token is refused; never raises for network trouble."""
        self._stopping = False
        self._set_state(FeedState.CONNECTING, _("Connecting to the relay…"))
        failures = 0
        try:
            while not self._stopping:
                try:
                    page = await self._next_page()
                except (RelayAuthError, RelayForbidden) as error:
                    self._set_state(FeedState.REFUSED, str(error))
                    return
                except RelayError as error:
                    failures += 1
                    delay = self._backoff.delay(failures)
                    self._set_state(FeedState.RECONNECTING, _retry_sentence(error, delay))
                    await self._sleep(delay)
                    continue
                failures = 0
                if self._history_reset(page):
                    # The page answers a cursor from another history: drop it and ask again
                    # from zero (DESIGN.md section 13, "Store identity").
                    self._cursor = 0
                    self._store_id = page.store_id
                    self._on_reset(_(RESET_SENTENCE))
                    self._set_state(FeedState.CONNECTING, _(RESET_SENTENCE))
                    continue
                self._store_id = page.store_id or self._store_id
                self._deliver(page)
        finally:
            if self._state is not FeedState.REFUSED:
                self._set_state(FeedState.STOPPED, _("Not following live payments."))

    async def _next_page(self) -> PaymentsPage:
        if self._cursor == 0 and self._snapshots is not None:
            # Items are shown as they arrive; the cursor moves only once the snapshot is
            # complete, so one cut off part way is simply read again.
            page = await self._snapshots.snapshot(self._on_snapshot_items)
            if page is not None:
                return page
            self._snapshots = None  # a relay from before snapshots: read the feed page by page
        wait = 0.0 if self._state is not FeedState.LIVE else self._wait_s
        return await self._source.payments(after=self._cursor, wait=wait, limit=PAGE_LIMIT)

    def _read_snapshot_items(self, items: list[dict[str, Any]]) -> None:
        self._on_items(tuple(PaymentItem.from_json(item) for item in items))

    def _history_reset(self, page: PaymentsPage) -> bool:
        """A restored or replaced relay store: another identity, or a head behind our cursor."""
        other_store = None not in (page.store_id, self._store_id) and (
            page.store_id != self._store_id
        )
        behind = page.head is not None and page.head < self._cursor
        return other_store or behind

    def _deliver(self, page: PaymentsPage) -> None:
        if page.plans_version is not None and page.plans_version != self._plans_version:
            self._plans_version = page.plans_version
            self._on_plans_version(page.plans_version)
        if page.items:
            self._on_items(page.items)
        # Moving the cursor after the handler returns is what makes a crash in between safe.
        self._cursor = max(self._cursor, page.cursor)
        if len(page.items) >= PAGE_LIMIT:
            # More is waiting: ask again at once (wait=0) instead of long-polling.
            self._set_state(FeedState.CONNECTING, _("Catching up with the relay…"))
        else:
            self._set_state(FeedState.LIVE, _("Live: new payments appear as they arrive."))

    def _set_state(self, state: FeedState, message: str) -> None:
        if state is self._state and state is not FeedState.RECONNECTING:
            return
        self._state = state
        self._on_state(state, message)


def _retry_sentence(error: RelayError, delay: float) -> str:
    return _("{error} Trying again in {value} s.").format(error=error, value=max(1, round(delay)))
