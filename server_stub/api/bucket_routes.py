"""`/payments/bucket/...`: pushes, status, credentials, setup test and the relay key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from server_stub.api.auth import Caller, any_role, owner_only
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.plan_routes import plan_not_found
from server_stub.api.requests import (
    CredentialsPut,
    InitiateRequest,
    StatusRequest,
    initiate_body,
    request_body,
)
from server_stub.api.schemas import (
    CheckResult,
    CredentialsSummary,
    InitiateResponse,
    PaymentItem,
    RelayKeyResponse,
    StatusResponse,
    TestCredentialsResponse,
    iso_time,
)
from server_stub.api.state import RelayServices, relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.payments.pushes import PushRequest, Sender
from server_stub.plans.charging import plan_charge
from server_stub.platform.disabled import refuse_if_disabled
from server_stub.security.rate_limit import charge_stk_push

router = APIRouter(prefix="/payments/bucket")
AnyRole = Annotated[Caller, Depends(any_role)]
Owner = Annotated[Caller, Depends(owner_only)]
BODY_ERRORS = (400, 401, 413, 415)


@router.post(
    "/initiate/",
    response_model=InitiateResponse,
    openapi_extra=initiate_body(),
    responses=error_responses(*BODY_ERRORS, 403, 404, 409, 429, 502, 503),
)
async def initiate(
    request: Request,
    caller: AnyRole,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> InitiateResponse:
    """Send an STK push (payment prompt) to the customer's phone."""
    relay = relay_of(request)
    await refuse_if_disabled(relay.store, caller.provider_id)
    await charge_stk_push(request, caller.provider_id)
    body = await json_body(request, InitiateRequest, relay.settings.json_max_bytes)
    plan = None
    if body.plan_id is not None:
        plan = await relay.store.plans.get(caller.provider_id, body.plan_id)
        if plan is None or plan.archived:
            raise plan_not_found()
    amount, reference, description = plan_charge(
        plan, body.amount, body.account_reference, body.transaction_desc
    )
    push = PushRequest.validate(body.phone_number, amount, reference, description, plan)
    key = _idempotency_key(idempotency_key)
    sender = Sender(caller.token_id, caller.name)
    done = await relay.pushes.initiate(caller.provider_id, push, key, sender=sender)
    return InitiateResponse(
        success=True,
        checkout_request_id=done.payment.checkout_request_id or "",
        merchant_request_id=done.payment.merchant_request_id,
        customer_message=done.customer_message,
        status=done.payment.status.value,
    )


@router.post(
    "/status/",
    response_model=StatusResponse,
    openapi_extra=request_body(StatusRequest),
    responses=error_responses(*BODY_ERRORS, 403, 404),
)
async def status(request: Request, caller: AnyRole) -> StatusResponse:
    """The state of one push; asks Daraja first when it is pending and stale."""
    relay = relay_of(request)
    body = await json_body(request, StatusRequest, relay.settings.json_max_bytes)
    payment = await relay.pushes.status(caller.provider_id, body.checkout_request_id)
    return StatusResponse(success=True, **PaymentItem.of(payment).model_dump())


@router.post(
    "/test-credentials/",
    response_model=TestCredentialsResponse,
    responses=error_responses(401, 403, 404, 409),
)
async def test_credentials(request: Request, caller: Owner) -> TestCredentialsResponse:
    """Test the stored credentials against Daraja and check that BASE_URL reaches this relay."""
    report = await relay_of(request).tester.run(
        caller.provider_id, audit=audit(request, caller, Action.CREDENTIALS_TESTED)
    )
    return TestCredentialsResponse(
        success=report.success,
        message=report.message,
        status=report.status,
        tested_at=iso_time(report.tested_at),
        checks=[CheckResult(name=c.name, ok=c.ok, message=c.message) for c in report.checks],
    )


@router.get(
    "/credentials/",
    response_model=CredentialsSummary,
    responses=error_responses(401, 403),
)
async def get_credentials(request: Request, caller: Owner) -> CredentialsSummary:
    """The masked summary of the stored credentials; never a secret."""
    return await _summary(relay_of(request), caller.provider_id)


@router.put(
    "/credentials/",
    response_model=CredentialsSummary,
    openapi_extra=request_body(CredentialsPut),
    responses=error_responses(*BODY_ERRORS, 403, 404, 409),
)
async def put_credentials(request: Request, caller: Owner) -> CredentialsSummary:
    """Store credentials sealed to this relay's key; they must be tested again afterwards."""
    relay = relay_of(request)
    body = await json_body(request, CredentialsPut, relay.settings.json_max_bytes)
    await relay.vault.save_sealed(
        caller.provider_id,
        body.sealed,
        body.key_fingerprint,
        audit=audit(request, caller, Action.CREDENTIALS_SAVED),
    )
    return await _summary(relay, caller.provider_id)


@router.get("/relay-key/", response_model=RelayKeyResponse)
async def relay_key(request: Request) -> RelayKeyResponse:
    """The relay's public key for sealing credentials, and its fingerprint to compare."""
    key = relay_of(request).relay_key
    return RelayKeyResponse(public_key=key.public_key, fingerprint=key.fingerprint)


async def _summary(relay: RelayServices, provider_id: int) -> CredentialsSummary:
    provider = await relay.store.get_provider(provider_id)
    if provider is None:
        raise RelayError("This provider no longer exists.", code="not_found", status=404)
    stored = provider.credentials
    return CredentialsSummary(
        success=True,
        provider_id=provider.id,
        provider_name=provider.name,
        configured=stored is not None,
        shortcode=stored.shortcode if stored else None,
        environment=stored.environment if stored else None,
        account_type=stored.account_type if stored else None,
        till_number=stored.till_number if stored else None,
        verified=provider.credentials_verified,
        last_test=iso_time(provider.last_test) or None,
        test_status=provider.test_status,
        callback_url=relay.vault.callback_base(provider.id),
        prompt_proven_at=iso_time(provider.prompt_proven_at) or None,
        pushed_at=iso_time(provider.credentials_saved_at) or None,
        credentials_digest=(stored.digest or None) if stored else None,
    )


def _idempotency_key(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    key = raw.strip()
    if not key.isprintable():
        raise RelayError(
            "The Idempotency-Key header must be printable text of at most 100 characters.",
            code="invalid",
            field="Idempotency-Key",
        )
    return key
