"""The owner's desks over HTTP: who a token is, list, add, rename, revoke, and who sent a push."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from server_stub.testing import RunningRelay
from tests.server_stub.helpers import (
    Provider,
    client_for,
    initiate,
    new_provider,
    status_is,
    unique_phone,
    wait_for_payment,
)

# On each database the relay supports.


@pytest.fixture
def shop(relay: RunningRelay) -> Iterator[Provider]:
    """A provider with working credentials."""
    provider = new_provider(relay, "Desk Shop")
    yield provider
    provider.close()


def add_desk(relay: RunningRelay, owner: httpx.Client, name: str) -> dict[str, object]:
    """POST /desks/; the token it returns is a secret the relay must never log."""
    response = owner.post("/payments/bucket/desks/", json={"name": name})
    assert response.status_code == 200, response.text
    created: dict[str, object] = response.json()
    relay.secrets.add(str(created["token"]))
    return created


def test_me_names_the_role_provider_and_desk(shop: Provider) -> None:
    owner = shop.owner.get("/payments/bucket/me/").json()
    attendant = shop.attendant.get("/payments/bucket/me/").json()
    assert (owner["role"], owner["name"], owner["provider_name"]) == ("owner", "Owner", "Desk Shop")
    assert (attendant["role"], attendant["name"]) == ("attendant", "Attendant desk")
    assert owner["provider_id"] == attendant["provider_id"] == shop.provider_id
    assert owner["token_id"] != attendant["token_id"]


def test_owner_lists_adds_and_renames_desks(relay: RunningRelay, shop: Provider) -> None:
    created = add_desk(relay, shop.owner, "  Counter 2 ")
    assert created["name"] == "Counter 2" and created["role"] == "attendant"
    with client_for(relay, str(created["token"])) as desk:
        assert desk.get("/payments/bucket/me/").json()["name"] == "Counter 2"
    renamed = shop.owner.put(
        f"/payments/bucket/desks/{created['token_id']}/", json={"name": "Gate"}
    )
    assert renamed.json() == {
        "success": True,
        "token_id": created["token_id"],
        "name": "Gate",
        "revoked": False,
    }
    items = shop.owner.get("/payments/bucket/desks/").json()["items"]
    assert [(item["name"], item["role"], item["this_desk"]) for item in items] == [
        ("Owner", "owner", True),
        ("Attendant desk", "attendant", False),
        ("Gate", "attendant", False),
    ]
    used = next(item for item in items if item["name"] == "Gate")
    assert used["last_used_at"] and used["last_address"] == "127.0.0.1"
    assert all("token" not in item for item in items)


def test_desk_routes_refuse_attendants_bad_names_and_other_providers(
    relay: RunningRelay, shop: Provider
) -> None:
    assert shop.attendant.get("/payments/bucket/desks/").status_code == 403
    assert shop.attendant.post("/payments/bucket/desks/", json={"name": "X"}).status_code == 403
    bad = shop.owner.post("/payments/bucket/desks/", json={"name": "  "})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "name"
    other = new_provider(relay, "Other Shop", credentials=None)
    try:
        theirs = add_desk(relay, other.owner, "Theirs")
        path = f"/payments/bucket/desks/{theirs['token_id']}/"
        assert shop.owner.delete(path).status_code == 404
        assert shop.owner.put(path, json={"name": "Mine now"}).status_code == 404
    finally:
        other.close()


def test_revoke_refuses_the_desk_at_once_and_never_the_owner_itself(
    relay: RunningRelay, shop: Provider
) -> None:
    created = add_desk(relay, shop.owner, "Night shift")
    me = shop.owner.get("/payments/bucket/me/").json()
    own = shop.owner.delete(f"/payments/bucket/desks/{me['token_id']}/")
    assert own.status_code == 409 and "signed in with" in own.json()["error"]["message"]
    answers: list[httpx.Response] = []
    with client_for(relay, str(created["token"])) as desk:
        cursor = desk.get("/payments/bucket/payments/").json()["cursor"]
        polling = threading.Thread(
            target=lambda: answers.append(
                desk.get("/payments/bucket/payments/", params={"after": cursor, "wait": "25"})
            )
        )
        polling.start()
        # The long poll holds a valid token; revoking wakes it and the relay checks again.
        wait_until_polling(relay, shop, str(created["token_id"]))
        revoked = shop.owner.delete(f"/payments/bucket/desks/{created['token_id']}/")
        polling.join(40)
        assert revoked.json()["revoked"] is True
        assert answers and answers[0].status_code == 401
        assert "revoked" in answers[0].json()["error"]["message"]
        assert desk.get("/payments/bucket/me/").status_code == 401
    names = [item["name"] for item in shop.owner.get("/payments/bucket/desks/").json()["items"]]
    assert "Night shift" not in names
    again = shop.owner.delete(f"/payments/bucket/desks/{created['token_id']}/")
    assert again.status_code == 404


def wait_until_polling(relay: RunningRelay, shop: Provider, token_id: str) -> None:
    """The desk's first request has been seen (its last use is recorded)."""
    for _ in range(400):
        items = shop.owner.get("/payments/bucket/desks/").json()["items"]
        if any(str(item["token_id"]) == token_id and item["last_used_at"] for item in items):
            return
        threading.Event().wait(0.05)
    raise AssertionError("the desk never reached the relay")


def test_each_push_records_the_desk_that_sent_it(relay: RunningRelay, shop: Provider) -> None:
    created = add_desk(relay, shop.owner, "Counter 3")
    with client_for(relay, str(created["token"])) as desk:
        checkout = initiate(desk, unique_phone()).json()["checkout_request_id"]
    item = wait_for_payment(shop.owner, checkout, status_is("paid"))
    assert item["sent_by"] == {"token_id": created["token_id"], "name": "Counter 3"}
    assert item["purpose"] == "sale"
    status = shop.owner.post("/payments/bucket/status/", json={"checkout_request_id": checkout})
    assert status.json()["sent_by"]["name"] == "Counter 3"
