"""Async Daraja client: OAuth tokens, STK push and STK query for any provider's credentials.

One `httpx.AsyncClient` is shared (made by the composition root). One OAuth token is kept per
Daraja app, fetched by a single caller while others wait, and refreshed a few minutes early,
because each new token may invalidate the previous one (DARAJA.md, "Hosts and calls").
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import httpx

from bucket_desktop.i18n import _
from bucket_desktop.services.credentials import DarajaCredentials, Environment
from bucket_desktop.services.daraja_errors import (
    DarajaError,
    DarajaTokenRejected,
    DarajaUnavailable,
    DarajaUnexpectedResponse,
    classify,
    parse_json_object,
)

log = logging.getLogger(__name__)

HOSTS = {
    Environment.SANDBOX: "https://sandbox.safaricom.co.ke",
    Environment.PRODUCTION: "https://api.safaricom.co.ke",
}
OAUTH_PATH = "/oauth/v1/generate?grant_type=client_credentials"
STK_PUSH_PATH = "/mpesa/stkpush/v1/processrequest"
STK_QUERY_PATH = "/mpesa/stkpushquery/v1/query"
NAIROBI = ZoneInfo("Africa/Nairobi")
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@dataclass(frozen=True, slots=True)
class StkPushAccepted:
    """Daraja accepted the push; the prompt is on its way to the phone."""

    merchant_request_id: str
    checkout_request_id: str
    response_description: str
    customer_message: str


@dataclass(frozen=True, slots=True)
class StkQueryResult:
    """What an STK query says: still pending, or a final ResultCode (callback meaning)."""

    pending: bool
    result_code: str | None
    result_desc: str
    merchant_request_id: str | None
    checkout_request_id: str


@dataclass(slots=True)
class _CachedToken:
    value: str
    refresh_at: float


class SharedTokens(Protocol):
    """OAuth tokens shared by several processes (a relay's instances): one per Daraja app."""

    async def token(
        self, app: str, sign_in: Callable[[], Awaitable[tuple[str, float]]]
    ) -> tuple[str, float]:
        """The app's shared token and its seconds left, calling `sign_in` only when none is
        fresh (and only in one process at a time)."""

    async def forget(self, app: str, token: str) -> None:
        """Daraja rejected this token: no process may use it again."""


def app_id(creds: DarajaCredentials) -> str:
    """A Daraja app's identity for sharing its token, without its secrets."""
    return hashlib.sha256("\0".join(creds.cache_key()).encode()).hexdigest()


def stk_password(shortcode: str, passkey: str, timestamp: str) -> str:
    """Daraja's Password: base64 of shortcode + passkey + timestamp, plainly concatenated."""
    return base64.b64encode(f"{shortcode}{passkey}{timestamp}".encode()).decode("ascii")


def nairobi_timestamp(now: datetime | None = None) -> str:
    """`YYYYMMDDHHmmss` in Africa/Nairobi time (offshore servers' local time was refused)."""
    moment = (now or datetime.now(tz=NAIROBI)).astimezone(NAIROBI)
    return moment.strftime("%Y%m%d%H%M%S")


class DarajaClient:
    """Talks to Daraja (or the simulator) on behalf of any number of Daraja apps."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url_override: str | None = None,
        refresh_margin_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(tz=NAIROBI),
    ) -> None:
        self._http = http
        self._override = base_url_override.rstrip("/") if base_url_override else None
        self._margin = refresh_margin_s
        self._clock = clock
        self._now = now
        self._tokens: dict[tuple[str, str, str], _CachedToken] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        # Set by a relay whose instances share a database: one token per app for all of them.
        self.shared_tokens: SharedTokens | None = None

    @classmethod
    def from_environment(
        cls, http: httpx.AsyncClient, environ: Mapping[str, str] = os.environ
    ) -> DarajaClient:
        """A client honouring DARAJA_BASE_URL (the simulator, a test double, a proxy)."""
        return cls(http, base_url_override=environ.get("DARAJA_BASE_URL") or None)

    def __repr__(self) -> str:
        return f"DarajaClient(base_url_override={self._override!r}, apps={len(self._tokens)})"

    def base_url(self, environment: Environment) -> str:
        """The Daraja host for an environment, unless overridden."""
        return self._override or HOSTS[environment]

    async def access_token(self, creds: DarajaCredentials) -> str:
        """A valid token for this Daraja app; concurrent callers share one fetch."""
        key = creds.cache_key()
        cached = self._tokens.get(key)
        if cached and self._clock() < cached.refresh_at:
            return cached.value
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._tokens.get(key)
            if cached and self._clock() < cached.refresh_at:
                return cached.value
            if self.shared_tokens is None:
                return await self._fetch_token(creds)
            token, fresh_for = await self.shared_tokens.token(
                app_id(creds), lambda: self._sign_in(creds)
            )
            self._tokens[key] = _CachedToken(token, self._clock() + fresh_for)
            return token

    async def test_credentials(self, creds: DarajaCredentials) -> None:
        """Sign in afresh with the consumer key and secret; raises DarajaError on failure."""
        async with self._locks.setdefault(creds.cache_key(), asyncio.Lock()):
            await self._fetch_token(creds)

    async def stk_push(
        self,
        creds: DarajaCredentials,
        *,
        phone_number: str,
        amount: int,
        account_reference: str,
        transaction_desc: str,
        callback_url: str,
    ) -> StkPushAccepted:
        """Send the payment prompt to the customer's phone."""
        timestamp = nairobi_timestamp(self._now())
        body = {
            "BusinessShortCode": creds.shortcode,
            "Password": stk_password(creds.shortcode, creds.passkey, timestamp),
            "Timestamp": timestamp,
            "TransactionType": creds.transaction_type,
            "Amount": amount,
            "PartyA": phone_number,
            "PartyB": creds.party_b,
            "PhoneNumber": phone_number,
            "CallBackURL": callback_url,
            "AccountReference": account_reference,
            "TransactionDesc": transaction_desc,
        }
        data = await self._authorised_post(creds, STK_PUSH_PATH, body)
        if str(data.get("ResponseCode", "")).strip() != "0":
            raise DarajaError(
                _("Safaricom did not accept the payment request: {data}.").format(
                    data=_text(data, "ResponseDescription") or _("no reason given")
                ),
                code=f"response_{_text(data, 'ResponseCode') or 'missing'}",
                daraja_message=_text(data, "ResponseDescription") or None,
                http_status=200,
            )
        checkout = _text(data, "CheckoutRequestID")
        if not checkout:
            raise _unreadable("the payment request", data)
        return StkPushAccepted(
            merchant_request_id=_text(data, "MerchantRequestID"),
            checkout_request_id=checkout,
            response_description=_text(data, "ResponseDescription"),
            customer_message=_text(data, "CustomerMessage"),
        )

    async def stk_query(self, creds: DarajaCredentials, checkout_request_id: str) -> StkQueryResult:
        """Ask Daraja how a push ended; "being processed" means still pending."""
        timestamp = nairobi_timestamp(self._now())
        body = {
            "BusinessShortCode": creds.shortcode,
            "Password": stk_password(creds.shortcode, creds.passkey, timestamp),
            "Timestamp": timestamp,
            "CheckoutRequestID": checkout_request_id,
        }
        try:
            data = await self._authorised_post(creds, STK_QUERY_PATH, body)
        except DarajaError as error:
            if _is_still_processing(error):
                return StkQueryResult(
                    pending=True,
                    result_code=None,
                    # i18n: keep (Daraja's own words for a push still open: data, not ours)
                    result_desc=error.daraja_message or "The transaction is being processed",
                    merchant_request_id=None,
                    checkout_request_id=checkout_request_id,
                )
            raise
        code = data.get("ResultCode")
        return StkQueryResult(
            pending=code is None or str(code).strip() == "",
            result_code=None if code is None or str(code).strip() == "" else str(code).strip(),
            result_desc=_text(data, "ResultDesc"),
            merchant_request_id=_text(data, "MerchantRequestID") or None,
            checkout_request_id=_text(data, "CheckoutRequestID") or checkout_request_id,
        )

    async def _fetch_token(self, creds: DarajaCredentials) -> str:
        """One OAuth call, cached; the caller holds the app's lock."""
        token, fresh_for = await self._sign_in(creds)
        self._tokens[creds.cache_key()] = _CachedToken(token, self._clock() + fresh_for)
        return token

    async def _sign_in(self, creds: DarajaCredentials) -> tuple[str, float]:
        """One OAuth call: the token and for how many seconds to use it before refreshing."""
        url = self.base_url(creds.environment) + OAUTH_PATH
        response = await self._send(
            "GET", url, auth=httpx.BasicAuth(creds.consumer_key, creds.consumer_secret)
        )
        if response.status_code != 200:
            raise classify(response.status_code, response.content, token_call=True)
        data = parse_json_object(response.content)
        if data is None:
            raise classify(response.status_code, response.content)
        token = _text(data, "access_token")
        if not token:
            raise _unreadable("the sign-in", data)
        lifetime = _expires_in(data)
        return token, lifetime - min(self._margin, lifetime / 2)

    async def _authorised_post(
        self, creds: DarajaCredentials, path: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """POST with a bearer token; on 404.001.03 fetch a fresh token and retry once."""
        token = await self.access_token(creds)
        try:
            return await self._post_json(self.base_url(creds.environment) + path, token, body)
        except DarajaTokenRejected:
            self._forget_token(creds, token)
            if self.shared_tokens is not None:
                await self.shared_tokens.forget(app_id(creds), token)
            log.info("Daraja rejected the access token; fetching a fresh one and retrying once")
        token = await self.access_token(creds)
        return await self._post_json(self.base_url(creds.environment) + path, token, body)

    async def _post_json(self, url: str, token: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._send(
            "POST", url, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code != 200:
            raise classify(response.status_code, response.content)
        data = parse_json_object(response.content)
        if data is None:
            raise classify(response.status_code, response.content)
        if "errorCode" in data or "fault" in data:
            raise classify(response.status_code, response.content)
        return data

    def _forget_token(self, creds: DarajaCredentials, token: str) -> None:
        # Only drop the token that failed: a concurrent caller may already have a fresh one.
        cached = self._tokens.get(creds.cache_key())
        if cached and cached.value == token:
            del self._tokens[creds.cache_key()]

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, timeout=DEFAULT_TIMEOUT, **kwargs)
        except httpx.TimeoutException:
            # The host is parsed only for the message: httpx.URL costs a tenth of a query's
            # CPU on the relay, which confirms every paid callback with one (issue 15).
            host = httpx.URL(url).host
            raise DarajaUnavailable(
                _("Safaricom ({host}) did not answer in time: try again in a minute.").format(
                    host=host
                ),
                code="timeout",
            ) from None
        except httpx.TransportError:
            host = httpx.URL(url).host
            raise DarajaUnavailable(
                _(
                    "Could not connect to Safaricom ({host}): check this computer's internet "
                    "connection."
                ).format(host=host),
                code="network",
            ) from None


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def _expires_in(data: Mapping[str, Any]) -> float:
    """`expires_in` comes as a number or a string such as "3599"; default to Daraja's 3599."""
    raw = data.get("expires_in")
    try:
        value = float(raw) if isinstance(raw, int | float | str) else 3599.0
    except ValueError:
        value = 3599.0
    return value if 0 < value < 10**7 else 3599.0


def _is_still_processing(error: DarajaError) -> bool:
    message = (error.daraja_message or "").lower()
    return error.code == "500.001.1001" and "being processed" in message


def _unreadable(what: str, data: Mapping[str, Any]) -> DarajaUnexpectedResponse:
    fields = ", ".join(sorted(str(k) for k in data)[:8]) or "no fields"
    return DarajaUnexpectedResponse(
        _("Safaricom's answer to {what} was missing expected details: try again.").format(
            what=what
        ),
        code="bad_response",
        daraja_message=f"fields: {fields}",
        http_status=200,
    )
