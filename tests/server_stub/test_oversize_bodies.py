"""Over-size bodies are refused before they are all read, by the relay behind uvicorn's parser."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from server_stub.operations.settings import DEFAULT_CALLBACK_CAP
from tests.server_stub.stores import running_relay


def _raw_request(base_url: str, head: str, first_part: bytes) -> bytes:
    """Send a request head and only part of its body; return the head of the answer."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1") + first_part)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.fixture(scope="module")
def live_relay(tmp_path_factory: pytest.TempPathFactory, store_backend: str) -> Iterator[Any]:
    """A relay subprocess (uvicorn's real HTTP parsing in front of the app)."""
    env = {"RELAY_RECONCILE_FIRST_S": "3600", "RELAY_RECONCILE_UNTIL_S": "3600"}
    with running_relay(tmp_path_factory.mktemp("oversize"), env=env) as running:
        yield running
        assert "Traceback" not in running.log_text()


@pytest.mark.parametrize("path", ["/payments/callback/1/sometoken/", "/payments/bucket/status/"])
def test_declared_oversize_body_is_refused_before_it_is_sent(live_relay: Any, path: str) -> None:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
        "Authorization: Token nothing\r\nContent-Length: 50000000\r\n\r\n"
    )
    answer = _raw_request(live_relay.base_url, head, b'{"Body": "' + b"a" * 1000)
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.startswith(b"HTTP/1.1 4"), status_line


def test_chunked_oversize_body_is_refused_once_past_the_cap(live_relay: Any) -> None:
    head = (
        "POST /payments/callback/1/sometoken/ HTTP/1.1\r\nHost: relay\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"a" * 16_384
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    # A little past the cap, and the stream is never finished: only a server that stops
    # reading at the cap can answer.
    body = b"".join([chunk] * (DEFAULT_CALLBACK_CAP // len(piece) + 2))
    answer = _raw_request(live_relay.base_url, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
