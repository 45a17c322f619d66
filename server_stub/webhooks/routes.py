"""`/payments/bucket/webhooks/...`: the owner's endpoints, test events, log and redelivery."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Query, Request

from server_stub.api.auth import Caller, authenticate
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import request_body
from server_stub.api.schemas import iso_time
from server_stub.api.state import relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.store.records import Role
from server_stub.webhooks.schemas import (
    DeliveryLog,
    EndpointChange,
    EndpointChanged,
    EndpointCreate,
    EndpointCreated,
    EndpointDeleted,
    EndpointItem,
    EndpointsPage,
    Redelivered,
    SecretRotated,
    TestQueued,
    delivery_item,
    endpoint_fields,
)
from server_stub.webhooks.service import WebhookService

router = APIRouter(prefix="/payments/bucket/webhooks")
BODY_ERRORS = (400, 401, 403, 413, 415)
RowId = Annotated[int, Path(ge=1, le=2**63 - 1)]


async def webhook_owner(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
    """Owners only: an attendant desk cannot see or change where payments are reported."""
    if caller.role is not Role.OWNER:
        raise RelayError(
            "Only the owner's token may manage webhooks.", code="forbidden", status=403
        )
    return caller


Owner = Annotated[Caller, Depends(webhook_owner)]


def _service(request: Request) -> WebhookService:
    return relay_of(request).webhooks


@router.get("/", response_model=EndpointsPage, responses=error_responses(401, 403))
async def list_endpoints(request: Request, caller: Owner) -> EndpointsPage:
    """The provider's webhook endpoints, oldest first."""
    now = relay_of(request).clock()
    records = await _service(request).endpoints(caller.provider_id)
    return EndpointsPage(items=[EndpointItem(**endpoint_fields(r, now)) for r in records])


@router.post(
    "/",
    response_model=EndpointCreated,
    openapi_extra=request_body(EndpointCreate),
    responses=error_responses(*BODY_ERRORS, 409),
)
async def add_endpoint(request: Request, caller: Owner) -> EndpointCreated:
    """A new endpoint; its `whsec_` secret is in this answer and never shown again."""
    relay = relay_of(request)
    body = await json_body(request, EndpointCreate, relay.settings.json_max_bytes)
    made, secret = await _service(request).add(
        caller.provider_id,
        body.url,
        body.events,
        body.description,
        audit=audit(request, caller, Action.WEBHOOK_ADDED, lambda made: _detail(made.id, body.url)),
    )
    return EndpointCreated(secret=secret.value, **endpoint_fields(made, relay.clock()))


@router.put(
    "/{endpoint_id}/",
    response_model=EndpointChanged,
    openapi_extra=request_body(EndpointChange),
    responses=error_responses(*BODY_ERRORS, 404),
)
async def change_endpoint(request: Request, caller: Owner, endpoint_id: RowId) -> EndpointChanged:
    """Change the address, events or description, or disable (`enabled: false`) or enable."""
    relay = relay_of(request)
    body = await json_body(request, EndpointChange, relay.settings.json_max_bytes)
    changes = body.model_dump(exclude_none=True)
    what = ", ".join(sorted(changes))
    changed = await _service(request).change(
        caller.provider_id,
        endpoint_id,
        changes,
        audit=audit(request, caller, Action.WEBHOOK_CHANGED, f"endpoint {endpoint_id}: {what}"),
    )
    return EndpointChanged(**endpoint_fields(changed, relay.clock()))


@router.delete(
    "/{endpoint_id}/", response_model=EndpointDeleted, responses=error_responses(400, 401, 403, 404)
)
async def delete_endpoint(request: Request, caller: Owner, endpoint_id: RowId) -> EndpointDeleted:
    """Delete the endpoint with its pending deliveries and its log."""
    await _service(request).delete(
        caller.provider_id,
        endpoint_id,
        audit=audit(request, caller, Action.WEBHOOK_DELETED, f"endpoint {endpoint_id}"),
    )
    return EndpointDeleted(id=endpoint_id)


@router.post(
    "/{endpoint_id}/rotate-secret/",
    response_model=SecretRotated,
    responses=error_responses(400, 401, 403, 404),
)
async def rotate_secret(request: Request, caller: Owner, endpoint_id: RowId) -> SecretRotated:
    """A new secret (shown once); deliveries carry both signatures for the next 24 hours."""
    secret, overlap_s = await _service(request).rotate(
        caller.provider_id,
        endpoint_id,
        audit=audit(request, caller, Action.WEBHOOK_SECRET_ROTATED, f"endpoint {endpoint_id}"),
    )
    until = iso_time(relay_of(request).clock() + overlap_s)
    return SecretRotated(id=endpoint_id, secret=secret.value, old_secret_valid_until=until)


@router.post(
    "/{endpoint_id}/test/",
    response_model=TestQueued,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def send_test(request: Request, caller: Owner, endpoint_id: RowId) -> TestQueued:
    """Queue a signed `webhook.test` event for this endpoint."""
    event_id = await _service(request).send_test(caller.provider_id, endpoint_id)
    return TestQueued(event_id=event_id)


@router.get(
    "/{endpoint_id}/deliveries/",
    response_model=DeliveryLog,
    responses=error_responses(400, 401, 403, 404),
)
async def deliveries(
    request: Request,
    caller: Owner,
    endpoint_id: RowId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryLog:
    """The endpoint's delivery log, newest first: one row per attempt."""
    entries = await _service(request).log(caller.provider_id, endpoint_id, limit)
    return DeliveryLog(items=[delivery_item(entry) for entry in entries])


@router.post(
    "/deliveries/{delivery_id}/redeliver/",
    response_model=Redelivered,
    responses=error_responses(400, 401, 403, 404, 409),
)
async def redeliver(request: Request, caller: Owner, delivery_id: RowId) -> Redelivered:
    """Send a delivery again now, with the same `webhook-id`."""
    await _service(request).redeliver(caller.provider_id, delivery_id)
    return Redelivered(id=delivery_id)


def _detail(endpoint_id: int, url: str) -> str:
    # Only the receiver's host: a path or query may carry the receiver's own secret.
    return f"endpoint {endpoint_id} at {urlsplit(url).hostname or '?'}"
