"""Helpers for the simulator tests: a callback receiver and a small Daraja caller."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
)
from server_stub.daraja_sim.testing import FAST_TIMINGS, running_asgi_app

NAIROBI = ZoneInfo("Africa/Nairobi")
# Customers who take two seconds to answer: a query or a second push sent right after the push
# meets an open prompt even when a busy PC stalls the test for a second.
PATIENT = dict(FAST_TIMINGS) | {"callback_delay_s": 2.0, "prompt_lifetime_s": 2.2}


@dataclass(frozen=True)
class Received:
    """One callback as the receiver saw it."""

    path: str
    body: Any
    at: float


class CallbackReceiver:
    """A loopback HTTP server that records every POST it gets."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.status_code = 200
        self.base_url = ""
        self._changed = threading.Condition()

    def app(self) -> Starlette:
        """The receiver's ASGI app."""

        async def record(request: Request) -> Response:
            body = await request.json()
            with self._changed:
                self.received.append(Received(request.url.path, body, time.monotonic()))
                self._changed.notify_all()
            return JSONResponse(
                {"ResultCode": 0, "ResultDesc": "Accepted"}, status_code=self.status_code
            )

        return Starlette(routes=[Route("/{path:path}", record, methods=["POST"])])

    def url(self, path: str = "/callback/demo/t0k3n/") -> str:
        """A callback URL on this receiver."""
        return self.base_url + path

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """Block until at least `count` callbacks arrived; fail after `timeout` seconds."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.received) >= count, timeout)
            assert arrived, f"expected {count} callbacks, got {len(self.received)}"
            return list(self.received)


@contextmanager
def running_receiver() -> Iterator[CallbackReceiver]:
    """A callback receiver on a free loopback port."""
    receiver = CallbackReceiver()
    with running_asgi_app(receiver.app()) as base_url:
        receiver.base_url = base_url
        yield receiver


def password(shortcode: str, passkey: str, timestamp: str) -> str:
    """Daraja's STK Password."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode()


def timestamp_now() -> str:
    """`YYYYMMDDHHmmss` in Nairobi time."""
    return datetime.now(tz=NAIROBI).strftime("%Y%m%d%H%M%S")


class DarajaCaller:
    """Plain httpx calls against the simulator, the way an integrator writes them."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def token(self, key: str = DEFAULT_CONSUMER_KEY, secret: str = DEFAULT_CONSUMER_SECRET) -> str:
        """A fresh access token."""
        response = self.http.get(
            "/oauth/v1/generate", params={"grant_type": "client_credentials"}, auth=(key, secret)
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    def push_body(self, phone: str, callback_url: str, **overrides: Any) -> dict[str, Any]:
        """A valid paybill push body for the default app, with optional overrides."""
        stamp = timestamp_now()
        body: dict[str, Any] = {
            "BusinessShortCode": DEFAULT_SHORTCODE,
            "Password": password(DEFAULT_SHORTCODE, DEFAULT_PASSKEY, stamp),
            "Timestamp": stamp,
            "TransactionType": "CustomerPayBillOnline",
            "Amount": 10,
            "PartyA": phone,
            "PartyB": DEFAULT_SHORTCODE,
            "PhoneNumber": phone,
            "CallBackURL": callback_url,
            "AccountReference": "HOTSPOT-1H",
            "TransactionDesc": "1 hour WiFi",
        }
        body.update(overrides)
        return body

    def push(self, token: str, body: dict[str, Any]) -> httpx.Response:
        """POST an STK push."""
        return self.http.post(
            "/mpesa/stkpush/v1/processrequest",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    def query(
        self, token: str, checkout_request_id: str, shortcode: str = DEFAULT_SHORTCODE
    ) -> httpx.Response:
        """POST an STK query with a fresh timestamp."""
        stamp = timestamp_now()
        body = {
            "BusinessShortCode": shortcode,
            "Password": password(shortcode, DEFAULT_PASSKEY, stamp),
            "Timestamp": stamp,
            "CheckoutRequestID": checkout_request_id,
        }
        return self.http.post(
            "/mpesa/stkpushquery/v1/query",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )

    def log(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The simulator's request log."""
        params = {"kind": kind} if kind else {}
        items: list[dict[str, Any]] = self.http.get("/sim/requests", params=params).json()["items"]
        return items


def assert_daraja_error(response: httpx.Response, status: int, code: str, message: str) -> None:
    """The body is exactly Daraja's error envelope with this code and message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"requestId", "errorCode", "errorMessage"}
    assert body["errorCode"] == code
    assert body["errorMessage"] == message
    assert body["requestId"]


def wait_until(condition: Any, timeout: float = 30.0, interval: float = 0.02) -> None:
    """Poll `condition()` until true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(interval)
