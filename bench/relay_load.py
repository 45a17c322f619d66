"""Load generation for bench_relay.py: raw keep-alive HTTP/1.1 over asyncio, and latency stats.

The client is deliberately thin (one pre-built request, one parsed status line and body per
call) so that it is not the bottleneck; bench_relay.py proves it by driving a minimal ASGI app on
the same uvicorn in the same run and printing the ratio.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACK = b'{"ResultCode":0,"ResultDesc":"Accepted"}'


def http_request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    """The bytes of one keep-alive HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", "Host: relay"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body or method in ("POST", "PUT"):
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection; `call` sends a request and reads the whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        """Connect (TCP_NODELAY, as every HTTP client sets it)."""
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def call(self, request: bytes) -> tuple[int, bytes]:
        """Send `request`; the status code and body of the answer."""
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self._reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        """Close the socket."""
        self._writer.close()


@dataclass
class Run:
    """Outcome of one load run."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    answered: list[Any] = field(default_factory=list)

    @property
    def ok(self) -> int:
        """Requests answered as expected."""
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Good answers per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        """The q-th percentile latency in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def median_ms(self) -> float:
        """The median latency in milliseconds."""
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")


Check = Callable[[int, bytes], bool]


async def drive(
    name: str,
    address: tuple[str, int],
    requests: Iterator[tuple[Any, bytes]],
    *,
    senders: int,
    seconds: float | None,
    check: Check,
) -> Run:
    """`senders` connections taking requests from `requests` until it ends or time is up."""
    run = Run(name)
    connections = [await Connection.open(*address) for _ in range(senders)]
    started = time.perf_counter()
    deadline = None if seconds is None else started + seconds

    async def sender(conn: Connection) -> None:
        for tag, request in requests:
            if deadline is not None and time.perf_counter() >= deadline:
                return
            sent = time.perf_counter()
            try:
                status, body = await conn.call(request)
            except (OSError, asyncio.IncompleteReadError) as error:
                run.errors += 1
                run.error_samples.append(type(error).__name__)
                return
            if check(status, body):
                run.latencies.append(time.perf_counter() - sent)
                run.answered.append(tag)
            else:
                run.errors += 1
                if len(run.error_samples) < 5:
                    run.error_samples.append(f"{status} {body[:100]!r}")

    await asyncio.gather(*(sender(conn) for conn in connections))
    run.seconds = time.perf_counter() - started
    for conn in connections:
        conn.close()
    return run


def rss_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, in MB (Linux /proc)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


MINIMAL_APP = """
import json, socket, sys
import uvicorn

ACK = json.dumps({"ResultCode": 0, "ResultDesc": "Accepted"}, separators=(",", ":")).encode()

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].replace("lifespan.", "")
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(ACK)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": ACK})

sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", 0))
sock.listen(2048)
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
config = uvicorn.Config(app, log_config=None, access_log=False, server_header=False, lifespan="on")
uvicorn.Server(config).run(sockets=[sock])
"""


def start_minimal_app() -> tuple[subprocess.Popen[bytes], tuple[str, int]]:
    """A minimal ASGI app answering the callback acknowledgement, on the relay's uvicorn setup."""
    process = subprocess.Popen(
        [sys.executable, "-c", MINIMAL_APP], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()
    port = int(line.rsplit(":", 1)[1])
    return process, ("127.0.0.1", port)
