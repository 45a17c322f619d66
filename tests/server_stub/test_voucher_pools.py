"""Voucher pools: importing a CSV into a plan, and each confirmed payment taking one voucher.

In-process relay on a real SQLite file; callbacks over HTTP, query answers through the store.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from server_stub.payments.settlement import StkResult
from tests.server_stub.inprocess import (
    PLAN_BODY,
    InProcessRelay,
    SeededPush,
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)
from tests.server_stub.stores import store_sql

CSV = {"Content-Type": "text/csv"}


def _owner(made: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Token {made['owner_token']}"}


async def _plan(relay: InProcessRelay, made: dict[str, Any]) -> int:
    answer = await relay.client.post(
        "/payments/bucket/plans/", json=PLAN_BODY, headers=_owner(made)
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


async def _upload(
    relay: InProcessRelay, made: dict[str, Any], plan_id: int, body: bytes, **headers: str
) -> Any:
    return await relay.client.post(
        f"/payments/bucket/plans/{plan_id}/vouchers/",
        content=body,
        headers={**_owner(made), **CSV, **headers},
    )


async def _confirm(relay: InProcessRelay, push: SeededPush, receipt: str) -> Any:
    """Paid callback, then the agreeing query; returns the payment's access."""
    answer = await relay.client.post(
        push.callback_path,
        content=as_bytes(paid_callback(push, receipt)),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None
    done = StkResult("0", "ok", push.checkout_request_id)
    await relay.store.apply_query(record.id, done, next_query_at=None, now=time.time())
    record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
    assert record is not None and record.access is not None
    return record.access


def _vouchers(db: Path) -> list[tuple[str, int | None]]:
    return store_sql(db, "SELECT code, access_id FROM vouchers ORDER BY id")


async def test_an_import_reports_added_duplicates_refused_and_remaining(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        plan_id = await _plan(relay, made)
        first = await _upload(relay, made, plan_id, b"Code\nVC001\nVC002\n=CMD()\nVC001\n")
        assert first.status_code == 200, first.text
        assert first.json() == {
            "success": True,
            "source": "csv",
            "added": 2,
            "duplicates": 1,
            "refused": [{"line": 4, "reason": first.json()["refused"][0]["reason"]}],
            "remaining": 2,
        }
        again = await _upload(relay, made, plan_id, b"Code\nVC002\nVC003\n")
        assert (again.json()["added"], again.json()["duplicates"]) == (1, 1)
        plans = await relay.client.get("/payments/bucket/plans/", headers=_owner(made))
        [listed] = plans.json()["items"]
        assert (listed["vouchers_remaining"], listed["vouchers_low"]) == (3, True)
    assert [code for code, _ in _vouchers(settings.database_path)] == ["VC001", "VC002", "VC003"]


async def test_a_bad_file_adds_nothing(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        plan_id = await _plan(relay, made)
        cases = [
            (b"", 400, "invalid_csv"),
            ("code\nCAF\u00c9\n".encode("latin-1"), 400, "invalid_csv"),
            (b"phone,amount\n0712,10\n", 400, "invalid_csv"),
            (b"code\n" + b"V" * 20 + b"\n" * (1024 * 1024), 413, "body_too_large"),
        ]
        for body, status, code in cases:
            answer = await _upload(relay, made, plan_id, body)
            assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
        wrong_type = await _upload(
            relay, made, plan_id, b"code\nA1\n", **{"Content-Type": "application/json"}
        )
        assert wrong_type.status_code == 415
        attendant = await relay.client.post(
            f"/payments/bucket/plans/{plan_id}/vouchers/",
            content=b"code\nA1\n",
            headers={"Authorization": f"Token {made['attendant_token']}", **CSV},
        )
        assert attendant.status_code == 403
        missing = await _upload(relay, made, plan_id + 99, b"code\nA1\n")
        assert missing.status_code == 404
    assert _vouchers(settings.database_path) == []


async def test_each_confirmed_payment_takes_one_voucher_then_codes_take_over(
    tmp_path: Path,
) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        plan_id = await _plan(relay, made)
        await _upload(relay, made, plan_id, b"Username,Password\nMK01,MK01\nMK02,MK02\n")
        plan = await relay.store.plans.get(made["provider_id"], plan_id)
        pushes = await seed_pushes(relay.store, made["provider_id"], 3, plan=plan)
        given = [await _confirm(relay, push, f"RVP000000{n}") for n, push in enumerate(pushes)]
        # A duplicate callback and a repeated query change nothing.
        again = await _confirm(relay, pushes[0], "RVP0000000")
    assert [(a.code, a.voucher) for a in given[:2]] == [("MK01", True), ("MK02", True)]
    assert given[0].expires_at is None  # a voucher starts at its first login
    assert (given[2].voucher, len(given[2].code), given[2].expires_at is not None) == (
        False,
        8,
        True,
    )
    assert again == given[0]
    taken = _vouchers(settings.database_path)
    assert [access for _, access in taken] == [given[0].id, given[1].id]


async def test_a_disputed_voucher_is_revoked_and_never_returned_to_the_pool(
    tmp_path: Path,
) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings)
        plan_id = await _plan(relay, made)
        await _upload(relay, made, plan_id, b"Username\nMK01\nMK02\n")
        plan = await relay.store.plans.get(made["provider_id"], plan_id)
        [push, later] = await seed_pushes(relay.store, made["provider_id"], 2, plan=plan)
        given = await _confirm(relay, push, "RVD0000001")
        record = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
        assert record is not None
        # A second, different callback for the same push: two sources disagree.
        answer = await relay.client.post(
            push.callback_path,
            content=as_bytes(paid_callback(push, "RVD0000009")),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 200
        disputed = await relay.store.get_payment(push.provider_id, push.checkout_request_id)
        assert disputed is not None and disputed.status.value == "disputed"
        assert disputed.access is not None
        assert (disputed.access.code, disputed.access.state.value) == (given.code, "revoked")
        next_one = await _confirm(relay, later, "RVD0000002")
        plans = await relay.client.get("/payments/bucket/plans/", headers=_owner(made))
    assert (given.code, next_one.code) == ("MK01", "MK02")
    assert plans.json()["items"][0]["vouchers_remaining"] == 0
