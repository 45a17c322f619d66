"""`Authorization: Token <token>` (the original platform's scheme), looked up by SHA-256."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from server_stub.api.state import relay_of
from server_stub.errors import RelayError
from server_stub.rate_limit import note_failed_token, refuse_if_locked_out
from server_stub.store.records import Role
from server_stub.tokens import MAX_TOKEN_CHARS, token_hash

token_header = APIKeyHeader(
    name="Authorization",
    auto_error=False,
    description="`Token <token>` as issued by `bucket-relay create-provider` or `issue-token`.",
)


@dataclass(frozen=True, slots=True)
class Caller:
    """The provider and role a valid token belongs to."""

    provider_id: int
    role: Role
    # Identifies the token (its hash, never the value) for per-token limits.
    token_key: str = field(default="", repr=False)


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
        refuse_if_locked_out(request)
        note_failed_token(request)
        raise RelayError(
            "This token is not valid: it is wrong or was revoked.", code="invalid_token", status=401
        )
    return Caller(provider_id=record.provider_id, role=record.role, token_key=key)


async def any_role(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Owners and attendants."""
    return caller


async def owner_only(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Owners only: credentials are theirs alone."""
    if caller.role is not Role.OWNER:
        raise RelayError(
            "Only the owner's token may see, change or test the M-PESA credentials.",
            code="forbidden",
            status=403,
        )
    return caller
