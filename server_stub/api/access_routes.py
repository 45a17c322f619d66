"""`/payments/bucket/access-settings/`: how and when a paid customer gets online."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from server_stub.api.auth import Caller, owner_only
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import JsonRequest, request_body
from server_stub.api.state import RelayServices, relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.radius.rows import nas_identifier
from server_stub.store.records import MIKROTIK, RADIUS, AccessChange

router = APIRouter(prefix="/payments/bucket")
Owner = Annotated[Caller, Depends(owner_only)]


class AccessSettings(BaseModel):
    """The provider's access settings: when access is given, and how it reaches the network."""

    success: bool = True
    access_at_callback: bool = Field(
        description="Give access as soon as the callback says paid, before the STK query "
        "confirms it (faster, but a forged callback would get a code)."
    )
    radius_enabled: bool = Field(
        description="Each plan's access code is written into FreeRADIUS's database, so the "
        "hotspot lets the customer in through RADIUS."
    )
    radius_available: bool = Field(
        description="This relay has a RADIUS database (RADIUS_DATABASE_URL); only then can "
        "RADIUS be switched on."
    )

    radius_problem: str | None = Field(
        description="Why the relay cannot write FreeRADIUS's database right now (null: it can)."
    )
    radius_nas_identifier: str = Field(
        description="The identity the provider's routers must have (`/system identity set "
        "name=...`): RADIUS lets a code in only at the hotspot of the provider that sold it."
    )

    mikrotik_enabled: bool = Field(
        description="A desk at the shop's router makes each plan's access a hotspot user."
    )
    router_identity: str | None = Field(
        description="The `/system identity` of the router MikroTik delivery is bound to: only "
        "a desk whose router Test saw this identity claims deliveries."
    )


class AccessSettingsPut(JsonRequest):
    """Change the access settings; a field left out keeps its value."""

    access_at_callback: bool | None = None
    radius_enabled: bool | None = None
    mikrotik_enabled: bool | None = None
    router_identity: str | None = Field(
        default=None, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"
    )


@router.get("/access-settings/", response_model=AccessSettings, responses=error_responses(401, 403))
async def get_access_settings(request: Request, caller: Owner) -> AccessSettings:
    """The provider's access settings."""
    return await _settings(relay_of(request), caller.provider_id)


@router.put(
    "/access-settings/",
    response_model=AccessSettings,
    openapi_extra=request_body(AccessSettingsPut),
    responses=error_responses(400, 401, 403, 409, 413, 415),
)
async def put_access_settings(request: Request, caller: Owner) -> AccessSettings:
    """Change the provider's access settings."""
    relay = relay_of(request)
    body = await json_body(request, AccessSettingsPut, relay.settings.json_max_bytes)
    if body.radius_enabled and not relay.settings.radius_configured:
        raise RelayError(
            "This relay has no RADIUS database, so RADIUS delivery cannot be switched on: its "
            "operator sets RADIUS_DATABASE_URL (see the relay's deploy guide).",
            code="radius_unavailable",
            status=409,
            field="radius_enabled",
        )
    bound = await relay.store.mechanisms.router_identity(caller.provider_id)
    if body.mikrotik_enabled and body.router_identity is None and bound is None:
        raise RelayError(
            "Test the router from a desk at the shop first: MikroTik delivery is bound to the "
            "router the Test reached.",
            code="router_identity_missing",
            field="router_identity",
        )
    change = AccessChange(
        access_at_callback=body.access_at_callback,
        radius_enabled=body.radius_enabled,
        mikrotik_enabled=body.mikrotik_enabled,
        router_identity=body.router_identity,
    )
    await relay.store.mechanisms.change_settings(
        caller.provider_id,
        change,
        relay.clock(),
        audit=audit(request, caller, Action.ACCESS_SETTINGS_CHANGED, _changes(body)),
    )
    return await _settings(relay, caller.provider_id)


def _changes(body: AccessSettingsPut) -> str:
    """What the owner changed, for the audit log."""
    changes = []
    for label, value in (
        ("access at the callback", body.access_at_callback),
        ("RADIUS", body.radius_enabled),
        ("MikroTik", body.mikrotik_enabled),
    ):
        if value is not None:
            changes.append(f"{label} {'on' if value else 'off'}")
    if body.router_identity is not None:
        changes.append(f"router {body.router_identity!r}")
    return ", ".join(changes) or "nothing"


async def _settings(relay: RelayServices, provider_id: int) -> AccessSettings:
    store = relay.store
    enabled = await store.mechanisms.enabled(provider_id)
    return AccessSettings(
        access_at_callback=await store.access_at_callback(provider_id),
        radius_enabled=RADIUS in enabled,
        radius_available=relay.settings.radius_configured,
        radius_problem=await relay.radius.check() if relay.radius is not None else None,
        radius_nas_identifier=nas_identifier(provider_id),
        mikrotik_enabled=MIKROTIK in enabled,
        router_identity=await store.mechanisms.router_identity(provider_id),
    )
