"""The delivery worker: claims leased outbox rows, calls a mechanism, reports the result.

No network call ever runs inside a database transaction: the claim commits first, the call
happens, the report commits after. A worker killed mid-call leaves a lease that runs out, and
the row is claimed again; mechanisms must therefore be idempotent (DESIGN.md section 9).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Protocol

from server_stub.store.records import ClaimedDelivery

log = logging.getLogger(__name__)

LEASE_S = 60.0
FIRST_RETRY_S = 10.0
MAX_RETRY_S = 15 * 60.0
BATCH = 20


class DeliveryFailed(Exception):
    """The mechanism reached its target and was refused; counts as an attempt."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TargetUnreachable(DeliveryFailed):
    """The target could not be reached at all: the lease is released, no attempt counted."""


class Mechanism(Protocol):
    """One way of putting an access on the network (RADIUS rows, a MikroTik user, ...)."""

    name: str

    async def deliver(self, delivery: ClaimedDelivery) -> None:
        """Do the delivery's action; raise DeliveryFailed (or TargetUnreachable) when it fails."""


class OutboxStore(Protocol):
    """What the worker needs of the store."""

    async def claim_deliveries(
        self, mechanism: str, provider_id: int | None, limit: int, lease_id: str, lease_s: float
    ) -> list[ClaimedDelivery]:
        """Lease due deliveries."""

    async def report_delivery(
        self,
        delivery_id: int,
        lease_id: str,
        outcome: str,
        error: str | None,
        next_try_at: float | None,
    ) -> bool:
        """Record a worker's result; False when the report is not taken."""

    async def retry_now(self, provider_id: int, code: str) -> int | None:
        """Make a code's waiting deliveries due now; how many, or None for no such code."""


def retry_at(attempts: int, now: float) -> float:
    """When to try again after `attempts` failed attempts: doubling from 10 s to 15 minutes."""
    return now + min(FIRST_RETRY_S * 2.0 ** max(0, attempts - 1), MAX_RETRY_S)


class OutboxWorker:
    """Works one mechanism's deliveries."""

    def __init__(
        self, store: OutboxStore, mechanism: Mechanism, clock: Callable[[], float]
    ) -> None:
        self._store = store
        self._mechanism = mechanism
        self._clock = clock

    async def run_once(self, provider_id: int | None = None) -> int:
        """Claim and work one batch; returns how many deliveries were worked."""
        lease_id = uuid.uuid4().hex
        claimed = await self._store.claim_deliveries(
            self._mechanism.name, provider_id, BATCH, lease_id, LEASE_S
        )
        for delivery in claimed:
            outcome, error = await self._attempt(delivery)
            failures = delivery.attempts + (outcome == "failed")
            next_at = None if outcome == "delivered" else retry_at(failures, self._clock())
            await self._store.report_delivery(
                delivery.delivery_id, delivery.lease_id, outcome, error, next_at
            )
        return len(claimed)

    async def _attempt(self, delivery: ClaimedDelivery) -> tuple[str, str | None]:
        try:
            await self._mechanism.deliver(delivery)
        except TargetUnreachable as error:
            return "unreachable", error.message
        except DeliveryFailed as error:
            return "failed", error.message
        except Exception as error:  # a broken mechanism must not stop the others' deliveries
            log.error("Delivery %s failed unexpectedly: %s", delivery.delivery_id, type(error))
            return "failed", f"Unexpected error ({type(error).__name__})."
        return "delivered", None
