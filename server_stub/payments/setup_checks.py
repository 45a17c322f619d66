"""The owner's setup test: Daraja accepts the credentials, the callback URL suits Daraja, and
BASE_URL really leads back to this relay (proved with a one-time nonce on /healthz).

The owner reads these sentences in the app: they say what is wrong in the owner's words and
what to ask the relay's operator, never the name of a setting only the operator can change.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx

from bucket_desktop.services.credentials import DarajaCredentials, Environment
from bucket_desktop.services.daraja_client import DarajaClient
from bucket_desktop.services.daraja_errors import DarajaError
from bucket_desktop.services.mpesa_rules import lint_callback_url
from server_stub.audit.entries import Audit
from server_stub.errors import RelayError
from server_stub.security.vault import CredentialVault
from server_stub.store.protocol import Store

NONCE_LIFETIME_S = 60.0
ASK_FOR_PUBLIC_ADDRESS = (
    "Ask your relay operator to give the relay a public HTTPS address that leads to it."
)
SetupStatus = Literal["passed", "warning", "failed"]
# The checks' names: a desk in another language says each check in its own words by its name.
CREDENTIALS, CALLBACK_URL, BASE_URL = "credentials", "callback_url", "base_url"
CHECK_NAMES = (CREDENTIALS, CALLBACK_URL, BASE_URL)
SELF_CHECK_TIMEOUT_S = 5.0
_ISSUED_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


class NonceBook:
    """One-time nonces this relay is waiting to see on its own health route."""

    def __init__(self, clock: Callable[[], float], store: Store | None = None) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}
        # With several instances (a shared store) the self-check may reach another instance
        # than the one that issued the nonce: the nonces are kept in the database then.
        self._store = store if store is not None and store.shared else None

    async def issue(self) -> str:
        """A new nonce, valid for one use within a minute."""
        now = self._clock()
        nonce = secrets.token_urlsafe(16)
        if self._store is not None:
            await self._store.add_nonce(nonce, now + NONCE_LIFETIME_S, now)
            return nonce
        self._expiry = {n: t for n, t in self._expiry.items() if t > now}
        self._expiry[nonce] = now + NONCE_LIFETIME_S
        return nonce

    async def consume(self, nonce: str) -> bool:
        """True once for a nonce this relay (or another instance) issued, not yet expired."""
        if not _ISSUED_SHAPE.fullmatch(nonce):
            # Not one of ours (token_urlsafe); never sent on to the store, whose PostgreSQL
            # text refuses some characters (NUL) that a query string can carry.
            return False
        if self._store is not None:
            return await self._store.take_nonce(nonce, self._clock())
        expiry = self._expiry.pop(nonce, None)
        return expiry is not None and expiry > self._clock()


@dataclass(frozen=True, slots=True)
class Check:
    """One named check and its sentence."""

    name: str
    ok: bool
    message: str


@dataclass(frozen=True, slots=True)
class SetupReport:
    """The outcome of test-credentials."""

    success: bool
    status: SetupStatus
    message: str
    tested_at: float
    checks: tuple[Check, ...]


class SetupTester:
    """Runs the three setup checks and records the verification fields."""

    def __init__(
        self,
        store: Store,
        vault: CredentialVault,
        daraja: DarajaClient,
        http: httpx.AsyncClient,
        nonces: NonceBook,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._vault = vault
        self._daraja = daraja
        self._http = http
        self._nonces = nonces
        self._clock = clock

    async def run(self, provider_id: int, *, audit: Audit[bool] | None = None) -> SetupReport:
        """Test the stored credentials and the relay's public address (`audit` is completed
        with the result and stored with it)."""
        provider = await self._store.get_provider(provider_id)
        if provider is None:
            raise RelayError("This provider no longer exists.", code="not_found", status=404)
        credentials = self._vault.open(provider)
        checks = (
            await self._credentials_check(credentials),
            self._callback_url_check(provider_id, credentials.environment),
            await self._reachability_check(),
        )
        report = _report(checks, self._clock())
        if audit is not None:
            audit = audit.with_detail(f"result: {report.status}")
        await self._store.record_credentials_test(
            provider_id,
            verified=checks[0].ok,
            tested_at=report.tested_at,
            status=report.status,
            audit=audit,
        )
        return report

    async def _credentials_check(self, credentials: DarajaCredentials) -> Check:
        try:
            await self._daraja.test_credentials(credentials)
        except DarajaError as error:
            return Check(CREDENTIALS, False, error.message)
        return Check(CREDENTIALS, True, "Daraja accepted the consumer key and secret.")

    def _callback_url_check(self, provider_id: int, environment: Environment) -> Check:
        url = self._vault.callback_base(provider_id)
        problems = lint_callback_url(url, production=environment is Environment.PRODUCTION)
        if problems:
            return Check(CALLBACK_URL, False, " ".join([*problems, ASK_FOR_PUBLIC_ADDRESS]))
        return Check(CALLBACK_URL, True, f"The callback address {url} suits Daraja.")

    async def _reachability_check(self) -> Check:
        base = self._vault.base_url
        nonce = await self._nonces.issue()
        try:
            response = await self._http.get(
                f"{base}/healthz", params={"nonce": nonce}, timeout=SELF_CHECK_TIMEOUT_S
            )
            reached = response.status_code == 200 and response.json().get("nonce_ok") is True
        except (httpx.HTTPError, ValueError, AttributeError):
            reached = False
        if reached:
            return Check(BASE_URL, True, f"The relay's public address {base} leads back to it.")
        return Check(
            BASE_URL,
            False,
            f"Payment results sent to the relay's public address {base} would not reach it. "
            + ASK_FOR_PUBLIC_ADDRESS,
        )


NOT_CHECKED_HERE = (
    "The shortcode and passkey are proven only by a test prompt to your phone (Daraja checks "
    "them on a payment prompt and nowhere else)."
)


def _report(checks: tuple[Check, ...], tested_at: float) -> SetupReport:
    credentials_ok = checks[0].ok
    failed = [check for check in checks if not check.ok]
    status: SetupStatus
    if not credentials_ok:
        status, message = "failed", checks[0].message
    elif failed:
        # The checks carry the details: saying them here too would repeat each one.
        status = "warning"
        message = (
            "The consumer key and secret work, but Safaricom cannot send payment results back "
            "to this relay yet (see the checks)."
        )
    else:
        status = "passed"
        message = "The consumer key and secret work and Safaricom can reach this relay."
    if credentials_ok:
        # Daraja checks the shortcode and passkey only on an STK push, so this test cannot.
        message += " " + NOT_CHECKED_HERE
    return SetupReport(credentials_ok, status, message, tested_at, checks)
