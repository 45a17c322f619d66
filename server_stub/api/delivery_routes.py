"""`/payments/bucket/deliveries/`: desks on the shop LAN claim and report MikroTik deliveries.

The router is usually unreachable from the relay, so a desk beside it does the work: it claims
due deliveries with a 60 s lease (two desks never hold the same one), makes or removes the
hotspot user, and reports (DESIGN.md section 13, "MikroTik claims"). Only a desk at the router
the provider bound (its identity) may claim, so a desk at home or at another shop never does.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from server_stub.access.outbox import LEASE_S, retry_at
from server_stub.api.auth import Caller, any_role
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import JsonRequest, WholeNumber, request_body
from server_stub.api.schemas import iso_time
from server_stub.api.state import relay_of
from server_stub.errors import RelayError
from server_stub.store.protocol import Store
from server_stub.store.records import MIKROTIK, ClaimedDelivery

router = APIRouter(prefix="/payments/bucket")
AnyRole = Annotated[Caller, Depends(any_role)]
MAX_CLAIM = 20
MAX_ERROR = 300


class ClaimRequest(JsonRequest):
    """Claim due deliveries for the router this desk is at."""

    mechanism: Literal["mikrotik"]
    router_identity: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")
    limit: WholeNumber = Field(default=10, ge=1, le=MAX_CLAIM)


class ClaimedItem(BaseModel):
    """One leased delivery: what to make (or remove) on the router."""

    delivery_id: int
    lease_id: str
    lease_until: str
    action: Literal["add", "remove"]
    access_id: int
    code: str
    password: str
    profile: str = Field(description="The plan's router profile ('default' when it has none).")
    limit_uptime_s: int | None
    limit_bytes_total: int | None
    expires_at: str


class ClaimResponse(BaseModel):
    """The deliveries leased to this desk."""

    success: bool = True
    items: list[ClaimedItem]


class ReportRequest(JsonRequest):
    """What became of a claimed delivery."""

    lease_id: str = Field(min_length=1, max_length=64)
    ok: bool
    error: str | None = Field(default=None, max_length=2000)
    unreachable: bool = Field(
        default=False,
        description="The router could not be reached: the lease is released, no attempt counted.",
    )


class ReportResponse(BaseModel):
    """Whether the report was taken (a late one on an expired lease counts only when ok)."""

    success: bool = True
    accepted: bool


@router.post(
    "/deliveries/claim/",
    response_model=ClaimResponse,
    openapi_extra=request_body(ClaimRequest),
    responses=error_responses(400, 401, 403, 409, 413, 415),
)
async def claim_deliveries(request: Request, caller: AnyRole) -> ClaimResponse:
    """Lease the provider's due MikroTik deliveries to this desk."""
    relay = relay_of(request)
    body = await json_body(request, ClaimRequest, relay.settings.json_max_bytes)
    store = relay.store
    # Switched off, the deliveries already queued (an expiry's remove above all) still run:
    # only a router never bound refuses.
    bound = await store.mechanisms.router_identity(caller.provider_id)
    if bound is None:
        raise RelayError(
            "MikroTik delivery is not set up for this provider: the owner tests the router and "
            "switches it on from a desk at the shop.",
            code="mikrotik_off",
            status=409,
        )
    if bound != body.router_identity:
        raise RelayError(
            f"This desk is at the router {body.router_identity!r}, but the provider's hotspot "
            f"users go to {bound!r}: only a desk at that router delivers them.",
            code="router_mismatch",
            status=409,
            field="router_identity",
        )
    claimed = await store.outbox.claim_deliveries(
        MIKROTIK, caller.provider_id, body.limit, uuid.uuid4().hex, LEASE_S
    )
    items = [await _item(relay.store, delivery) for delivery in claimed]
    return ClaimResponse(items=items)


@router.post(
    "/deliveries/{delivery_id}/report/",
    response_model=ReportResponse,
    openapi_extra=request_body(ReportRequest),
    responses=error_responses(400, 401, 403, 404, 413, 415),
)
async def report_delivery(
    request: Request,
    caller: AnyRole,
    delivery_id: Annotated[int, Path(ge=1, le=2**62)],
) -> ReportResponse:
    """Record what a desk did with a claimed delivery."""
    relay = relay_of(request)
    body = await json_body(request, ReportRequest, relay.settings.json_max_bytes)
    attempts = await relay.store.mechanisms.delivery_attempts(caller.provider_id, delivery_id)
    if attempts is None:
        raise RelayError("There is no such delivery.", code="not_found", status=404)
    outcome = "delivered" if body.ok else "unreachable" if body.unreachable else "failed"
    error = None if body.ok else (body.error or "The desk gave no reason.")[:MAX_ERROR]
    failures = attempts + (outcome == "failed")
    next_at = None if body.ok else retry_at(failures, relay.clock())
    accepted = await relay.store.outbox.report_delivery(
        delivery_id, body.lease_id, outcome, error, next_at
    )
    return ReportResponse(accepted=accepted)


class RetryResponse(BaseModel):
    """How many of the code's deliveries will be tried again at once."""

    success: bool = True
    retrying: int


@router.post(
    "/access/{code}/retry/",
    response_model=RetryResponse,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def retry_access(
    request: Request,
    caller: AnyRole,
    # An access code, or any imported voucher code (printable, no spaces; see voucher_csv).
    code: Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[^\s/\x00-\x1f\x7f]+$")],
) -> RetryResponse:
    """Retry a code's failed (or waiting) deliveries now instead of after their backoff."""
    relay = relay_of(request)
    count = await relay.store.outbox.retry_now(caller.provider_id, code)
    if count is None:
        raise RelayError("There is no access with this code.", code="not_found", status=404)
    if count == 0:
        raise RelayError(
            "Nothing is waiting to be delivered for this code.", code="nothing_to_retry", status=409
        )
    return RetryResponse(retrying=count)


async def _item(store: Store, delivery: ClaimedDelivery) -> ClaimedItem:
    terms = await store.mechanisms.delivery_terms(delivery.access_id)
    minutes = terms.duration_minutes if terms else None
    cap = terms.data_cap_mb if terms else None
    return ClaimedItem(
        delivery_id=delivery.delivery_id,
        lease_id=delivery.lease_id,
        lease_until=iso_time(delivery.lease_until),
        action="remove" if delivery.action == "remove" else "add",
        access_id=delivery.access_id,
        code=delivery.code,
        password=delivery.code,
        profile=(terms.router_profile if terms else None) or "default",
        limit_uptime_s=minutes * 60 if minutes else None,
        limit_bytes_total=cap * 1_000_000 if cap else None,
        expires_at=iso_time(delivery.expires_at),
    )
