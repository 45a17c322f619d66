"""Retries on the published schedule, 410 and three days of failure disabling an endpoint,
redirects not followed, timeouts, leases that run out, against a real loopback receiver."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from server_stub.security.atrest import SecretBox
from server_stub.webhooks import sender
from server_stub.webhooks.dispatcher import KEEP_S
from server_stub.webhooks.records import AttemptResult
from server_stub.webhooks.schedule import DISABLE_AFTER_S, RETRY_GAPS_S, next_try_at
from tests.server_stub.inprocess import keyring_for_tests
from tests.server_stub.stores import StoreMaker
from tests.server_stub.webhooks.receiver import running_receiver
from tests.server_stub.webhooks.webhook_support import Clock, eventually, webhook_relay

BASE = "/payments/bucket/webhooks/"
SEALED = SecretBox([Fernet.generate_key()]).encrypt(b"whsec_c2VjcmV0c2VjcmV0c2VjcmV0")


def test_the_schedule_is_5s_5min_30min_2h_5h_10h_10h_then_it_stops() -> None:
    assert RETRY_GAPS_S == (5, 300, 1800, 7200, 18000, 36000, 36000)
    assert [next_try_at(n, 0.0) for n in range(1, 9)] == [*RETRY_GAPS_S, None]


async def test_a_failing_receiver_is_retried_on_schedule_until_it_answers_2xx(
    tmp_path: Path,
) -> None:
    with running_receiver() as receiver:
        receiver.answer = lambda n: (500, b"busy", {}) if n <= 2 else (204, b"", {})
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url)
            receiver.secrets.append(made["secret"])
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            log = await eventually(lambda: _log_with(relay, made["id"], 1))
            assert log[0]["status_code"] == 500 and log[0]["response_body"] == "busy"
            assert log[0]["state"] == "failed" and log[0]["next_try_at"]
            relay.clock.offset += 5.0  # the first retry, 5 s later
            await eventually(lambda: _log_with(relay, made["id"], 2))
            relay.clock.offset += 300.0  # then 5 minutes
            log = await eventually(lambda: _log_with(relay, made["id"], 3))
            assert [item["status_code"] for item in log] == [204, 500, 500]
            assert log[0]["state"] == "delivered" and log[0]["next_try_at"] is None
            assert len({item.webhook_id for item in receiver.received}) == 1
            assert all(item.verified for item in receiver.received)
            listed = (await relay.client.get(BASE, headers=relay.owner)).json()["items"]
            assert listed[0]["failing_since"] is None and listed[0]["last_success_at"]


async def _log_with(relay: object, endpoint_id: int, attempts: int) -> list[dict[str, object]]:
    log = await relay.log(endpoint_id)  # type: ignore[attr-defined]
    return log if len(log) == attempts and log[0]["attempt"] == attempts else []


async def test_410_disables_the_endpoint_at_once_and_the_owner_sees_why(tmp_path: Path) -> None:
    with running_receiver() as receiver:
        receiver.answer = lambda n: (410, b"gone", {})
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url)
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            await eventually(lambda: _log_with(relay, made["id"], 1))
            [listed] = (await relay.client.get(BASE, headers=relay.owner)).json()["items"]
            assert listed["enabled"] is False and "410" in listed["disabled_reason"]


async def test_redirects_are_not_followed(tmp_path: Path) -> None:
    with running_receiver() as elsewhere, running_receiver() as receiver:
        receiver.answer = lambda n: (302, b"", {"location": elsewhere.url})
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url)
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            [entry] = await eventually(lambda: _log_with(relay, made["id"], 1))
            assert entry["status_code"] == 302 and entry["state"] == "failed"
            assert elsewhere.arrived == []


async def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sender, "TIMEOUT_S", 0.3)  # 10 s in the relay; the same code path
    with running_receiver() as receiver:
        receiver.hold()
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url)
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            [entry] = await eventually(lambda: _log_with(relay, made["id"], 1))
            assert entry["status_code"] is None and "No answer within" in entry["error"]
            assert entry["state"] == "failed" and entry["next_try_at"]
            receiver.release()


async def test_an_endpoint_without_success_for_three_days_is_disabled(
    new_store: StoreMaker,
) -> None:
    clock = Clock()
    store = new_store(clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock())
    endpoint = await store.webhooks.add(provider, "https://portal.example/h", ["x"], "", SEALED)
    failure = AttemptResult(503, 12, None, "down")
    for _ in range(4):  # a new event every day, each failing
        await store.webhooks.send_test(provider, endpoint.id, {})
        for claimed in await store.webhooks.claim(10, "lease", 60.0, {}, 2):
            await store.webhooks.report(claimed.delivery_id, "lease", failure)
        current = await store.webhooks.endpoint(provider, endpoint.id)
        assert current is not None
        if clock.offset < DISABLE_AFTER_S:
            assert current.enabled
        clock.offset += 24 * 3600.0
    assert current is not None and not current.enabled
    assert current.disabled_reason is not None and "3 days" in current.disabled_reason
    assert await store.webhooks.claim(10, "lease-2", 60.0, {}, 2) == []  # disabled: held back
    await store.close()


async def test_the_schedule_runs_out_after_eight_attempts(new_store: StoreMaker) -> None:
    clock = Clock()
    store = new_store(clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock())
    endpoint = await store.webhooks.add(provider, "https://portal.example/h", ["x"], "", SEALED)
    await store.webhooks.send_test(provider, endpoint.id, {})
    attempts = 0
    while claimed := await store.webhooks.claim(10, f"l{attempts}", 60.0, {}, 2):
        [one] = claimed
        await store.webhooks.report(one.delivery_id, one.lease_id, AttemptResult(500, 5))
        attempts += 1
        due = await store.webhooks.next_due()
        if due is not None:
            clock.offset += due - clock()
    log = await store.webhooks.log(provider, endpoint.id, 50)
    assert attempts == 8 and log[0].state == "exhausted" and log[0].next_try_at is None
    await store.close()


async def test_a_lease_that_runs_out_is_sent_again_and_a_late_failure_is_only_logged(
    new_store: StoreMaker,
) -> None:
    clock = Clock()
    store = new_store(clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock())
    endpoint = await store.webhooks.add(provider, "https://portal.example/h", ["x"], "", SEALED)
    event_id = await store.webhooks.send_test(provider, endpoint.id, {})
    [first] = await store.webhooks.claim(10, "lease-1", 60.0, {}, 2)
    assert await store.webhooks.claim(10, "lease-2", 60.0, {}, 2) == []
    clock.offset += 61  # the first worker died mid-send
    [second] = await store.webhooks.claim(10, "lease-2", 60.0, {}, 2)
    assert second.event_id == first.event_id == event_id and second.body == first.body
    assert not await store.webhooks.report(first.delivery_id, "lease-1", AttemptResult(500, 1))
    assert await store.webhooks.report(second.delivery_id, "lease-2", AttemptResult(200, 1))
    [entry, *_] = await store.webhooks.log(provider, endpoint.id, 10)
    assert entry.state == "delivered"
    await store.close()


async def test_busy_endpoints_get_no_more_than_their_share(new_store: StoreMaker) -> None:
    clock = Clock()
    store = new_store(clock, access_keys=keyring_for_tests())
    provider = await store.create_provider("P", clock())
    slow = await store.webhooks.add(provider, "https://portal.example/1", ["x"], "", SEALED)
    fast = await store.webhooks.add(provider, "https://portal.example/2", ["x"], "", SEALED)
    for _ in range(5):
        await store.webhooks.send_test(provider, slow.id, {})
    await store.webhooks.send_test(provider, fast.id, {})
    claimed = await store.webhooks.claim(10, "lease", 60.0, {slow.id: 1}, 2)
    assert sorted(c.endpoint_id for c in claimed) == [slow.id, fast.id]
    await store.close()


async def test_deliveries_older_than_30_days_leave_the_log_and_the_database(
    tmp_path: Path,
) -> None:
    with running_receiver() as receiver:
        receiver.answer = lambda n: (204, b"", {})
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url)
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            await eventually(lambda: _log_with(relay, made["id"], 1))
            relay.clock.offset += 29 * 86400.0  # younger than 30 days: kept
            assert await relay.store.webhooks.forget_older_than(relay.clock() - KEEP_S) == 0
            assert len(await relay.log(made["id"])) == 1
            relay.clock.offset += 2 * 86400.0
            # The worker's hourly clean-up runs on its next turn, woken by the new event.
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            await eventually(lambda: _log_with(relay, made["id"], 1))  # the new one only

            def counts() -> tuple[int, int, int]:
                return tuple(
                    relay.store._read.execute(  # type: ignore[attr-defined]
                        "SELECT (SELECT COUNT(*) FROM webhook_events), "
                        "(SELECT COUNT(*) FROM webhook_deliveries), "
                        "(SELECT COUNT(*) FROM webhook_attempts)"
                    ).fetchone()
                )

            # The old delivery leaves the log first; its event goes in the clean-up's next
            # short transaction, a moment later.
            await eventually(lambda: counts() == (1, 1, 1))
