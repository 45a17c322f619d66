"""`Authorization: Token <token>` (the original platform's scheme), looked up by SHA-256."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from server_stub.api.state import relay_of
from server_stub.errors import RelayError
from server_stub.security.rate_limit import caller_address, note_failed_token, refuse_if_locked_out
from server_stub.security.tokens import MAX_TOKEN_CHARS, token_hash
from server_stub.store.records import Role, TokenRecord

token_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    description="`Token <token>` as issued by `bucket-relay create-provider` or `issue-token`.",
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The provider, role and desk a valid token belongs to (an admin's provider_id is 0)."""

    provider_id: int
    role: Role
    # Identifies the token (its hash, never the value) for per-token limits.
    token_key: str = field(default="", repr=False)
    token_id: int = 0
    name: str = ""


# `last_used` is written at most this often per token (DESIGN.md section 13), so a desk's
# steady feed polling costs no writes.
TOUCH_EVERY_S = 60.0


async def authenticate(
    request: Request, header: Annotated[str | None, Depends(token_header)]
) -> Caller:
    """The caller of this request; 401 for a missing, unknown or revoked token."""
    scheme, _, value = (header or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value or len(value) > MAX_TOKEN_CHARS:
        raise RelayError(
            "Send your token as: Authorization: Token <token>.",
            code="not_authenticated",
            status=401,
        )
    key = token_hash(value)
    record = await relay_of(request).store.find_token(key)
    if record is None or record.revoked:
        # Only failures are refused once over the limit: a hotspot's customers share its public
        # address with the counter PC, and a guesser must not lock the attendant out.
        await refuse_if_locked_out(request)
        await note_failed_token(request)
        raise RelayError(
            "This token is not valid: it is wrong or was revoked.", code="invalid_token", status=401
        )
    await _note_use(request, record)
    return Caller(
        provider_id=record.provider_id or 0,
        role=record.role,
        token_id=record.id,
        name=record.name,
        token_key=key,
    )


async def still_valid(request: Request, caller: Caller) -> None:
    """401 when the caller's token was revoked since the request began (a long poll)."""
    record = await relay_of(request).store.find_token(caller.token_key)
    if record is None or record.revoked:
        raise RelayError(
            "This desk's token was revoked: ask the owner for a new one.",
            code="invalid_token",
            status=401,
        )


async def _note_use(request: Request, record: TokenRecord) -> None:
    now = time.time()
    if record.last_used_at is None or now - record.last_used_at >= TOUCH_EVERY_S:
        await relay_of(request).store.touch_token(record.id, now, caller_address(request))


def desk_caller(caller: Caller) -> Caller:
    """The caller if it is a provider's desk (owner or attendant); 403 for an admin."""
    if caller.role is Role.ADMIN:
        raise RelayError(
            "A platform administrator's token cannot charge customers, see payments or act for "
            "a provider: sign in with one of the provider's own tokens for that.",
            code="forbidden",
            status=403,
        )
    return caller


async def any_role(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Owners and attendants (a provider's desks; never a platform administrator)."""
    return desk_caller(caller)


async def owner_only(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Owners only: credentials are theirs alone."""
    if desk_caller(caller).role is not Role.OWNER:
        raise RelayError(
            "Only the owner's token may see, change or test the M-PESA credentials.",
            code="forbidden",
            status=403,
        )
    return caller


async def admin_only(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Platform administrators only."""
    if caller.role is not Role.ADMIN:
        raise RelayError(
            "Only a platform administrator's token may use the platform routes.",
            code="forbidden",
            status=403,
        )
    return caller


async def me_caller(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Any valid token, admin included (for `/me/`)."""
    return caller
