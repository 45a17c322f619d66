"""Async client for the callback relay's HTTP API (DESIGN.md section 4), with typed errors."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from bucket_desktop.i18n import _
from bucket_desktop.services.relay_error_texts import relay_sentence
from bucket_desktop.services.relay_errors import (
    RelayAuthError,
    RelayError,
    RelayForbidden,
    RelayRequestError,
    RelayUnavailable,
    RelayUnexpectedResponse,
)
from bucket_desktop.services.relay_models import (
    CredentialsSummary,
    Desk,
    Identity,
    InitiatedPush,
    NewDesk,
    PaymentItem,
    PaymentsPage,
    RelayKey,
    VerificationResult,
)
from bucket_desktop.services.relay_snapshot import SNAPSHOT_PATH, ItemsSink, read_snapshot
from bucket_desktop.services.sealing import SealingError, fingerprint

__all__ = [
    "RelayAuthError",
    "RelayClient",
    "RelayError",
    "RelayForbidden",
    "RelayRequestError",
    "RelayUnavailable",
    "RelayUnexpectedResponse",
    "normalise_relay_url",
]

DEFAULT_TIMEOUT_S = 20.0
SNAPSHOT_TIMEOUT_S = 120.0  # a large history on a slow shop line
MAX_WAIT_S = 30


def normalise_relay_url(raw: str) -> str:
    """`https://relay.example.com` from what a person typed; ValueError with a sentence if bad."""
    text = (raw or "").strip().rstrip("/")
    if not text:
        raise ValueError(_("Enter the relay's address, like https://relay.example.com."))
    if "://" not in text:
        # A relay on this PC or the shop's network answers plain http (no certificate for an
        # address); one on the internet sits behind HTTPS.
        text = ("http://" if _is_local_host(urlsplit("//" + text).hostname) else "https://") + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not _is_host_name(parts.hostname):
        raise ValueError(
            _("{strip} is not a web address: it should look like https://host.").format(
                strip=raw.strip()
            )
        )
    if parts.query or parts.fragment:
        raise ValueError(_("The relay address must not have a query string (?...) or fragment."))
    return text


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*\.?")


def _is_host_name(host: str | None) -> bool:
    """A DNS name or an IP address ("kamau wifi relay" is neither)."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return _HOST_NAME.fullmatch(host) is not None
    return True


def _is_local_host(host: str | None) -> bool:
    """localhost, or an IP address on this PC or a private network."""
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


class RelayClient:
    """One provider's view of one relay, authenticated with its token."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")
        self._token = token

    def __repr__(self) -> str:
        return f"RelayClient(base_url={self.base_url!r}, token=<hidden>)"

    async def identify(self) -> Identity:
        """Who the token belongs to, as the relay's /me/ says."""
        try:
            data = await self._request("GET", "/payments/bucket/me/")
        except RelayRequestError as error:
            if error.http_status != 404:
                raise
            return await self._guess_identity()
        return Identity.from_json(data)

    async def _guess_identity(self) -> Identity:
        # A relay from before /me/: the owner sees the credentials summary, an attendant not.
        try:
            summary = await self.credentials()
        except RelayForbidden:
            return Identity(role="attendant", provider_name=None, provider_id=None)
        except RelayRequestError as error:
            if error.http_status != 404:
                raise
            # A relay behind a path the person added ("https://host/payments"): say so.
            raise RelayUnexpectedResponse(
                _(
                    "No Payment Bucket relay answers at {base_url}: check the address with your "
                    "relay operator (it usually ends with the host name, like "
                    "https://relay.example.com)."
                ).format(base_url=self.base_url),
                code="not_a_relay",
                http_status=404,
            ) from None
        return Identity(
            role="owner", provider_name=summary.provider_name, provider_id=summary.provider_id
        )

    async def desks(self) -> list[Desk]:
        """The provider's desks that are not revoked (owner only)."""
        data = await self._request("GET", "/payments/bucket/desks/")
        raw = data.get("items")
        return [Desk.from_json(item) for item in (raw or []) if isinstance(item, dict)]

    async def add_desk(self, name: str) -> NewDesk:
        """A new attendant desk and its token (shown once)."""
        data = await self._request("POST", "/payments/bucket/desks/", json_body={"name": name})
        return NewDesk(desk=Desk.from_json(data), token=_field(data, "token", str))

    async def rename_desk(self, token_id: int, name: str) -> None:
        """Give a desk another name."""
        await self._request("PUT", f"/payments/bucket/desks/{token_id}/", json_body={"name": name})

    async def revoke_desk(self, token_id: int) -> None:
        """Revoke a desk at once."""
        await self._request("DELETE", f"/payments/bucket/desks/{token_id}/")

    async def test_prompt(self, phone_number: str, amount: int = 1) -> InitiatedPush:
        """The owner's test prompt: Daraja accepting it proves the shortcode and passkey."""
        body = {"phone_number": phone_number, "amount": amount}
        data = await self._request(
            "POST", "/payments/bucket/test-prompt/", json_body=body, timeout_s=60.0
        )
        return InitiatedPush.from_json(data)

    async def relay_version(self) -> str:
        """The relay's version, as its health route reports it."""
        data = await self._request("GET", "/healthz", timeout_s=10.0)
        return _field(data, "version", str)

    async def relay_key(self) -> RelayKey:
        """The relay's public key; refuses a fingerprint that does not match the key."""
        data = await self._request("GET", "/payments/bucket/relay-key/")
        public_key = _field(data, "public_key", str)
        try:
            computed = fingerprint(public_key)
        except SealingError as error:
            raise RelayUnexpectedResponse(str(error), code="bad_response") from None
        claimed = data.get("fingerprint")
        if isinstance(claimed, str) and claimed.upper() != computed:
            raise RelayUnexpectedResponse(
                _("The relay sent a key whose fingerprint does not match: nothing was sent."),
                code="bad_fingerprint",
            )
        return RelayKey(public_key=public_key, fingerprint=computed)

    async def credentials(self) -> CredentialsSummary:
        """The masked summary of the stored credentials (owner only)."""
        data = await self._request("GET", "/payments/bucket/credentials/")
        return CredentialsSummary.from_json(data)

    async def put_credentials(self, sealed: str, key_fingerprint: str) -> CredentialsSummary:
        """Upload credentials sealed to the relay key; returns the new summary."""
        body = {"sealed": sealed, "key_fingerprint": key_fingerprint}
        data = await self._request("PUT", "/payments/bucket/credentials/", json_body=body)
        return CredentialsSummary.from_json(data)

    async def test_credentials(self) -> VerificationResult:
        """Ask the relay to test the stored credentials against Daraja and its own BASE_URL."""
        data = await self._request(
            "POST", "/payments/bucket/test-credentials/", json_body={}, timeout_s=60.0
        )
        return VerificationResult.from_json(data)

    async def initiate(
        self,
        *,
        phone_number: str,
        amount: int,
        account_reference: str,
        transaction_desc: str,
        idempotency_key: str | None = None,
        plan_id: int | None = None,
    ) -> InitiatedPush:
        """Start an STK push through the relay (on one of its plans when `plan_id` is given)."""
        body: dict[str, Any] = {
            "phone_number": phone_number,
            "amount": amount,
            "account_reference": account_reference,
            "transaction_desc": transaction_desc,
        }
        if plan_id is not None:
            # The amount goes too: the relay refuses it (409) if the plan's price has changed.
            body["plan_id"] = plan_id
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        data = await self._request(
            "POST", "/payments/bucket/initiate/", json_body=body, headers=headers, timeout_s=60.0
        )
        return InitiatedPush.from_json(data)

    async def status(self, checkout_request_id: str) -> PaymentItem:
        """The push's current state (the relay may ask Daraja first)."""
        body = {"checkout_request_id": checkout_request_id}
        data = await self._request(
            "POST", "/payments/bucket/status/", json_body=body, timeout_s=60.0
        )
        payment = data.get("payment", data)
        return PaymentItem.from_json(payment if isinstance(payment, dict) else data)

    async def retry_access(self, code: str) -> int:
        """Make the failed deliveries of an access due now; returns how many were requeued."""
        path = f"/payments/bucket/access/{quote(code, safe='')}/retry/"
        data = await self._request("POST", path)
        retrying = data.get("retrying")
        return retrying if isinstance(retrying, int) and not isinstance(retrying, bool) else 0

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """Any JSON route of the relay under /payments/bucket/ (feature clients build on it)."""
        return await self._request(method, "/payments/bucket/" + path.lstrip("/"), json_body=body)

    async def payments(self, *, after: int = 0, wait: float = 0, limit: int = 500) -> PaymentsPage:
        """Payment changes after cursor `after`, waiting up to `wait` seconds when none."""
        wait = max(0.0, min(float(wait), MAX_WAIT_S))
        params = {"after": str(after), "wait": f"{wait:g}", "limit": str(limit)}
        data = await self._request(
            "GET", "/payments/bucket/payments/", params=params, timeout_s=wait + DEFAULT_TIMEOUT_S
        )
        return PaymentsPage.from_json(data, after)

    async def snapshot(self, on_items: ItemsSink) -> PaymentsPage | None:
        """Stream every payment to `on_items`; return the cursor to follow the feed from.

        None from a relay too old to have it: the caller reads the feed page by page instead.
        """
        with _network_errors(self.base_url):
            async with self._http.stream(
                "GET", self.base_url + SNAPSHOT_PATH, headers=self._headers(),
                timeout=SNAPSHOT_TIMEOUT_S,
            ) as response:  # fmt: skip
                if response.status_code in (404, 405):
                    return None
                if not response.is_success:
                    await response.aread()
                    _decode(response, self.base_url)  # raises the relay's own error
                return await read_snapshot(response.aiter_bytes(), on_items, self.base_url)

    async def request_json(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """One authenticated call to a relay route (for feature clients built on this one)."""
        return await self._request(method, path, json_body=json_body, params=params)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> dict[str, Any]:
        with _network_errors(self.base_url):
            response = await self._http.request(
                method,
                self.base_url + path,
                json=json_body,
                params=params,
                headers={**self._headers(), **(headers or {})},
                timeout=timeout_s,
            )
        return _decode(response, self.base_url)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Token {self._token}", "Accept": "application/json"}


@contextlib.contextmanager
def _network_errors(base_url: str) -> Iterator[None]:
    """httpx's network failures as the sentence a person can act on."""
    try:
        yield
    except httpx.TimeoutException:
        raise RelayUnavailable(
            _("The relay at {base_url} did not answer in time.").format(base_url=base_url),
            code="timeout",
        ) from None
    except httpx.HTTPError:
        raise RelayUnavailable(
            _(
                "The relay at {base_url} cannot be reached: check the address and the network."
            ).format(base_url=base_url),
            code="network",
        ) from None


def _decode(response: httpx.Response, base_url: str) -> dict[str, Any]:
    data = _json_object(response)
    if response.is_success:
        if data is None:
            raise RelayUnexpectedResponse(
                _(
                    "{base_url} answered, but not like a Payment Bucket relay: check the address "
                    "(your relay operator has it)."
                ).format(base_url=base_url),
                code="bad_response",
                http_status=response.status_code,
            )
        return data
    raise _error_for(response.status_code, data, base_url)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _error_for(status: int, data: dict[str, Any] | None, base_url: str) -> RelayError:
    error = data.get("error") if data else None
    message = error.get("message") if isinstance(error, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    field = error.get("field") if isinstance(error, dict) else None
    text = message if isinstance(message, str) and message.strip() else None
    if text is not None:
        text = relay_sentence(code if isinstance(code, str) else None, text)
    kwargs: dict[str, Any] = {
        "code": code if isinstance(code, str) else f"http_{status}",
        "http_status": status,
        "field": field if isinstance(field, str) else None,
    }
    if status == 401:
        return RelayAuthError(
            text or _("The relay does not accept this token: it is wrong or was revoked."), **kwargs
        )
    if status == 403:
        return RelayForbidden(text or _("This token is not allowed to do that."), **kwargs)
    if status >= 500:
        return RelayUnavailable(
            text
            or _(
                "The relay at {base_url} had a problem on its side; try again shortly. If it "
                "keeps happening, tell your relay operator."
            ).format(base_url=base_url),
            **kwargs,
        )
    if text is None:  # not the relay's error envelope: another server answered
        return RelayUnexpectedResponse(
            _(
                "{base_url} answered, but not like a Payment Bucket relay: check the address "
                "(your relay operator has it)."
            ).format(base_url=base_url),
            **kwargs,
        )
    return RelayRequestError(text, **kwargs)


def _field(data: dict[str, Any], name: str, kind: type[str]) -> str:
    value = data.get(name)
    if not isinstance(value, kind) or not value:
        raise RelayUnexpectedResponse(
            _("The relay's answer has no {value}.").format(value=name.replace("_", " ")),
            code="bad_response",
        )
    return value
