"""`/payments/bucket/plans/`: the provider's plans; owners write, every desk reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, Field

from bucket_desktop.services.mpesa_rules import (
    MAX_ACCOUNT_REFERENCE,
    MAX_AMOUNT,
    MAX_TRANSACTION_DESC,
    MIN_AMOUNT,
)
from server_stub.api.auth import Caller, any_role, owner_only
from server_stub.api.bodies import json_body
from server_stub.api.errors import error_responses
from server_stub.api.requests import (
    SHORT_TEXT,
    JsonRequest,
    WholeNumber,
    request_body,
    whole_number,
)
from server_stub.api.state import RelayServices, relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.plans.rules import (
    MAX_DATA_CAP_MB,
    MAX_DURATION_MINUTES,
    MAX_NAME,
    MAX_PROFILE,
    SPEED_PATTERN,
    PlanFields,
)
from server_stub.store.records import PlanRecord

router = APIRouter(prefix="/payments/bucket")
AnyRole = Annotated[Caller, Depends(any_role)]
Owner = Annotated[Caller, Depends(owner_only)]
PlanId = Annotated[int, Path(ge=1, le=2**53)]
BODY_ERRORS = (400, 401, 403, 413, 415)
# Below this many unused vouchers the desk warns the owner to import more.
LOW_VOUCHERS = 10


class PlanBody(JsonRequest):
    """A plan as the owner writes it (the M-PESA rules are checked after the types)."""

    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=SHORT_TEXT)
    price: WholeNumber = Field(ge=MIN_AMOUNT, le=MAX_AMOUNT, examples=[50])
    duration_minutes: WholeNumber = Field(ge=1, le=MAX_DURATION_MINUTES, examples=[60])
    # Constraints sit inside the optional type, so the published schema carries them.
    data_cap_mb: (
        Annotated[int, Field(ge=1, le=MAX_DATA_CAP_MB), BeforeValidator(whole_number)] | None
    ) = None
    speed: Annotated[str, Field(max_length=32, pattern=SPEED_PATTERN.pattern)] | None = Field(
        default=None, examples=["2M/5M"]
    )
    router_profile: Annotated[str, Field(max_length=MAX_PROFILE, pattern=SHORT_TEXT)] | None = None
    account_reference: str = Field(
        min_length=1, max_length=MAX_ACCOUNT_REFERENCE, pattern=SHORT_TEXT, examples=["HOTSPOT"]
    )
    transaction_desc: str = Field(
        min_length=1, max_length=MAX_TRANSACTION_DESC, pattern=SHORT_TEXT, examples=["WiFi 1h"]
    )
    archived: bool | None = Field(default=None, description="false restores an archived plan")


class PlanItem(BaseModel):
    """One plan, with how many unused vouchers its pool holds (and whether that is few)."""

    id: int
    name: str
    price: int
    duration_minutes: int
    data_cap_mb: int | None
    speed: str | None
    router_profile: str | None
    account_reference: str
    transaction_desc: str
    archived: bool
    vouchers_remaining: int
    vouchers_low: bool


class PlanAnswer(PlanItem):
    """A plan written."""

    success: bool = True


class PlansPage(BaseModel):
    """The provider's plans and the version desks compare with the feed's `plans_version`."""

    success: bool = True
    items: list[PlanItem]
    plans_version: int


class PlanRemoved(BaseModel):
    """What DELETE did: a plan in use is archived, never lost."""

    success: bool = True
    id: int
    outcome: str


@router.get("/plans/", response_model=PlansPage, responses=error_responses(400, 401, 403))
async def list_plans(
    request: Request, caller: AnyRole, archived: Annotated[int, Query(ge=0, le=1)] = 0
) -> PlansPage:
    """The provider's current plans (archived ones with `?archived=1`)."""
    store = relay_of(request).store
    plans = await store.plans.list(caller.provider_id, archived=bool(archived))
    left = await store.plans.vouchers_left(caller.provider_id)
    return PlansPage(
        items=[PlanItem(**_item(plan, left.get(plan.id))) for plan in plans],
        plans_version=await store.plans.version(caller.provider_id),
    )


@router.post(
    "/plans/",
    response_model=PlanAnswer,
    openapi_extra=request_body(PlanBody),
    responses=error_responses(*BODY_ERRORS),
)
async def create_plan(request: Request, caller: Owner) -> PlanAnswer:
    """Add a plan; every desk of the provider sees it at once."""
    relay = relay_of(request)
    body = await json_body(request, PlanBody, relay.settings.json_max_bytes)
    plan = await relay.store.plans.create(
        caller.provider_id,
        _fields(body),
        relay.clock(),
        audit=audit(request, caller, Action.PLAN_CREATED, _plan_detail),
    )
    _changed(relay, caller)
    return PlanAnswer(**_item(plan, None))


@router.put(
    "/plans/{plan_id}/",
    response_model=PlanAnswer,
    openapi_extra=request_body(PlanBody),
    responses=error_responses(*BODY_ERRORS, 404),
)
async def update_plan(request: Request, caller: Owner, plan_id: PlanId) -> PlanAnswer:
    """Change a plan; payments already made keep the terms they were sold on."""
    relay = relay_of(request)
    body = await json_body(request, PlanBody, relay.settings.json_max_bytes)
    plan = await relay.store.plans.update(
        caller.provider_id,
        plan_id,
        _fields(body),
        body.archived,
        relay.clock(),
        audit=audit(request, caller, Action.PLAN_CHANGED, _plan_detail),
    )
    if plan is None:
        raise plan_not_found()
    _changed(relay, caller)
    left = await relay.store.plans.vouchers_left(caller.provider_id)
    return PlanAnswer(**_item(plan, left.get(plan.id)))


@router.delete(
    "/plans/{plan_id}/", response_model=PlanRemoved, responses=error_responses(400, 401, 403, 404)
)
async def remove_plan(request: Request, caller: Owner, plan_id: PlanId) -> PlanRemoved:
    """Archive a plan that was used (deletes one that never was)."""
    relay = relay_of(request)
    outcome = await relay.store.plans.remove(
        caller.provider_id,
        plan_id,
        relay.clock(),
        audit=audit(request, caller, Action.PLAN_REMOVED, lambda done: f"plan {plan_id} {done}"),
    )
    if outcome is None:
        raise plan_not_found()
    _changed(relay, caller)
    return PlanRemoved(id=plan_id, outcome=outcome)


def plan_not_found() -> RelayError:
    """The refusal for a plan that is not this provider's (or does not exist)."""
    return RelayError(
        "No such plan for this provider: refresh the plan list.",
        code="plan_not_found",
        status=404,
        field="plan_id",
    )


def _changed(relay: RelayServices, caller: Caller) -> None:
    # Wakes every long-polling desk of the provider: the feed answers with the new version.
    relay.notifier.notify(caller.provider_id)


def _plan_detail(plan: PlanRecord) -> str:
    archived = ", archived" if plan.archived else ""
    return f"plan {plan.id} “{plan.name}”: KES {plan.price}, {plan.duration_minutes} min{archived}"


def _fields(body: PlanBody) -> PlanFields:
    return PlanFields.validate(
        name=body.name,
        price=body.price,
        duration_minutes=body.duration_minutes,
        data_cap_mb=body.data_cap_mb,
        speed=body.speed,
        router_profile=body.router_profile,
        account_reference=body.account_reference,
        transaction_desc=body.transaction_desc,
    )


def _item(plan: PlanRecord, pool: tuple[int, int] | None) -> dict[str, Any]:
    remaining = pool[0] if pool else 0
    return {
        "id": plan.id,
        "name": plan.name,
        "price": plan.price,
        "duration_minutes": plan.duration_minutes,
        "data_cap_mb": plan.data_cap_mb,
        "speed": plan.speed,
        "router_profile": plan.router_profile,
        "account_reference": plan.account_reference,
        "transaction_desc": plan.transaction_desc,
        "archived": plan.archived,
        "vouchers_remaining": remaining,
        # Only a plan with a voucher pool can run low; an empty pool falls back to codes.
        "vouchers_low": pool is not None and remaining < LOW_VOUCHERS,
    }
