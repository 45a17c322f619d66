"""The webhook operations of the SQLite store, run through its group-commit writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from server_stub.audit.entries import Audit
from server_stub.store.sqlite_audit import audited
from server_stub.store.writer import GroupCommitWriter
from server_stub.webhooks import sqlite_deliveries as deliveries
from server_stub.webhooks import sqlite_endpoints as endpoints
from server_stub.webhooks.events import TEST_EVENT, emit
from server_stub.webhooks.records import AttemptResult, ClaimedWebhook, EndpointRecord, LogEntry


class SqliteWebhooks:
    """Endpoints, deliveries and the delivery log; reads on the read connection."""

    def __init__(
        self, writer: GroupCommitWriter, read: sqlite3.Connection, clock: Callable[[], float]
    ) -> None:
        self._writer = writer
        self._read = read
        self._clock = clock

    async def endpoints(self, provider_id: int) -> list[EndpointRecord]:
        """The provider's endpoints, oldest first."""
        return endpoints.select_endpoints(self._read, provider_id)

    async def endpoint(self, provider_id: int, endpoint_id: int) -> EndpointRecord | None:
        """One of the provider's endpoints, or None."""
        return endpoints.select_endpoint(self._read, provider_id, endpoint_id)

    async def add(
        self,
        provider_id: int,
        url: str,
        events: Sequence[str],
        description: str,
        encrypted_secret: bytes,
        *,
        audit: Audit[EndpointRecord] | None = None,
    ) -> EndpointRecord:
        """A new enabled endpoint (TooManyEndpoints past the limit)."""
        now = self._clock()

        def insert(conn: sqlite3.Connection) -> EndpointRecord:
            return endpoints.insert_endpoint(
                conn, provider_id, url, events, description, encrypted_secret, now
            )

        return await self._writer.run(audited(insert, audit))

    async def change(
        self,
        provider_id: int,
        endpoint_id: int,
        changes: dict[str, Any],
        *,
        audit: Audit[EndpointRecord] | None = None,
    ) -> EndpointRecord | None:
        """Change an endpoint; None when the provider has no such endpoint."""
        now = self._clock()

        def update(conn: sqlite3.Connection) -> EndpointRecord | None:
            return endpoints.update_endpoint(conn, provider_id, endpoint_id, changes, now)

        operation = audited(update, audit)
        return await self._writer.run(operation)

    async def delete(
        self, provider_id: int, endpoint_id: int, *, audit: Audit[bool] | None = None
    ) -> bool:
        """Delete an endpoint with its deliveries and log."""
        return await self._writer.run(
            audited(lambda conn: endpoints.delete_endpoint(conn, provider_id, endpoint_id), audit)
        )

    async def rotate(
        self,
        provider_id: int,
        endpoint_id: int,
        encrypted_secret: bytes,
        overlap_s: float,
        *,
        audit: Audit[bool] | None = None,
    ) -> bool:
        """Replace the secret; the old one keeps signing for `overlap_s`."""
        now = self._clock()

        def rotate(conn: sqlite3.Connection) -> bool:
            return endpoints.rotate_secret(
                conn, provider_id, endpoint_id, encrypted_secret, now + overlap_s, now
            )

        return await self._writer.run(audited(rotate, audit))

    async def send_test(self, provider_id: int, endpoint_id: int, data: dict[str, Any]) -> str:
        """Queue a `webhook.test` event for this endpoint alone; returns its event id."""
        now = self._clock()

        def write(conn: sqlite3.Connection) -> str:
            event_id = emit(conn, provider_id, TEST_EVENT, data, now, endpoint_ids=[endpoint_id])
            assert event_id is not None
            return event_id

        return await self._writer.run(write)

    async def claim(
        self, limit: int, lease_id: str, lease_s: float, busy: Mapping[int, int], per_endpoint: int
    ) -> list[ClaimedWebhook]:
        """Lease due deliveries (one short transaction)."""
        now = self._clock()
        snapshot = dict(busy)
        return await self._writer.run(
            lambda conn: deliveries.claim(
                conn, limit, lease_id, lease_s, now, snapshot, per_endpoint
            )
        )

    async def report(self, delivery_id: int, lease_id: str, result: AttemptResult) -> bool:
        """Record an attempt (one short transaction)."""
        now = self._clock()
        return await self._writer.run(
            lambda conn: deliveries.report(conn, delivery_id, lease_id, result, now)
        )

    async def release_leases(self) -> int:
        """Make leases left by a killed process due at once."""
        now = self._clock()
        return await self._writer.run(lambda conn: deliveries.release_leases(conn, now))

    async def next_due(self) -> float | None:
        """When the next delivery is due, or None."""
        return deliveries.next_due(self._read)

    async def forget_older_than(self, before: float, batch: int = 500) -> int:
        """Delete deliveries, their attempts and events older than `before`; returns how many
        deliveries went.

        The old rows are found on the read connection and deleted in batches of short writer
        transactions, so callbacks never wait behind a long delete.
        """
        removed = 0
        while True:
            delivery_ids = deliveries.old_deliveries(self._read, before, batch)
            if delivery_ids:
                removed += await self._writer.run(
                    partial(deliveries.forget, delivery_ids=delivery_ids, event_ids=[])
                )
            event_ids = deliveries.old_events_without_deliveries(self._read, before, batch)
            if event_ids:
                await self._writer.run(
                    partial(deliveries.forget, delivery_ids=[], event_ids=event_ids)
                )
            if len(delivery_ids) < batch and len(event_ids) < batch:
                return removed

    async def redeliver(self, provider_id: int, delivery_id: int) -> str:
        """Queue a delivery again now: 'ok', 'missing', 'in_flight' or 'disabled'."""
        now = self._clock()
        return await self._writer.run(
            lambda conn: deliveries.redeliver(conn, provider_id, delivery_id, now)
        )

    async def log(self, provider_id: int, endpoint_id: int, limit: int) -> list[LogEntry]:
        """The endpoint's delivery log, newest first."""
        return deliveries.delivery_log(self._read, provider_id, endpoint_id, limit)
