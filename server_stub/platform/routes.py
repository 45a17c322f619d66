"""`/payments/bucket/admin/...`: the platform administrator's routes (DESIGN.md section 12).

Admin tokens only (403 for a provider's tokens). Every change is written to the audit log with
the administrator's token id; no answer carries a Daraja secret, and a token's value appears
only in the answer that creates it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from server_stub.api.auth import Caller, admin_only
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import request_body
from server_stub.api.schemas import iso_time
from server_stub.api.state import RelayServices, relay_of
from server_stub.audit.entries import MAX_ACTION, Action, provider_created_detail
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.platform.health import HealthWindow
from server_stub.platform.schemas import (
    AuditItem,
    AuditPage,
    ProviderCreate,
    ProviderCreated,
    ProviderItem,
    ProvidersPage,
    ProviderState,
    TokenCreate,
    TokenIssued,
    TokenItem,
    TokenRevoked,
    TokensPage,
)
from server_stub.security.tokens import new_token, token_hash
from server_stub.store.records import NewToken, Role

router = APIRouter(prefix="/payments/bucket/admin")
Admin = Annotated[Caller, Depends(admin_only)]
# SQLite integers are 64-bit: a larger id is refused as bad input, not an overflow.
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
BODY_ERRORS = (400, 401, 403, 413, 415)
MAX_AUDIT_PAGE = 500
ROLE_NAMES = {Role.OWNER: "Owner", Role.ATTENDANT: "Attendant desk"}


@router.get("/providers/", response_model=ProvidersPage, responses=error_responses(401, 403))
async def list_providers(request: Request, caller: Admin) -> ProvidersPage:
    """Every provider with its health, oldest first."""
    relay = relay_of(request)
    now = relay.clock()
    healths = await relay.store.platform.health(HealthWindow.at(now))
    return ProvidersPage(
        generated_at=iso_time(now), items=[ProviderItem.of(health, now) for health in healths]
    )


@router.post(
    "/providers/",
    response_model=ProviderCreated,
    openapi_extra=request_body(ProviderCreate),
    responses=error_responses(*BODY_ERRORS),
)
async def create_provider(request: Request, caller: Admin) -> ProviderCreated:
    """A new provider with an owner and an attendant token (shown in this answer only)."""
    relay = relay_of(request)
    body = await json_body(request, ProviderCreate, relay.settings.json_max_bytes)
    name = body.name.strip()
    now = relay.clock()
    owner, attendant = new_token(), new_token()
    made = await relay.store.create_provider_with_tokens(
        name,
        now,
        [
            NewToken(token_hash(owner), Role.OWNER, ROLE_NAMES[Role.OWNER]),
            NewToken(token_hash(attendant), Role.ATTENDANT, ROLE_NAMES[Role.ATTENDANT]),
        ],
        audit=audit(
            request,
            caller,
            Action.PROVIDER_CREATED,
            lambda created: provider_created_detail(name, created),
            provider_id=lambda created: created.provider_id,
        ),
    )
    return ProviderCreated(
        provider_id=made.provider_id,
        owner_token=owner,
        attendant_token=attendant,
        relay_key_fingerprint=relay.relay_key.fingerprint,
    )


@router.post(
    "/providers/{provider_id}/disable/",
    response_model=ProviderState,
    responses=error_responses(400, 401, 403, 404),
)
async def disable_provider(request: Request, caller: Admin, provider_id: Id) -> ProviderState:
    """Refuse the provider's new prompts (callbacks of earlier ones are still applied)."""
    return await _set_disabled(request, caller, provider_id, disable=True)


@router.post(
    "/providers/{provider_id}/enable/",
    response_model=ProviderState,
    responses=error_responses(400, 401, 403, 404),
)
async def enable_provider(request: Request, caller: Admin, provider_id: Id) -> ProviderState:
    """Let the provider take payments again."""
    return await _set_disabled(request, caller, provider_id, disable=False)


@router.get(
    "/providers/{provider_id}/tokens/",
    response_model=TokensPage,
    responses=error_responses(400, 401, 403, 404),
)
async def list_tokens(request: Request, caller: Admin, provider_id: Id) -> TokensPage:
    """The provider's live tokens (ids, names, last use); never their values."""
    store = relay_of(request).store
    await _provider_name(relay_of(request), provider_id)
    records = await store.provider_tokens(provider_id)
    items = [
        TokenItem(
            token_id=record.id,
            name=record.name,
            role=record.role.value,
            created_at=iso_time(record.created_at),
            last_used_at=iso_time(record.last_used_at) or None,
            last_address=record.last_address,
        )
        for record in records
    ]
    return TokensPage(provider_id=provider_id, items=items)


@router.post(
    "/providers/{provider_id}/tokens/",
    response_model=TokenIssued,
    openapi_extra=request_body(TokenCreate),
    responses=error_responses(*BODY_ERRORS, 404),
)
async def issue_token(request: Request, caller: Admin, provider_id: Id) -> TokenIssued:
    """A new owner or attendant token for the provider, shown in this answer only."""
    relay = relay_of(request)
    body = await json_body(request, TokenCreate, relay.settings.json_max_bytes)
    await _provider_name(relay, provider_id)
    role = Role(body.role)
    name = (body.name or ROLE_NAMES[role]).strip()
    token = new_token()
    token_id = await relay.store.add_token(
        token_hash(token),
        provider_id,
        role,
        relay.clock(),
        name,
        audit=audit(
            request,
            caller,
            Action.TOKEN_ISSUED,
            lambda new_id: f"{role.value} token {new_id} “{name}”",
            provider_id=provider_id,
        ),
    )
    return TokenIssued(
        provider_id=provider_id, token_id=token_id, token=token, role=role.value, name=name
    )


@router.delete(
    "/tokens/{token_id}/",
    response_model=TokenRevoked,
    responses=error_responses(400, 401, 403, 404),
)
async def revoke_token(request: Request, caller: Admin, token_id: Id) -> TokenRevoked:
    """Revoke one of a provider's tokens at once (admin tokens: `bucket-relay revoke-token`)."""
    relay = relay_of(request)
    record = await relay.store.platform.token(token_id)
    if record is None or record.revoked or record.provider_id is None:
        raise RelayError(
            "No such provider token: it may have been revoked already. Administrators' own "
            "tokens are revoked on the relay host with bucket-relay revoke-token.",
            code="not_found",
            status=404,
        )
    detail = f"{record.role.value} token {token_id} “{record.name}”"
    if not await relay.store.revoke_token_id(
        record.provider_id,
        token_id,
        relay.clock(),
        audit=audit(request, caller, Action.TOKEN_REVOKED, detail, provider_id=record.provider_id),
    ):
        raise RelayError("This token was revoked meanwhile.", code="not_found", status=404)
    relay.notifier.notify(record.provider_id)  # wakes the revoked desk's long poll
    return TokenRevoked(token_id=token_id, provider_id=record.provider_id, revoked=True)


@router.get("/audit/", response_model=AuditPage, responses=error_responses(400, 401, 403))
async def audit_log(
    request: Request,
    caller: Admin,
    provider: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    action: Annotated[str | None, Query(min_length=1, max_length=MAX_ACTION)] = None,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 100,
) -> AuditPage:
    """Audit entries newest first, by provider and action ("plan" matches every plan.*)."""
    entries = await relay_of(request).store.audit.entries(
        provider_id=provider, action=action, after=after, before=before, limit=limit
    )
    return AuditPage(items=[AuditItem.of(entry) for entry in entries])


async def _set_disabled(
    request: Request, caller: Admin, provider_id: int, *, disable: bool
) -> ProviderState:
    relay = relay_of(request)
    name = await _provider_name(relay, provider_id)
    action = Action.PROVIDER_DISABLED if disable else Action.PROVIDER_ENABLED
    changed = await relay.store.platform.set_disabled(
        provider_id,
        relay.clock() if disable else None,
        audit=audit(request, caller, action, f"“{name}”", provider_id=provider_id),
    )
    if changed is None:
        raise _no_such_provider()
    disabled_at = await relay.store.platform.disabled_at(provider_id)
    return ProviderState(
        provider_id=provider_id,
        disabled=disabled_at is not None,
        disabled_at=iso_time(disabled_at) or None,
        changed=bool(changed),
    )


async def _provider_name(relay: RelayServices, provider_id: int) -> str:
    provider = await relay.store.get_provider(provider_id)
    if provider is None:
        raise _no_such_provider()
    return provider.name


def _no_such_provider() -> RelayError:
    return RelayError("There is no such provider.", code="not_found", status=404)
