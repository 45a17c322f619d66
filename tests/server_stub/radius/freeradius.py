"""A real FreeRADIUS on loopback for the tests, and radclient to talk to it.

The config is generated into a temp folder: one virtual server listening on free loopback ports,
its sql module on the given SQLite file (Debian's own sqlite queries, with the Simultaneous-Use
fix of docs/deploy.md applied), and nothing else (no EAP, no proxying, no users file). The server
runs in the foreground (`-f`) with TZ=UTC (DESIGN.md section 13) and is killed by its PID.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.ports import (
    ADDRESS_IN_USE,
    PortTaken,
    claim,
    log_size,
    logged_since,
    start_on_free_ports,
)
from tests.system_tools import need
from tests.test_deploy_docs import doc_commands

SYSTEM_RADDB = Path("/etc/freeradius/3.0")
SQLITE_QUERIES = SYSTEM_RADDB / "mods-config/sql/main/sqlite/queries.conf"
POSTGRES_QUERIES = SYSTEM_RADDB / "mods-config/sql/main/postgresql/queries.conf"
POSTGRES_SCHEMA = SYSTEM_RADDB / "mods-config/sql/main/postgresql/schema.sql"
START_DEADLINE_S = 30.0
RADIUS_DB_IN_GUIDE = "/var/lib/bucket-radius/radius.db"
# Debian's sqlite simul_verify_query looks sessions up by the group name (always empty), so
# Simultaneous-Use is never enforced (ACTIVATION.md B.3); the fix is the user name, as in the
# PostgreSQL dialect.
SIMUL_VERIFY_BROKEN = "WHERE username = '%{${group_attribute}}'"
SIMUL_VERIFY_FIXED = "WHERE username = '%{SQL-User-Name}'"


@dataclass
class Reply:
    """What radclient received: the packet type and the reply attributes."""

    kind: str
    attributes: dict[str, str]

    @property
    def accepted(self) -> bool:
        """An Access-Accept."""
        return self.kind == "Access-Accept"


@dataclass
class RunningFreeradius:
    """A FreeRADIUS process and how to reach it."""

    auth_port: int
    acct_port: int
    secret: str = field(repr=False)
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def login(self, user: str, password: str, nas_identifier: str) -> Reply:
        """A PAP Access-Request, as a MikroTik hotspot sends it."""
        return self._send(
            "auth",
            self.auth_port,
            {"User-Name": user, "User-Password": password, "NAS-Identifier": nas_identifier},
        )

    def accounting(self, status: str, user: str, session: str, nas_identifier: str) -> Reply:
        """An Accounting-Request (Start or Stop) for a session of `user`."""
        return self._send(
            "acct",
            self.acct_port,
            {
                "Acct-Status-Type": status,
                "User-Name": user,
                "Acct-Session-Id": session,
                "NAS-IP-Address": "127.0.0.1",
                "NAS-Port": "1",
                "NAS-Identifier": nas_identifier,
            },
        )

    def _send(self, kind: str, port: int, attributes: dict[str, str]) -> Reply:
        radclient = need("radclient", "freeradius-utils")
        text = ", ".join(f'{name} = "{value}"' for name, value in attributes.items())
        done = subprocess.run(
            [radclient, "-x", "-r", "1", "-t", "10", f"127.0.0.1:{port}", kind, self.secret],
            input=text.encode(),
            capture_output=True,
            check=False,
            timeout=60,
        )
        return _parse_reply(done.stdout.decode(errors="replace"))

    def log_text(self) -> str:
        """The server's log so far (for failure messages)."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _parse_reply(output: str) -> Reply:
    kind = ""
    attributes: dict[str, str] = {}
    lines = output.splitlines()
    for number, line in enumerate(lines):
        found = re.match(r"Received (\S+) Id", line)
        if found:
            kind = found.group(1)
            for attribute in lines[number + 1 :]:
                pair = re.match(r"\s+(\S+) = (.*)$", attribute)
                if not pair:
                    break
                attributes[pair.group(1)] = pair.group(2).strip('"')
    return Reply(kind or "no reply", attributes)


def new_radius_database(path: Path) -> None:
    """A FreeRADIUS SQLite database made with FreeRADIUS's own schema, by the guide's command."""
    need("sqlite3")
    [command] = doc_commands("sqlite/schema.sql")
    assert RADIUS_DB_IN_GUIDE in command, command
    subprocess.run(
        ["sh", "-c", command.replace(RADIUS_DB_IN_GUIDE, str(path))], check=True, timeout=60
    )


@dataclass(frozen=True)
class PostgresRadius:
    """FreeRADIUS's database on a PostgreSQL server (trust login on loopback)."""

    port: int
    user: str = "postgres"
    dbname: str = "radius"

    @property
    def dsn(self) -> str:
        """The relay's RADIUS_DATABASE_URL for it."""
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.dbname}"


def _sql_driver(database: Path | PostgresRadius) -> str:
    if isinstance(database, PostgresRadius):
        return POSTGRES_DRIVER.format(db=database)
    return SQLITE_DRIVER.format(database=database)


SQLITE_DRIVER = """
        dialect = "sqlite"
        driver = "rlm_sql_sqlite"
        sqlite {{
            filename = "{database}"
            busy_timeout = 5000
        }}
        radius_db = "radius"
"""
POSTGRES_DRIVER = """
        dialect = "postgresql"
        driver = "rlm_sql_postgresql"
        server = "127.0.0.1"
        port = {db.port}
        login = "{db.user}"
        password = ""
        radius_db = "{db.dbname}"
"""


def write_config(
    folder: Path,
    database: Path | PostgresRadius,
    auth: int,
    acct: int,
    secret: str,
    *,
    fix: bool = True,
) -> None:
    """The whole server config: radiusd.conf, an empty local dictionary, the sql queries (for
    SQLite with the guide's own `sed` fix applied to the copy, unless `fix` is False)."""
    (folder / "run").mkdir(parents=True, exist_ok=True)  # a retried start writes it again
    (folder / "dictionary").write_text("")
    driver = _sql_driver(database)
    if isinstance(database, PostgresRadius):  # Debian's PostgreSQL queries are right as they are
        (folder / "queries.conf").write_text(POSTGRES_QUERIES.read_text())
        (folder / "radiusd.conf").write_text(
            RADIUSD_CONF.format(folder=folder, driver=driver, auth=auth, acct=acct, secret=secret)
        )
        return
    queries = SQLITE_QUERIES.read_text()
    assert queries.count(SIMUL_VERIFY_BROKEN) == 1, "Debian's sqlite queries changed: check the fix"
    copy = folder / "queries.conf"
    copy.write_text(queries)
    if fix:
        [sed] = doc_commands("SQL-User-Name")
        assert sed.endswith(" " + str(SQLITE_QUERIES)), sed
        subprocess.run(
            ["sh", "-c", sed.replace(str(SQLITE_QUERIES), str(copy))], check=True, timeout=60
        )
        fixed = copy.read_text()
        assert SIMUL_VERIFY_BROKEN not in fixed
        assert fixed.count(SIMUL_VERIFY_FIXED) == queries.count(SIMUL_VERIFY_FIXED) + 1
    (folder / "radiusd.conf").write_text(
        RADIUSD_CONF.format(folder=folder, driver=driver, auth=auth, acct=acct, secret=secret)
    )


RADIUSD_CONF = """
prefix = /usr
exec_prefix = /usr
sbindir = /usr/sbin
libdir = /usr/lib/freeradius
raddbdir = {folder}
confdir = {folder}
modconfdir = {folder}
run_dir = {folder}/run
db_dir = {folder}
logdir = {folder}
pidfile = {folder}/run/radiusd.pid
max_request_time = 30
cleanup_delay = 0
max_requests = 1024
hostname_lookups = no
proxy_requests = no
log {{
    destination = files
    file = {folder}/radius.log
    auth = yes
}}
security {{
    reject_delay = 0
    status_server = no
    allow_vulnerable_openssl = yes
}}
thread pool {{
    start_servers = 1
    max_servers = 4
    min_spare_servers = 1
    max_spare_servers = 2
    max_requests_per_server = 0
}}
client loopback {{
    ipaddr = 127.0.0.1
    secret = {secret}
    nas_type = other
}}
policy {{
    acct_unique {{
        update request {{
            &Acct-Unique-Session-Id := "%{{md5:%{{User-Name}},%{{Acct-Session-Id}},%{{NAS-Port}}}}"
        }}
    }}
}}
modules {{
    # tolower and md5, used by the queries and the acct_unique policy.
    expr {{
    }}
    pap {{
    }}
    chap {{
    }}
    expiration {{
    }}
    sql {{
        {driver}
        acct_table1 = "radacct"
        acct_table2 = "radacct"
        postauth_table = "radpostauth"
        authcheck_table = "radcheck"
        groupcheck_table = "radgroupcheck"
        authreply_table = "radreply"
        groupreply_table = "radgroupreply"
        usergroup_table = "radusergroup"
        delete_stale_sessions = yes
        read_clients = no
        client_table = "nas"
        group_attribute = "SQL-Group"
        pool {{
            start = 1
            min = 1
            max = 4
            spare = 2
            uses = 0
            retry_delay = 1
            lifetime = 0
            idle_timeout = 60
        }}
        $INCLUDE {folder}/queries.conf
    }}
}}
server pb {{
    listen {{
        type = auth
        ipaddr = 127.0.0.1
        port = {auth}
    }}
    listen {{
        type = acct
        ipaddr = 127.0.0.1
        port = {acct}
    }}
    authorize {{
        sql
        expiration
        pap
        chap
    }}
    authenticate {{
        Auth-Type PAP {{
            pap
        }}
        Auth-Type CHAP {{
            chap
        }}
    }}
    preacct {{
        acct_unique
    }}
    accounting {{
        sql
    }}
    session {{
        sql
    }}
}}
"""


@contextmanager
def running_freeradius(
    folder: Path, database: Path | PostgresRadius, *, fix: bool = True
) -> Iterator[RunningFreeradius]:
    """Start FreeRADIUS on free loopback ports with its sql module on `database`; kill it after.

    The ports go into its config, so they are picked in advance: a start whose ports another
    process took (or shares: UDP sockets with SO_REUSEADDR may) is tried again on new ones."""
    program = need("freeradius")
    secret = secrets.token_hex(12)

    def start(ports: list[int]) -> RunningFreeradius:
        return _start(program, folder, database, ports, secret, fix=fix)

    running = start_on_free_ports(start, count=2, kind="udp")
    try:
        yield running
    finally:
        _stop(running.process)


def _start(
    program: str,
    folder: Path,
    database: Path | PostgresRadius,
    ports: list[int],
    secret: str,
    *,
    fix: bool,
) -> RunningFreeradius:
    auth, acct = ports
    write_config(folder, database, auth, acct, secret, fix=fix)
    log, stdout = folder / "radius.log", folder / "stdout.log"
    marks = log_size(log), log_size(stdout)
    env = {**os.environ, "TZ": "UTC"}
    with stdout.open("ab") as output:
        process = subprocess.Popen(  # killed by PID in _stop
            [program, "-f", "-d", str(folder), "-n", "radiusd"],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
        )
    running = RunningFreeradius(auth, acct, secret, log, process)
    try:
        _wait_ready(running, marks[0])
        for port in ports:
            claim(process.pid, port, "udp")
    except PortTaken:
        _stop(process)
        raise
    except AssertionError:
        _stop(process)
        said = logged_since(log, marks[0]) + logged_since(stdout, marks[1])
        if ADDRESS_IN_USE in said:
            raise PortTaken(f"FreeRADIUS could not bind port {auth} or {acct}") from None
        raise AssertionError(f"FreeRADIUS did not start:\n{said}") from None
    return running


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _wait_ready(running: RunningFreeradius, logged: int) -> None:
    """Until this start's log says it is ready; AssertionError if it ends or takes too long."""
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if "Ready to process requests" in logged_since(running.log, logged):
            return
        if running.process.poll() is not None:
            break
        time.sleep(0.05)
    raise AssertionError("FreeRADIUS did not start")
