"""The snapshot: a new desk's whole history in one streamed answer, then the feed from its end."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from server_stub.api.schemas import PaymentItem
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay
from tests.server_stub.helpers import client_for, initiate, new_provider, unique_phone

# On each database the relay supports.

SNAPSHOT = "/payments/bucket/payments/snapshot/"


def _read(answer: httpx.Response) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The items of every array line, and the closing object (which must be the last line)."""
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in answer.text.splitlines()]
    *chunks, end = lines
    assert all(isinstance(chunk, list) for chunk in chunks) and isinstance(end, dict)
    return [item for chunk in chunks for item in chunk], end


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
        # Every payment here ends with its callback: a paid one's confirming query would move
        # it past the head a snapshot has read, to be brought by the feed instead.
        other_phone = unique_phone()
        sim.set_phone_scenario(other_phone, "cancelled")
        assert initiate(other.attendant, other_phone).status_code == 200
        deadline = time.monotonic() + 20
        while any(
            {item["status"] for item in _whole_feed(client)} != {"cancelled"}
            for client in (provider.owner, other.owner)
        ):
            assert time.monotonic() < deadline, "the simulator's callbacks did not arrive"
            time.sleep(0.1)

        answer = provider.attendant.get(SNAPSHOT)  # httpx asks for gzip and unpacks it
        assert answer.headers["content-encoding"] == "gzip"
        items, end = _read(answer)
        for item in items:
            PaymentItem.model_validate(item)
        feed = _whole_feed(provider.attendant)
        assert sorted(items, key=lambda item: item["seq"]) == feed
        assert {item["phone_number"] for item in items} == set(phones)
        assert end["cursor"] == end["head"] == feed[-1]["seq"]
        assert set(end) == {"cursor", "store_id", "head", "plans_version"}
        after = provider.attendant.get(
            "/payments/bucket/payments/", params={"after": end["cursor"]}
        ).json()
        assert after["items"] == [] and after["store_id"] == end["store_id"]

        plain = provider.owner.get(SNAPSHOT, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert _read(plain) == (items, end)
        assert len(_read(other.owner.get(SNAPSHOT))[0]) == 1  # its own payment only
    finally:
        provider.close()
        other.close()


def test_the_snapshot_refuses_strangers_and_parameters(relay: RunningRelay) -> None:
    provider = new_provider(relay, "Quiet Net")
    try:
        items, end = _read(provider.owner.get(SNAPSHOT))
        assert (items, end["cursor"], end["head"]) == ([], 0, 0)
        refused = provider.owner.get(SNAPSHOT, params={"after": "5"})
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "after"
        with client_for(relay, None) as anonymous:
            assert anonymous.get(SNAPSHOT).status_code == 401
        with client_for(relay, "not-a-token") as stranger:
            assert stranger.get(SNAPSHOT).status_code == 401
    finally:
        provider.close()
