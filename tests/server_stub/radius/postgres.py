"""A throw-away PostgreSQL cluster on a loopback port holding FreeRADIUS's schema.

initdb and pg_ctl refuse to run as root, so as root (CI) they run as the `postgres` user, in a
folder of its own under /tmp (a pytest tmp_path is private to root). Elsewhere the test skips
with one sentence, or fails under CI=true (DESIGN.md section 13, "Without root"). The server is
stopped by the PID in its postmaster.pid.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.server_stub.radius.freeradius import POSTGRES_SCHEMA, PostgresRadius
from tests.system_tools import need
from tests.test_deploy_docs import doc_commands

PG_BIN = Path("/usr/lib/postgresql/15/bin")
STOP_DEADLINE_S = 60.0


def _as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _usable() -> None:
    missing = None
    if not (PG_BIN / "initdb").exists():
        missing = "PostgreSQL 15 is not installed (apt-get install postgresql-15)"
    elif os.geteuid() != 0:
        missing = "starting a throw-away PostgreSQL needs root (it runs as the postgres user)"
    else:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            missing = "there is no postgres user (apt-get install postgresql-15)"
    if missing is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(missing)
    pytest.skip(missing)


@contextmanager
def running_postgres() -> Iterator[PostgresRadius]:
    """A cluster with a `radius` database made from FreeRADIUS's PostgreSQL schema."""
    _usable()
    psql = need("psql", "postgresql-client-15")
    folder = Path(tempfile.mkdtemp(prefix="pb-radius-pg-", dir="/tmp"))
    shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    port = _free_port()
    try:
        _as_postgres(
            str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "pg.log"), "-w",
            "-o", options, "start",
        )  # fmt: skip
        base = [psql, "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
        subprocess.run([*base, "-q", "-c", "CREATE DATABASE radius"], check=True, timeout=60)
        # The guide's own schema command, pointed at this cluster.
        [command] = doc_commands("postgresql/schema.sql")
        assert "-h db-host -U radius" in command and str(POSTGRES_SCHEMA) in command, command
        local = command.replace("-h db-host -U radius", f"-h 127.0.0.1 -p {port} -U postgres")
        subprocess.run(
            [*shlex.split(local), "-q", "-v", "ON_ERROR_STOP=1"],
            check=True,
            timeout=60,
            capture_output=True,
        )
        yield PostgresRadius(port)
    finally:
        _stop(data)
        shutil.rmtree(folder, ignore_errors=True)


def _stop(data: Path) -> None:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = int(pid_file.read_text().splitlines()[0])
    os.kill(pid, signal.SIGINT)  # fast shutdown
    deadline = time.monotonic() + STOP_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
