"""The operator's mistakes from a real deployment walk, each answered with one sentence.

Restores under a running relay, two relays on one database, production settings Safaricom
cannot use, a mistyped DATABASE_URL, unusable state folders, and what the CLI prints.
"""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from server_stub.testing import run_cli
from tests.server_stub.as_service_user import (
    give_to_service_user,
    is_root,
    run_cli_as_service_user,
    shared_folder,
)
from tests.server_stub.helpers import PAYBILL_CREDENTIALS, client_for
from tests.server_stub.stores import relay_environment, running_relay

EX_CONFIG = 78
PRODUCTION = {"RELAY_ENV": "production", "BASE_URL": "https://relay.example.co.ke"}


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of one command."""
    done = run_cli(env, *args, input=stdin)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def test_restore_refuses_while_a_relay_serves_and_changes_nothing(tmp_path: Path) -> None:
    with running_relay(tmp_path) as relay:
        relay.cli("create-provider", "--name", "Before")
        backup = relay.cli("backup", "--to", str(tmp_path / "backups"))["backup"]
        later = relay.cli("create-provider", "--name", "After the backup")
        code, out, err = cli(relay.env, "restore", "--from", backup)
        assert (code, out) == (1, "")
        database = tmp_path / "relay" / "relay.db"
        pid = relay.process.pid if relay.process else 0
        assert f"A relay is using {database} (pid {pid}): stop it first" in err
        assert "Traceback" not in err
        # The running relay still has the provider made after the backup.
        with client_for(relay, later["owner_token"]) as owner:
            assert owner.get("/payments/bucket/credentials/").status_code == 200
    assert not list(database.parent.glob("relay.db.before-restore-*"))


def test_restore_keeps_private_safety_copies_and_a_new_identity(tmp_path: Path) -> None:
    env = relay_environment(tmp_path / "relay")
    assert cli(env, "create-provider", "--name", "Kept")[0] == 0
    backup = json.loads(cli(env, "backup", "--to", str(tmp_path / "b"))[1])["backup"]
    identities = {json.loads(cli(env, "init")[1])["store_id"]}
    for _ in range(4):
        code, out, err = cli(env, "restore", "--from", backup)
        assert code == 0, err
        done = json.loads(out)
        identities.add(done["store_id"])
        copy = Path(done["safety_copy"])
        assert f"kept as {copy} (mode 0600)" in err
        assert stat.S_IMODE(copy.stat().st_mode) == 0o600
        # Same second, same name: the newest copy replaces the older one of that second.
    assert len(identities) == 5  # every restore gives the store a new identity
    copies = list((tmp_path / "relay").glob("relay.db.before-restore-*"))
    assert 1 <= len(copies) <= 3
    assert json.loads(cli(env, "init")[1])["store_id"] == done["store_id"]


def test_restore_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    env = relay_environment(tmp_path / "relay")
    assert cli(env, "create-provider", "--name", "Kept")[0] == 0
    backup = json.loads(cli(env, "backup", "--to", str(tmp_path / "b"))[1])["backup"]
    elsewhere = {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'typo' / 'relay.db'}"}
    code, out, err = cli(elsewhere, "restore", "--from", backup)
    assert (code, out) == (1, "")
    assert f"The database folder {tmp_path / 'typo'} does not exist" in err
    assert "Traceback" not in err


def test_a_second_relay_on_the_same_database_is_refused(tmp_path: Path) -> None:
    with running_relay(tmp_path) as relay:
        code, out, err = cli(relay.env, "serve", "--port", "0")
        assert (code, out) == (EX_CONFIG, "")
        assert "Another relay is already serving" in err
        assert "use the PostgreSQL store to run several relays" in err
        assert httpx.get(f"{relay.base_url}/healthz", timeout=5).json()["status"] == "ok"


@pytest.mark.parametrize(
    ("extra", "sentence"),
    [
        ({"BASE_URL": ""}, "BASE_URL is not set: in production callbacks would go to http://"),
        ({"BASE_URL": "http://relay.example.co.ke"}, "Safaricom calls back over HTTPS only"),
        (
            {"BASE_URL": "https://mpesa.example.co.ke"},
            "Daraja refuses callback URLs containing the words mpesa",
        ),
        (
            {"DARAJA_BASE_URL": "http://127.0.0.1:9"},
            "DARAJA_BASE_URL is set to http://127.0.0.1:9 in production",
        ),
    ],
)
def test_production_refuses_settings_safaricom_cannot_use(
    tmp_path: Path, extra: dict[str, str], sentence: str
) -> None:
    key = Fernet.generate_key().decode()
    env = relay_environment(tmp_path, {**PRODUCTION, "ENCRYPTION_KEY": key, **extra})
    code, out, err = cli(env, "serve", "--init", "--port", "0")
    assert (code, out) == (EX_CONFIG, "")
    assert sentence in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 2  # the database line, then the one sentence
    assert not (tmp_path / "relay.db").exists()


def test_the_daraja_override_in_production_is_explicit_and_loud(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    env = {**PRODUCTION, "ENCRYPTION_KEY": key, "DARAJA_BASE_URL": "http://127.0.0.1:9"}
    assert cli(relay_environment(tmp_path / "relay", env), "init")[0] == 1
    allowed = {**env, "RELAY_ALLOW_DARAJA_BASE_URL": "1"}
    assert cli(relay_environment(tmp_path / "relay", allowed), "init")[0] == 0
    with running_relay(tmp_path, allowed) as relay:
        log = relay.log_text()
    assert "WARNING server_stub.operations.cli: DARAJA_BASE_URL is set: every Daraja call" in log


def test_production_needs_init_for_a_new_database_and_names_it_everywhere(
    tmp_path: Path,
) -> None:
    key = Fernet.generate_key().decode()
    database = tmp_path / "state" / "relay.db"
    env = relay_environment(
        tmp_path / "ignored",
        {**PRODUCTION, "ENCRYPTION_KEY": key, "DATABASE_URL": f"sqlite:///{database}"},
    )
    for args, status in ((("serve", "--port", "0"), EX_CONFIG), (("create-provider",), 1)):
        argv = (*args, "--name", "Typo") if args[0] == "create-provider" else args
        code, out, err = cli(env, *argv)
        assert (code, out) == (status, "")
        assert f"bucket-relay: database {database}\n" in err
        assert f"There is no database at {database}: check DATABASE_URL" in err
        assert not database.exists()
    code, out, err = cli(env, "init")
    assert code == 0 and err.startswith(f"bucket-relay: database {database}\n")
    created = json.loads(out)
    assert created["database"] == str(database) and len(created["store_id"]) == 36
    provider = json.loads(cli(env, "create-provider", "--name", "Shop")[1])
    assert len(provider["relay_key_fingerprint"]) == len(created["relay_key_fingerprint"])
    with running_relay(tmp_path, env) as relay:
        health = httpx.get(f"{relay.base_url}/healthz", timeout=5).json()
        head = httpx.head(f"{relay.base_url}/healthz", timeout=5)
        key_page = httpx.get(f"{relay.base_url}/payments/bucket/relay-key/", timeout=5).json()
        log = relay.log_text()
    assert health["store_id"] == created["store_id"]
    assert health["database"] == str(database)
    assert health["schema_version"] == created["schema_version"] >= 2
    assert health["version"] == version_of_package()
    assert head.status_code == 200 and head.content == b""
    assert key_page["fingerprint"] == provider["relay_key_fingerprint"]
    assert (
        f"Relay {health['version']} starting: database {database} (store {created['store_id']}, "
        f"schema version {created['schema_version']})"
    ) in log


def version_of_package() -> str:
    """The version `bucket-relay --version` reports."""
    done = subprocess.run(
        [sys.executable, "-m", "server_stub", "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    name, version = done.stdout.split()
    assert name == "bucket-relay" and version[0].isdigit()
    return version


def test_each_migration_is_logged_once(tmp_path: Path) -> None:
    env = relay_environment(tmp_path, {"RELAY_LOG_LEVEL": "INFO"})
    first = cli(env, "init")[2]
    assert "Schema migration 1 applied" in first and "Schema migration 2 applied" in first
    assert "Schema migration" not in cli(env, "init")[2]


def test_unusable_state_folders_get_one_sentence_each() -> None:
    with shared_folder() as folder:
        service = folder / "service"
        service.mkdir()
        give_to_service_user(service)
        root_owned = folder / "root-owned"
        root_owned.mkdir(mode=0o755)
        if not is_root():
            root_owned.chmod(0o555)  # what root's folder is to the service user

        def attempt(database: Path, *args: str) -> str:
            env = {"DATABASE_URL": f"sqlite:///{database}", "PATH": "/usr/bin:/bin"}
            code, out, err = run_cli_as_service_user(env, *args)
            assert (code, out) == (1, ""), err
            assert "Traceback" not in err
            return err.splitlines()[-1]

        blocked = root_owned / "deeper" / "relay.db"
        assert f"The database folder {blocked.parent} does not exist and user" in attempt(
            blocked, "init"
        )
        assert f"cannot write in the database folder {root_owned}" in attempt(
            root_owned / "relay.db", "init"
        )
        # A database created by root (an admin command run with sudo and no -u).
        assert cli({"DATABASE_URL": f"sqlite:///{service / 'relay.db'}"}, "init")[0] == 0
        if not is_root():
            (service / "relay.db").chmod(0o444)
        message = attempt(service / "relay.db", "create-provider", "--name", "Shop")
        assert f"The database {service / 'relay.db'} is not writable by user" in message
        assert "chown" in message


def test_small_things_an_operator_meets(tmp_path: Path) -> None:
    env = relay_environment(tmp_path, {"ENCRYPTION_KEY": Fernet.generate_key().decode()})
    created = json.loads(cli(env, "create-provider", "--name", "Shop")[1])
    provider = str(created["provider_id"])
    numeric = json.dumps({**PAYBILL_CREDENTIALS, "shortcode": 174379})
    code, out, err = cli(env, "set-credentials", "--provider", provider, stdin=numeric)
    assert (code, out) == (1, "")
    assert 'The shortcode must be written in quotes, e.g. "shortcode": "174379".' in err
    code, out, err = cli(env, "set-credentials", "--provider", provider, stdin="")
    assert code == 1 and "No credentials JSON on stdin" in err
    token = created["attendant_token"]
    assert json.loads(cli(env, "revoke-token", token)[1])["already_revoked"] is False
    code, out, err = cli(env, "revoke-token", token)
    assert json.loads(out) == {"revoked": True, "already_revoked": True}
    assert "This token was already revoked on" in err and "nothing changed" in err
    code, out, err = cli(env, "rotate-key")
    assert json.loads(out)["keys"] == 1
    assert "ENCRYPTION_KEY holds one key, so nothing was rotated" in err
