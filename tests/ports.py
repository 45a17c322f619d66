"""Loopback ports for the servers the tests start, safe beside other xdist workers and suites.

A port found free by binding port 0 and closing the probe is free only at that instant: another
process can take it before the server binds it. So:

- Servers that can bind port 0 themselves and report the port (the relay's `serve --port 0`,
  the simulator) need nothing from here.
- A server whose port must be chosen in advance is started with `start_on_free_ports`: when the
  start raises `PortTaken`, it is tried again on new ports. After starting, `claim` checks that
  the started process alone holds its port; otherwise the test could talk to another server
  (two UDP sockets with SO_REUSEADDR share a port without an error), and the start counts as
  taken too.
- A relay restarted on its own address (the desk must reconnect to it) runs on a `kept_port`:
  the test holds a bound, never listening socket with SO_REUSEADDR on it for the whole test.
  The kernel then gives the port to no bind(0) and to no outgoing connection, while a server
  that sets SO_REUSEADDR (the relay, PostgreSQL, nginx) can still listen on it, before and
  after a crash.
- A port where nothing may listen (a relay that is down, a router with its API service off) is
  a `closed_port`: bound without listening, so connections are refused, and held so nothing
  else can listen there.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal, TypeVar

Kind = Literal["tcp", "udp"]
T = TypeVar("T")
PORT_ATTEMPTS = 10
ADDRESS_IN_USE = os.strerror(errno.EADDRINUSE)  # as servers log it: "Address already in use"
_LISTEN = "0A"  # the TCP state in /proc/net/tcp of a listening socket


class PortTaken(Exception):
    """The server could not have the port it was given alone: another process holds it."""


def probe_port(kind: Kind = "tcp") -> int:
    """A loopback port free at this instant (it may be taken a moment later)."""
    with socket.socket(socket.AF_INET, _type(kind)) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_on_free_ports(start: Callable[[list[int]], T], count: int = 1, kind: Kind = "tcp") -> T:
    """`start(ports)` on `count` distinct free ports, again on new ports while it raises
    PortTaken; `start` must clean up what it started before raising."""
    reasons: list[str] = []
    for _ in range(PORT_ATTEMPTS):
        ports: list[int] = []
        while len(ports) < count:
            port = probe_port(kind)
            if port not in ports:
                ports.append(port)
        try:
            return start(ports)
        except PortTaken as taken:
            reasons.append(str(taken))
    raise AssertionError(f"No free port in {PORT_ATTEMPTS} tries: " + " | ".join(reasons))


def start_on_free_port(start: Callable[[int], T], kind: Kind = "tcp") -> T:
    """`start(port)` on a free port, again on a new one while it raises PortTaken."""
    return start_on_free_ports(lambda ports: start(ports[0]), 1, kind)


def holders(port: int, kind: Kind = "tcp") -> set[int]:
    """The socket inodes listening on (TCP) or bound to (UDP) `port`, on any address."""
    found: set[int] = set()
    for table in (Path(f"/proc/net/{kind}"), Path(f"/proc/net/{kind}6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if int(local.rsplit(":", 1)[1], 16) != port or inode == 0:
                continue
            if kind == "udp" or state == _LISTEN:
                found.add(inode)
    return found


def socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets process `pid` has open."""
    inodes: set[int] = set()
    fds = Path(f"/proc/{pid}/fd")
    for fd in fds.iterdir() if fds.exists() else ():
        try:
            target = os.readlink(fd)
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def claim(pid: int, port: int, kind: Kind = "tcp") -> None:
    """Raise PortTaken unless process `pid` alone holds `port`: what answers there is it (read
    from Linux's /proc, as root for a server run as another user)."""
    held = holders(port, kind)
    own = socket_inodes(pid)
    if not held & own:
        raise PortTaken(f"process {pid} does not hold {kind} port {port}")
    if held - own:
        raise PortTaken(f"another process shares {kind} port {port} with process {pid}")


def log_size(path: Path) -> int:
    """How much a server's log holds now: pass it to `logged_since` after a failed start."""
    return path.stat().st_size if path.exists() else 0


def logged_since(path: Path, size: int) -> str:
    """What the log gained after it held `size` bytes (one start's lines in an appended log)."""
    if not path.exists():
        return ""
    with path.open("rb") as log:
        log.seek(size)
        return log.read().decode(errors="replace")


@contextmanager
def kept_port() -> Iterator[int]:
    """A TCP port held for the block: servers that set SO_REUSEADDR may listen on it, any number
    of times in turn; the kernel hands it to nothing else meanwhile."""
    with socket.socket() as keeper:
        keeper.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        keeper.bind(("127.0.0.1", 0))
        yield int(keeper.getsockname()[1])


@contextmanager
def closed_port() -> Iterator[int]:
    """A TCP port where connections are refused for the whole block (bound, never listening)."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        yield int(holder.getsockname()[1])


def _type(kind: Kind) -> socket.SocketKind:
    return socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
