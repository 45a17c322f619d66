"""Helpers for relay tests: provider setup, unique phones, feed waits, raw-callback reads."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    DEFAULT_STORE_NUMBER,
    DEFAULT_TILL_NUMBER,
)
from server_stub.testing import RunningRelay
from tests.server_stub.stores import relay_sql

_PHONES = itertools.count(random.randrange(10_000_000, 80_000_000, 1000))

PAYBILL_CREDENTIALS = {
    "consumer_key": DEFAULT_CONSUMER_KEY,
    "consumer_secret": DEFAULT_CONSUMER_SECRET,
    "shortcode": DEFAULT_SHORTCODE,
    "passkey": DEFAULT_PASSKEY,
    "environment": "sandbox",
    "account_type": "paybill",
}
TILL_CREDENTIALS = {
    **PAYBILL_CREDENTIALS,
    "shortcode": DEFAULT_STORE_NUMBER,
    "account_type": "till",
    "till_number": DEFAULT_TILL_NUMBER,
}


def unique_phone() -> str:
    """A Safaricom-looking phone number no other test in this run uses."""
    return f"2547{next(_PHONES):08d}"


@dataclass
class Provider:
    """A provider created through the CLI, with one HTTP client per role."""

    provider_id: int
    owner: httpx.Client = field(repr=False)
    attendant: httpx.Client = field(repr=False)
    owner_token: str = field(repr=False)
    attendant_token: str = field(repr=False)

    def close(self) -> None:
        """Close both clients."""
        self.owner.close()
        self.attendant.close()


def client_for(relay: RunningRelay, token: str | None) -> httpx.Client:
    """A client for the relay, authenticated with `token` when given."""
    headers = {"Authorization": f"Token {token}"} if token else {}
    return httpx.Client(base_url=relay.base_url, headers=headers, timeout=40.0)


def new_provider(
    relay: RunningRelay, name: str, credentials: dict[str, str] | None = PAYBILL_CREDENTIALS
) -> Provider:
    """Create a provider (and load credentials unless None) through the admin CLI."""
    created = relay.cli("create-provider", "--name", name)
    if credentials is not None:
        relay.secrets.update(credentials[k] for k in ("consumer_key", "consumer_secret", "passkey"))
        relay.cli(
            "set-credentials",
            "--provider",
            str(created["provider_id"]),
            input=json.dumps(credentials),
        )
    return Provider(
        provider_id=created["provider_id"],
        owner=client_for(relay, created["owner_token"]),
        attendant=client_for(relay, created["attendant_token"]),
        owner_token=created["owner_token"],
        attendant_token=created["attendant_token"],
    )


def initiate(
    client: httpx.Client, phone: str, amount: int = 10, key: str | None = None
) -> httpx.Response:
    """POST /payments/bucket/initiate/."""
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/payments/bucket/initiate/",
        json={
            "phone_number": phone,
            "amount": amount,
            "account_reference": "HOTSPOT1",
            "transaction_desc": "WiFi 1 hour",
        },
        headers=headers,
    )


def wait_for_payment(
    client: httpx.Client,
    checkout_request_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout_s: float = 30.0,
) -> dict[str, Any]:
    """Long-poll the feed until the payment satisfies `done`; returns that item."""
    deadline = time.monotonic() + timeout_s
    cursor = 0
    latest: dict[str, Any] | None = None
    while time.monotonic() < deadline:
        wait = max(0.0, min(5.0, deadline - time.monotonic()))
        page = client.get(
            "/payments/bucket/payments/", params={"after": cursor, "wait": f"{wait:.2f}"}
        ).json()
        for item in page["items"]:
            if item["checkout_request_id"] == checkout_request_id:
                latest = item
                if done(item):
                    return item
        cursor = page["cursor"]
    raise AssertionError(f"payment {checkout_request_id} never got there; last seen {latest}")


def status_is(*statuses: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate for `wait_for_payment`."""
    return lambda item: item["status"] in statuses


def raw_callbacks(relay: RunningRelay) -> list[dict[str, Any]]:
    """Every stored raw callback, read straight from the relay's store."""
    rows = relay_sql(
        relay,
        "SELECT r.provider_ref, r.outcome, r.body, p.checkout_request_id "
        "FROM raw_callbacks r LEFT JOIN payments p ON p.id = r.payment_id ORDER BY r.id",
    )
    return [
        {"provider_ref": ref, "outcome": outcome, "body": body, "checkout_request_id": checkout}
        for ref, outcome, body, checkout in rows
    ]


def outcomes_for(relay: RunningRelay, checkout_request_id: str) -> list[str]:
    """Outcomes of the raw callbacks that reached one push."""
    return [
        row["outcome"]
        for row in raw_callbacks(relay)
        if row["checkout_request_id"] == checkout_request_id
    ]
