"""Keys at rest: development key file, production refusal, malformed keys, rotation."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from server_stub.operations.settings import RelaySettings, SettingsError, load_settings
from server_stub.security.atrest import (
    DEV_KEY_FILE,
    AtRestError,
    SecretBox,
    load_secret_box,
    parse_keys,
)


def settings(tmp_path: Path, **values: object) -> RelaySettings:
    """Settings with the database in tmp_path."""
    return RelaySettings(database_path=tmp_path / "relay.db", **values)  # type: ignore[arg-type]


def test_development_generates_a_private_key_file_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    box = load_secret_box(settings(tmp_path))
    key_file = tmp_path / DEV_KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert "ENCRYPTION_KEY is not set" in caplog.text
    token = box.encrypt(b"secret")
    assert load_secret_box(settings(tmp_path)).decrypt(token) == b"secret"
    assert key_file.read_text().strip() not in caplog.text


def test_production_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="in production the relay refuses to start"):
        load_secret_box(settings(tmp_path, production=True))
    assert not (tmp_path / DEV_KEY_FILE).exists()


# Named ids: a generated key in a test's id would differ between pytest-xdist workers.
@pytest.mark.parametrize(
    "raw",
    ["not-a-key", "a,,b", Fernet.generate_key().decode() + ",short"],
    ids=["not-a-key", "an-empty-part", "a-key-then-a-short-one"],
)
def test_malformed_keys_are_named_never_echoed(raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_keys(raw)
    assert "ENCRYPTION_KEY" in str(caught.value)
    assert "short" not in str(caught.value) and "not-a-key" not in str(caught.value)


def test_rotation_moves_secrets_to_the_newest_key() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    stored = SecretBox([old]).encrypt(b"passkey")
    rotated = SecretBox([new, old]).rotate(stored)
    assert SecretBox([new]).decrypt(rotated) == b"passkey"
    with pytest.raises(AtRestError):
        SecretBox([new]).decrypt(stored)


@pytest.mark.parametrize(
    ("environ", "production"),
    [({}, False), ({"RELAY_ENV": "production"}, True), ({"MPESA_ENVIRONMENT": "production"}, True)],
)
def test_production_mode_rule(tmp_path: Path, environ: dict[str, str], production: bool) -> None:
    loaded = load_settings({"RELAY_DATA_DIR": str(tmp_path), **environ})
    assert loaded.production is production
    assert loaded.database_path == (tmp_path / "relay.db").resolve()


@pytest.mark.parametrize(
    "environ",
    [
        {"RELAY_ENV": "staging"},
        {"DATABASE_URL": "mysql://x/relay"},
        {"RELAY_RECONCILE_FIRST_S": "soon"},
        {"TRUSTED_PROXIES": "10.0.0.0/8,nonsense"},
    ],
)
def test_bad_settings_are_explained(tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings({"RELAY_DATA_DIR": str(tmp_path), **environ})
