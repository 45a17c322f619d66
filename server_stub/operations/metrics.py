"""Prometheus metrics of one relay process (docs/deploy.md, "Metrics").

Served on their own loopback address (RELAY_METRICS_ADDRESS), never on the public port: the
counts of callbacks and pushes say how much a business sells. Each relay gets its own registry,
so several apps in one process (tests) never share counters.
"""

from __future__ import annotations

import threading
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
    start_http_server,
)

COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class RelayMetrics:
    """The relay's counters and gauges, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        self.callbacks = Counter(
            "bucket_relay_callbacks",
            "Callbacks received, by outcome (source_refused: outside CALLBACK_ALLOWED_IPS).",
            ["outcome"],
            registry=self.registry,
        )
        self.pushes = Counter(
            "bucket_relay_stk_pushes",
            "STK pushes sent to Daraja, by result (accepted, refused, unknown).",
            ["result"],
            registry=self.registry,
        )
        self.daraja_errors = Counter(
            "bucket_relay_daraja_errors",
            "Daraja calls that failed, by call and error code.",
            ["call", "kind"],
            registry=self.registry,
        )
        self.reconcile_backlog = Gauge(
            "bucket_relay_reconcile_backlog",
            "Pending pushes the relay still asks Daraja about.",
            registry=self.registry,
        )
        self.reconcile_oldest_age = Gauge(
            "bucket_relay_reconcile_oldest_age_seconds",
            "Age of the oldest push in the reconciliation backlog (0 when empty).",
            registry=self.registry,
        )
        self.feed_waiters = Gauge(
            "bucket_relay_feed_waiters",
            "Long-polls of the payment feed held open now.",
            registry=self.registry,
        )
        self.commit_seconds = Histogram(
            "bucket_relay_store_commit_seconds",
            "Time of one durable store commit (a group of writes).",
            buckets=COMMIT_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text of every metric."""
        return bytes(generate_latest(self.registry))

    def serve(self, host: str, port: int) -> Any:
        """Serve /metrics on host:port in a daemon thread; returns the server (shutdown())."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        assert isinstance(thread, threading.Thread)
        return server
