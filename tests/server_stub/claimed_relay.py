"""A relay process on a port chosen in advance, proved to be the one answering there.

For a restart on the same address (`tests.ports.kept_port`) and for the metrics address, which
the relay cannot pick itself. A start that fails because a port is in use raises PortTaken, so
`tests.ports.start_on_free_ports` can try new ports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from server_stub.testing import RelayStartError, RunningRelay, start_relay
from tests.ports import (
    ADDRESS_IN_USE,
    PortTaken,
    claim,
    log_size,
    logged_since,
    start_on_free_port,
)


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


def start_metrics_relay(
    environment: Callable[[dict[str, str]], dict[str, str]], log_path: Path
) -> RunningRelay:
    """A relay that also serves its metrics on a free port, both held by it alone.

    RELAY_METRICS_ADDRESS names that port in advance, so the start is tried on new ports while
    it is taken; `environment` makes the relay's environment from that one setting."""

    def start(port: int) -> RunningRelay:
        env = environment({"RELAY_METRICS_ADDRESS": f"127.0.0.1:{port}"})
        return start_claimed_relay(env, log_path, also=(port,))

    return start_on_free_port(start)
