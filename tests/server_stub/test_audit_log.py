"""The audit log: one entry per change (routes and CLI), who and from where, never a token or a
secret, append-only in the database itself, kept through a restart, filtered for admins."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from bucket_desktop.services.sealing import seal
from server_stub.operations import admin
from server_stub.store.records import Role
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import PLAN_BODY, InProcessRelay, relay_in_process, relay_settings
from tests.server_stub.stores import store_sql

SECRETS = [PAYBILL_CREDENTIALS[k] for k in ("consumer_key", "consumer_secret", "passkey")]


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


async def _ok(answer: Any) -> dict[str, Any]:
    response: httpx.Response = await answer
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def _owner_changes(relay: InProcessRelay, owner: str) -> None:
    """Every change an owner can make, once each."""
    client, headers = relay.client, _as(owner)
    key = await _ok(client.get("/payments/bucket/relay-key/"))
    sealed = seal(key["public_key"], json.dumps(PAYBILL_CREDENTIALS).encode())
    body = {"sealed": sealed, "key_fingerprint": key["fingerprint"]}
    await _ok(client.put("/payments/bucket/credentials/", json=body, headers=headers))
    await _ok(client.post("/payments/bucket/test-credentials/", json={}, headers=headers))
    desk = await _ok(client.post("/payments/bucket/desks/", json={"name": "Gate"}, headers=headers))
    path = f"/payments/bucket/desks/{desk['token_id']}/"
    await _ok(client.put(path, json={"name": "Gate 2"}, headers=headers))
    await _ok(client.delete(path, headers=headers))
    plan = await _ok(client.post("/payments/bucket/plans/", json=PLAN_BODY, headers=headers))
    plan_path = f"/payments/bucket/plans/{plan['id']}/"
    await _ok(client.put(plan_path, json={**PLAN_BODY, "price": 25}, headers=headers))
    await _ok(
        client.post(
            f"{plan_path}vouchers/",
            content=b"code\nAB12CD\nEF34GH\n",
            headers={**headers, "Content-Type": "text/csv"},
        )
    )
    await _ok(client.delete(plan_path, headers=headers))
    settings = {"access_at_callback": True}
    await _ok(client.put("/payments/bucket/access-settings/", json=settings, headers=headers))


async def test_every_owner_and_admin_change_leaves_one_entry(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings, address="198.51.100.7") as relay:
        made = await admin.create_provider(settings, "Audit Net")
        made_admin = await admin.create_admin(settings, "Platform")
        owner_id = (
            await _ok(relay.client.get("/payments/bucket/me/", headers=_as(made["owner_token"])))
        )["token_id"]
        await _owner_changes(relay, made["owner_token"])
        # A refused change leaves nothing.
        refused = await relay.client.post(
            "/payments/bucket/plans/",
            json={**PLAN_BODY, "price": 0},
            headers=_as(made["owner_token"]),
        )
        assert refused.status_code == 400
        boss = _as(made_admin["token"])
        pid = made["provider_id"]
        await _ok(
            relay.client.post(f"/payments/bucket/admin/providers/{pid}/disable/", headers=boss)
        )
        await _ok(
            relay.client.post(f"/payments/bucket/admin/providers/{pid}/enable/", headers=boss)
        )
        issued = await _ok(
            relay.client.post(
                f"/payments/bucket/admin/providers/{pid}/tokens/",
                json={"role": "attendant", "name": "Night desk"},
                headers=boss,
            )
        )
        await _ok(
            relay.client.delete(
                f"/payments/bucket/admin/tokens/{issued['token_id']}/", headers=boss
            )
        )
        created = await _ok(
            relay.client.post(
                "/payments/bucket/admin/providers/", json={"name": "New Net"}, headers=boss
            )
        )
        log = (
            await _ok(relay.client.get("/payments/bucket/admin/audit/?limit=500", headers=boss))
        )["items"]
    actions = [item["action"] for item in reversed(log)]
    assert actions == [
        "provider.created",  # by the CLI
        "admin.created",
        "credentials.saved",
        "credentials.tested",
        "token.issued",
        "token.renamed",
        "token.revoked",
        "plan.created",
        "plan.changed",
        "plan.vouchers_imported",
        "plan.removed",
        "access_settings.changed",
        "provider.disabled",
        "provider.enabled",
        "token.issued",
        "token.revoked",
        "provider.created",
    ]
    by_owner = [item for item in log if item["role"] == "owner"]
    assert len(by_owner) == 10
    assert {(i["actor"], i["token_id"], i["address"], i["provider_id"]) for i in by_owner} == {
        ("Owner", owner_id, "198.51.100.7", made["provider_id"])
    }
    by_admin = [item for item in log if item["role"] == "admin"]
    assert {(i["actor"], i["token_id"]) for i in by_admin} == {("Platform", made_admin["admin_id"])}
    assert by_admin[0]["provider_id"] == created["provider_id"]
    cli = [item for item in log if item["role"] == "cli"]
    assert [(i["actor"], i["address"]) for i in cli] == [("cli", "relay host")] * 2
    saved = next(item for item in log if item["action"] == "credentials.saved")
    assert saved["detail"] == "shortcode 174379, sandbox, paybill"
    text = json.dumps(log)
    for secret in [*SECRETS, made["owner_token"], made["attendant_token"], issued["token"]]:
        assert secret not in text


async def test_admins_filter_the_log_by_provider_and_action(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        first = await admin.create_provider(settings, "First")
        second = await admin.create_provider(settings, "Second")
        boss = _as((await admin.create_admin(settings, "Platform"))["token"])
        for made in (first, second):
            await _ok(
                relay.client.post(
                    "/payments/bucket/plans/", json=PLAN_BODY, headers=_as(made["owner_token"])
                )
            )
        url = "/payments/bucket/admin/audit/"
        mine = (
            await _ok(
                relay.client.get(url, params={"provider": first["provider_id"]}, headers=boss)
            )
        )["items"]
        assert [i["action"] for i in mine] == ["plan.created", "provider.created"]
        plans = (await _ok(relay.client.get(url, params={"action": "plan"}, headers=boss)))["items"]
        assert [i["provider_id"] for i in plans] == [second["provider_id"], first["provider_id"]]
        exact = await _ok(
            relay.client.get(
                url,
                params={"action": "plan.created", "provider": second["provider_id"]},
                headers=boss,
            )
        )
        assert len(exact["items"]) == 1
        newer = await _ok(relay.client.get(url, params={"after": plans[1]["id"]}, headers=boss))
        assert [i["id"] for i in newer["items"]] == [plans[0]["id"]]
        bad = await relay.client.get(url, params={"provider": "x"}, headers=boss)
        assert bad.status_code == 400


async def test_the_log_is_append_only_and_kept_through_a_restart(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    made = await admin.create_provider(settings, "Kept Net")
    await admin.issue_token(settings, made["provider_id"], Role.ATTENDANT)
    await admin.set_credentials(
        settings, made["provider_id"], json.dumps(PAYBILL_CREDENTIALS).encode()
    )
    await admin.set_push_limit(settings, made["provider_id"], 30)
    await admin.revoke_token(settings, made["attendant_token"])
    await admin.rotate_key(settings)
    for statement in ("UPDATE audit_log SET detail = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            store_sql(settings.database_path, statement)
    boss = (await admin.create_admin(settings, "Platform"))["token"]
    async with relay_in_process(settings) as relay:
        log = await _ok(relay.client.get("/payments/bucket/admin/audit/", headers=_as(boss)))
    assert [item["action"] for item in reversed(log["items"])] == [
        "provider.created",
        "token.issued",
        "credentials.saved",
        "provider.push_limit_changed",
        "token.revoked",
        "relay.keys_rotated",
        "admin.created",
    ]
    assert all(item["role"] == "cli" for item in log["items"])
    text = json.dumps(log)
    assert all(secret not in text for secret in [*SECRETS, made["attendant_token"], boss])
