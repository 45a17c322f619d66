"""Typed Daraja failures, each carrying one sentence a hotspot owner can act on.

Daraja answers errors in several shapes (DARAJA.md, "Responses and errors"): its own envelope
`{requestId, errorCode, errorMessage}`, an Apigee `{"fault": ...}`, a newer
`{resultCode, resultDesc}`, HTML pages from the firewall, and empty bodies. `classify` turns any
of them into one of the classes below; nothing raw (KeyError, JSONDecodeError) reaches callers.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bucket_desktop.i18n import _

_TAGS = re.compile(r"<[^>]*>")


class DarajaError(Exception):
    """A Daraja call that did not succeed. `str(error)` is the plain sentence."""

    retryable_by_default = False

    def __init__(
        self,
        message: str,
        *,
        code: str,
        daraja_message: str | None = None,
        http_status: int | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.daraja_message = daraja_message
        self.http_status = http_status
        self.retryable = self.retryable_by_default if retryable is None else retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, http_status={self.http_status!r})"


class DarajaAuthError(DarajaError):
    """The consumer key or secret (or the sign-in request itself) was refused."""


class DarajaTokenRejected(DarajaAuthError):
    """404.001.03 Invalid Access Token: the client fetches a fresh token and retries once."""


class DarajaRequestError(DarajaError):
    """400.002.02 Invalid <field>: the request itself was refused; `field` names it."""

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.field = field


class DarajaCredentialsRejected(DarajaError):
    """500.001.1001 Wrong credentials / Merchant does not exist: shortcode or passkey is wrong."""


class DarajaSubscriberBusy(DarajaError):
    """500.001.1001 Unable to lock subscriber: a prompt is already open on that phone."""

    retryable_by_default = True


class DarajaRateLimited(DarajaError):
    """500.003.02 Spike Arrest / 500.003.03 Quota: back off."""

    retryable_by_default = True


class DarajaUnavailable(DarajaError):
    """Safaricom could not be reached or answered with a server error page."""

    retryable_by_default = True


class DarajaUnexpectedResponse(DarajaError):
    """An answer in a shape the client does not know (Apigee faults, odd bodies)."""


def summarise_body(body: bytes, limit: int = 160) -> str:
    """A short, tag-free, single-line excerpt of a response body for error details."""
    text = body.decode("utf-8", errors="replace")
    text = " ".join(_TAGS.sub(" ", text).split())
    return text[:limit]


def parse_json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is empty, not JSON, or not an object."""
    if not body.strip():
        return None
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def classify(status: int, body: bytes, *, token_call: bool = False) -> DarajaError:
    """Turn a failed Daraja answer of any shape into a typed error with a plain sentence."""
    data = parse_json_object(body)
    if data is not None and "errorCode" in data:
        return _from_envelope(status, data)
    if data is not None and isinstance(data.get("fault"), dict):
        return _from_fault(status, data["fault"], token_call=token_call)
    if data is not None and "resultCode" in data and token_call:
        return _auth_error(status, str(data.get("resultDesc") or "") or None)
    if not body.strip() and not (token_call and status in (400, 401, 403)):
        return DarajaUnavailable(
            _("Safaricom sent an empty answer: try again in a few minutes."),
            code="empty_response" if status < 500 else f"http_{status}",
            http_status=status,
        )
    if status >= 500 or status == 429:
        return DarajaUnavailable(
            _("Safaricom's service is unavailable right now: try again in a few minutes."),
            code=f"http_{status}",
            daraja_message=summarise_body(body) or None,
            http_status=status,
        )
    if token_call and status in (400, 401, 403):
        return _auth_error(status, summarise_body(body) or None)
    return DarajaUnexpectedResponse(
        _(
            "Safaricom sent an answer the app could not understand: try again in a few "
            "minutes, and tell your relay operator if it keeps happening."
        ),
        code="bad_response",
        daraja_message=summarise_body(body) or None,
        http_status=status,
    )


def _auth_error(status: int, detail: str | None) -> DarajaAuthError:
    return DarajaAuthError(
        _("The consumer key or secret is wrong: copy both again from your Daraja app."),
        code="auth_failed",
        daraja_message=detail,
        http_status=status,
    )


def _from_envelope(status: int, data: dict[str, Any]) -> DarajaError:
    code = str(data.get("errorCode"))
    text = str(data.get("errorMessage") or "").strip()
    lowered = text.lower()
    common: dict[str, Any] = {"code": code, "daraja_message": text or None, "http_status": status}
    if code == "404.001.03":
        return DarajaTokenRejected(_("Safaricom rejected the access token."), **common)
    if code == "400.008.01":
        # Our Basic header is always well formed, so in practice this means a wrong key/secret.
        return DarajaAuthError(
            _("The consumer key or secret is wrong: copy both again from your Daraja app."),
            **common,
        )
    if code == "400.008.02":
        return DarajaAuthError(
            _(
                "Safaricom refused the sign-in request (invalid grant type): check the "
                "Daraja address in use."
            ),
            **common,
        )
    if code == "400.002.02":
        field = text.split("Invalid", 1)[1].strip(" -:") if "Invalid" in text else None
        return DarajaRequestError(
            _("Safaricom refused the request: {text}.").format(
                text=text or _("a field is invalid")
            ),
            field=field,
            **common,
        )
    if code == "500.001.1001":
        return _from_1001(lowered, text, common)
    if code == "500.003.02":
        return DarajaRateLimited(
            _("Safaricom is rate limiting this app: wait a minute and try again."), **common
        )
    if code == "500.003.03":
        return DarajaRateLimited(
            _("This Daraja app has used up its request quota: wait, or ask Safaricom to raise it."),
            **common,
        )
    if status >= 500:
        return DarajaUnavailable(
            _("Safaricom could not process the request ({text}): try again shortly.").format(
                text=text or code
            ),
            **common,
        )
    return DarajaError(
        _("Safaricom refused the request: {text} ({code}).").format(text=text or code, code=code),
        **common,
    )


def _from_1001(lowered: str, text: str, common: dict[str, Any]) -> DarajaError:
    if "lock subscriber" in lowered:
        return DarajaSubscriberBusy(
            _("Another M-PESA prompt is open on that phone: wait 1 to 2 minutes and try again."),
            **common,
        )
    if "merchant does not exist" in lowered:
        return DarajaCredentialsRejected(
            _(
                "Safaricom does not know this shortcode: check it (for a till, use the store "
                "number)."
            ),
            **common,
        )
    if "wrong credentials" in lowered:
        return DarajaCredentialsRejected(
            _("Safaricom says the shortcode and passkey do not match: check both."), **common
        )
    return DarajaError(
        _("Safaricom could not process the request: {text}.").format(text=text or _("no reason")),
        **common,
    )


def _from_fault(status: int, fault: dict[str, Any], *, token_call: bool) -> DarajaError:
    text = str(fault.get("faultstring") or "").strip()
    lowered = text.lower()
    common: dict[str, Any] = {
        "code": "fault",
        "daraja_message": text or None,
        "http_status": status,
    }
    if "apiproduct" in lowered or "api product" in lowered:
        return DarajaUnexpectedResponse(
            _(
                "This Daraja app is not enabled for M-PESA Express (STK push): add the "
                "product to the app on the Daraja portal."
            ),
            **common,
        )
    if token_call or "apikey" in lowered or "invalid_client" in lowered:
        return _auth_error(status, text or None)
    if "proxy" in lowered or status == 404:
        return DarajaUnexpectedResponse(
            _(
                "Safaricom does not offer this service at the address in use: check that the "
                "environment (Sandbox or Production) is the one of your Daraja app."
            ),
            **common,
        )
    if status >= 500:
        return DarajaUnavailable(
            _("Safaricom's service is unavailable right now: try again in a few minutes."), **common
        )
    return DarajaUnexpectedResponse(
        _("Safaricom refused the request: {text}.").format(text=text or status), **common
    )
