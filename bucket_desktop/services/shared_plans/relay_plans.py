"""The relay's plans API (`/payments/bucket/plans/`): list, add, change and archive plans."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bucket_desktop.i18n import _
from bucket_desktop.services.plans import Plan, PlansError, make_plan
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse

MAX_DURATION_MINUTES = 366 * 24 * 60
# Plan fields the desk's editor does not show: sent back unchanged with every edit, so a data
# cap, speed or router profile set on the relay survives a price change made at the desk.
KEPT_FIELDS = ("data_cap_mb", "speed", "router_profile")


class JsonCaller(Protocol):
    """What talks to the relay (RelayClient.call)."""

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One JSON request under /payments/bucket/."""
        ...


@dataclass(frozen=True, slots=True)
class SharedPlans:
    """The provider's current plans and the version the feed compares with."""

    plans: tuple[Plan, ...]
    version: int
    kept: dict[int, dict[str, Any]] = field(default_factory=dict)  # KEPT_FIELDS per plan id


def shared_plan(
    name: str,
    amount: object,
    duration_minutes: object,
    account_reference: str,
    transaction_desc: str,
    plan_id: int | None = None,
) -> Plan:
    """A checked relay plan: the M-PESA rules of a preset plus a whole number of minutes."""
    plan = make_plan(name, amount, account_reference, transaction_desc)
    text = str(duration_minutes).strip() if duration_minutes is not None else ""
    if not text.isdigit() or not 1 <= int(text) <= MAX_DURATION_MINUTES:
        raise PlansError(
            _(
                "Plan {name}: the duration is a whole number of minutes, like 60 for an hour."
            ).format(name=plan.name)
        )
    return Plan(
        plan.name, plan.amount, plan.account_reference, plan.transaction_desc, plan_id, int(text)
    )


async def fetch_plans(relay: JsonCaller) -> SharedPlans:
    """The provider's current plans, in the relay's order."""
    data = await relay.call("GET", "plans/")
    raw = data.get("items")
    if not isinstance(raw, list):
        raise RelayUnexpectedResponse(_("The relay's plan list has no items."), code="bad_response")
    plans = tuple(plan for item in raw if (plan := _from_json(item)) is not None)
    version = data.get("plans_version")
    kept = {
        item["id"]: {name: item.get(name) for name in KEPT_FIELDS}
        for item in raw
        if isinstance(item, dict) and isinstance(item.get("id"), int)
    }
    return SharedPlans(plans, version if isinstance(version, int) else 0, kept)


async def save_plans(
    relay: JsonCaller,
    before: Sequence[Plan],
    after: Sequence[Plan],
    extras: dict[int, dict[str, Any]] | None = None,
) -> int:
    """Make the relay's plans `after`: add new ones, change edited ones, archive removed ones.

    `extras` (`SharedPlans.kept`) go back with each change. Returns how many writes were made.
    A plan in use is archived by the relay, never lost.
    """
    writes = 0
    kept = {plan.plan_id for plan in after if plan.plan_id is not None}
    old = {plan.plan_id: plan for plan in before if plan.plan_id is not None}
    for plan in after:
        if plan.plan_id is None:
            await relay.call("POST", "plans/", _body(plan))
            writes += 1
        elif old.get(plan.plan_id) != plan:
            body = {**(extras or {}).get(plan.plan_id, {}), **_body(plan)}
            await relay.call("PUT", f"plans/{plan.plan_id}/", body)
            writes += 1
    for plan_id in old.keys() - kept:
        await relay.call("DELETE", f"plans/{plan_id}/")
        writes += 1
    return writes


def _body(plan: Plan) -> dict[str, Any]:
    return {
        "name": plan.name,
        "price": plan.amount,
        "duration_minutes": plan.duration_minutes,
        "account_reference": plan.account_reference,
        "transaction_desc": plan.transaction_desc,
    }


def _from_json(item: object) -> Plan | None:
    """A plan from the list; one this desk cannot use (a newer relay's rules) is left out."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        return None
    try:
        return shared_plan(
            str(item.get("name", "")),
            item.get("price"),
            item.get("duration_minutes"),
            str(item.get("account_reference", "")),
            str(item.get("transaction_desc", "")),
            plan_id=item["id"],
        )
    except PlansError:
        return None
