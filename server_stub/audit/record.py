"""The one call a route makes to record a change: `await audit(request, caller, action, detail)`.

The entry names the caller's token by id, name and role (never its value) and the address the
request came from (X-Forwarded-For only from TRUSTED_PROXIES). It is appended after the change
succeeded, so a refused request leaves no entry.
"""

from __future__ import annotations

from fastapi import Request

from server_stub.api.auth import Caller
from server_stub.api.state import relay_of
from server_stub.audit.entries import Actor, AuditEntry
from server_stub.security.rate_limit import caller_address
from server_stub.store.records import Role

_OWN_PROVIDER = -1


async def audit(
    request: Request,
    caller: Caller,
    action: str,
    detail: str = "",
    *,
    provider_id: int | None = _OWN_PROVIDER,
) -> None:
    """Record that `caller` did `action` (on its own provider unless `provider_id` is given)."""
    relay = relay_of(request)
    if provider_id == _OWN_PROVIDER:
        provider_id = None if caller.role is Role.ADMIN else caller.provider_id
    entry = AuditEntry(
        at=relay.clock(),
        actor=Actor(
            token_id=caller.token_id,
            name=caller.name,
            role=caller.role.value,
            address=caller_address(request),
        ),
        provider_id=provider_id,
        action=action,
        detail=detail,
    )
    await relay.store.audit.append(entry)
