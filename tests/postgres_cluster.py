"""A throw-away PostgreSQL 15 cluster on a loopback port, for every test that needs PostgreSQL.

initdb and pg_ctl refuse to run as root, so as root (CI) they run as the `postgres` user, in a
folder of its own under /tmp (a pytest tmp_path is private to root). Elsewhere the test skips
with one sentence, or fails under CI=true (DESIGN.md section 13, "Without root"). The server is
stopped by the PID in its postmaster.pid. fsync is off: these clusters hold test data only.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import ADDRESS_IN_USE, PortTaken, claim, log_size, logged_since, start_on_free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
STOP_DEADLINE_S = 60.0
_names = itertools.count(1)


@dataclass(frozen=True, slots=True)
class PgCluster:
    """A running cluster: trust login for `postgres` on 127.0.0.1."""

    port: int
    folder: Path

    def dsn(self, dbname: str) -> str:
        """The address of one of its databases."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def sql(self, statement: str, dbname: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self, template: str | None = None, prefix: str = "t") -> str:
        """A new empty database (a copy of `template` when given); returns its name."""
        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        copy = f" TEMPLATE {template}" if template else ""
        self.sql(f"CREATE DATABASE {name}{copy}")
        return name

    def drop_database(self, name: str) -> None:
        """Drop a database, ending any session still on it."""
        self.sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _as_postgres(*argv: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *argv], check=True, timeout=120)


def postgres_missing() -> str | None:
    """Why a throw-away cluster cannot be started here, or None."""
    if not (PG_BIN / "initdb").exists():
        return "PostgreSQL 15 is not installed (apt-get install postgresql-15)"
    if os.geteuid() != 0:
        return "starting a throw-away PostgreSQL needs root (it runs as the postgres user)"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "there is no postgres user (apt-get install postgresql-15)"
    return None


def need_postgres() -> None:
    """Skip (fail under CI=true) with one sentence when no cluster can be started."""
    missing = postgres_missing()
    if missing is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(missing)
    pytest.skip(missing)


@contextmanager
def running_cluster(prefix: str = "pb-pg-", *, durable: bool = False) -> Iterator[PgCluster]:
    """A fresh cluster, stopped and removed when the block ends (fsync on only if `durable`)."""
    need_postgres()
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    shutil.chown(folder, "postgres", "postgres")
    data = folder / "data"
    try:
        _as_postgres(
            str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        port = start_on_free_port(lambda port: _start(folder, port, durable=durable))
        yield PgCluster(port, folder)
    finally:
        _stop(data)
        shutil.rmtree(folder, ignore_errors=True)


def _start(folder: Path, port: int, *, durable: bool) -> int:
    """Start the cluster in `folder` on `port`; PortTaken (and stopped) if another process has
    the port, so the start is tried on another."""
    data, log = folder / "data", folder / "pg.log"
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c max_connections=300"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    logged = log_size(log)
    try:
        _as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o", options, "start",
        )  # fmt: skip
    except subprocess.CalledProcessError:
        _stop(data)
        if ADDRESS_IN_USE in logged_since(log, logged):
            raise PortTaken(f"PostgreSQL could not listen on port {port}") from None
        raise
    try:
        claim(_postmaster_pid(data), port)
    except PortTaken:
        _stop(data)
        raise
    return port


def _postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def _stop(data: Path) -> None:
    pid_file = data / "postmaster.pid"
    if not pid_file.exists():
        return
    pid = _postmaster_pid(data)
    os.kill(pid, signal.SIGINT)  # fast shutdown
    deadline = time.monotonic() + STOP_DEADLINE_S
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)
