"""ENCRYPTION_KEY rotation keeps every secret readable; a malformed key stops the relay at start."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from bucket_desktop.services.credentials import DarajaCredentials
from server_stub.operations import admin
from server_stub.operations.settings import load_settings
from server_stub.operations.store_access import store_for
from server_stub.security.atrest import AtRestError, load_secret_box
from server_stub.security.relay_key import load_relay_key
from server_stub.security.vault import CredentialVault
from server_stub.testing import run_cli
from tests.server_stub.helpers import PAYBILL_CREDENTIALS, TILL_CREDENTIALS
from tests.server_stub.stores import relay_environment, running_relay


def _env(data: Path, *keys: str) -> dict[str, str]:
    return relay_environment(data, {"ENCRYPTION_KEY": ",".join(keys)})


async def _open_all(env: dict[str, str]) -> list[DarajaCredentials]:
    """Every provider's credentials decrypted with the keys in `env` (and the relay key)."""
    settings = load_settings(env)
    box = load_secret_box(settings)
    store = store_for(settings, time.time)
    try:
        vault = CredentialVault(store, box, await load_relay_key(store, box), settings.base_url)
        opened = []
        for provider_id in (1, 2):
            provider = await store.get_provider(provider_id)
            assert provider is not None
            opened.append(vault.open(provider))
        return opened
    finally:
        await store.close()


async def _load_providers(env: dict[str, str]) -> None:
    settings = load_settings(env)
    for credentials in (PAYBILL_CREDENTIALS, TILL_CREDENTIALS):
        created = await admin.create_provider(settings, "Key Net")
        raw = json.dumps(credentials).encode()
        await admin.set_credentials(settings, created["provider_id"], raw)


async def test_rotation_keeps_every_secret_readable(tmp_path: Path) -> None:
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    await _load_providers(_env(tmp_path, k1))
    expected = await _open_all(_env(tmp_path, k1))
    assert [c.consumer_secret for c in expected] == [
        PAYBILL_CREDENTIALS["consumer_secret"],
        TILL_CREDENTIALS["consumer_secret"],
    ]
    # The new key first, the old one still listed: everything reads, nothing rewritten yet.
    assert await _open_all(_env(tmp_path, k2, k1)) == expected
    with pytest.raises(AtRestError):
        await _open_all(_env(tmp_path, k2))
    rotated = await admin.rotate_key(load_settings(_env(tmp_path, k2, k1)))
    assert rotated == {"reencrypted": 7, "keys": 2}  # 3 secrets x 2 providers + relay key
    assert await _open_all(_env(tmp_path, k2)) == expected
    with pytest.raises(AtRestError):
        await _open_all(_env(tmp_path, k1))


def test_relay_serves_with_the_new_key_alone_after_rotation(tmp_path: Path) -> None:
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    data = tmp_path / "relay"
    asyncio.run(_load_providers(_env(data, k1)))
    fingerprint_before = _fingerprint(tmp_path, k1)
    rotation = run_cli(_env(data, k2, k1), "rotate-key")
    assert rotation.returncode == 0, rotation.stderr
    assert json.loads(rotation.stdout)["reencrypted"] == 7
    assert _fingerprint(tmp_path, k2) == fingerprint_before


def _fingerprint(tmp_path: Path, key: str) -> str:
    with running_relay(tmp_path, env={"ENCRYPTION_KEY": key}) as relay:
        response = httpx.get(relay.base_url + "/payments/bucket/relay-key/", timeout=10)
        assert response.status_code == 200
        return str(response.json()["fingerprint"])


@pytest.mark.parametrize(
    ("keys", "production"),
    [
        ("not-a-fernet-key", False),
        (Fernet.generate_key().decode() + ",short", False),
        (Fernet.generate_key().decode() + ",,", False),
        ("", True),
        ("A" * 43 + "=" + "!", True),
    ],
    # Named ids: a generated key in a test's id would differ between pytest-xdist workers.
    ids=["not-fernet", "key-then-short", "key-then-empty", "empty-in-production", "bad-padding"],
)
def test_relay_refuses_to_start_with_a_malformed_key(
    tmp_path: Path, keys: str, production: bool
) -> None:
    extra = {"ENCRYPTION_KEY": keys}
    if production:
        extra |= {"RELAY_ENV": "production", "BASE_URL": "https://relay.example.com"}
    completed = run_cli(relay_environment(tmp_path, extra), "serve", "--init", "--port", "0")
    stderr = completed.stderr.decode()
    assert completed.returncode == 78  # EX_CONFIG: systemd does not restart on it
    assert completed.stdout == b""  # never announced a listening address
    assert "ENCRYPTION_KEY" in stderr and "Traceback" not in stderr
    for part in keys.split(","):
        if len(part) > 8:
            assert part not in stderr, "a key was echoed"


def test_rotation_refuses_when_the_old_key_is_missing(tmp_path: Path) -> None:
    k1, k2, k3 = (Fernet.generate_key().decode() for _ in range(3))
    asyncio.run(_load_providers(_env(tmp_path, k1)))
    completed = run_cli(_env(tmp_path, k3, k2), "rotate-key")
    stderr = completed.stderr.decode()
    assert completed.returncode == 1
    assert "missing" in stderr and "Traceback" not in stderr
    # Nothing was half rewritten: the old key still opens everything.
    assert len(asyncio.run(_open_all(_env(tmp_path, k1)))) == 2
