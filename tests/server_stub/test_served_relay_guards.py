"""The served relay bounds what one client can hold: slow heads and bodies, hoarded connections,
hang-ups and forged log lines (issue 11). Real uvicorn in front of the app, on loopback."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.server_stub.stores import running_relay

GUARDS = {
    "RELAY_HEADER_TIMEOUT_S": "1",
    "RELAY_BODY_TIMEOUT_S": "1",
    "RELAY_RECONCILE_FIRST_S": "3600",
    "RELAY_RECONCILE_UNTIL_S": "3600",
    # These tests post many callbacks for unknown pushes from one address on purpose.
    "RELAY_UNKNOWN_CALLBACKS_PER_MINUTE": "10000",
}
# Far longer than any deadline under test: a failure shows as a timeout, never a hang.
PATIENCE_S = 30.0


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory, store_backend: str) -> Iterator[Any]:
    """A served relay with one-second head and body deadlines."""
    with running_relay(tmp_path_factory.mktemp("guards"), env=GUARDS) as running:
        yield running
        assert "Traceback" not in running.log_text()


def _connect(base_url: str, source: str = "127.0.0.1") -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection(
        (host, int(port)), timeout=PATIENCE_S, source_address=(source, 0)
    )
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    return answer


def _read_response(sock: socket.socket) -> bytes:
    """One whole response (head and Content-Length body) from a kept-alive connection."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_stalled_body_gets_408_and_the_connection_closes(relay: Any) -> None:
    with _connect(relay.base_url) as sock:
        sock.sendall(
            b"POST /payments/callback/1/stalled/ HTTP/1.1\r\nHost: relay\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Body"'
        )
        answer = _read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert b'"code":"body_timeout"' in answer


@pytest.mark.parametrize(
    "head",
    [b"", b"POST /payments/bucket/status/ HTTP/1.1\r\nHost: relay\r\nContent-Ty"],
    ids=["no bytes at all", "a head that never ends"],
)
def test_a_slow_request_head_is_cut_off(relay: Any, head: bytes) -> None:
    with _connect(relay.base_url) as sock:
        sock.sendall(head)
        assert _read_until_closed(sock) == b""


def test_a_slow_head_on_a_kept_alive_connection_is_cut_off(relay: Any) -> None:
    with _connect(relay.base_url) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n")
        first = _read_response(sock)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")
        rest = _read_until_closed(sock)
    assert first.startswith(b"HTTP/1.1 200")
    assert rest == b""


def test_many_stalled_bodies_do_not_starve_healthz(relay: Any) -> None:
    stalled = [_connect(relay.base_url) for _ in range(40)]
    try:
        for sock in stalled:
            sock.sendall(
                b"POST /payments/callback/1/slow/ HTTP/1.1\r\nHost: relay\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
        health = httpx.get(relay.base_url + "/healthz", timeout=PATIENCE_S)
    finally:
        for sock in stalled:
            sock.close()
    assert health.status_code == 200


def test_a_client_hanging_up_mid_body_is_one_info_line(relay: Any) -> None:
    with _connect(relay.base_url) as sock:
        sock.sendall(
            b"POST /payments/callback/hangup1/tok/ HTTP/1.1\r\nHost: relay\r\n"
            b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"Body"'
        )
    _wait_for(lambda: "hangup1" in relay.log_text(), "the hang-up log line")
    lines = [line for line in relay.log_text().splitlines() if "hangup1" in line]
    assert len(lines) == 1 and " INFO " in lines[0] and "hung up" in lines[0]
    assert " ERROR " not in relay.log_text()


def test_request_values_cannot_forge_log_lines(relay: Any) -> None:
    response = httpx.post(
        relay.base_url + "/payments/callback/7%0AFORGED%20source_refused%0D%E2%80%A8/x/",
        content=b"{}",
        headers={"Content-Type": "application/json"},
        timeout=PATIENCE_S,
    )
    assert response.status_code == 400
    _wait_for(lambda: "FORGED" in relay.log_text(), "the callback log line")
    forged = [line for line in relay.log_text().splitlines() if "FORGED" in line]
    assert forged
    # Every line holding the forged text is a whole record of ours, with the breaks escaped.
    record = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) ")
    assert all(record.match(line) for line in forged), forged
    assert any(
        "provider 7\\nFORGED source_refused\\r\\u2028 from 127.0.0.1:" in line for line in forged
    )


def test_connections_from_one_address_are_capped(tmp_path_factory: pytest.TempPathFactory) -> None:
    env = {**GUARDS, "RELAY_HEADER_TIMEOUT_S": "60", "RELAY_MAX_CONNECTIONS_PER_ADDRESS": "5"}
    with running_relay(tmp_path_factory.mktemp("cap"), env=env) as capped:
        hoard = [_connect(capped.base_url, "127.0.0.2") for _ in range(5)]
        try:
            with _connect(capped.base_url, "127.0.0.2") as sixth:
                refused = _read_until_closed(sixth)
            # Another address is served while the hoarder holds its share.
            other = httpx.get(capped.base_url + "/healthz", timeout=PATIENCE_S)
        finally:
            for sock in hoard:
                sock.close()

        # Once the hoarder lets go, its address is served again.
        def served_again() -> bool:
            with _connect(capped.base_url, "127.0.0.2") as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nConnection: close\r\n\r\n")
                return _read_until_closed(sock).startswith(b"HTTP/1.1 200")

        _wait_for(served_again, "the address to be served again")
    assert refused.startswith(b"HTTP/1.1 503"), refused[:80]
    assert b"too_many_connections" in refused
    assert other.status_code == 200
