"""The providers' health list: figures from real callbacks and queries, the Nairobi day and the
30-day window, what needs attention, and a fixed number of queries whatever the providers."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from server_stub.operations import admin
from server_stub.payments.settlement import StkResult
from server_stub.platform.health import DAY_S, Attention, HealthWindow, ProviderHealth
from server_stub.store.sqlite_platform import provider_health
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import (
    InProcessRelay,
    SeededPush,
    as_bytes,
    failed_callback,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.stores import store_sql


async def _callback(relay: InProcessRelay, body: dict[str, Any], push: SeededPush) -> None:
    answer = await relay.client.post(
        push.callback_path, content=as_bytes(body), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 200


async def _disagree(relay: InProcessRelay, push: SeededPush) -> None:
    record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    result = StkResult("1032", "query says cancelled", push.checkout_request_id)
    await relay.store.apply_query(record.id, result, next_query_at=None, now=time.time())


def _age(db: Path, checkout: str, days: float) -> None:
    store_sql(
        db,
        "UPDATE payments SET created_at = created_at - ? WHERE checkout_request_id = ?",
        (days * DAY_S, checkout),
    )


async def test_health_counts_sales_by_day_and_window(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        busy = await admin.create_provider(settings, "Busy Net")
        quiet = await admin.create_provider(settings, "Quiet Net")
        pid = busy["provider_id"]
        await admin.set_credentials(settings, pid, _credentials())
        access_on = {"Authorization": f"Token {busy['owner_token']}"}
        await relay.client.put(
            "/payments/bucket/access-settings/",
            json={"access_at_callback": True},
            headers=access_on,
        )
        pushes = await seed_pushes(relay.store, pid, 6, amount=50)
        for number, push in enumerate(pushes[:4]):
            await _callback(relay, paid_callback(push, f"RHL000000{number}"), push)
        await _callback(relay, failed_callback(pushes[4], 1032), pushes[4])
        await _disagree(relay, pushes[3])  # paid, then disputed by the query
        _age(settings.database_path, pushes[1].checkout_request_id, 10)  # in the 30 days
        _age(settings.database_path, pushes[2].checkout_request_id, 31)  # before them
        store_sql(  # a router refusing the code
            settings.database_path,
            "UPDATE access SET state = 'failed' WHERE payment_id = "
            "(SELECT id FROM payments WHERE checkout_request_id = ?)",
            (pushes[0].checkout_request_id,),
        )
        healths = await relay.store.platform.health(HealthWindow.at(time.time()))
    by_id = {health.id: health for health in healths}
    mine = by_id[pid]
    assert (mine.payments_today, mine.paid_today) == (4, 50)  # 0, 3, 4, 5 today; 0 paid
    assert (mine.payments_30d, mine.paid_30d) == (5, 100)  # and 1 (paid) ten days ago
    assert (mine.disputed, mine.not_online, mine.pushes_24h) == (1, 1, 4)
    assert mine.credentials_set and mine.environment == "sandbox" and not mine.verified
    assert mine.last_callback_at is not None
    assert mine.attention(time.time()) == [Attention.DISPUTED, Attention.NOT_VERIFIED]
    empty = by_id[quiet["provider_id"]]
    assert (empty.payments_30d, empty.credentials_set, empty.last_callback_at) == (0, False, None)


def test_pushes_with_no_callback_for_a_day_need_attention() -> None:
    now = time.time()
    base = ProviderHealth(1, "Net", now, True, "production", True, now, "ok", now, None)
    assert base.attention(now) == []
    silent = ProviderHealth(
        1, "Net", now, True, "production", True, now, "ok", now - 2 * DAY_S, None, pushes_24h=3
    )
    assert silent.attention(now) == [Attention.NO_CALLBACKS]
    never = ProviderHealth(
        1, "Net", now, True, "production", True, now, "ok", None, None, pushes_24h=1
    )
    assert never.attention(now) == [Attention.NO_CALLBACKS]
    idle = ProviderHealth(1, "Net", now, True, "production", True, now, "ok", None, None)
    assert idle.attention(now) == []  # no pushes, nothing to hear back about


def test_the_nairobi_day_starts_at_local_midnight() -> None:
    # 2026-11-30 21:30 UTC is 00:30 on 1 December in Nairobi (UTC+3).
    window = HealthWindow.at(1796160600.0)
    assert window.day_start == 1796158800.0  # 2026-11-30 21:00 UTC
    assert window.day_start - window.since_30d == 29 * DAY_S


async def test_the_health_list_takes_the_same_queries_for_3_or_60_providers(
    tmp_path: Path,
) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        for number in range(60):
            made = await admin.create_provider(settings, f"Net {number}")
            await seed_pushes(relay.store, made["provider_id"], 2)
            if number == 2:
                few = _statements(settings.database_path)
    many = _statements(settings.database_path)
    assert few == many == 4


def _statements(db: Path) -> int:
    seen: list[str] = []
    conn = sqlite3.connect(db)
    try:
        conn.set_trace_callback(seen.append)
        healths = provider_health(conn, HealthWindow.at(time.time()))
    finally:
        conn.close()
    assert healths and all(health.payments_today == 2 for health in healths)
    return len(seen)


def _credentials() -> bytes:
    return json.dumps(PAYBILL_CREDENTIALS).encode()
