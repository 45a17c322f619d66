"""The owner's webhook routes: endpoints, the secret shown once, roles, bad input, rotation,
test events, the delivery log and redelivery, against a real receiver on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest

from server_stub.webhooks.events import TEST_EVENT
from tests.server_stub.webhooks.receiver import running_receiver
from tests.server_stub.webhooks.webhook_support import eventually, webhook_relay

BASE = "/payments/bucket/webhooks/"
GOOD = {"url": "https://portal.example/h", "events": ["payment.paid"]}


async def test_an_endpoint_is_added_with_its_secret_shown_once_then_edited_and_deleted(
    tmp_path: Path,
) -> None:
    async with webhook_relay(tmp_path) as relay:
        made = await relay.add_endpoint("https://portal.example/hook", ["payment.paid"])
        assert made["secret"].startswith("whsec_") and made["enabled"] is True
        assert made["events"] == ["payment.paid"]
        listed = (await relay.client.get(BASE, headers=relay.owner)).json()["items"]
        assert [item["url"] for item in listed] == ["https://portal.example/hook"]
        assert "secret" not in listed[0] and made["secret"] not in str(listed)
        changed = await relay.client.put(
            f"{BASE}{made['id']}/",
            json={"events": ["payment.confirmed", "payment.confirmed"], "description": "Portal"},
            headers=relay.owner,
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["events"] == ["payment.confirmed"]
        assert changed.json()["description"] == "Portal"
        off = await relay.client.put(
            f"{BASE}{made['id']}/", json={"enabled": False}, headers=relay.owner
        )
        assert off.json()["enabled"] is False
        assert off.json()["disabled_reason"] == "Disabled by the owner."
        on = await relay.client.put(
            f"{BASE}{made['id']}/", json={"enabled": True}, headers=relay.owner
        )
        assert on.json()["enabled"] is True and on.json()["disabled_reason"] is None
        gone = await relay.client.delete(f"{BASE}{made['id']}/", headers=relay.owner)
        assert gone.status_code == 200 and gone.json()["deleted"] is True
        assert (await relay.client.get(BASE, headers=relay.owner)).json()["items"] == []
        again = await relay.client.delete(f"{BASE}{made['id']}/", headers=relay.owner)
        assert again.status_code == 404
        # Each change is in the audit log, with the receiver's host but never its path.
        log = await relay.store.audit.entries(provider_id=relay.provider_id, action="webhook")
    assert [(entry.action, entry.actor.role) for entry in reversed(log)] == [
        ("webhook.added", "owner"),
        ("webhook.changed", "owner"),
        ("webhook.changed", "owner"),
        ("webhook.changed", "owner"),
        ("webhook.deleted", "owner"),
    ]
    assert log[-1].detail == f"endpoint {made['id']} at portal.example"
    assert log[-2].detail == f"endpoint {made['id']}: description, events"
    assert all("/hook" not in entry.detail for entry in log)


async def test_attendants_cannot_see_or_manage_endpoints(tmp_path: Path) -> None:
    async with webhook_relay(tmp_path) as relay:
        made = await relay.add_endpoint("https://portal.example/hook")
        endpoint = f"{BASE}{made['id']}/"
        calls = [
            relay.client.get(BASE, headers=relay.attendant),
            relay.client.post(
                BASE,
                json={"url": "https://portal.example/x", "events": ["payment.paid"]},
                headers=relay.attendant,
            ),
            relay.client.put(endpoint, json={"enabled": False}, headers=relay.attendant),
            relay.client.delete(endpoint, headers=relay.attendant),
            relay.client.post(f"{endpoint}rotate-secret/", headers=relay.attendant),
            relay.client.post(f"{endpoint}test/", headers=relay.attendant),
            relay.client.get(f"{endpoint}deliveries/", headers=relay.attendant),
            relay.client.post(f"{BASE}deliveries/1/redeliver/", headers=relay.attendant),
        ]
        for call in calls:
            response = await call
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "spaces"),
        ("https://portal.example/hook\n", "spaces"),  # the published pattern refuses it too
        (" https://portal.example/hook", "spaces"),
        ("https://portal*.example/hook", "host name"),
        ("https://portal.example/caf\u00e9", "accents"),
        ("portal.example/hook", "https://"),
        ("ftp://portal.example/hook", "https://"),
        ("https://portal.example/" + "a" * 5000, "longer than"),
        ("https://portal.example/" + "a" * 3000, "2048"),
        ("http://portal.example/hook", "https://"),
        ("https://10.0.0.5/hook", "private network"),
        ("https://192.168.88.1/hook", "private network"),
        ("https://169.254.169.254/latest", "link-local"),
        ("https://[::ffff:10.0.0.1]/hook", "private network"),
        ("https://100.64.0.1/hook", "private network"),
        ("https://intranet.example/hook", "intranet.example (10.1.2.3)"),
        ("https://sneaky.example/hook", "192.168.1.10"),
        ("https://metadata.example/hook", "link-local"),
        ("https://nowhere.example/hook", "could not be found"),
        ("https://user:pass@portal.example/hook", "user name or password"),
        ("https://", "https://"),
    ],
)
async def test_bad_endpoint_addresses_get_a_4xx_naming_the_url_field(
    tmp_path: Path, url: str, says: str
) -> None:
    async with webhook_relay(tmp_path) as relay:
        response = await relay.client.post(
            BASE, json={"url": url, "events": ["payment.paid"]}, headers=relay.owner
        )
        assert 400 <= response.status_code < 500, response.text
        error = response.json()["error"]
        assert error["field"] == "url"
        assert says in error["message"]
        assert (await relay.client.get(BASE, headers=relay.owner)).json()["items"] == []


async def test_loopback_receivers_are_refused_in_production(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    async with webhook_relay(tmp_path, production=True, encryption_key=key) as relay:
        for url in ("http://127.0.0.1:8080/hook", "https://localhost/hook", "https://[::1]/x"):
            response = await relay.client.post(
                BASE, json={"url": url, "events": ["payment.paid"]}, headers=relay.owner
            )
            assert response.status_code == 400, response.text
            assert response.json()["error"]["field"] == "url"
        fine = await relay.add_endpoint("https://portal.example/hook")
        assert fine["enabled"] is True


async def test_bad_events_and_descriptions_are_refused_by_field(tmp_path: Path) -> None:
    async with webhook_relay(tmp_path) as relay:
        cases = [
            ({"url": "https://portal.example/h", "events": []}, "events"),
            ({"url": "https://portal.example/h", "events": ["payment.refunded"]}, "events"),
            ({"url": "https://portal.example/h"}, "events"),
            ({"events": ["payment.paid"]}, "url"),
            ({"url": 5, "events": ["payment.paid"]}, "url"),
            ({"url": "https://portal.example/h", "events": ["paid"]}, "events"),
            ({**GOOD, "description": "x" * 201}, "description"),
        ]
        for body, field in cases:
            response = await relay.client.post(BASE, json=body, headers=relay.owner)
            assert response.status_code == 400, (body, response.text)
            assert response.json()["error"]["field"] == field


async def test_a_test_event_is_signed_delivered_logged_and_redelivered_with_the_same_id(
    tmp_path: Path,
) -> None:
    with running_receiver() as receiver:
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url.replace("127.0.0.1", "localhost"))
            receiver.secrets.append(made["secret"])
            queued = await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            assert queued.status_code == 200, queued.text
            event_id = queued.json()["event_id"]
            assert event_id.startswith("evt_")
            await eventually(lambda: len(receiver.received) == 1)
            [first] = receiver.received
            assert first.verified and first.webhook_id == event_id
            assert first.event["type"] == TEST_EVENT
            assert first.event["data"]["endpoint_id"] == made["id"]
            assert first.headers["content-type"] == "application/json"
            log = await eventually(lambda: _delivered(relay, made["id"]))
            [entry] = log
            assert entry["event_id"] == event_id and entry["event"] == TEST_EVENT
            assert entry["status_code"] == 200 and entry["attempt"] == 1
            assert entry["response_body"] == "ok" and entry["duration_ms"] >= 0
            assert entry["next_try_at"] is None and entry["state"] == "delivered"
            again = await relay.client.post(
                f"{BASE}deliveries/{entry['id']}/redeliver/", headers=relay.owner
            )
            assert again.status_code == 200, again.text
            await eventually(lambda: len(receiver.received) == 2)
            second = receiver.received[1]
            assert second.verified and second.webhook_id == event_id
            assert second.body == first.body  # rendered once, sent as stored
            assert second.headers["webhook-timestamp"] >= first.headers["webhook-timestamp"]
            log = await eventually(lambda: _attempts(relay, made["id"], 2))
            assert [item["attempt"] for item in log] == [2, 1]


async def _delivered(relay: object, endpoint_id: int) -> list[dict[str, object]] | None:
    log = await relay.log(endpoint_id)  # type: ignore[attr-defined]
    return log if log and log[0]["state"] == "delivered" else None


async def _attempts(relay: object, endpoint_id: int, count: int) -> list[dict[str, object]] | None:
    log = await relay.log(endpoint_id)  # type: ignore[attr-defined]
    return log if len(log) == count else None


async def test_a_rotated_secret_and_the_old_one_both_sign_for_a_day(tmp_path: Path) -> None:
    with running_receiver() as receiver:
        async with webhook_relay(tmp_path) as relay:
            made = await relay.add_endpoint(receiver.url)
            rotated = await relay.client.post(
                f"{BASE}{made['id']}/rotate-secret/", headers=relay.owner
            )
            assert rotated.status_code == 200, rotated.text
            new = rotated.json()["secret"]
            assert new.startswith("whsec_") and new != made["secret"]
            assert rotated.json()["old_secret_valid_until"]
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            await eventually(lambda: len(receiver.received) == 1)
            delivery = receiver.received[0]
            signatures = delivery.headers["webhook-signature"].split(" ")
            assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
            for secret in (made["secret"], new):
                receiver.secrets[:] = [secret]
                assert receiver.verify(delivery.body, delivery.headers)
            # A day later only the new secret signs.
            relay.clock.offset += 24 * 3600 + 1
            await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
            await eventually(lambda: len(receiver.received) == 2)
            later = receiver.received[1]
            assert len(later.headers["webhook-signature"].split(" ")) == 1
            receiver.secrets[:] = [made["secret"]]
            assert not receiver.verify(later.body, later.headers)
            receiver.secrets[:] = [new]
            assert receiver.verify(later.body, later.headers)
            listed = (await relay.client.get(BASE, headers=relay.owner)).json()["items"]
            assert new not in str(listed) and listed[0]["old_secret_valid_until"] is None


async def test_a_disabled_endpoint_gets_no_test_event_and_no_redelivery(tmp_path: Path) -> None:
    async with webhook_relay(tmp_path) as relay:
        made = await relay.add_endpoint("https://portal.example/hook")
        await relay.client.put(f"{BASE}{made['id']}/", json={"enabled": False}, headers=relay.owner)
        refused = await relay.client.post(f"{BASE}{made['id']}/test/", headers=relay.owner)
        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "endpoint_disabled"
        missing = await relay.client.post(f"{BASE}deliveries/999/redeliver/", headers=relay.owner)
        assert missing.status_code == 404
        other = await relay.client.get(f"{BASE}999/deliveries/", headers=relay.owner)
        assert other.status_code == 404
