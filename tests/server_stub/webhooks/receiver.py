"""A webhook receiver on a loopback port that checks every delivery with the library's verify.

It runs in its own threads, so it answers even while the test's event loop waits; a gate lets
a test hold requests open (a slow receiver) and release them when it chooses.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

HOLD_AT_MOST_S = 30.0  # a slow receiver, released earlier by the test


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int

    @property
    def webhook_id(self) -> str:
        """The `webhook-id` header."""
        return self.headers.get("webhook-id", "")

    @property
    def event(self) -> dict[str, Any]:
        """The JSON body."""
        data: dict[str, Any] = json.loads(self.body)
        return data


@dataclass
class Receiver:
    """What the receiver got, and how it answers."""

    url: str
    secrets: list[str] = field(default_factory=list)
    answer: Callable[[int], tuple[int, bytes, dict[str, str]]] = lambda n: (200, b"ok", {})
    received: list[Received] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)  # ids as requests come in, before answers
    gate: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.gate.set()

    def hold(self) -> None:
        """Keep new requests waiting until `release` (or 30 s)."""
        self.gate.clear()

    def release(self) -> None:
        """Answer every held request now."""
        self.gate.set()

    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        """Whether any of the known secrets verifies the delivery."""
        for secret in list(self.secrets):
            try:
                Webhook(secret).verify(body, headers)
            except WebhookVerificationError:
                continue
            return True
        return False

    def ids(self) -> set[str]:
        """Every webhook-id answered so far."""
        with self.lock:
            return {item.webhook_id for item in self.received}

    def wait_for(self, done: Callable[[Receiver], bool], timeout_s: float = 60.0) -> None:
        """Poll until `done(self)`; AssertionError at the deadline."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if done(self):
                return
            time.sleep(0.02)
        raise AssertionError(f"receiver never got there; {len(self.received)} received")


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {key.lower(): value for key, value in self.headers.items()}
            with receiver.lock:
                receiver.arrived.append(headers.get("webhook-id", ""))
                number = len(receiver.arrived)
            receiver.gate.wait(HOLD_AT_MOST_S)
            status, answer, extra = receiver.answer(number)
            verified = receiver.verify(body, headers)
            try:
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                return  # the relay went away (killed) before the answer: not received
            with receiver.lock:
                receiver.received.append(Received(self.path, headers, body, verified, status))

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@contextmanager
def running_receiver(host: str = "127.0.0.1") -> Iterator[Receiver]:
    """A receiver on a free loopback port; its URL is `http://host:port/hook`."""
    server = ThreadingHTTPServer((host, 0), _handler(Receiver("")))
    server.daemon_threads = True
    server.block_on_close = False
    port = server.server_address[1]
    receiver = Receiver(f"http://{host}:{port}/hook")
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
        thread.join()
