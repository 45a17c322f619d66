"""`bucket-relay` commands as an operator runs them: JSON out, one clear sentence on failure."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from server_stub.operations.settings import load_settings
from server_stub.operations.store_access import store_for
from server_stub.security import tokens
from server_stub.security.atrest import load_secret_box
from server_stub.security.relay_key import load_relay_key
from server_stub.security.vault import CredentialVault
from server_stub.store.records import Role
from server_stub.testing import run_cli
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.stores import relay_environment


def cli_ok(env: dict[str, str], *args: str, stdin: str | None = None) -> dict[str, object]:
    """Run a command that must succeed; its JSON."""
    done = run_cli(env, *args, input=stdin)
    assert done.returncode == 0, done.stderr.decode()
    return dict(json.loads(done.stdout))


def cli_fails(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run a command that must fail cleanly; its stderr."""
    done = run_cli(env, *args, input=stdin)
    stderr = done.stderr.decode()
    assert done.returncode != 0
    assert "Traceback" not in stderr
    assert done.stdout == b""
    return stderr


def test_create_provider_issue_and_revoke(tmp_path: Path) -> None:
    env = relay_environment(tmp_path)
    created = cli_ok(env, "create-provider", "--name", "Kamau WiFi")
    assert set(created) == {
        "provider_id",
        "owner_token",
        "attendant_token",
        "relay_key_fingerprint",
    }
    assert len(str(created["owner_token"])) >= 43
    # The operator sends the fingerprint with the tokens; the relay serves the same key.
    assert cli_ok(env, "fingerprint") == {"relay_key_fingerprint": created["relay_key_fingerprint"]}
    issued = cli_ok(
        env, "issue-token", "--provider", str(created["provider_id"]), "--role", "owner"
    )
    revoked = {"revoked": True, "already_revoked": False}
    assert cli_ok(env, "revoke-token", str(issued["token"])) == revoked
    assert "No such token" in cli_fails(env, "revoke-token", "nope")
    assert "no provider 99" in cli_fails(env, "issue-token", "--provider", "99", "--role", "owner")


def test_set_credentials_reads_stdin_and_reports_the_callback_url(tmp_path: Path) -> None:
    env = relay_environment(tmp_path, {"BASE_URL": "https://relay.example.com"})
    provider = cli_ok(env, "create-provider", "--name", "Shop")["provider_id"]
    summary = cli_ok(
        env, "set-credentials", "--provider", str(provider), stdin=json.dumps(PAYBILL_CREDENTIALS)
    )
    assert summary["callback_url"] == f"https://relay.example.com/payments/callback/{provider}/"
    assert PAYBILL_CREDENTIALS["passkey"] not in json.dumps(summary)
    bad = {**PAYBILL_CREDENTIALS, "shortcode": "12"}
    message = cli_fails(env, "set-credentials", "--provider", str(provider), stdin=json.dumps(bad))
    assert "shortcode" in message
    assert "not valid JSON" in cli_fails(env, "set-credentials", "--provider", "1", stdin="{")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"RELAY_ENV": "production", "BASE_URL": "https://relay.example.com"},
            "in production the relay refuses to start",
        ),
        (
            {"MPESA_ENVIRONMENT": "production", "BASE_URL": "https://relay.example.com"},
            "in production the relay refuses to start",
        ),
        ({"ENCRYPTION_KEY": "malformed"}, "ENCRYPTION_KEY entry 1 of 1 is not a Fernet key"),
        ({"DATABASE_URL": "mysql://db"}, "DATABASE_URL must look like sqlite:///"),
    ],
)
def test_serve_refuses_bad_settings_with_one_sentence(
    tmp_path: Path, extra: dict[str, str], expected: str
) -> None:
    env = relay_environment(tmp_path, extra)
    assert expected in cli_fails(env, "serve", "--init", "--port", "0")
    assert not (tmp_path / "relay.db").exists()


def test_rotate_key_then_run_with_the_new_key_alone(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = relay_environment(tmp_path, {"ENCRYPTION_KEY": old})
    provider = cli_ok(env, "create-provider", "--name", "Rotating")["provider_id"]
    cli_ok(
        env, "set-credentials", "--provider", str(provider), stdin=json.dumps(PAYBILL_CREDENTIALS)
    )
    only_new = {**env, "ENCRYPTION_KEY": new}
    assert "cannot be decrypted" in cli_fails(only_new, "serve", "--port", "0")
    rotated = cli_ok({**env, "ENCRYPTION_KEY": f"{new},{old}"}, "rotate-key")
    assert rotated == {"reencrypted": 4, "keys": 2}
    opened = _open_credentials(only_new, provider)
    assert opened == PAYBILL_CREDENTIALS


def _open_credentials(env: dict[str, str], provider_id: object) -> dict[str, str]:
    import asyncio

    async def open_them() -> dict[str, str]:
        settings = load_settings(env)
        box = load_secret_box(settings)
        store = store_for(settings, time.time)
        try:
            vault = CredentialVault(store, box, await load_relay_key(store, box), "https://x")
            record = await store.get_provider(int(str(provider_id)))
            assert record is not None
            return vault.open(record).to_dict()
        finally:
            await store.close()

    return asyncio.run(open_them())


def test_serve_reports_a_busy_port(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = cli_fails(relay_environment(tmp_path), "serve", "--port", str(port))
    assert f"Cannot listen on 127.0.0.1:{port}" in message


def test_set_push_limit_per_provider_and_back_to_the_default(tmp_path: Path) -> None:
    env = relay_environment(tmp_path, {"RELAY_PUSHES_PER_MINUTE": "45"})
    provider = str(cli_ok(env, "create-provider", "--name", "Portal")["provider_id"])
    raised = cli_ok(env, "set-push-limit", "--provider", provider, "--per-minute", "120")
    assert raised == {"provider_id": int(provider), "pushes_per_minute": 120}
    reset = cli_ok(env, "set-push-limit", "--provider", provider, "--default")
    assert reset == {"provider_id": int(provider), "pushes_per_minute": 45}
    assert "from 1 to" in cli_fails(
        env, "set-push-limit", "--provider", provider, "--per-minute", "0"
    )
    assert "no provider 99" in cli_fails(
        env, "set-push-limit", "--provider", "99", "--per-minute", "5"
    )
    bad_setting = relay_environment(tmp_path, {"RELAY_PUSHES_PER_MINUTE": "lots"})
    assert "RELAY_PUSHES_PER_MINUTE must be a whole number" in cli_fails(
        bad_setting, "set-push-limit", "--provider", provider, "--default"
    )


def test_new_tokens_never_look_like_an_option(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = iter(["-looks-like-an-option", "A-fine-token"])
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert tokens.new_token() == "A-fine-token"


def test_a_token_starting_with_a_dash_is_revoked_after_double_dash(tmp_path: Path) -> None:
    env = relay_environment(tmp_path)
    provider = cli_ok(env, "create-provider", "--name", "Older Shop")["provider_id"]
    # Tokens issued before new_token avoided a leading dash still exist on relays.
    store_token = "-older-token-000000000000000000000000000000"

    async def add_old_token() -> None:
        store = store_for(load_settings(env), time.time)
        try:
            await store.add_token(
                tokens.token_hash(store_token), int(provider), Role.ATTENDANT, 0.0
            )
        finally:
            await store.close()

    asyncio.run(add_old_token())
    revoked = cli_ok(env, "revoke-token", "--", store_token)
    assert revoked["revoked"] is True
