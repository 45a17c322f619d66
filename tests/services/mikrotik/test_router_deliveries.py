"""MikroTik delivery end to end: a relay in-process on a real SQLite file, the desk's delivery
round over HTTP, the real librouteros, and the RouterOS API test server with faults injected.

Every confirmed payment ends delivered exactly once (one hotspot user, tagged with its access),
or visibly failed with a reason and a retry.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bucket_desktop.i18n import ENGLISH, SWAHILI, set_language
from bucket_desktop.services.mikrotik.deliveries import RouterDeliveries
from bucket_desktop.services.mikrotik.router_settings import RouterSettings
from bucket_desktop.services.relay_client import RelayClient
from server_stub.payments.settlement import StkResult
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
from tests.services.mikrotik.routeros_server import RouterOsServer, RouterState, routeros_server


@dataclass
class Shop:
    """A provider with MikroTik on, bound to the test router, and a desk beside it."""

    relay: InProcessRelay
    router: RouterOsServer
    made: dict[str, Any]
    desk: RouterDeliveries
    http: httpx.AsyncClient

    @property
    def settings(self) -> RouterSettings:
        return RouterSettings.checked(f"127.0.0.1:{self.router.port}", "pb-api", "router-secret")

    async def sale(self, number: int = 0, *, at_callback: bool = False) -> SeededPush:
        plan = await new_plan(
            self.relay.store,
            self.made["provider_id"],
            name=f"1 hour {number}",
            data_cap_mb=500,
            speed="2M/5M",
            router_profile="1h",
            account_reference="HOTSPOT1",
        )
        [push] = await seed_pushes(
            self.relay.store, self.made["provider_id"], 1, plan=plan, tag=f"ws_{number}"
        )
        if at_callback:  # the owner gives access at the callback; the query comes later
            answer = await self.relay.client.post(
                push.callback_path,
                content=as_bytes(paid_callback(push, f"RMT000000{number}")),
                headers={"Content-Type": "application/json"},
            )
            assert answer.status_code == 200
            return push
        record = await self.relay.store.get_payment(push.provider_id, push.checkout_request_id)
        assert record is not None
        ok = StkResult("0", "ok", push.checkout_request_id)
        await self.relay.store.apply_query(record.id, ok, next_query_at=None, now=time.time())
        return push

    async def access(self, push: SeededPush) -> dict[str, Any]:
        answer = await self.relay.client.get(
            "/payments/bucket/payments/?after=0",
            headers={"Authorization": f"Token {self.made['owner_token']}"},
        )
        items = answer.json()["items"]
        [item] = [i for i in items if i["checkout_request_id"] == push.checkout_request_id]
        access: dict[str, Any] = item["access"]
        return access

    def access_id(self, push: SeededPush) -> int:
        with sqlite3.connect(self.relay.settings.database_path) as conn:
            row = conn.execute(
                "SELECT a.id FROM access a JOIN payments p ON p.id = a.payment_id "
                "WHERE p.checkout_request_id = ?",
                (push.checkout_request_id,),
            ).fetchone()
        return int(row[0])

    def deliveries(self, access: dict[str, Any]) -> list[str]:
        return [
            f"{d['action']}:{d['state']}:{d['attempts']}"
            for d in access["deliveries"]
            if d["mechanism"] == "mikrotik"
        ]

    def time_passes(self, action: str = "add") -> None:
        """The retry (or the expiry) comes due: the relay runs on the real clock."""
        with sqlite3.connect(self.relay.settings.database_path) as conn:
            conn.execute("UPDATE deliveries SET next_try_at = 0 WHERE action = ?", (action,))


@pytest.fixture
async def shop(tmp_path: Any) -> AsyncIterator[Shop]:
    settings = relay_settings(tmp_path)
    async with (
        relay_in_process(settings) as relay,
        routeros_server(RouterState(identity="shop-router")) as router,
    ):
        made = await new_provider(settings)
        owner = {"Authorization": f"Token {made['owner_token']}"}
        bound = await relay.client.put(
            "/payments/bucket/access-settings/",
            json={"mikrotik_enabled": True, "router_identity": "shop-router"},
            headers=owner,
        )
        assert bound.json()["mikrotik_enabled"] and bound.json()["router_identity"] == "shop-router"
        async with relay.client_from("127.0.0.1") as http:
            client = RelayClient(http, "http://relay.test", made["attendant_token"])
            yield Shop(relay, router, made, RouterDeliveries(client), http)


def _users(shop: Shop) -> list[dict[str, str]]:
    return list(shop.router.state.users.values())


async def test_a_confirmed_payment_becomes_one_tagged_hotspot_user(shop: Shop) -> None:
    push = await shop.sale()
    access = await shop.access(push)
    assert access["state"] == "issued"
    assert shop.deliveries(access) == ["add:pending:0", "remove:pending:0"]  # remove at expiry
    result = await shop.desk.run_once(shop.settings)
    assert (result.delivered, result.failed, result.problem) == (1, 0, None)
    [user] = _users(shop)
    code = access["code"]
    assert user == {
        "name": code,
        "password": code,
        "profile": "1h",
        "comment": f"pb:{shop.access_id(push)}",
        "limit-uptime": "01:00:00",
        "limit-bytes-total": "500000000",
    }
    access = await shop.access(push)
    assert (access["state"], shop.deliveries(access)) == (
        "delivered",
        ["add:delivered:1", "remove:pending:0"],
    )
    again = await shop.desk.run_once(shop.settings)
    assert (again.delivered, len(_users(shop))) == (0, 1)


async def test_a_crash_between_the_routers_add_and_the_report_is_finished_once(
    shop: Shop,
) -> None:
    push = await shop.sale()
    shop.router.state.drop_after_add = True  # the add is applied, the answer never arrives
    first = await shop.desk.run_once(shop.settings)
    assert first.delivered == 0 and first.problem is not None
    access = await shop.access(push)
    assert (access["state"], shop.deliveries(access)[0]) == ("failed", "add:failed:0")
    assert len(_users(shop)) == 1
    shop.time_passes()
    second = await shop.desk.run_once(shop.settings)
    assert second.delivered == 1
    # "already have user" was verified by the tag, then the user was brought up to date.
    assert "/ip/hotspot/user/set" in shop.router.state.commands
    [user] = _users(shop)
    assert user["comment"] == f"pb:{shop.access_id(push)}"
    access = await shop.access(push)
    assert (access["state"], shop.deliveries(access)[0]) == ("delivered", "add:delivered:1")


async def test_a_user_of_the_same_name_not_made_for_the_payment_is_left_alone(
    shop: Shop,
) -> None:
    push = await shop.sale()
    code = (await shop.access(push))["code"]
    shop.router.state.users["*99"] = {"name": code, "password": "x", "comment": "vc-mikhmon"}
    result = await shop.desk.run_once(shop.settings)
    assert (result.delivered, result.failed) == (0, 1)
    access = await shop.access(push)
    [add] = [d for d in access["deliveries"] if d["action"] == "add"]
    assert (access["state"], add["state"], add["attempts"]) == ("failed", "failed", 1)
    assert "did not make for this payment" in add["last_error"]
    assert shop.router.state.users["*99"]["comment"] == "vc-mikhmon"


async def test_a_missing_router_profile_fails_with_the_reason(shop: Shop) -> None:
    shop.router.state.profiles.discard("1h")
    push = await shop.sale()
    result = await shop.desk.run_once(shop.settings)
    assert result.failed == 1 and "no hotspot user profile '1h'" in result.reasons[0]
    access = await shop.access(push)
    [add] = [d for d in access["deliveries"] if d["action"] == "add"]
    assert "no hotspot user profile '1h'" in add["last_error"]
    assert _users(shop) == []


async def test_a_desk_in_kiswahili_tells_the_relay_in_english(shop: Shop) -> None:
    shop.router.state.profiles.discard("1h")
    push = await shop.sale()
    set_language(SWAHILI)
    try:
        result = await shop.desk.run_once(shop.settings)
    finally:
        set_language(ENGLISH)
    # The owner reads the reason in Kiswahili; the relay's delivery log keeps English.
    assert result.failed == 1 and "no hotspot user profile" not in result.reasons[0]
    assert "'1h'" in result.reasons[0]
    [add] = [d for d in (await shop.access(push))["deliveries"] if d["action"] == "add"]
    assert "no hotspot user profile '1h'" in add["last_error"]


async def test_an_unreachable_router_claims_nothing(shop: Shop) -> None:
    push = await shop.sale()
    shop.router.state.silent = True
    settings = shop.settings
    desk = shop.desk
    result = await desk.run_once(settings)
    assert result.problem is not None and "did not answer" in result.problem
    access = await shop.access(push)
    assert shop.deliveries(access)[0] == "add:pending:0"


async def test_a_desk_at_another_router_never_claims(shop: Shop) -> None:
    push = await shop.sale()
    shop.router.state.identity = "home-router"
    result = await shop.desk.run_once(shop.settings)
    assert result.problem is not None and "shop-router" in result.problem
    assert shop.deliveries(await shop.access(push))[0] == "add:pending:0"


async def test_two_desks_never_hold_the_same_delivery(shop: Shop) -> None:
    await shop.sale()
    headers = {"Authorization": f"Token {shop.made['owner_token']}"}
    body = {"mechanism": "mikrotik", "router_identity": "shop-router", "limit": 10}
    first = await shop.relay.client.post(
        "/payments/bucket/deliveries/claim/", json=body, headers=headers
    )
    second = await shop.relay.client.post(
        "/payments/bucket/deliveries/claim/", json=body, headers=headers
    )
    assert len(first.json()["items"]) == 1 and second.json()["items"] == []


async def test_a_dispute_removes_the_user_and_ends_the_session(shop: Shop) -> None:
    owner = {"Authorization": f"Token {shop.made['owner_token']}"}
    await shop.relay.client.put(
        "/payments/bucket/access-settings/", json={"access_at_callback": True}, headers=owner
    )
    push = await shop.sale(at_callback=True)
    assert (await shop.desk.run_once(shop.settings)).delivered == 1
    code = (await shop.access(push))["code"]
    shop.router.state.active["*A"] = {"user": code, "address": "10.5.50.7"}
    record = await shop.relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    # The confirming query disagrees with the callback: disputed, access revoked.
    await shop.relay.store.apply_query(
        record.id, StkResult("1032", "cancelled", "x"), next_query_at=None, now=time.time()
    )
    access = await shop.access(push)
    assert (access["state"], shop.deliveries(access)) == (
        "revoked",
        ["add:delivered:1", "remove:pending:0"],
    )
    assert (await shop.desk.run_once(shop.settings)).delivered == 1  # due at once, not at expiry
    assert _users(shop) == [] and shop.router.state.active == {}


async def test_an_expired_access_is_removed_from_the_router(shop: Shop) -> None:
    push = await shop.sale()
    await shop.desk.run_once(shop.settings)
    code = (await shop.access(push))["code"]
    shop.router.state.active["*A"] = {"user": code, "address": "10.5.50.7"}
    shop.time_passes("remove")  # the plan's hour is over
    result = await shop.desk.run_once(shop.settings)
    assert result.delivered == 1
    assert _users(shop) == [] and shop.router.state.active == {}
    access = await shop.access(push)
    assert shop.deliveries(access) == ["add:delivered:1", "remove:delivered:1"]


async def test_switching_off_stops_new_users_but_still_ends_the_old_ones(shop: Shop) -> None:
    first = await shop.sale(1)
    assert (await shop.desk.run_once(shop.settings)).delivered == 1
    owner = {"Authorization": f"Token {shop.made['owner_token']}"}
    off = await shop.relay.client.put(
        "/payments/bucket/access-settings/", json={"mikrotik_enabled": False}, headers=owner
    )
    assert off.json()["mikrotik_enabled"] is False
    second = await shop.sale(2)
    assert (await shop.access(second))["state"] == "delivered"  # its code alone
    assert shop.deliveries(await shop.access(second)) == []
    shop.time_passes("remove")  # the first plan's hour is over
    assert (await shop.desk.run_once(shop.settings)).delivered == 1
    assert _users(shop) == []
    assert shop.deliveries(await shop.access(first)) == ["add:delivered:1", "remove:delivered:1"]
