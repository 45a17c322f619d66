"""docs/deploy.md and deploy/: the guide's commands, run here with local paths for the VPS ones.

Commands are read from the guide's ```sh blocks and run with `/opt/bucket-relay/...`,
`/var/lib/bucket-relay` and `/var/backups/bucket-relay` pointing into tmp_path, against the
relay's real store (real subprocesses, real SQLite files).
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import httpx
import pytest

from bucket_desktop.demo import demo_credentials
from server_stub.daraja_sim.testing import running_simulator
from server_stub.operations.backup import prune
from server_stub.operations.settings import load_settings
from server_stub.security.atrest import parse_keys
from server_stub.store.migrations import MIGRATIONS
from server_stub.testing import relay_environment, run_cli, running_relay

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"
RELAY_BIN = Path(sys.executable).with_name("bucket-relay")
UNITS = ("bucket-relay.service", "bucket-relay-backup.service", "bucket-relay-backup.timer")


def doc_commands(containing: str) -> list[str]:
    """Lines of the guide's sh blocks that contain `containing`."""
    found = [line for line in all_doc_commands() if containing in line]
    assert found, f"docs/deploy.md has no command with {containing!r}"
    return found


def all_doc_commands() -> list[str]:
    """Every line of the guide's sh blocks, in order."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


AS_SERVICE_USER = "runuser -u bucket-relay -- "


def vps_paths(tmp_path: Path) -> tuple[tuple[str, str], ...]:
    """The VPS paths of the guide and where they are on this machine (most specific first)."""
    return (
        ("/opt/bucket-relay/venv/bin/python", sys.executable),
        ("/opt/bucket-relay/venv/bin/bucket-relay", str(RELAY_BIN)),
        ("/opt/bucket-relay/bucket-relay-admin", str(DEPLOY / "bucket-relay-admin")),
        ("/var/lib/bucket-relay", str(tmp_path / "lib")),
        ("/var/backups/bucket-relay", str(tmp_path / "backups")),
        ("/etc/bucket-relay", str(tmp_path / "etc")),
    )


def localise(command: str, tmp_path: Path) -> list[str]:
    """The guide's VPS command with this machine's interpreter, scripts and tmp folders."""
    command = command.removeprefix(AS_SERVICE_USER)
    for vps, here in vps_paths(tmp_path):
        command = command.replace(vps, here)
    return shlex.split(command)


def run(args: list[str], env: Mapping[str, str] | None = None, stdin: str = "") -> str:
    """Run a command that must succeed (from the repository folder, as the guide says)."""
    done = subprocess.run(
        args,
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def generate_key(tmp_path: Path) -> str:
    """A key made by the guide's key generation command."""
    (command,) = doc_commands("Fernet.generate_key")
    key = run(localise(command, tmp_path)).strip()
    assert len(parse_keys(key)) == 1
    return key


def relay_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Settings as on the VPS: the database in the (local) state folder."""
    return relay_environment(
        tmp_path / "lib",
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'lib' / 'relay.db'}", **extra},
    )


def write_env_file(path: Path, settings: Mapping[str, str]) -> None:
    """A relay.env as in the guide (KEY=value lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name}={value}\n" for name, value in settings.items()))


def admin_env(tmp_path: Path, settings: Mapping[str, str]) -> dict[str, str]:
    """The environment for `bucket-relay-admin`, with relay.env written from `settings`."""
    env_file = tmp_path / "etc" / "relay.env"
    write_env_file(env_file, settings)
    env = relay_environment(tmp_path / "elsewhere")  # only relay.env may name the database
    return {**env, "RELAY_ENV_FILE": str(env_file), "RELAY_BIN": str(RELAY_BIN)}


def owner_get(relay_url: str, token: str) -> httpx.Response:
    """The owner's masked credentials summary."""
    return httpx.get(
        f"{relay_url}/payments/bucket/credentials/",
        headers={"Authorization": f"Token {token}"},
        timeout=10,
    )


PRODUCTION_BASE = {"RELAY_ENV": "production", "BASE_URL": "https://relay.example.co.ke"}


def test_generated_key_is_what_production_needs(tmp_path: Path) -> None:
    key = generate_key(tmp_path)
    production = relay_env(tmp_path, **PRODUCTION_BASE)
    without = run_cli(production, "init")
    refusal = without.stderr.decode().strip().splitlines()[-1]
    assert without.returncode == 1
    assert refusal.startswith(
        "bucket-relay: ENCRYPTION_KEY is not set: in production the relay refuses to start"
    )
    assert refusal.split(";")[0].removeprefix("bucket-relay: ") in DOC.read_text()
    init_command = doc_commands("bucket-relay-admin init")[0]  # the SQLite first run
    settings = {**PRODUCTION_BASE, "ENCRYPTION_KEY": key}
    settings["DATABASE_URL"] = production["DATABASE_URL"]
    created = json.loads(run(localise(init_command, tmp_path), env=admin_env(tmp_path, settings)))
    with running_relay(tmp_path, env={**production, "ENCRYPTION_KEY": key}) as relay:
        health = httpx.get(f"{relay.base_url}/healthz", timeout=5).json()
    assert health["status"] == "ok" and health["store_id"] == created["store_id"]
    assert not (tmp_path / "lib" / "encryption.key").exists()


def test_online_backup_then_restore_brings_back_tokens_and_credentials(tmp_path: Path) -> None:
    settings = {"ENCRYPTION_KEY": generate_key(tmp_path)}
    settings["DATABASE_URL"] = f"sqlite:///{tmp_path / 'lib' / 'relay.db'}"
    env = admin_env(tmp_path, settings)
    (backup_command,) = doc_commands("bucket-relay-admin backup")[:1]
    (restore_command,) = doc_commands("bucket-relay-admin restore")
    (sqlite_command,) = doc_commands("sqlite3 /var/lib/bucket-relay/relay.db")
    with running_relay(tmp_path, env=settings) as relay:
        kept = relay.cli("create-provider", "--name", "Kept")
        relay.cli(
            "set-credentials",
            "--provider",
            str(kept["provider_id"]),
            input=demo_credentials().to_json(),
        )
        backup_file = Path(json.loads(run(localise(backup_command, tmp_path), env))["backup"])
        run(localise(sqlite_command, tmp_path))
        assert httpx.get(f"{relay.base_url}/healthz", timeout=5).json()["status"] == "ok"
        later = relay.cli("create-provider", "--name", "After the backup")
        relay.stop()
        assert backup_file.parent == tmp_path / "backups"
        assert backup_file.stat().st_mode & 0o077 == 0
        restore = localise(restore_command, tmp_path)
        restore[restore.index("--from") + 1] = str(backup_file)
        done = subprocess.run(restore, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "the database it replaced is kept as" in done.stderr
    with running_relay(tmp_path, env=settings) as restored:
        summary = owner_get(restored.base_url, kept["owner_token"])
        assert summary.status_code == 200
        assert summary.json()["shortcode"] == demo_credentials().shortcode
        assert owner_get(restored.base_url, later["owner_token"]).status_code == 401
    (copy,) = (tmp_path / "lib").glob("relay.db.before-restore-*")
    assert copy.stat().st_mode & 0o077 == 0
    manual = tmp_path / "backups" / "manual.db"
    with sqlite3.connect(manual) as conn:
        assert conn.execute("SELECT name FROM providers").fetchall() == [("Kept",)]
    conn.close()


def test_backup_and_restore_refuse_with_a_sentence(tmp_path: Path) -> None:
    env = relay_env(tmp_path)
    missing = run_cli(env, "backup", "--to", str(tmp_path))
    assert missing.returncode == 1
    assert missing.stderr.decode().strip().splitlines()[-1] == (
        f"bucket-relay: There is no database at {tmp_path / 'lib' / 'relay.db'}."
    )
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    assert run_cli(env, "init").returncode == 0
    refused = run_cli(env, "restore", "--from", str(junk))
    assert refused.returncode == 1
    assert "is not a usable SQLite database" in refused.stderr.decode()
    assert "Traceback" not in refused.stderr.decode()
    assert not list((tmp_path / "lib").glob("relay.db.before-restore-*"))


def test_backups_beyond_keep_are_pruned(tmp_path: Path) -> None:
    for day in ("20250101", "20250102", "20250103"):
        (tmp_path / f"relay-{day}T000000Z.db").write_bytes(b"")
    removed = prune(tmp_path, keep=2)
    assert [p.name for p in removed] == ["relay-20250101T000000Z.db"]
    assert len(list(tmp_path.glob("relay-*.db"))) == 2


def test_rotation_steps_reencrypt_everything_under_the_new_key(tmp_path: Path) -> None:
    old, new = generate_key(tmp_path), generate_key(tmp_path)
    database = {"DATABASE_URL": relay_env(tmp_path)["DATABASE_URL"]}
    (rotate_command,) = doc_commands("bucket-relay-admin rotate-key")
    (create_command,) = doc_commands("bucket-relay-admin create-provider")
    with running_simulator() as sim:
        settings = {**database, "ENCRYPTION_KEY": old, "DARAJA_BASE_URL": sim.base_url}
        admin_env_old = admin_env(tmp_path, settings)
        provider = json.loads(run(localise(create_command, tmp_path), env=admin_env_old))
        admin = [str(DEPLOY / "bucket-relay-admin")]
        credentials = demo_credentials().to_json().decode()
        args = ["set-credentials", "--provider", str(provider["provider_id"])]
        run([*admin, *args], env=admin_env_old, stdin=credentials)
        rotating = admin_env(tmp_path, {**settings, "ENCRYPTION_KEY": f"{new},{old}"})
        rotated = json.loads(run(localise(rotate_command, tmp_path), env=rotating))
        assert rotated["keys"] == 2 and rotated["reencrypted"] >= 4  # 3 secrets + relay key
        with running_relay(tmp_path, env={**settings, "ENCRYPTION_KEY": new}) as relay:
            report = httpx.post(
                f"{relay.base_url}/payments/bucket/test-credentials/",
                headers={"Authorization": f"Token {provider['owner_token']}"},
                json={},
                timeout=20,
            ).json()
        checks = {check["name"]: check["ok"] for check in report["checks"]}
        assert checks["credentials"] is True
    old_only = relay_environment(tmp_path / "lib", settings)
    refused = run_cli(old_only, "serve", "--host", "127.0.0.1", "--port", "0")
    assert refused.returncode == 78  # the old key alone no longer opens anything
    assert "cannot be decrypted with ENCRYPTION_KEY" in refused.stderr.decode()


UPGRADED_RELAY = textwrap.dedent(
    """
    import sys
    from server_stub.store import migrations
    migrations.MIGRATIONS += ((migrations.MIGRATIONS[-1][0] + 1,
                               "ALTER TABLE providers ADD COLUMN upgrade_note TEXT"),)
    from server_stub.operations.cli import main
    sys.exit(main(sys.argv[1:]))
    """
)


def test_upgrade_migrates_in_place_and_an_older_relay_refuses_the_result(tmp_path: Path) -> None:
    env = relay_env(tmp_path, ENCRYPTION_KEY=generate_key(tmp_path))
    assert run_cli(env, "create-provider", "--name", "Before").returncode == 0
    upgraded = [sys.executable, "-c", UPGRADED_RELAY]
    issued = subprocess.run(
        [*upgraded, "issue-token", "--provider", "1", "--role", "owner"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert json.loads(issued.stdout)["token"]
    assert f"Schema migration {len(MIGRATIONS) + 1} applied" in issued.stderr
    with sqlite3.connect(tmp_path / "lib" / "relay.db") as conn:
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_version")]
        columns = [row[1] for row in conn.execute("PRAGMA table_info(providers)")]
        names = [row[0] for row in conn.execute("SELECT name FROM providers")]
    conn.close()
    assert versions == list(range(1, len(versions) + 1)) and len(versions) >= 2
    assert "upgrade_note" in columns and names == ["Before"]
    older = run_cli(env, "serve", "--port", "0")
    assert older.returncode == 78  # RestartPreventExitStatus in the unit
    refusal = older.stderr.decode()
    assert "newer than this relay" in refusal
    assert "Restore the backup taken before the upgrade" in refusal
    assert "Restore the backup taken before the upgrade" in DOC.read_text()
    assert "RestartPreventExitStatus=78" in (DEPLOY / "bucket-relay.service").read_text()


def env_example() -> dict[str, str]:
    """deploy/relay.env.example as a mapping."""
    lines = (DEPLOY / "relay.env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name: value for name, value in pairs}


def test_env_example_is_valid_for_the_relay_systemd_and_sh(tmp_path: Path) -> None:
    example = env_example()
    assert all(re.fullmatch(r"[A-Za-z0-9_:/.,=+\-]+", v) for v in example.values()), example
    settings = load_settings({**example, "ENCRYPTION_KEY": generate_key(tmp_path)})
    assert settings.production
    assert settings.base_url.startswith("https://")
    assert len(settings.callback_allowed_ips) == 14
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32", "::1/128"]
    assert str(settings.database_path) == "/var/lib/bucket-relay/relay.db"


def relay_variables() -> set[str]:
    """Every environment variable server_stub/operations/settings.py reads."""
    source = (ROOT / "server_stub" / "operations" / "settings.py").read_text()
    return set(re.findall(r'environ(?:\.get\(|, )"([A-Z_]+)"', source))


def test_every_relay_variable_is_in_the_guide() -> None:
    names = relay_variables()
    assert {"ENCRYPTION_KEY", "BASE_URL", "CALLBACK_ALLOWED_IPS", "TRUSTED_PROXIES"} <= names
    text = DOC.read_text()
    assert sorted(name for name in names if f"`{name}`" not in text) == []


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_units_verify(tmp_path: Path) -> None:
    for name in UNITS:
        shutil.copy(DEPLOY / name, tmp_path / name)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Only lines about our units count: systemd also warns about other units installed on the
    # machine (freeradius.service, ...), which are not ours to fix. The VPS paths do not exist
    # here; anything else about our units is a real mistake.
    problems = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if any(name in line for name in UNITS) and "/opt/bucket-relay/venv/bin/" not in line
    ]
    assert problems == []


README = ROOT / "README.md"


def test_readme_keeps_the_two_commands_near_the_top() -> None:
    top = README.read_text()[:1500]
    assert "make run     # installs everything into .venv and starts the app in demo mode" in top
    assert "make test    # installs everything into .venv and runs lint" in top


def test_readme_lists_every_relay_and_desktop_variable() -> None:
    text = README.read_text()
    assert sorted(name for name in relay_variables() if f"`{name}`" not in text) == []
    assert "`DARAJA_BASE_URL`" in text.split("### Desktop", 1)[1].split("### Relay", 1)[0]


def test_readme_lists_every_simulator_phone() -> None:
    from server_stub.daraja_sim.scenarios import SCENARIO_PHONES

    text = README.read_text()
    assert sorted(phone for phone in SCENARIO_PHONES if f"`{phone}`" not in text) == []


def test_readme_troubleshooting_quotes_the_apps_own_sentences() -> None:
    from bucket_desktop.services.mpesa_rules import result_meaning

    sources = "\n".join(
        node.value
        for name in ("daraja_errors.py", "daraja_client.py")
        for node in ast.walk(ast.parse((ROOT / "bucket_desktop" / "services" / name).read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    )
    section = README.read_text().split("## Troubleshooting Daraja errors", 1)[1]
    section = section.split("\n## ", 1)[0]
    errors, results = re.findall(r"^\| (.+?) \|", section, re.M), []
    for row in re.findall(r"^\| (\d+) \| (.+) \|$", section, re.M):
        results.append(row)
        errors.remove(row[0])
    quoted = [cell for cell in errors if cell not in ("the app says", "result")]
    assert len(quoted) >= 10 and len(results) >= 6
    for sentence in quoted:
        fixed = sentence.split(" (…)")[0].split(" (HTTP")[0].split(": Bad Request")[0]
        assert fixed.split(" / ")[0] in sources, sentence
    for code, sentence in results:
        assert result_meaning(code).sentence == sentence


def test_readme_links_and_commands_point_at_files_that_exist() -> None:
    text = README.read_text()
    links = re.findall(r"\]\(((?:docs|deploy|server_stub)/[^)#]+)\)", text)
    scripts = re.findall(r"python ((?:bench|scripts|tests|deploy)/[\w/]+\.py)", text)
    assert links and len(scripts) >= 5
    assert [path for path in links + scripts if not (ROOT / path).exists()] == []


def test_allow_list_from_the_env_example_admits_safaricom_through_the_proxy(
    tmp_path: Path,
) -> None:
    example = env_example()
    allow = {name: example[name] for name in ("CALLBACK_ALLOWED_IPS", "TRUSTED_PROXIES")}
    body = json.dumps(
        {
            "Body": {
                "stkCallback": {
                    "MerchantRequestID": "29115-34620561-1",
                    "CheckoutRequestID": "ws_CO_191220191020363925",
                    "ResultCode": 1032,
                    "ResultDesc": "Request cancelled by user",
                }
            }
        }
    )
    with running_relay(tmp_path, env=allow) as relay:

        def callback_from(address: str) -> int:
            return httpx.post(
                f"{relay.base_url}/payments/callback/1/{'a' * 43}/",
                content=body,
                headers={"Content-Type": "application/json", "X-Forwarded-For": address},
                timeout=10,
            ).status_code

        assert callback_from("196.201.214.200") == 200
        assert callback_from("203.0.113.9") == 403
    with sqlite3.connect(tmp_path / "relay" / "relay.db") as conn:
        outcomes = [row[0] for row in conn.execute("SELECT outcome FROM raw_callbacks")]
    assert "source_refused" in outcomes and len(outcomes) == 2
