"""Reconciliation: ask Daraja about pushes whose callback has not come (DARAJA.md, "Timing").

The first query goes out `first_s` after the push, then with doubling gaps, the last one at
`until_s`. "Being processed" keeps the push pending; Daraja errors simply reschedule. The same sweep
confirms paid callbacks (`server_stub.access.confirmation` gives their schedule).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.daraja_errors import DarajaError
from bucket_desktop.services.mpesa_rules import PaymentStatus
from server_stub.access.confirmation import GAVE_UP, next_confirm_at, permanent_problem
from server_stub.errors import RelayError
from server_stub.operations.metrics import RelayMetrics
from server_stub.payments.callback_load import ConfirmationPacer
from server_stub.payments.feed import FeedNotifier
from server_stub.payments.settlement import StkResult
from server_stub.security.vault import CredentialVault
from server_stub.store.protocol import Store
from server_stub.store.records import PaymentRecord

log = logging.getLogger(__name__)

BATCH = 50
CONCURRENT_QUERIES = 4
# How often each instance looks for due queries (and for a vacant leadership) on a shared store.
SHARED_LOOK_S = 1.0


class Reconciler:
    """Schedules and runs STK queries for pending pushes."""

    def __init__(
        self,
        store: Store,
        vault: CredentialVault,
        daraja: DarajaClient,
        notifier: FeedNotifier,
        *,
        first_s: float,
        until_s: float,
        clock: Callable[[], float],
        metrics: RelayMetrics | None = None,
        pacer: ConfirmationPacer | None = None,
    ) -> None:
        self.metrics = metrics
        # Confirming queries wait their turn while callbacks saturate the relay.
        self.pacer = pacer
        self._store = store
        self._vault = vault
        self._daraja = daraja
        self._notifier = notifier
        self.first_s = first_s
        self.until_s = until_s
        self._clock = clock
        self._wake = asyncio.Event()
        # When the sleeping loop means to look again (None: asleep with nothing due, or awake).
        self._planned: float | None = None
        self._limit = asyncio.Semaphore(CONCURRENT_QUERIES)
        self._last_on_demand: dict[int, float] = {}

    def next_query_at(self, created_at: float, attempts_done: int) -> float | None:
        """When query number `attempts_done + 1` is due, or None once the window is over."""
        offset, gap = self.first_s, self.first_s / 2
        for _ in range(attempts_done):
            if offset >= self.until_s:
                return None
            offset, gap = min(offset + gap, self.until_s), gap * 2
        return created_at + offset

    def wake(self) -> None:
        """A push was scheduled: recompute the next wake-up."""
        self._wake.set()

    def wake_for(self, at: float) -> None:
        """A query was scheduled for `at` (a paid callback's confirmation): wake up only when
        that is sooner than the loop means to look anyway, so a flood of callbacks costs no
        sweep each."""
        if self._planned is None or at < self._planned:
            self._wake.set()

    async def run(self) -> None:
        """Sweep forever: query what is due, then sleep until the next due time or a wake-up."""
        while True:
            # Cleared before the sweep: a wake-up during it or while the next due time is read
            # is kept, and makes one more round.
            self._wake.clear()
            self._planned = None
            try:
                # With several relay instances one leader sweeps; a dead leader's lock is
                # freed with its session and another instance takes over at its next look.
                if self._store.lead("reconcile"):
                    await self.sweep()
            except Exception:  # a broken sweep must not end reconciliation for good
                log.exception("The reconciliation sweep failed; retrying shortly")
                await asyncio.sleep(1.0)
            due = await self._store.next_query_due()
            self._planned = due
            delay = None if due is None else max(0.0, due - self._clock())
            if self._store.shared:
                # Other instances schedule queries without waking this one: look again soon.
                delay = SHARED_LOOK_S if delay is None else min(delay, SHARED_LOOK_S)
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for returns normally when the
            # wake-up and the relay's shutdown (cancel) land together, and this loop then never
            # ended, holding the shutdown forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def sweep(self) -> int:
        """Query every push that is due now; returns how many were queried."""
        total = 0
        while True:
            due = await self._store.due_for_query(self._clock(), BATCH)
            if not due:
                return total
            # A batch is mostly one provider's confirmations: its credentials are read and
            # decrypted once for the batch, not once per query (issue 15's ingest ratio).
            opened: dict[int, DarajaCredentials | str] = {}
            await asyncio.gather(*(self.query(payment, opened) for payment in due))
            total += len(due)

    async def query_if_stale(self, payment: PaymentRecord) -> PaymentRecord | None:
        """For the status route: query a pending push at most every `first_s / 2` seconds."""
        now = self._clock()
        if now - payment.created_at < self.first_s:
            return None
        if now - self._last_on_demand.get(payment.id, 0.0) < self.first_s / 2:
            return None
        self._last_on_demand[payment.id] = now
        if len(self._last_on_demand) > 10_000:
            self._last_on_demand.clear()
        return await self.query(payment)

    async def query(
        self, payment: PaymentRecord, opened: dict[int, DarajaCredentials | str] | None = None
    ) -> PaymentRecord | None:
        """One STK query for a push (pending, or paid and awaiting confirmation); `opened`
        keeps providers' credentials (or why there are none) across one sweep's batch."""
        result, permanent = await self._ask_daraja(payment, {} if opened is None else opened)
        now = self._clock()
        problem = None
        if payment.status is PaymentStatus.PENDING:
            next_at = self.next_query_at(payment.created_at, payment.query_attempts + 1)
        else:
            next_at = next_confirm_at(
                payment.confirm_from or payment.updated_at, payment.confirm_attempts + 1, now
            )
            if result is None and (permanent or next_at is None):
                problem = permanent_problem(permanent) if permanent else GAVE_UP
                log.warning("Push %s flagged: not confirmed", payment.checkout_request_id)
        changed = await self._store.apply_query(
            payment.id, result, next_query_at=next_at, now=now, problem=problem
        )
        if changed is not None:
            log.info(
                "Push %s after query: %s, confirmation %s",
                payment.checkout_request_id,
                changed.status,
                changed.confirmation,
            )
            self._notifier.notify(payment.provider_id)
        return changed

    async def _credentials(
        self, provider_id: int, opened: dict[int, DarajaCredentials | str]
    ) -> DarajaCredentials | str:
        """The provider's credentials in clear, or why there are none."""
        known = opened.get(provider_id)
        if known is not None:
            return known
        provider = await self._store.get_provider(provider_id)
        if provider is None:
            found: DarajaCredentials | str = "the provider no longer exists"
        else:
            try:
                found = self._vault.open(provider)
            except RelayError as error:
                found = error.message.rstrip(".")
        opened[provider_id] = found
        return found

    async def _ask_daraja(
        self, payment: PaymentRecord, opened: dict[int, DarajaCredentials | str]
    ) -> tuple[StkResult | None, str | None]:
        """Daraja's final answer, or None and (for an error retrying cannot fix) its reason."""
        if payment.checkout_request_id is None:
            return None, None
        credentials = await self._credentials(payment.provider_id, opened)
        if isinstance(credentials, str):
            return None, credentials
        if self.pacer is not None and payment.status is PaymentStatus.PAID:
            await self.pacer.turn()
        try:
            async with self._limit:
                answer = await self._daraja.stk_query(credentials, payment.checkout_request_id)
        except RelayError as error:
            return None, error.message.rstrip(".")
        except DarajaError as error:
            if self.metrics is not None:
                self.metrics.daraja_errors.labels("stk_query", error.code).inc()
            log.warning(
                "STK query for %s failed (%s); will retry",
                payment.checkout_request_id,
                error.code,
            )
            return None, None if error.retryable else f"Daraja error {error.code}"
        if answer.pending or answer.result_code is None:
            return None, None
        return StkResult(
            result_code=answer.result_code,
            result_desc=answer.result_desc,
            checkout_request_id=payment.checkout_request_id,
            merchant_request_id=answer.merchant_request_id,
        ), None
