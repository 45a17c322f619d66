"""Prometheus metrics on their own loopback address: callbacks, pushes, Daraja errors, the
reconciliation backlog, feed waiters, commit latency and process facts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from server_stub.daraja_sim.testing import running_simulator
from server_stub.testing import RunningRelay
from tests.server_stub.claimed_relay import start_metrics_relay
from tests.server_stub.conftest import SIM_TIMINGS
from tests.server_stub.helpers import initiate, new_provider
from tests.server_stub.stores import relay_environment
from tests.server_stub.test_relay_logs import refused_callback

PAYS = "254708374149"
ERROR_AFTER_PROMPT = "254700000011"  # Daraja answers 500 although the prompt went out


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the exposition, keyed by name and sorted labels."""
    text = httpx.get(url, timeout=10).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def wait_until(condition: Callable[[], bool], timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "the metric never got there"
        time.sleep(0.1)


@contextmanager
def metrics_relay(tmp_path: Path, env: dict[str, str]) -> Iterator[RunningRelay]:
    """A relay serving metrics on a free port (RELAY_METRICS_ADDRESS names it in advance), the
    port held by that relay alone; on the backend under test."""

    (tmp_path / "relay").mkdir(exist_ok=True)
    relay = start_metrics_relay(
        lambda metrics: relay_environment(tmp_path / "relay", {**env, **metrics}),
        tmp_path / "relay.log",
    )
    try:
        yield relay
    finally:
        relay.stop()


def test_metrics_count_what_an_operator_alerts_on(tmp_path: Path) -> None:
    env = {
        "TRUSTED_PROXIES": "127.0.0.1",
        "CALLBACK_ALLOWED_IPS": "127.0.0.1,196.201.214.200",
        "RELAY_RECONCILE_FIRST_S": "60",
        # The paid pushes' confirming queries stay due for the whole test: the backlog to count.
        "RELAY_CONFIRM_FIRST_S": "120",
    }
    with running_simulator(**SIM_TIMINGS) as sim:
        env["DARAJA_BASE_URL"] = sim.base_url
        with metrics_relay(tmp_path, env) as relay:
            url = relay.env["RELAY_METRICS_ADDRESS"].join(("http://", "/metrics"))
            provider = new_provider(relay, "Counted")
            assert initiate(provider.attendant, PAYS).status_code == 200
            assert initiate(provider.attendant, ERROR_AFTER_PROMPT).status_code == 503
            assert refused_callback(relay.base_url).status_code == 403
            quiet = new_provider(relay, "Quiet", credentials=None)  # its feed stays empty
            long_poll = threading.Thread(
                target=quiet.attendant.get,
                args=("/payments/bucket/payments/",),
                kwargs={"params": {"after": "0", "wait": "6"}},
            )
            long_poll.start()
            wait_until(lambda: samples(url)[("bucket_relay_feed_waiters", ())] == 1)
            long_poll.join(30)
            quiet.close()
            wait_until(lambda: samples(url)[("bucket_relay_reconcile_backlog", ())] >= 1)
            seen = samples(url)
            public = httpx.get(f"{relay.base_url}/metrics", timeout=10)
            provider.close()
    assert seen[("bucket_relay_stk_pushes_total", (("result", "accepted"),))] == 1
    assert seen[("bucket_relay_stk_pushes_total", (("result", "unknown"),))] == 1
    errors = [key for key in seen if key[0] == "bucket_relay_daraja_errors_total"]
    assert errors and all(dict(key[1])["call"] == "stk_push" for key in errors)
    assert seen[("bucket_relay_callbacks_total", (("outcome", "source_refused"),))] == 1
    assert seen[("bucket_relay_reconcile_oldest_age_seconds", ())] >= 0
    assert seen[("bucket_relay_store_commit_seconds_count", ())] > 0
    assert seen[("process_resident_memory_bytes", ())] > 0
    assert public.status_code == 404  # never on the public port
