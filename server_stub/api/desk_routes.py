"""`/payments/bucket/...`: who a token is, the owner's desks, and the owner's test prompt."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request

from server_stub.api.auth import Caller, any_role, me_caller, owner_only
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import DeskCreate, DeskRename, TestPromptRequest, request_body
from server_stub.api.schemas import (
    DeskChanged,
    DeskCreated,
    DeskItem,
    DesksPage,
    InitiateResponse,
    MeResponse,
    iso_time,
)
from server_stub.api.state import relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.payments.pushes import PushRequest, Sender
from server_stub.platform.disabled import refuse_if_disabled
from server_stub.security.rate_limit import charge_stk_push
from server_stub.security.tokens import new_token, token_hash
from server_stub.store.records import Purpose, Role, TokenRecord

router = APIRouter(prefix="/payments/bucket")
AnyRole = Annotated[Caller, Depends(any_role)]
AnyToken = Annotated[Caller, Depends(me_caller)]
Owner = Annotated[Caller, Depends(owner_only)]
BODY_ERRORS = (400, 401, 403, 413, 415)
# SQLite integers are 64-bit: a larger id is refused as bad input, not an overflow.
DeskId = Annotated[int, Path(ge=1, le=2**63 - 1)]
TEST_REFERENCE = "TEST"
TEST_DESCRIPTION = "Test prompt"


@router.get("/me/", response_model=MeResponse, responses=error_responses(401, 404))
async def me(request: Request, caller: AnyToken) -> MeResponse:
    """The role, provider and desk name of this token (no provider for an administrator)."""
    if caller.role is Role.ADMIN:
        return MeResponse(
            role="admin",
            provider_id=None,
            provider_name=None,
            token_id=caller.token_id,
            name=caller.name,
        )
    provider = await relay_of(request).store.get_provider(caller.provider_id)
    if provider is None:
        raise RelayError("This provider no longer exists.", code="not_found", status=404)
    return MeResponse(
        role="owner" if caller.role is Role.OWNER else "attendant",
        provider_id=provider.id,
        provider_name=provider.name,
        token_id=caller.token_id,
        name=caller.name,
    )


@router.get("/desks/", response_model=DesksPage, responses=error_responses(401, 403))
async def list_desks(request: Request, caller: Owner) -> DesksPage:
    """The provider's desks (tokens) that are not revoked, oldest first."""
    records = await relay_of(request).store.provider_tokens(caller.provider_id)
    return DesksPage(items=[_item(record, caller) for record in records])


@router.post(
    "/desks/",
    response_model=DeskCreated,
    openapi_extra=request_body(DeskCreate),
    responses=error_responses(*BODY_ERRORS),
)
async def add_desk(request: Request, caller: Owner) -> DeskCreated:
    """A new attendant desk; its token is in this answer and never shown again."""
    relay = relay_of(request)
    body = await json_body(request, DeskCreate, relay.settings.json_max_bytes)
    token = new_token()
    name = body.name.strip()
    now = time.time()
    token_id = await relay.store.add_token(
        token_hash(token),
        caller.provider_id,
        Role.ATTENDANT,
        now,
        name,
        audit=audit(
            request,
            caller,
            Action.TOKEN_ISSUED,
            lambda new_id: f"attendant token {new_id} “{name}”",
        ),
    )
    record = TokenRecord(caller.provider_id, Role.ATTENDANT, False, token_id, name, now)
    return DeskCreated(token=token, **_item(record, caller).model_dump())


@router.put(
    "/desks/{token_id}/",
    response_model=DeskChanged,
    openapi_extra=request_body(DeskRename),
    responses=error_responses(*BODY_ERRORS, 404),
)
async def rename_desk(request: Request, caller: Owner, token_id: DeskId) -> DeskChanged:
    """Give a desk another name (pushes already sent keep the name they were sent under)."""
    relay = relay_of(request)
    body = await json_body(request, DeskRename, relay.settings.json_max_bytes)
    name = body.name.strip()
    if not await relay.store.rename_token(
        caller.provider_id,
        token_id,
        name,
        audit=audit(request, caller, Action.TOKEN_RENAMED, f"token {token_id} is now “{name}”"),
    ):
        raise _no_such_desk()
    return DeskChanged(success=True, token_id=token_id, name=name, revoked=False)


@router.delete(
    "/desks/{token_id}/",
    response_model=DeskChanged,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def revoke_desk(request: Request, caller: Owner, token_id: DeskId) -> DeskChanged:
    """Revoke a desk at once; a desk following the feed hears it within a moment."""
    relay = relay_of(request)
    if token_id == caller.token_id:
        raise RelayError(
            "This is the token this PC is signed in with: revoke it from another owner desk, "
            "or ask your relay operator.",
            code="own_token",
            status=409,
        )
    desks = {record.id: record for record in await relay.store.provider_tokens(caller.provider_id)}
    revoked = desks.get(token_id)
    if revoked is None or not await relay.store.revoke_token_id(
        caller.provider_id,
        token_id,
        time.time(),
        audit=audit(
            request,
            caller,
            Action.TOKEN_REVOKED,
            f"{revoked.role} token {token_id} “{revoked.name}”",
        ),
    ):
        raise _no_such_desk()
    relay.notifier.notify(caller.provider_id)  # wakes the revoked desk's long poll
    return DeskChanged(success=True, token_id=token_id, name=desks[token_id].name, revoked=True)


@router.post(
    "/test-prompt/",
    response_model=InitiateResponse,
    openapi_extra=request_body(TestPromptRequest),
    responses=error_responses(*BODY_ERRORS, 404, 409, 429, 502, 503),
)
async def test_prompt(request: Request, caller: Owner) -> InitiateResponse:
    """Send a small prompt to the owner's phone: Daraja accepting it proves shortcode+passkey."""
    relay = relay_of(request)
    await refuse_if_disabled(relay.store, caller.provider_id)
    await charge_stk_push(request, caller.provider_id)
    body = await json_body(request, TestPromptRequest, relay.settings.json_max_bytes)
    push = PushRequest.validate(body.phone_number, body.amount, TEST_REFERENCE, TEST_DESCRIPTION)
    done = await relay.pushes.initiate(
        caller.provider_id,
        push,
        None,
        sender=Sender(caller.token_id, caller.name),
        purpose=Purpose.TEST,
    )
    return InitiateResponse(
        success=True,
        checkout_request_id=done.payment.checkout_request_id or "",
        merchant_request_id=done.payment.merchant_request_id,
        customer_message=done.customer_message,
        status=done.payment.status.value,
    )


def _item(record: TokenRecord, caller: Caller) -> DeskItem:
    return DeskItem(
        token_id=record.id,
        name=record.name,
        role=record.role.value,  # type: ignore[arg-type] # a provider's desks are never admin
        created_at=iso_time(record.created_at),
        last_used_at=iso_time(record.last_used_at) or None,
        last_address=record.last_address,
        this_desk=record.id == caller.token_id,
    )


def _no_such_desk() -> RelayError:
    return RelayError(
        "No such desk: it may have been revoked already.", code="not_found", status=404
    )
