"""The relay app run in-process (ASGI, lifespan included) over a real SQLite file, for fast tests.

Pushes are seeded straight through the store (reserve, then confirm), exactly as the push service
records them after Daraja accepts, so callback tests need no simulator round trip.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
from cryptography.fernet import Fernet
from fastapi import FastAPI

from server_stub.access.keys import AccessKeyring
from server_stub.api.state import RelayServices
from server_stub.app import create_app
from server_stub.operations import admin
from server_stub.operations.settings import RelaySettings
from server_stub.plans.charging import plan_terms
from server_stub.plans.rules import PlanFields
from server_stub.security.atrest import SecretBox
from server_stub.security.tokens import new_token, token_hash
from server_stub.store.records import NewPush, PlanRecord
from server_stub.store.sqlite_store import SqliteStore
from tests.server_stub.stores import active

# Reconciliation far in the future: these tests are about callbacks, and Daraja is not there.
QUIET = {"reconcile_first_s": 3600.0, "reconcile_until_s": 3600.0}
CALLBACK_PATH = "/payments/callback/{provider}/{token}/"


def keyring_for_tests(at_rest_key: bytes | None = None) -> AccessKeyring:
    """Access-code keys encrypted with `at_rest_key`, or a throwaway one (for stores opened
    directly)."""
    return AccessKeyring(SecretBox([at_rest_key or Fernet.generate_key()]))


def relay_settings(tmp_path: Path, **overrides: Any) -> RelaySettings:
    """Development settings with the database in `tmp_path` (on the store under test,
    tests.server_stub.stores.active) and a dead Daraja address."""
    base = RelaySettings(
        database_path=tmp_path / "relay.db",
        database_dsn=active().dsn_for(tmp_path / "relay.db"),
        daraja_base_url="http://127.0.0.1:9",
        access_log=False,
        **QUIET,  # type: ignore[arg-type]
    )
    return replace(base, **overrides)


@dataclass
class InProcessRelay:
    """An app with its lifespan running, a client bound to it, and direct store access."""

    app: FastAPI
    settings: RelaySettings
    client: httpx.AsyncClient = field(repr=False)

    @property
    def services(self) -> RelayServices:
        """The running services (store, inbox, ...)."""
        services: RelayServices = self.app.state.relay
        return services

    @property
    def store(self) -> SqliteStore:
        """The running app's SQLite store."""
        store = self.services.store
        assert isinstance(store, SqliteStore)
        return store

    def client_from(self, address: str) -> httpx.AsyncClient:
        """Another client whose requests come from `address` (close it after use)."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40_000))
        return httpx.AsyncClient(transport=transport, base_url="http://relay.test")


@asynccontextmanager
async def relay_in_process(
    settings: RelaySettings, address: str = "127.0.0.1"
) -> AsyncIterator[InProcessRelay]:
    """Start the app's lifespan and yield it with a client from `address`."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        relay = InProcessRelay(app, settings, httpx.AsyncClient())
        async with relay.client_from(address) as client:
            relay.client = client
            yield relay


@dataclass(frozen=True)
class SeededPush:
    """A push Daraja accepted, with the callback path only Safaricom would know."""

    provider_id: int
    checkout_request_id: str
    amount: int
    token: str = field(repr=False)

    @property
    def callback_path(self) -> str:
        """Where this push's callback is posted."""
        return CALLBACK_PATH.format(provider=self.provider_id, token=self.token)


async def seed_pushes(
    store: SqliteStore,
    provider_id: int,
    count: int,
    *,
    amount: int = 10,
    tag: str = "ws_CO",
    plan: PlanRecord | None = None,
) -> list[SeededPush]:
    """`count` accepted, pending pushes recorded through the store."""
    seeded = []
    now = time.time()
    for number in range(count):
        token = new_token()
        reservation = await store.reserve_push(
            NewPush(
                provider_id=provider_id,
                callback_token_hash=token_hash(token),
                idempotency_key=None,
                phone_number=f"2547{provider_id:02d}{number:06d}",
                amount=amount,
                account_reference="HOTSPOT1",
                transaction_desc="WiFi 1 hour",
                created_at=now,
                plan_id=plan.id if plan else None,
                plan_terms=plan_terms(plan),
            ),
            guard_since=now + 1,  # the one-minute guard is the push service's business
        )
        assert reservation.created is not None
        checkout = f"{tag}_{provider_id}_{number:06d}"
        await store.confirm_push(
            reservation.created.id,
            checkout_request_id=checkout,
            merchant_request_id=f"MR_{provider_id}_{number}",
            first_query_at=now + 3600,
            now=now,
        )
        seeded.append(SeededPush(provider_id, checkout, amount, token))
    return seeded


# The plan `new_plan` makes, as an owner sends it to POST /payments/bucket/plans/.
PLAN_BODY: dict[str, Any] = {
    "name": "1 hour",
    "price": 10,
    "duration_minutes": 60,
    "account_reference": "HOTSPOT",
    "transaction_desc": "WiFi 1 hour",
}


async def new_plan(
    store: SqliteStore,
    provider_id: int,
    *,
    name: str = "1 hour",
    duration_minutes: int = 60,
    data_cap_mb: int | None = None,
    speed: str | None = None,
    router_profile: str | None = None,
    account_reference: str = "HOTSPOT",
    transaction_desc: str = "WiFi 1 hour",
    now: float | None = None,
) -> PlanRecord:
    """A plan for KES 10 made through the store: "1 hour" unless a test says otherwise."""
    fields = PlanFields.validate(
        name=name,
        price=10,
        duration_minutes=duration_minutes,
        data_cap_mb=data_cap_mb,
        speed=speed,
        router_profile=router_profile,
        account_reference=account_reference,
        transaction_desc=transaction_desc,
    )
    return await store.plans.create(provider_id, fields, time.time() if now is None else now)


async def new_provider(settings: RelaySettings, name: str = "Test Net") -> dict[str, Any]:
    """A provider with owner and attendant tokens, made by the admin command."""
    return await admin.create_provider(settings, name)


def paid_callback(push: SeededPush, receipt: str, *, amount: int | None = None) -> dict[str, Any]:
    """A well-formed successful STK callback for `push`."""
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "MR_any",
                "CheckoutRequestID": push.checkout_request_id,
                "ResultCode": 0,
                "ResultDesc": "The service request is processed successfully.",
                "CallbackMetadata": {
                    "Item": [
                        {"Name": "Amount", "Value": push.amount if amount is None else amount},
                        {"Name": "MpesaReceiptNumber", "Value": receipt},
                        {"Name": "Balance"},
                        {"Name": "TransactionDate", "Value": 20261126101500},
                        {"Name": "PhoneNumber", "Value": 254708374149},
                    ]
                },
            }
        }
    }


def failed_callback(
    push: SeededPush, code: int, desc: str = "Request cancelled by user"
) -> dict[str, Any]:
    """A well-formed unsuccessful STK callback for `push`."""
    return {
        "Body": {
            "stkCallback": {
                "MerchantRequestID": "MR_any",
                "CheckoutRequestID": push.checkout_request_id,
                "ResultCode": code,
                "ResultDesc": desc,
            }
        }
    }


def as_bytes(data: Any) -> bytes:
    """Compact JSON bytes."""
    return json.dumps(data, separators=(",", ":")).encode()
