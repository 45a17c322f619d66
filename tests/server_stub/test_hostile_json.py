"""Pathological JSON is refused in linear time, and never holds up other requests (issue 11).

A 64 KB body of escaped quotes once took 25 s to refuse while every other request waited. The
parse of each shape is compared with a plain valid body of the same size in the same run, so the
check holds on a loaded machine: a quadratic path is hundreds of times slower, never 10x.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from server_stub.operations.settings import DEFAULT_JSON_CAP
from server_stub.payments.strict_json import JsonBodyError, parse_strict
from tests.server_stub.helpers import client_for, new_provider
from tests.server_stub.stores import running_relay

CAP = DEFAULT_JSON_CAP


def _fill(head: bytes, unit: bytes, tail: bytes = b"") -> bytes:
    """`head`, then `unit` repeated up to the body cap, then `tail`."""
    count = (CAP - len(head) - len(tail)) // len(unit)
    return head + unit * count + tail


HOSTILE = {
    "unterminated escaped quotes": _fill(b'"', b'\\"'),
    "escaped quotes in an object": _fill(b'{"a":"', b'\\"', b"}"),
    "lone backslashes": _fill(b'"', b"\\"),
    "bare quotes": _fill(b"", b'"'),
    "deep nesting": _fill(b"", b"["),
    "deep nesting inside strings": _fill(b"", b'[{"k":"\\"', b""),
    "one long key": _fill(b'{"', b"k", b'":1}'),
    "many keys": _fill(b"{", b'"k":1,', b'"z":1}'),
    "many escaped strings": _fill(b"[", b'"\\"\\\\",', b'""]'),
    "long number": _fill(b"[", b"9"),
}
# A plain valid body of the same size: the linear cost every body pays.
REFERENCE = _fill(b"[", b'"abcd",', b'""]')


def _parse(body: bytes) -> None:
    with contextlib.suppress(JsonBodyError):
        parse_strict(body)


def _best_of(runs: int, action: Callable[[], None]) -> float:
    # This thread's CPU time, not the wall clock: time spent descheduled while other work has
    # the cores does not count. The minimum is the least disturbed (caches, other threads).
    times = []
    for _ in range(runs):
        started = time.thread_time()
        action()
        times.append(time.thread_time() - started)
    return min(times)


@pytest.mark.parametrize("shape", HOSTILE)
def test_pathological_shapes_parse_in_linear_time(shape: str) -> None:
    body = HOSTILE[shape]
    assert len(body) <= CAP
    reference = _best_of(5, lambda: _parse(REFERENCE))
    hostile = _best_of(5, lambda: _parse(body))
    assert hostile < 10 * reference + 0.005, (shape, hostile, reference)


@pytest.fixture(scope="module")
def relay_with_tokens(
    tmp_path_factory: pytest.TempPathFactory, store_backend: str
) -> Iterator[tuple[Any, str]]:
    """A served relay and an attendant token (the status route needs one)."""
    with running_relay(tmp_path_factory.mktemp("hostile")) as relay:
        provider = new_provider(relay, "Hostile Net", credentials=None)
        provider.close()
        yield relay, provider.attendant_token
        assert "Traceback" not in relay.log_text()


def test_hostile_bodies_do_not_hold_up_healthz(relay_with_tokens: tuple[Any, str]) -> None:
    relay, token = relay_with_tokens
    answers: list[int] = []
    health: list[int] = []
    done = threading.Event()

    def send_hostile() -> None:
        with client_for(relay, token) as client:
            for path in ("/payments/callback/1/x/", "/payments/bucket/status/") * 3:
                response = client.post(
                    path,
                    content=HOSTILE["unterminated escaped quotes"],
                    headers={"Content-Type": "application/json"},
                    timeout=10,
                )
                answers.append(response.status_code)
        done.set()

    sender = threading.Thread(target=send_hostile)
    sender.start()
    with httpx.Client(base_url=relay.base_url, timeout=10) as client:
        # At least once: on a busy machine the sender may finish before the first check.
        while True:
            health.append(client.get("/healthz").status_code)
            if done.is_set():
                break
    sender.join()
    assert answers == [400] * 6
    assert health and set(health) == {200}
