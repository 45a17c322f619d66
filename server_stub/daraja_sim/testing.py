"""Starting the simulator (or any small ASGI app) in-process for tests and the demo.

with running_simulator(**FAST_TIMINGS) as sim:
    client = DarajaClient(http, base_url_override=sim.base_url)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import httpx
from starlette.types import ASGIApp

from server_stub.daraja_sim.app import create_app
from server_stub.daraja_sim.config import SimConfig
from server_stub.daraja_sim.server import (
    AnnouncingServer,
    base_url_of,
    bind_socket,
    uvicorn_config,
)

# Timings that keep a test to a fraction of a second while keeping every event in order.
FAST_TIMINGS: MappingProxyType[str, float] = MappingProxyType(
    {
        "callback_delay_s": 0.3,
        "prompt_lifetime_s": 0.4,
        "late_callback_delay_s": 0.8,
        "duplicate_gap_s": 0.1,
        "callback_timeout_s": 2.0,
    }
)
START_TIMEOUT_S = 10.0


@contextmanager
def running_asgi_app(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a thread on a free port; yields its base URL."""
    sock = bind_socket(host, 0)
    started = threading.Event()
    server = AnnouncingServer(uvicorn_config(app), on_started=started.set)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_until_started(started, thread)
        yield base_url_of(sock)
    finally:
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        sock.close()


def _wait_until_started(started: threading.Event, thread: threading.Thread) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not started.wait(0.02):
        if not thread.is_alive():
            raise RuntimeError("The in-process server stopped while starting (see the log).")
        if time.monotonic() > deadline:
            raise RuntimeError("The in-process server did not start within 10 seconds.")


@dataclass(frozen=True)
class RunningSimulator:
    """A simulator serving on loopback; helpers wrap its `/sim` control API."""

    base_url: str
    config: SimConfig

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        with httpx.Client(base_url=self.base_url, timeout=5.0) as client:
            response = client.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def request_log(self, kind: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        """Entries of the request log, oldest first."""
        params: dict[str, str | int] = {"after": after}
        if kind:
            params["kind"] = kind
        items: list[dict[str, Any]] = self._call("GET", "/sim/requests", params=params)["items"]
        return items

    def set_phone_scenario(self, phone: str, scenario: str) -> None:
        """Make every push to `phone` follow `scenario`."""
        self._call("PUT", f"/sim/scenarios/phone/{phone}", json={"scenario": scenario})

    def set_next_scenario(self, scenario: str) -> None:
        """Make the next push, whatever its phone, follow `scenario`."""
        self._call("PUT", "/sim/scenarios/next", json={"scenario": scenario})

    def reset(self) -> None:
        """Forget pushes, tokens, overrides and the log."""
        self._call("POST", "/sim/reset")


@contextmanager
def running_simulator(**config: Any) -> Iterator[RunningSimulator]:
    """Run a simulator on 127.0.0.1 and a free port; keyword arguments are `SimConfig` fields."""
    sim_config = SimConfig(**config)
    with running_asgi_app(create_app(sim_config)) as base_url:
        yield RunningSimulator(base_url, sim_config)
