"""`/payments/bucket/access-settings/`: how and when a paid customer gets online."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from server_stub.api.auth import Caller, owner_only
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import JsonRequest, request_body
from server_stub.api.state import relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit

router = APIRouter(prefix="/payments/bucket")
Owner = Annotated[Caller, Depends(owner_only)]


class AccessSettings(BaseModel):
    """The provider's access settings (the code is always on; mechanisms come later)."""

    success: bool = True
    access_at_callback: bool = Field(
        description="Give access as soon as the callback says paid, before the STK query "
        "confirms it (faster, but a forged callback would get a code)."
    )


class AccessSettingsPut(JsonRequest):
    """Change the access settings."""

    access_at_callback: bool


@router.get("/access-settings/", response_model=AccessSettings, responses=error_responses(401, 403))
async def get_access_settings(request: Request, caller: Owner) -> AccessSettings:
    """The provider's access settings."""
    store = relay_of(request).store
    return AccessSettings(access_at_callback=await store.access_at_callback(caller.provider_id))


@router.put(
    "/access-settings/",
    response_model=AccessSettings,
    openapi_extra=request_body(AccessSettingsPut),
    responses=error_responses(400, 401, 403, 413, 415),
)
async def put_access_settings(request: Request, caller: Owner) -> AccessSettings:
    """Change the provider's access settings."""
    relay = relay_of(request)
    body = await json_body(request, AccessSettingsPut, relay.settings.json_max_bytes)
    await relay.store.set_access_at_callback(caller.provider_id, body.access_at_callback)
    switch = "on" if body.access_at_callback else "off"
    await audit(request, caller, Action.ACCESS_SETTINGS_CHANGED, f"access at the callback {switch}")
    return AccessSettings(access_at_callback=body.access_at_callback)
