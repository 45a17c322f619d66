"""The webhook worker: claims due deliveries, sends each in its own task, reports the result.

It never holds the store's writer while sending: a claim and a report are each one short
transaction, and the sends run on the event loop meanwhile. At most PER_ENDPOINT sends are in
flight per endpoint and IN_FLIGHT in all, so a receiver that takes 10 s to answer delays only
its own deliveries, never callbacks or another provider's webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable

import httpx

from server_stub.security.atrest import AtRestError, SecretBox
from server_stub.webhooks.addresses import Resolver
from server_stub.webhooks.records import AttemptResult, ClaimedWebhook
from server_stub.webhooks.sender import send
from server_stub.webhooks.signing import SigningSecret
from server_stub.webhooks.store import SqliteWebhooks

log = logging.getLogger(__name__)

LEASE_S = 60.0  # well over the 10 s a send may take
PER_ENDPOINT = 2
IN_FLIGHT = 32
IDLE_CHECK_S = 0.5
ERROR_PAUSE_S = 1.0
# The delivery log keeps 30 days (what a provider's support question needs, far past the 28-hour
# retry schedule); older deliveries, their attempts and events are deleted once an hour.
KEEP_S = 30 * 86400.0
FORGET_EVERY_S = 3600.0


class WebhookDispatcher:
    """Delivers webhooks from the store's outbox until cancelled."""

    def __init__(
        self,
        store: SqliteWebhooks,
        box: SecretBox,
        client: httpx.AsyncClient,
        *,
        production: bool,
        resolve: Resolver,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._box = box
        self._client = client
        self._production = production
        self._resolve = resolve
        self._clock = clock
        self._busy: Counter[int] = Counter()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._forget_at = 0.0

    def wake(self) -> None:
        """Something became due now (a test event, a redelivery, a finished send)."""
        self._wake.set()

    async def run(self) -> None:
        """Work deliveries until cancelled; sends in flight are cancelled with it."""
        # One relay serves a SQLite store (its serve lock), so a lease still held here was
        # left by a process that died mid-send: send those again at once.
        try:
            released = await self._store.release_leases()
        except Exception as error:  # the leases then simply run out
            log.error("Webhook worker: %s while releasing leases.", type(error).__name__)
            released = 0
        if released:
            log.info("Sending again %d webhook deliveries cut off by a restart.", released)
        try:
            while True:
                try:
                    await self.run_once()
                    await self._forget_old()
                    await self._idle()
                except Exception as error:  # a store hiccup must not stop deliveries for good
                    log.error("Webhook worker: %s; trying again shortly.", type(error).__name__)
                    await asyncio.sleep(ERROR_PAUSE_S)
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def run_once(self) -> int:
        """Claim what is due and start sending it; returns how many sends were started."""
        room = IN_FLIGHT - len(self._tasks)
        if room <= 0:
            return 0
        lease_id = uuid.uuid4().hex
        claimed = await self._store.claim(room, lease_id, LEASE_S, self._busy, PER_ENDPOINT)
        for delivery in claimed:
            self._busy[delivery.endpoint_id] += 1
            task = asyncio.create_task(self._deliver(delivery), name="webhook")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(claimed)

    async def _forget_old(self) -> None:
        now = self._clock()
        if now < self._forget_at:
            return
        self._forget_at = now + FORGET_EVERY_S
        removed = await self._store.forget_older_than(now - KEEP_S)
        if removed:
            log.info("Deleted %d webhook deliveries older than 30 days.", removed)

    async def drain(self) -> None:
        """Wait for the sends in flight (tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _idle(self) -> None:
        due = await self._store.next_due()
        wait = IDLE_CHECK_S if due is None else max(0.0, min(IDLE_CHECK_S, due - self._clock()))
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait):
                await self._wake.wait()

    async def _deliver(self, delivery: ClaimedWebhook) -> None:
        try:
            result = await self._attempt(delivery)
            await self._store.report(delivery.delivery_id, delivery.lease_id, result)
        except Exception as error:  # one broken delivery must not stop the worker
            log.error("Webhook delivery %s failed: %s", delivery.delivery_id, type(error).__name__)
        finally:
            self._busy[delivery.endpoint_id] -= 1
            if self._busy[delivery.endpoint_id] <= 0:
                del self._busy[delivery.endpoint_id]
            self._wake.set()

    async def _attempt(self, delivery: ClaimedWebhook) -> AttemptResult:
        try:
            secrets = [SigningSecret(self._box.decrypt(s).decode()) for s in delivery.secrets]
        except (AtRestError, ValueError):
            return AttemptResult(None, 0, "The endpoint's secret cannot be read: rotate it.")
        return await send(
            self._client,
            delivery.url,
            delivery.event_id,
            delivery.body,
            secrets,
            production=self._production,
            resolve=self._resolve,
        )
