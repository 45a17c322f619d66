"""Feed changes between relay instances: LISTEN/NOTIFY on connections of their own.

One listener connection per instance (never a pooled one: a pool would hand it to a query, and
LISTEN does not survive PgBouncer's transaction pooling), read with psycopg's `notifies()`
generator, always closed when left (ACTIVATION.md section D.2: an unclosed generator keeps the
connection locked). Changes are published in batches, one `pg_notify` round trip for all the
providers that changed since the last one. A notification is a hint: a woken reader reads the
feed again, and readers also re-check on a timer, so a lost one costs a short delay only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

import psycopg

log = logging.getLogger(__name__)
CHANNEL = "relay_feed"
LISTEN_TIMEOUT_S = 0.5
RETRY_S = 1.0


class FeedChannel:
    """Publishes this instance's feed changes and hands other instances' to `notify`."""

    def __init__(self, dsn: str, instance_id: str) -> None:
        self._dsn = dsn
        self._instance = instance_id
        self._stopping = threading.Event()
        self._outgoing: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self.listening = threading.Event()

    def __repr__(self) -> str:
        return f"FeedChannel(instance={self._instance!r})"

    def start(self, loop: asyncio.AbstractEventLoop, notify: Callable[[int], None]) -> None:
        """Start the listener and the publisher threads."""
        for name, target in (
            ("relay-feed-listener", lambda: self._listen(loop, notify)),
            ("relay-feed-publisher", self._publish_loop),
        ):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def publish(self, provider_id: int) -> None:
        """Tell the other instances that this provider's feed changed (after its commit)."""
        self._outgoing.put(provider_id)

    def close(self) -> None:
        """Stop both threads."""
        self._stopping.set()
        self._outgoing.put(None)
        for thread in self._threads:
            thread.join(timeout=5.0)

    def _listen(self, loop: asyncio.AbstractEventLoop, notify: Callable[[int], None]) -> None:
        while not self._stopping.is_set():
            try:
                with _connect(self._dsn) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    while not self._stopping.is_set():
                        with contextlib.closing(conn.notifies(timeout=LISTEN_TIMEOUT_S)) as gen:
                            for message in gen:
                                self._deliver(loop, notify, message.payload)
            except psycopg.Error as error:
                self.listening.clear()
                log.warning("Feed listener lost PostgreSQL (%s); listening again", type(error))
                self._stopping.wait(RETRY_S)
            except RuntimeError:  # the event loop closed under us: the relay is stopping
                return

    def _deliver(
        self, loop: asyncio.AbstractEventLoop, notify: Callable[[int], None], payload: str
    ) -> None:
        instance, _, provider = payload.partition(":")
        if instance == self._instance or not provider.isdigit():
            return  # this instance already woke its own readers
        loop.call_soon_threadsafe(notify, int(provider))

    def _publish_loop(self) -> None:
        conn: psycopg.Connection[Any] | None = None
        stopping = False
        while not stopping:
            first = self._outgoing.get()
            if first is None:
                break
            batch = {first}
            with contextlib.suppress(queue.Empty):
                while not stopping:
                    more = self._outgoing.get_nowait()
                    stopping = more is None
                    if more is not None:
                        batch.add(more)
            payloads = [f"{self._instance}:{provider}" for provider in sorted(batch)]
            try:
                if conn is None or conn.closed:
                    conn = _connect(self._dsn)
                conn.execute(
                    "SELECT pg_notify(%s, p) FROM unnest(%s::text[]) AS p", (CHANNEL, payloads)
                )
            except psycopg.Error as error:
                # The other instances' timed re-check finds the change a little later.
                log.warning("Could not tell other relay instances of a change (%s)", type(error))
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()


def _connect(dsn: str) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=True, prepare_threshold=None, connect_timeout=5)
