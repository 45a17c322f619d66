"""The platform migration on a database in use: tokens keep their ids, hashes and revocations,
the last callback is filled in from the stored callbacks, and roles and providers must agree."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from server_stub.store import migrations

PLATFORM = next(n for n, script in migrations.MIGRATIONS if "audit_log" in script)


def test_existing_tokens_and_callbacks_come_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = sqlite3.connect(tmp_path / "relay.db", isolation_level=None)
    before = tuple(m for m in migrations.MIGRATIONS if m[0] < PLATFORM)
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    migrations.migrate(conn)
    conn.execute("INSERT INTO providers (name, created_at) VALUES ('A', 1)")
    conn.execute(
        "INSERT INTO tokens (token_hash, provider_id, role, name, created_at, revoked_at) "
        "VALUES ('h1', 1, 'owner', 'Owner', 1, NULL), ('h2', 1, 'attendant', 'Till', 2, 3)"
    )
    conn.execute(
        "INSERT INTO payments (id, provider_id, callback_token_hash, status, phone_number, "
        "amount, account_reference, transaction_desc, created_at, updated_at) "
        "VALUES (7, 1, 'cb', 'paid', '254700000000', 10, 'A', 'B', 5, 5)"
    )
    conn.execute(
        "INSERT INTO raw_callbacks (received_at, provider_ref, source_address, body, outcome, "
        "payment_id) VALUES (42.5, '1', '196.201.214.200', x'7b7d', 'applied', 7), "
        "(99.0, '2', '203.0.113.9', x'7b7d', 'wrong_provider', 7)"
    )
    monkeypatch.undo()
    assert migrations.migrate(conn) >= PLATFORM
    tokens = conn.execute("SELECT id, token_hash, role, name, revoked_at FROM tokens").fetchall()
    assert tokens == [(1, "h1", "owner", "Owner", None), (2, "h2", "attendant", "Till", 3.0)]
    # A callback posted on another provider's address is no sign of this one's health.
    assert conn.execute("SELECT last_callback_at, disabled_at FROM providers").fetchall() == [
        (42.5, None)
    ]
    conn.execute(
        "INSERT INTO tokens (token_hash, provider_id, role, name, created_at) "
        "VALUES ('h3', NULL, 'admin', 'Platform', 4)"
    )
    for provider, role in ((None, "owner"), (1, "admin")):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(
                "INSERT INTO tokens (token_hash, provider_id, role, name, created_at) "
                "VALUES (?, ?, ?, 'x', 4)",
                (f"x{role}", provider, role),
            )
    conn.close()
