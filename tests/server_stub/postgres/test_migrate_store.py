"""`bucket-relay migrate-store`: a SQLite relay copied into PostgreSQL, then served from there."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from server_stub.access.keys import AccessKeyring
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.operations import admin
from server_stub.operations.settings import RelaySettings, load_settings
from server_stub.payments.settlement import StkResult
from server_stub.security.atrest import load_secret_box
from server_stub.security.tokens import token_hash
from server_stub.store.records import RawCallback
from server_stub.store.sqlite_store import SqliteStore
from server_stub.testing import relay_environment, run_cli, start_relay
from tests.postgres_cluster import PgCluster
from tests.server_stub.helpers import PAYBILL_CREDENTIALS, initiate, unique_phone
from tests.server_stub.inprocess import new_plan, seed_pushes


async def _sqlite_relay(settings: RelaySettings) -> dict[str, object]:
    """A provider with tokens, credentials, a plan, pushes, callbacks and access rows."""
    created = await admin.create_provider(settings, "Moving Net")
    provider = int(created["provider_id"])
    await admin.set_credentials(settings, provider, json.dumps(PAYBILL_CREDENTIALS).encode())
    keys = AccessKeyring(load_secret_box(settings))
    store = SqliteStore(settings.database_path, time.time, access_keys=keys)
    try:
        await store.set_access_at_callback(provider, True)
        plan = await new_plan(store, provider)
        pushes = await seed_pushes(store, provider, 5, plan=plan)
        for number, push in enumerate(pushes[:3]):
            paid = StkResult(
                "0", "ok", push.checkout_request_id, "m", receipt=f"MOV{number:07d}", amount=10
            )
            raw = RawCallback(
                time.time(), str(provider), token_hash(push.token), "127.0.0.1", b"{}"
            )
            await store.ingest_callback(
                raw, provider_id=provider, result=paid, rejection=None, confirm_after_s=2.0
            )
        store_id = store.store_id
    finally:
        await store.close()
    return {**created, "store_id": store_id}


def _counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        names = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != 'schema_version'"
            )
        ]
        counts = {
            name: conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0] for name in names
        }
    conn.close()
    return counts


def test_a_sqlite_relay_moves_to_postgresql_and_serves_from_there(
    relay_pg: PgCluster, sim: RunningSimulator, tmp_path: Path
) -> None:
    key = Fernet.generate_key().decode()
    env = relay_environment(
        tmp_path / "relay",
        {"ENCRYPTION_KEY": key, "DARAJA_BASE_URL": sim.base_url, "RELAY_ACCESS_LOG": "0"},
    )
    settings = load_settings(env)
    created = asyncio.run(_sqlite_relay(settings))
    before = _counts(settings.database_path)
    assert before["payments"] == 5 and before["access"] == 3 and before["tokens"] == 2
    target = relay_pg.dsn(relay_pg.new_database())  # empty: no schema yet

    moved = run_cli(env, "migrate-store", "--to", target)
    assert moved.returncode == 0, moved.stderr.decode()
    assert json.loads(moved.stdout)["copied"] == before  # every table, every row
    assert target not in moved.stderr.decode() + moved.stdout.decode()

    again = run_cli(env, "migrate-store", "--to", target)
    assert again.returncode == 1
    assert "already holds relay data" in again.stderr.decode()
    assert target not in again.stderr.decode()

    served = start_relay({**env, "DATABASE_URL": target}, tmp_path / "pg-relay.log")
    try:
        owner = {"Authorization": f"Token {created['owner_token']}"}
        desk = {"Authorization": f"Token {created['attendant_token']}"}
        with httpx.Client(base_url=served.base_url, timeout=30) as client:
            health = client.get("/healthz").json()
            assert health["store_id"] == created["store_id"]  # desks need not reload
            feed = client.get("/payments/bucket/payments/", params={"after": 0}, headers=desk)
            statuses = sorted(item["status"] for item in feed.json()["items"])
            assert statuses == ["paid", "paid", "paid", "pending", "pending"]
            # The credentials were copied still encrypted, and open with the same key.
            client.headers.update(owner)
            pushed = initiate(client, unique_phone())
            assert pushed.status_code == 200, pushed.text
        # New rows get ids after the copied ones.
        assert served.cli("create-provider", "--name", "Second Net")["provider_id"] == 2
    finally:
        served.stop()
    assert "Traceback" not in served.log_text()
