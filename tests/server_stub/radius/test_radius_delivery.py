"""RADIUS delivery end to end: the relay writes FreeRADIUS's rows, a real FreeRADIUS answers.

The relay runs in-process on a real SQLite file with its RADIUS worker on; callbacks arrive over
HTTP and the confirming query goes through `apply_query`, as the reconciler sends it. FreeRADIUS
3.2.1 from Debian runs on loopback with its sql module on the same RADIUS database, and
radclient asks it exactly as a MikroTik hotspot does (PAP, NAS-Identifier = router identity).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

from server_stub.payments.settlement import StkResult
from server_stub.store.records import PlanRecord
from tests.server_stub.inprocess import (
    InProcessRelay,
    SeededPush,
    as_bytes,
    new_plan,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.radius.freeradius import RunningFreeradius, new_radius_database

DEADLINE_S = 30.0


async def _plan(relay: InProcessRelay, provider_id: int, speed: str | None = "2M/5M") -> PlanRecord:
    return await new_plan(
        relay.store, provider_id, speed=speed, router_profile="1h", account_reference="HOTSPOT1"
    )


async def _owner_setup(relay: InProcessRelay, **switches: bool) -> dict[str, Any]:
    made = await new_provider(relay.settings)
    answer = await relay.client.put(
        "/payments/bucket/access-settings/",
        json=switches,
        headers={"Authorization": f"Token {made['owner_token']}"},
    )
    assert answer.status_code == 200, answer.text
    return {**made, "settings": answer.json()}


async def _pay(relay: InProcessRelay, push: SeededPush, receipt: str, *, confirm: bool) -> None:
    answer = await relay.client.post(
        push.callback_path,
        content=as_bytes(paid_callback(push, receipt)),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    if confirm:
        await _query(relay, push, "0")


async def _query(relay: InProcessRelay, push: SeededPush, code: str) -> None:
    record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    result = StkResult(code, "query says", push.checkout_request_id)
    await relay.store.apply_query(record.id, result, next_query_at=None, now=time.time())


async def _access(relay: InProcessRelay, token: str, push: SeededPush) -> dict[str, Any]:
    answer = await relay.client.get(
        "/payments/bucket/payments/?after=0", headers={"Authorization": f"Token {token}"}
    )
    [item] = [
        i for i in answer.json()["items"] if i["checkout_request_id"] == push.checkout_request_id
    ]
    access: dict[str, Any] = item["access"]
    return access


async def _until(
    relay: InProcessRelay, token: str, push: SeededPush, want: list[str]
) -> dict[str, Any]:
    """Wait until the access's deliveries read `want` (`action:state` each)."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        access = await _access(relay, token, push)
        seen = [f"{d['action']}:{d['state']}" for d in access["deliveries"]]
        if seen == want:
            return access
        assert time.monotonic() < deadline, f"deliveries stayed {seen}, wanted {want}"
        await asyncio.sleep(0.05)


def _rows(radius_db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(radius_db) as conn:
        return {
            "radcheck": conn.execute(
                "SELECT username, attribute, op, value FROM radcheck ORDER BY id"
            ).fetchall(),
            "radreply": conn.execute(
                "SELECT username, attribute, op, value FROM radreply ORDER BY id"
            ).fetchall(),
            "radusergroup": conn.execute("SELECT username, groupname FROM radusergroup").fetchall(),
        }


async def test_a_confirmed_code_logs_in_with_the_plans_time_and_speed(
    tmp_path: Path, radius_db: Path, freeradius: RunningFreeradius
) -> None:
    settings = relay_settings(tmp_path, radius_database_path=radius_db)
    async with relay_in_process(settings) as relay:
        made = await _owner_setup(relay, radius_enabled=True)
        provider = made["provider_id"]
        assert made["settings"]["radius_enabled"] and made["settings"]["radius_available"]
        assert made["settings"]["radius_nas_identifier"] == f"pb-{provider}"
        assert made["settings"]["radius_problem"] is None
        plan = await _plan(relay, provider)
        [push] = await seed_pushes(relay.store, provider, 1, plan=plan)
        await _pay(relay, push, "RAD0000001", confirm=False)
        assert _rows(radius_db)["radcheck"] == []  # nothing before the query confirms it
        await _query(relay, push, "0")
        access = await _until(
            relay, made["attendant_token"], push, ["add:delivered", "remove:pending"]
        )
        assert access["state"] == "delivered"
    code = access["code"]
    nas = f"pb-{provider}"
    accepted = freeradius.login(code, code, nas)
    assert accepted.accepted, freeradius.log_text()
    # The plan's hour, cut by FreeRADIUS to what is left before Expiration.
    assert 3500 < int(accepted.attributes["Session-Timeout"]) <= 3600
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "2M/5M"
    assert not freeradius.login(code, "WRONG123", nas).accepted
    assert not freeradius.login(code, code, "pb-999").accepted  # another provider's hotspot
    rows = _rows(radius_db)
    assert {attribute for _, attribute, _, _ in rows["radcheck"]} == {
        "Cleartext-Password",
        "Expiration",
        "Simultaneous-Use",
        "NAS-Identifier",
    }
    assert rows["radusergroup"] == [(code, f"pb_{provider}_{plan.id}")]


async def test_a_second_simultaneous_session_is_rejected_until_the_first_stops(
    tmp_path: Path, radius_db: Path, freeradius: RunningFreeradius
) -> None:
    settings = relay_settings(tmp_path, radius_database_path=radius_db)
    async with relay_in_process(settings) as relay:
        made = await _owner_setup(relay, radius_enabled=True)
        plan = await _plan(relay, made["provider_id"])
        [push] = await seed_pushes(relay.store, made["provider_id"], 1, plan=plan)
        await _pay(relay, push, "RAD0000002", confirm=True)
        access = await _until(relay, made["owner_token"], push, ["add:delivered", "remove:pending"])
    code, nas = access["code"], f"pb-{made['provider_id']}"
    assert freeradius.login(code, code, nas).accepted
    assert freeradius.accounting("Start", code, "session-1", nas).kind == "Accounting-Response"
    second = freeradius.login(code, code, nas)
    assert not second.accepted
    assert "already logged in" in second.attributes.get("Reply-Message", "")
    assert freeradius.accounting("Stop", code, "session-1", nas).kind == "Accounting-Response"
    assert freeradius.login(code, code, nas).accepted


async def test_a_dispute_after_delivery_deletes_the_rows_and_the_code_is_rejected(
    tmp_path: Path, radius_db: Path, freeradius: RunningFreeradius
) -> None:
    settings = relay_settings(tmp_path, radius_database_path=radius_db)
    async with relay_in_process(settings) as relay:
        made = await _owner_setup(relay, radius_enabled=True, access_at_callback=True)
        plan = await _plan(relay, made["provider_id"])
        [push] = await seed_pushes(relay.store, made["provider_id"], 1, plan=plan)
        await _pay(relay, push, "RAD0000003", confirm=False)  # access at the callback
        access = await _until(relay, made["owner_token"], push, ["add:delivered", "remove:pending"])
        code, nas = access["code"], f"pb-{made['provider_id']}"
        assert freeradius.login(code, code, nas).accepted
        await _query(relay, push, "1032")  # the query disagrees: disputed
        access = await _until(
            relay, made["owner_token"], push, ["add:delivered", "remove:delivered"]
        )
        assert access["state"] == "revoked"
    assert _rows(radius_db) == {"radcheck": [], "radreply": [], "radusergroup": []}
    assert not freeradius.login(code, code, nas).accepted


async def test_an_expired_code_is_rejected(
    tmp_path: Path, radius_db: Path, freeradius: RunningFreeradius
) -> None:
    settings = relay_settings(tmp_path, radius_database_path=radius_db)
    async with relay_in_process(settings) as relay:
        made = await _owner_setup(relay, radius_enabled=True)
        plan = await _plan(relay, made["provider_id"])
        [push] = await seed_pushes(relay.store, made["provider_id"], 1, plan=plan)
        await _pay(relay, push, "RAD0000004", confirm=True)
        access = await _until(relay, made["owner_token"], push, ["add:delivered", "remove:pending"])
    code, nas = access["code"], f"pb-{made['provider_id']}"
    assert freeradius.login(code, code, nas).accepted
    # The hour has passed (the row as the relay wrote it, one hour and a minute earlier).
    with sqlite3.connect(radius_db) as conn:
        conn.execute(
            "UPDATE radcheck SET value = CAST(value AS INTEGER) - 3660 "
            "WHERE username = ? AND attribute = 'Expiration'",
            (code,),
        )
    rejected = freeradius.login(code, code, nas)
    assert not rejected.accepted
    assert "expired" in freeradius.log_text().lower()


async def test_radius_can_be_switched_on_only_where_the_relay_has_a_database(
    tmp_path: Path,
) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        owner = {"Authorization": f"Token {made['owner_token']}"}
        refused = await relay.client.put(
            "/payments/bucket/access-settings/", json={"radius_enabled": True}, headers=owner
        )
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "radius_unavailable"
        assert "RADIUS_DATABASE_URL" in refused.json()["error"]["message"]
        got = await relay.client.get("/payments/bucket/access-settings/", headers=owner)
        assert (got.json()["radius_enabled"], got.json()["radius_available"]) == (False, False)
        attendant = {"Authorization": f"Token {made['attendant_token']}"}
        denied = await relay.client.put(
            "/payments/bucket/access-settings/", json={"radius_enabled": False}, headers=attendant
        )
        assert denied.status_code == 403


async def test_retry_now_delivers_once_the_database_is_there(tmp_path: Path) -> None:
    radius_db = tmp_path / "later" / "radius.db"
    settings = relay_settings(tmp_path, radius_database_path=radius_db)
    async with relay_in_process(settings) as relay:
        made = await _owner_setup(relay, radius_enabled=True)
        plan = await _plan(relay, made["provider_id"])
        [push] = await seed_pushes(relay.store, made["provider_id"], 1, plan=plan)
        await _pay(relay, push, "RAD0000005", confirm=True)
        owner = {"Authorization": f"Token {made['owner_token']}"}
        got = await relay.client.get("/payments/bucket/access-settings/", headers=owner)
        assert "cannot be opened" in got.json()["radius_problem"]
        access = await _until(relay, made["owner_token"], push, ["add:failed", "remove:pending"])
        delivery = access["deliveries"][0]
        assert "cannot be opened" in delivery["last_error"] and delivery["attempts"] == 0
        radius_db.parent.mkdir()
        new_radius_database(radius_db)
        attendant = {"Authorization": f"Token {made['attendant_token']}"}
        retried = await relay.client.post(
            f"/payments/bucket/access/{access['code']}/retry/", headers=attendant
        )
        assert retried.json() == {"success": True, "retrying": 1}
        access = await _until(relay, made["owner_token"], push, ["add:delivered", "remove:pending"])
        assert access["state"] == "delivered"
        again = await relay.client.post(
            f"/payments/bucket/access/{access['code']}/retry/", headers=attendant
        )
        assert (again.status_code, again.json()["error"]["code"]) == (409, "nothing_to_retry")
        unknown = await relay.client.post(
            "/payments/bucket/access/NOSUCH23/retry/", headers=attendant
        )
        assert unknown.status_code == 404
