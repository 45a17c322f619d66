"""A relay process on a port chosen in advance, proved to be the one answering there.

For a restart on the same address (`tests.ports.kept_port`) and for the metrics address, which
the relay cannot pick itself. A start that fails because a port is in use raises PortTaken, so
`tests.ports.start_on_free_ports` can try new ports.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from server_stub.testing import RelayStartError, RunningRelay, start_relay
from tests.ports import ADDRESS_IN_USE, PortTaken, claim, log_size, logged_since


def start_claimed_relay(
    env: dict[str, str], log_path: Path, port: int = 0, also: tuple[int, ...] = ()
) -> RunningRelay:
    """`start_relay` on `port` that then holds it and the `also` ports (set in `env`) alone."""
    logged = log_size(log_path)
    try:
        relay = start_relay(env, log_path, port)
    except RelayStartError:
        this_start = logged_since(log_path, logged)
        if ADDRESS_IN_USE in this_start:
            raise PortTaken(this_start.strip().splitlines()[-1]) from None
        raise
    assert relay.process is not None
    try:
        for held in (port, *also):
            if held:
                claim(relay.process.pid, held)
    except PortTaken:
        relay.stop()
        raise
    return relay


@contextmanager
def claimed_relay(
    env: dict[str, str], log_path: Path, port: int = 0, also: tuple[int, ...] = ()
) -> Iterator[RunningRelay]:
    """`start_claimed_relay`, stopped when the block ends."""
    relay = start_claimed_relay(env, log_path, port, also)
    try:
        yield relay
    finally:
        relay.stop()
