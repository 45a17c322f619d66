"""How a route audits a change: it passes `audit=audit(request, caller, action, detail)` to the
store write that makes the change.

The store inserts the entry in the change's own transaction (see `entries.Audit`), so a crash
or a failed insert never keeps a change without its entry; a refused request, or a write that
changes nothing, leaves no entry. The entry names the caller's token by id, name and role
(never its value) and the address the request came from (X-Forwarded-For only from
TRUSTED_PROXIES).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from server_stub.api.auth import Caller
from server_stub.api.state import relay_of
from server_stub.audit.entries import Actor, Audit
from server_stub.security.rate_limit import caller_address
from server_stub.store.records import Role

T = TypeVar("T")
_OWN_PROVIDER = -1


def audit(
    request: Request,
    caller: Caller,
    action: str,
    detail: str | Callable[[T], str] = "",
    *,
    provider_id: int | Callable[[T], int | None] | None = _OWN_PROVIDER,
) -> Audit[T]:
    """The audit of `caller` doing `action` (on its own provider unless `provider_id` is
    given), for the store write that does it; `detail` may be a function of that write's
    result."""
    if provider_id == _OWN_PROVIDER:
        provider_id = None if caller.role is Role.ADMIN else caller.provider_id
    return Audit(
        at=relay_of(request).clock(),
        actor=Actor(
            token_id=caller.token_id,
            name=caller.name,
            role=caller.role.value,
            address=caller_address(request),
        ),
        action=action,
        detail=detail,
        provider_id=provider_id,
    )
