"""Ringing the phone: delivering STK callbacks to the CallBackURL, on time or not at all."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

import httpx

from server_stub.daraja_sim.ids import transaction_date
from server_stub.daraja_sim.scenarios import CallbackMode
from server_stub.daraja_sim.state import Push, SimState

log = logging.getLogger(__name__)


def callback_body(push: Push) -> dict[str, Any]:
    """The STK callback Daraja would send for this push's outcome."""
    callback: dict[str, Any] = {
        "MerchantRequestID": push.merchant_request_id,
        "CheckoutRequestID": push.checkout_request_id,
        "ResultCode": push.scenario.result_code,
        "ResultDesc": push.scenario.result_desc,
    }
    if push.scenario.paid:
        # Daraja's order, with Balance present but empty, and the amount as a decimal.
        callback["CallbackMetadata"] = {
            "Item": [
                {"Name": "Amount", "Value": float(push.amount)},
                {"Name": "MpesaReceiptNumber", "Value": push.receipt_number},
                {"Name": "Balance"},
                {"Name": "TransactionDate", "Value": transaction_date(push.answered_at)},
                {"Name": "PhoneNumber", "Value": int(push.phone)},
            ]
        }
    return {"Body": {"stkCallback": callback}}


class CallbackDispatcher:
    """Schedules and sends callbacks with one HTTP client; failures are logged, never raised."""

    def __init__(self, state: SimState) -> None:
        self._state = state
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Open the HTTP client (at app start-up)."""
        timeout = httpx.Timeout(self._state.config.callback_timeout_s)
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def close(self) -> None:
        """Drop callbacks not yet sent and close the HTTP client (at shutdown)."""
        await self.cancel_pending()
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def cancel_pending(self) -> None:
        """Forget every scheduled callback (on reset and shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def schedule(self, push: Push) -> None:
        """Plan this push's callbacks according to its scenario."""
        config = self._state.config
        delay = max(0.0, push.decided_at - self._state.clock())
        mode = push.scenario.callback
        if mode is CallbackMode.LOST:
            self._state.log.add(
                "callback_withheld", checkout_request_id=push.checkout_request_id, reason="lost"
            )
        elif mode is CallbackMode.LATE:
            self._later(push, max(delay, config.late_callback_delay_s), attempt=1)
        elif mode is CallbackMode.DUPLICATE:
            self._later(push, delay, attempt=1)
            self._later(push, delay + config.duplicate_gap_s, attempt=2)
        elif mode is CallbackMode.NORMAL:
            self._later(push, delay, attempt=1)

    async def deliver(self, push: Push, attempt: int = 1) -> None:
        """POST the callback now and record what happened."""
        entry: dict[str, Any] = {
            "checkout_request_id": push.checkout_request_id,
            "url": push.callback_url,
            "attempt": attempt,
            "body": callback_body(push),
        }
        if self._http is None:
            self._state.log.add("callback", delivered=False, error="simulator is stopping", **entry)
            return
        try:
            response = await self._http.post(push.callback_url, json=entry["body"])
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            # Only the host: the path carries the receiver's per-push token.
            log.warning(
                "Callback for %s to %s failed: %s",
                push.checkout_request_id,
                urlsplit(push.callback_url).hostname,
                type(error).__name__,
            )
            self._state.log.add("callback", delivered=False, error=type(error).__name__, **entry)
            return
        self._state.log.add("callback", delivered=True, status_code=response.status_code, **entry)

    def _later(self, push: Push, delay: float, attempt: int) -> None:
        task = asyncio.create_task(self._deliver_after(push, delay, attempt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_after(self, push: Push, delay: float, attempt: int) -> None:
        await asyncio.sleep(delay)
        await self.deliver(push, attempt)
