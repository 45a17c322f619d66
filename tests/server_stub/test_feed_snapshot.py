"""The snapshot: a new desk's whole history in one answer, then the cursor feed from its end."""

from __future__ import annotations

import time
from typing import Any

from server_stub.api.schemas import PaymentsPage
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.server_stub.helpers import client_for, initiate, new_provider, unique_phone

SNAPSHOT = "/payments/bucket/payments/snapshot/"


def _whole_feed(client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = client.get("/payments/bucket/payments/", params={"after": cursor}).json()
        items.extend(page["items"])
        if not page["items"]:
            return items
        cursor = page["cursor"]


def test_the_snapshot_is_the_whole_feed_and_its_cursor_is_the_head(
    relay: RunningRelay, sim: RunningSimulator
) -> None:
    provider = new_provider(relay, "Snapshot Net")
    other = new_provider(relay, "Other Net")
    try:
        phones = [unique_phone() for _ in range(5)]
        for phone in phones:
            sim.set_phone_scenario(phone, "cancelled")
            assert initiate(provider.attendant, phone).status_code == 200
        assert initiate(other.attendant, unique_phone()).status_code == 200
        deadline = time.monotonic() + 20
        while {item["status"] for item in _whole_feed(provider.owner)} != {"cancelled"}:
            assert time.monotonic() < deadline, "the simulator's callbacks did not arrive"
            time.sleep(0.1)

        answer = provider.attendant.get(SNAPSHOT)  # httpx asks for gzip and unpacks it
        assert answer.status_code == 200
        assert answer.headers["content-encoding"] == "gzip"
        snapshot = answer.json()
        PaymentsPage.model_validate(snapshot)
        feed = _whole_feed(provider.attendant)
        assert snapshot["items"] == feed
        assert {item["phone_number"] for item in snapshot["items"]} == set(phones)
        assert snapshot["cursor"] == snapshot["head"] == feed[-1]["seq"]
        after = provider.attendant.get(
            "/payments/bucket/payments/", params={"after": snapshot["cursor"]}
        ).json()
        assert after["items"] == [] and after["store_id"] == snapshot["store_id"]

        plain = provider.owner.get(SNAPSHOT, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.json() == snapshot
        assert len(other.owner.get(SNAPSHOT).json()["items"]) == 1  # its own payment only
    finally:
        provider.close()
        other.close()


def test_the_snapshot_refuses_strangers_and_parameters(relay: RunningRelay) -> None:
    provider = new_provider(relay, "Quiet Net")
    try:
        empty = provider.owner.get(SNAPSHOT).json()
        assert (empty["items"], empty["cursor"], empty["head"]) == ([], 0, 0)
        refused = provider.owner.get(SNAPSHOT, params={"after": "5"})
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "after"
        with client_for(relay, None) as anonymous:
            assert anonymous.get(SNAPSHOT).status_code == 401
        with client_for(relay, "not-a-token") as stranger:
            assert stranger.get(SNAPSHOT).status_code == 401
    finally:
        provider.close()
