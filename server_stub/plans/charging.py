"""Charging for a plan: the amount and texts come from the plan unless the desk sends them."""

from __future__ import annotations

import json

from server_stub.errors import RelayError
from server_stub.store.records import PlanRecord


def plan_charge(
    plan: PlanRecord | None,
    amount: object | None,
    account_reference: str | None,
    transaction_desc: str | None,
) -> tuple[object, str, str]:
    """(amount, account reference, description) for a push; RelayError when one is missing.

    With a plan, the price is the amount: a different amount is refused (409 `plan_mismatch`)
    so a desk with old prices cannot undercharge.
    """
    if plan is None:
        for name, value in (
            ("amount", amount),
            ("account_reference", account_reference),
            ("transaction_desc", transaction_desc),
        ):
            if value is None:
                raise RelayError(
                    f"{name} is required (or send a plan_id).", code="invalid", field=name
                )
        assert account_reference is not None and transaction_desc is not None
        return amount, account_reference, transaction_desc
    if amount is not None and amount != plan.price:
        raise RelayError(
            f"The plan {plan.name!r} costs KES {plan.price}, not {amount}: refresh the plans "
            "and send again.",
            code="plan_mismatch",
            status=409,
            field="amount",
        )
    return (
        plan.price,
        account_reference if account_reference is not None else plan.account_reference,
        transaction_desc if transaction_desc is not None else plan.transaction_desc,
    )


def plan_terms(plan: PlanRecord | None) -> str | None:
    """The terms a payment keeps (JSON), so editing the plan never changes what was sold."""
    if plan is None:
        return None
    return json.dumps(plan.terms(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
