"""Walk docs/deploy.md from a fresh state: every command of the guide, in order, as written.

VPS paths point into tmp_path (see `vps_paths`), the service user is this user, and the few
commands that need a real server (apt-get, useradd, systemctl, certbot, public https) are named
in MACHINE_ONLY with the reason; every other line runs, and a new line the walk does not know
fails the test. nginx and Caddy are the packages from apt (scripts/system-packages.txt).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from server_stub.testing import RunningRelay, relay_environment, start_relay
from tests.ports import (
    ADDRESS_IN_USE,
    PortTaken,
    claim,
    closed_port,
    log_size,
    logged_since,
    start_on_free_port,
)
from tests.system_tools import need
from tests.test_deploy_docs import (
    AS_SERVICE_USER,
    DEPLOY,
    RELAY_BIN,
    ROOT,
    all_doc_commands,
    vps_paths,
)

# Commands that change the machine itself; what they would do is checked elsewhere.
MACHINE_ONLY = {
    "apt-get install": "packages: installed by scripts/check_system.py --tests for these tests",
    "useradd ": "a system user: the walk runs as this user",
    "python3 -m venv": "the relay's venv: this test runs in the project's own",
    "pip install": "installing the package: this test runs the checkout",
    "systemctl daemon-reload": "systemd: units are checked by systemd-analyze verify",
    "systemctl status": "systemd",
    "systemctl list-timers": "systemd",
    "systemctl enable --now bucket-relay-backup.timer": "the timer runs the guide's backup",
    "systemctl reload": "reloading a real proxy",
    "certbot ": "a real certificate needs a real domain",
    "curl -s https://relay.example.co.ke": "the public address of a real domain",
    "journalctl": "the journal of a real service",
}
# FreeRADIUS's own files and service (the RADIUS section): tests/server_stub/radius runs the
# schema command and the sed fix themselves on copies, against a real FreeRADIUS on loopback.
FREERADIUS_ONLY = {
    "bucket-radius": "FreeRADIUS's database folder",
    "/etc/freeradius": "FreeRADIUS's configuration",
    "systemctl restart freeradius": "the system's FreeRADIUS service",
    "radclient": "a request to a real FreeRADIUS",
}

# The PostgreSQL section: tests/server_stub/postgres/test_deploy_postgres.py runs its database,
# pg_dump and pg_restore commands against a throw-away cluster and parses its migrate-store line.
POSTGRES_ONLY = {
    "install -y postgresql-15": "the database server's package",
    '".[relay,postgresql]"': "the relay with its PostgreSQL extra",
    "runuser -u postgres --": "the database server's own commands",
    "DATABASE_URL=postgresql://": "a relay on PostgreSQL",
    "pg_dump ": "a PostgreSQL backup",
    "pg_restore ": "a PostgreSQL restore",
    "migrate-store --to": "copying into PostgreSQL",
}


@dataclass
class Walk:
    """The state the guide builds up: files under tmp_path, a running relay."""

    tmp: Path
    relay: RunningRelay | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def env_file(self) -> Path:
        return self.tmp / "etc" / "relay.env"

    def localise(self, command: str) -> str:
        command = command.removeprefix(AS_SERVICE_USER)
        extra = (
            ("/opt/bucket-relay", str(self.tmp / "opt")),
            ("/etc/systemd/system", str(self.tmp / "systemd")),
            ("/etc/nginx", str(self.tmp / "nginx")),
            ("/etc/caddy", str(self.tmp / "caddy")),
        )
        for vps, here in (*vps_paths(self.tmp), *extra):
            command = command.replace(vps, here)
        return command

    def admin_env(self) -> dict[str, str]:
        env = relay_environment(self.tmp / "not-the-database")
        return {**env, "RELAY_ENV_FILE": str(self.env_file), "RELAY_BIN": str(RELAY_BIN)}

    def sh(self, command: str, env: dict[str, str] | None = None) -> str:
        args = shlex.split(command)
        if args[0] == "install":  # owners need root and the service user
            args = [a for i, a in enumerate(args) if a not in ("-o", "-g") and not _owner(args, i)]
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT, env=env
        )
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        return done.stdout


def _owner(args: list[str], index: int) -> bool:
    return index > 0 and args[index - 1] in ("-o", "-g")


def systemd_environment(path: Path) -> dict[str, str]:
    """relay.env read as systemd's EnvironmentFile reads these simple KEY=value lines."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith(("#", ";")) and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = value.strip().strip('"')
    return values


@pytest.fixture
def walk(tmp_path: Path) -> Iterator[Walk]:
    state = Walk(tmp_path)
    yield state
    if state.relay is not None:
        state.relay.stop()


def test_walk_the_guide_from_a_fresh_state(walk: Walk) -> None:
    freeradius_lines = []
    postgres_lines = []
    for line in all_doc_commands():
        if any(start in line for start in POSTGRES_ONLY):
            postgres_lines.append(line)
            continue
        reason = next((why for start, why in MACHINE_ONLY.items() if start in line), None)
        if reason is not None:
            walk.skipped.append(line)
            continue
        if any(start in line for start in FREERADIUS_ONLY):
            freeradius_lines.append(line)
            continue
        step(walk, line)
    assert walk.relay is not None, "the guide never started the relay"
    # What the walk built is what an operator would have: a provider, tokens, backups.
    assert json.loads(walk.outputs["create-provider"])["relay_key_fingerprint"]
    assert list((walk.tmp / "backups").glob("relay-*.db"))
    assert len(walk.skipped) <= 20
    assert len(freeradius_lines) <= 12
    assert len(postgres_lines) <= 8


def step(walk: Walk, line: str) -> None:
    """Run one line of the guide."""
    command = walk.localise(line)
    if line.startswith(("install ", "cp deploy/", "ln -s ")):
        for target in re.findall(rf"{re.escape(str(walk.tmp))}[^\s]*", command):
            # The target folders a real system has (/etc/nginx/sites-enabled, ...).
            folder = Path(target) if target.endswith("/") else Path(target).parent
            if "-d" not in command.split():
                folder.mkdir(parents=True, exist_ok=True)
        walk.sh(command)
    elif "Fernet.generate_key" in line:
        walk.outputs["key"] = walk.sh(command).strip()
    elif line.startswith("editor "):
        edit_relay_env(walk)
    elif "bucket-relay --version" in line:
        assert walk.sh(command).startswith("bucket-relay ")
    elif "bucket-relay-admin" in line:
        admin_command(walk, line, command)
    elif line.startswith("sqlite3") or line.startswith(AS_SERVICE_USER + "sqlite3"):
        need("sqlite3")
        walk.sh(command)
    elif line.startswith("systemctl "):
        service(walk, line)
    elif line.startswith("curl -s http://127.0.0.1:8000/healthz"):
        assert walk.relay is not None
        assert httpx.get(f"{walk.relay.base_url}/healthz", timeout=10).json()["status"] == "ok"
    elif line == "nginx -t":
        nginx_test(walk)
    elif line.startswith("caddy validate"):
        caddy = need("caddy")
        args = shlex.split(command)
        done = subprocess.run(
            [caddy, *args[1:]],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"HOME": str(walk.tmp), "PATH": "/usr/bin:/bin"},
        )
        assert done.returncode == 0, done.stderr
        assert "Valid configuration" in done.stdout + done.stderr
    else:
        pytest.fail(f"docs/deploy.md has a command the walk does not know: {line}")


def edit_relay_env(walk: Walk) -> None:
    """What the guide tells the operator to put into relay.env: the key (and their domain)."""
    text = walk.env_file.read_text()
    text = text.replace("REPLACE_WITH_A_GENERATED_KEY", walk.outputs["key"])
    text = text.replace("/var/lib/bucket-relay", str(walk.tmp / "lib"))
    # The allow-list written with spaces after the commas: systemd and the wrapper agree.
    text = re.sub(r"(CALLBACK_ALLOWED_IPS=[^\n]*?),", r"\1, ", text, count=1)
    walk.env_file.write_text(text)


def admin_command(walk: Walk, line: str, command: str) -> None:
    args = shlex.split(command)
    verb = args[1]
    if verb == "revoke-token":
        args[2] = json.loads(walk.outputs["issue-token"])["token"]
    if verb == "restore":
        assert walk.relay is None, "the guide restores with the relay stopped"
        newest = sorted((walk.tmp / "backups").glob("relay-*.db"))[-1]
        args[args.index("--from") + 1] = str(newest)
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=60, check=False, env=walk.admin_env()
    )
    assert done.returncode == 0, f"{line}\n{done.stderr}"
    assert f"database {walk.tmp / 'lib' / 'relay.db'}" in done.stderr
    json.loads(done.stdout)  # stdout is the JSON answer alone
    walk.outputs[verb] = done.stdout


def service(walk: Walk, line: str) -> None:
    """systemctl for the relay: run `serve` with relay.env as systemd would."""
    action = line.split()[1]
    if action in ("stop", "restart") and walk.relay is not None:
        walk.relay.stop()
        walk.relay = None
    if action in ("start", "restart", "enable"):
        env = relay_environment(walk.tmp / "unused", systemd_environment(walk.env_file))
        walk.relay = start_relay(env, walk.tmp / "relay.log")
        health = httpx.get(f"{walk.relay.base_url}/healthz", timeout=10).json()
        assert health["store_id"] == json.loads(walk.outputs["init"])["store_id"] or (
            "restore" in walk.outputs
        )


def nginx_tree(tmp: Path, site: Path) -> Path:
    """A copy of the system's nginx configuration with `site` enabled, logs and pid in `tmp`;
    returns its nginx.conf."""
    system = Path("/etc/nginx")
    assert system.is_dir(), "nginx from apt has /etc/nginx"
    copy = tmp / "nginx-root"
    shutil.copytree(system, copy, symlinks=True, dirs_exist_ok=True)
    logs = tmp / "nginx-logs"
    logs.mkdir(exist_ok=True)
    enabled = copy / "sites-enabled"
    for old in enabled.iterdir():
        old.unlink()  # Debian's default site listens on port 80
    shutil.copy(site, copy / "sites-available" / "bucket-relay")
    (enabled / "bucket-relay").symlink_to(copy / "sites-available" / "bucket-relay")
    for conf in (copy / "nginx.conf", copy / "sites-available" / "bucket-relay"):
        text = conf.read_text().replace("/etc/nginx", str(copy))
        text = text.replace("/var/log/nginx", str(logs)).replace("/run/nginx.pid", "nginx.pid")
        conf.write_text(text)
    return copy / "nginx.conf"


def nginx_test(walk: Walk) -> None:
    """`nginx -t` on a copy of the system's nginx configuration holding the guide's site."""
    nginx = need("nginx")
    conf = nginx_tree(walk.tmp, walk.tmp / "nginx" / "sites-available" / "bucket-relay")
    done = subprocess.run(
        [nginx, "-t", "-p", str(walk.tmp), "-e", str(walk.tmp / "startup.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def start_nginx(tmp_path: Path, port: int, upstream: int) -> subprocess.Popen[bytes]:
    """nginx serving the guide's site on 127.0.0.1:`port` with the relay at `upstream`, once it
    alone listens there; PortTaken (and stopped) if another process has the port."""
    nginx = need("nginx")
    site = tmp_path / "site.conf"
    text = (DEPLOY / "nginx-bucket-relay.conf").read_text()
    text = text.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("listen [::]:80;", "")
    site.write_text(text.replace("127.0.0.1:8000", f"127.0.0.1:{upstream}"))
    conf = nginx_tree(tmp_path, site)
    # A failed bind is logged to the startup log or, once the configuration is read, its own.
    startup, errors = tmp_path / "startup.log", tmp_path / "nginx-logs" / "error.log"
    logged = log_size(startup), log_size(errors)
    args = [nginx, "-p", str(tmp_path), "-e", str(startup), "-c", str(conf)]
    server = subprocess.Popen(
        [*args, "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60  # a cold start on a busy PC
    while server.poll() is None and time.monotonic() < deadline:
        try:
            claim(server.pid, port)
            return server
        except PortTaken:  # not listening yet, or never will: nginx says which by exiting
            time.sleep(0.05)
    server.terminate()
    server.wait(30)
    said = logged_since(startup, logged[0]) + logged_since(errors, logged[1])
    if ADDRESS_IN_USE in said:
        raise PortTaken(f"nginx could not listen on port {port}")
    raise AssertionError(f"nginx did not start: {said}")


def test_nginx_keeps_callback_tokens_out_of_its_error_log(tmp_path: Path) -> None:
    """A 502 while the relay restarts: nginx logs it for other paths, never a callback's."""
    token = "s3cr3t" + "x" * 37
    with closed_port() as dead:  # nothing listens on `dead`: the relay is down
        port, server = start_on_free_port(lambda port: (port, start_nginx(tmp_path, port, dead)))
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
                health = client.get("/healthz").status_code
                posted = client.post(f"/payments/callback/1/{token}/", content=b"{}")
        finally:
            server.terminate()
            server.wait(30)
    assert health == 502 and posted.status_code == 502
    error_log = (tmp_path / "nginx-logs" / "error.log").read_text()
    assert "GET /healthz" in error_log  # nginx does log 502s elsewhere
    assert token not in error_log and "/payments/callback/" not in error_log


def test_the_admin_wrapper_reads_relay_env_as_systemd_does(tmp_path: Path) -> None:
    env_file = tmp_path / "relay.env"
    env_file.write_text(
        "# a comment\n"
        "CALLBACK_ALLOWED_IPS=196.201.214.200, 196.201.214.206\n"
        'BASE_URL="https://relay.example.co.ke"\n'
        "RELAY_LOG_LEVEL = INFO\n"
        "ODD=a $HOME `date` b\n"
    )
    done = subprocess.run(
        [str(DEPLOY / "bucket-relay-admin")],
        env={"RELAY_ENV_FILE": str(env_file), "RELAY_BIN": "/usr/bin/env", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    seen = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    expected = systemd_environment(env_file)
    assert {name: seen[name] for name in expected} == expected
    assert seen["CALLBACK_ALLOWED_IPS"] == "196.201.214.200, 196.201.214.206"
    assert seen["ODD"] == "a $HOME `date` b"  # never expanded or run
    assert sys.executable  # the wrapper itself needs no Python
