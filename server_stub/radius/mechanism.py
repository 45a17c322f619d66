"""The RADIUS mechanism of the delivery outbox, and the relay task that works it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from server_stub.access.outbox import BATCH, DeliveryFailed, OutboxWorker
from server_stub.operations.settings import RelaySettings
from server_stub.radius.database import RadiusDatabase
from server_stub.radius.rows import nas_identifier, radius_user
from server_stub.radius.sqlite_database import SqliteRadiusDatabase
from server_stub.store.records import RADIUS, ClaimedDelivery, DeliveryTerms
from server_stub.store.sqlite_store import SqliteStore

log = logging.getLogger(__name__)

# How often an idle relay looks for due RADIUS deliveries (a cheap indexed read): the most a
# customer waits between the confirming commit and being able to log in.
POLL_S = 1.0


class RadiusMechanism:
    """Adds an access's rows to FreeRADIUS's database, or removes them."""

    name = RADIUS

    def __init__(
        self, database: RadiusDatabase, terms: Callable[[int], Awaitable[DeliveryTerms | None]]
    ) -> None:
        self._database = database
        self._terms = terms

    async def deliver(self, delivery: ClaimedDelivery) -> None:
        """Write or delete the rows of the delivery's code."""
        if delivery.action == "remove":
            await self._database.remove(delivery.code, nas_identifier(delivery.provider_id))
            return
        terms = await self._terms(delivery.access_id)
        if terms is None:  # never queued so; kept as a sentence rather than an assertion
            raise DeliveryFailed("This access has no plan, so RADIUS has nothing to enforce.")
        await self._database.put(radius_user(terms))


class RadiusDeliveries:
    """The relay's RADIUS worker: works due deliveries, then waits for more."""

    def __init__(
        self,
        worker: OutboxWorker,
        due: Callable[[], Awaitable[bool]],
        *,
        check: Callable[[], Awaitable[str | None]],
        poll_s: float = POLL_S,
    ) -> None:
        self._worker = worker
        self._due = due
        self._poll_s = poll_s
        self.check = check  # None when the RADIUS database is ready, else why not

    async def run(self) -> None:
        """Work deliveries until cancelled; a failing round is logged and tried again."""
        while True:
            try:
                if await self._due() and await self._worker.run_once() == BATCH:
                    continue  # more may be waiting
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the store closing, a bug: the next round tries again
                log.error("RADIUS deliveries round failed: %s", type(error).__name__)
            await asyncio.sleep(self._poll_s)


def radius_database(settings: RelaySettings) -> RadiusDatabase | None:
    """The RADIUS database the settings name, or None."""
    if settings.radius_database_dsn is not None:
        # Imported only here: a relay without a PostgreSQL RADIUS database needs no psycopg.
        from server_stub.radius.postgres_database import PostgresRadiusDatabase

        return PostgresRadiusDatabase(settings.radius_database_dsn)
    if settings.radius_database_path is not None:
        return SqliteRadiusDatabase(settings.radius_database_path)
    return None


async def radius_deliveries(
    database: RadiusDatabase, store: SqliteStore, clock: Callable[[], float]
) -> RadiusDeliveries:
    """The RADIUS worker over `database`; a database not ready is logged at once."""
    problem = await database.check()
    if problem is not None:
        # Payments keep flowing: each delivery shows this reason on the desks until it is fixed.
        log.error("RADIUS delivery cannot work yet: %s", problem)
    else:
        log.info("RADIUS delivery writes into %r.", database)
    mechanism = RadiusMechanism(database, store.mechanisms.delivery_terms)
    worker = OutboxWorker(store.outbox, mechanism, clock)
    return RadiusDeliveries(
        worker, lambda: store.mechanisms.deliveries_due(RADIUS, clock()), check=database.check
    )
