"""RADIUS_DATABASE_URL: a SQLite file or a PostgreSQL address; anything else stops the relay
with a sentence naming the variable, and the address (it may hold a password) is never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from server_stub.operations.settings import SettingsError, load_settings


def test_a_sqlite_file_or_a_postgresql_address(tmp_path: Path) -> None:
    base = {"RELAY_DATA_DIR": str(tmp_path)}
    assert not load_settings(base).radius_configured
    sqlite = load_settings({**base, "RADIUS_DATABASE_URL": f"sqlite:///{tmp_path}/radius.db"})
    assert sqlite.radius_database_path == tmp_path / "radius.db" and sqlite.radius_configured
    dsn = "postgresql://radius:S3cretPass@db.internal/radius"
    postgres = load_settings({**base, "RADIUS_DATABASE_URL": dsn})
    assert postgres.radius_database_dsn == dsn and postgres.radius_database_path is None
    assert "S3cretPass" not in repr(postgres)


@pytest.mark.parametrize("url", ["mysql://radius@db/radius", "/var/lib/radius.db", "sqlite://x"])
def test_anything_else_is_refused_with_the_variables_name(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="RADIUS_DATABASE_URL must look like"):
        load_settings({"RELAY_DATA_DIR": str(tmp_path), "RADIUS_DATABASE_URL": url})
