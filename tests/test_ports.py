"""The port helpers of tests/ports.py under the race they exist for: the port a server is about to
be given is taken first (deterministically, by this test), and the start still succeeds, on
another port, with the started process alone answering there."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from server_stub.testing import relay_environment
from tests import ports
from tests.ports import (
    PortTaken,
    claim,
    closed_port,
    kept_port,
    start_on_free_port,
    start_on_free_ports,
)
from tests.server_stub.claimed_relay import claimed_relay, start_claimed_relay, start_metrics_relay


@contextmanager
def taken_first(monkeypatch: pytest.MonkeyPatch, kind: ports.Kind = "tcp") -> Iterator[int]:
    """A port held by a listening (TCP) or SO_REUSEADDR-bound (UDP) socket of this test, and
    offered as the first free port: the race, made certain."""
    taker = socket.socket(
        socket.AF_INET, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM
    )
    taker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taker.bind(("127.0.0.1", 0))
    if kind == "tcp":
        taker.listen()
    port = int(taker.getsockname()[1])
    real_probe, offered = ports.probe_port, [port]

    def probe(kind: ports.Kind = "tcp") -> int:
        return offered.pop() if offered else real_probe(kind)

    monkeypatch.setattr(ports, "probe_port", probe)
    with taker:
        yield port
    assert not offered, "the taken port was never offered"


def test_a_start_that_keeps_failing_says_so() -> None:
    def never(port: int) -> None:
        raise PortTaken(f"port {port} is someone else's")

    with pytest.raises(AssertionError, match=f"No free port in {ports.PORT_ATTEMPTS} tries"):
        start_on_free_port(never)


def test_ports_asked_together_are_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([5000, 5000, 5001])
    monkeypatch.setattr(ports, "probe_port", lambda kind="tcp": next(answers))
    assert start_on_free_ports(lambda given: given, count=2) == [5000, 5001]


def test_claim_refuses_a_port_another_process_shares() -> None:
    # UDP sockets that both set SO_REUSEADDR share a port without any error: the worst race.
    ours = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ours.bind(("127.0.0.1", 0))
    port = int(ours.getsockname()[1])
    claim(os.getpid(), port, "udp")  # this process alone: fine
    sharer = subprocess.Popen(
        [sys.executable, "-c", "import socket, sys; s = socket.socket(socket.AF_INET,"
         " socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);"
         f" s.bind(('127.0.0.1', {port})); print('bound', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert sharer.stdin is not None and sharer.stdout is not None
    try:
        assert sharer.stdout.readline() == "bound\n"
        for pid in (os.getpid(), sharer.pid):
            with pytest.raises(PortTaken, match=f"another process shares udp port {port}"):
                claim(pid, port, "udp")
        ours.close()
        claim(sharer.pid, port, "udp")
        with pytest.raises(PortTaken, match=f"does not hold udp port {port}"):
            claim(os.getpid(), port, "udp")
    finally:
        ours.close()
        sharer.stdin.close()
        sharer.wait(30)
        sharer.stdout.close()


def test_a_relay_whose_metrics_port_was_taken_starts_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "relay").mkdir()
    log = tmp_path / "relay.log"

    with taken_first(monkeypatch) as taken:
        relay = start_metrics_relay(
            lambda metrics: relay_environment(tmp_path / "relay", metrics), log
        )
    try:
        address = relay.env["RELAY_METRICS_ADDRESS"]
        assert address != f"127.0.0.1:{taken}"
        assert f"Cannot serve metrics on 127.0.0.1:{taken}: Address already in use" in (
            log.read_text()
        )
        metrics = httpx.get(f"http://{address}/metrics", timeout=10)
        assert metrics.status_code == 200 and "process_resident_memory_bytes" in metrics.text
    finally:
        relay.stop()


def test_a_relay_restarts_on_its_kept_port_and_nothing_else_can_take_it(tmp_path: Path) -> None:
    (tmp_path / "relay").mkdir()
    env, log = relay_environment(tmp_path / "relay"), tmp_path / "relay.log"
    with kept_port() as port:
        with claimed_relay(env, log, port) as first:
            assert first.base_url == f"http://127.0.0.1:{port}"
            first_store = httpx.get(first.base_url + "/healthz", timeout=10).json()["store_id"]
            first.kill()
        with socket.socket() as intruder, pytest.raises(OSError, match="Address already in use"):
            intruder.bind(("127.0.0.1", port))  # while the relay is down
        with claimed_relay(env, log, port) as second:
            assert second.base_url == first.base_url
            assert second.process is not None and first.process is not None
            assert second.process.pid != first.process.pid
            health = httpx.get(second.base_url + "/healthz", timeout=10).json()
            assert health["store_id"] == first_store


def test_a_relay_cannot_silently_share_a_port_held_by_another_server(tmp_path: Path) -> None:
    (tmp_path / "relay").mkdir()
    env, log = relay_environment(tmp_path / "relay"), tmp_path / "relay.log"
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(PortTaken, match="Address already in use"):
            start_claimed_relay(env, log, int(other.getsockname()[1]))


def test_a_closed_port_refuses_connections() -> None:
    with closed_port() as port, pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=10).close()


def test_postgres_whose_port_was_taken_starts_on_another(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.postgres_cluster import need_postgres, running_cluster

    need_postgres()
    with taken_first(monkeypatch) as taken, running_cluster("pb-ports-pg-") as cluster:
        assert cluster.port != taken
        assert "Address already in use" in (cluster.folder / "pg.log").read_text()
        cluster.sql("SELECT 1")
        postmaster = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
        claim(postmaster, cluster.port)


def test_freeradius_whose_port_was_taken_starts_on_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.server_stub.radius.freeradius import new_radius_database, running_freeradius

    database = tmp_path / "radius.db"
    new_radius_database(database)
    with (
        taken_first(monkeypatch, "udp") as taken,
        running_freeradius(tmp_path / "raddb", database) as server,
    ):
        assert taken not in (server.auth_port, server.acct_port)
        assert f"port {taken} bound to server pb: Address already in use" in server.log_text()
        claim(server.process.pid, server.auth_port, "udp")
        claim(server.process.pid, server.acct_port, "udp")
        # An unknown user, answered by this server (radclient checks its reply with the secret).
        assert server.login("nobody", "wrong", "ports-test").kind == "Access-Reject"


def test_nginx_whose_port_was_taken_starts_on_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_deploy_walk import start_nginx

    with closed_port() as upstream, taken_first(monkeypatch) as taken:
        port, server = start_on_free_port(
            lambda port: (port, start_nginx(tmp_path, port, upstream))
        )
        try:
            assert port != taken
            logs = (tmp_path / "startup.log", tmp_path / "nginx-logs" / "error.log")
            assert any(f"127.0.0.1:{taken} failed" in log.read_text() for log in logs)
            answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
            assert answer.status_code == 502  # nginx itself, its relay down
        finally:
            server.terminate()
            server.wait(30)
