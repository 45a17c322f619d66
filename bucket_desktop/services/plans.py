"""Plan presets ("1 hour, KES 10"): owner-editable, kept as JSON in the app's data folder."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bucket_desktop.i18n import _
from bucket_desktop.i18n.formatting import format_amount
from bucket_desktop.services.atomic_file import write_atomic
from bucket_desktop.services.mpesa_rules import (
    RuleError,
    validate_account_reference,
    validate_amount,
    validate_transaction_desc,
)

PLANS_FILE_NAME = "plans.json"
MAX_PLANS = 12
MAX_NAME = 24


class PlansError(Exception):
    """The plans file or an edited plan cannot be used; `str(error)` says why."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A preset that fills the amount, account reference and description of a push."""

    name: str
    amount: int
    account_reference: str
    transaction_desc: str
    # A plan kept on the relay (shared by every desk): its id and duration. None for the presets
    # of the local plans file.
    plan_id: int | None = None
    duration_minutes: int | None = None

    @property
    def label(self) -> str:
        """Tile text: the name over the price."""
        return f"{self.name}\n{format_amount(self.amount)}"

    def to_dict(self) -> dict[str, Any]:
        """The plan as stored in the JSON file."""
        return {
            "name": self.name,
            "amount": self.amount,
            "account_reference": self.account_reference,
            "transaction_desc": self.transaction_desc,
        }


def make_plan(name: str, amount: object, account_reference: str, transaction_desc: str) -> Plan:
    """A checked plan; PlansError names the plan and says what is wrong."""
    clean_name = (name or "").strip() if isinstance(name, str) else ""
    if not clean_name:
        raise PlansError(_("Every plan needs a name, like 1 hour."))
    if len(clean_name) > MAX_NAME:
        raise PlansError(
            _("The plan name {clean_name}… is longer than {limit}.").format(
                clean_name=clean_name[:MAX_NAME], limit=MAX_NAME
            )
        )
    try:
        return Plan(
            clean_name,
            validate_amount(amount),
            validate_account_reference(account_reference),
            validate_transaction_desc(transaction_desc),
        )
    except RuleError as error:
        raise PlansError(
            _("Plan {clean_name}: {message}").format(clean_name=clean_name, message=error.message)
        ) from None


def default_plans() -> tuple[Plan, ...]:
    """The presets a new installation starts with."""
    return (
        Plan(_("1 hour"), 10, "WIFI1H", _("WiFi 1 hour")),
        Plan(_("3 hours"), 20, "WIFI3H", _("WiFi 3 hours")),
        Plan(_("1 day"), 50, "WIFI1D", _("WiFi 1 day")),
        Plan(_("1 week"), 250, "WIFI1W", _("WiFi 1 week")),
        Plan(_("1 month"), 800, "WIFI1M", _("WiFi 1 month")),
    )


def plans_from_json(text: str) -> tuple[Plan, ...]:
    """Read the plans file's content."""
    try:
        data = json.loads(text)
    except ValueError:
        raise PlansError(_("The plans file is damaged (not JSON).")) from None
    raw = data.get("plans") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise PlansError(_("The plans file has no list of plans."))
    plans = tuple(_plan_from_dict(item) for item in raw)
    _check_all(plans)
    return plans


def plans_to_json(plans: tuple[Plan, ...]) -> str:
    """The plans file's content."""
    return json.dumps({"version": 1, "plans": [p.to_dict() for p in plans]}, indent=2) + "\n"


def _plan_from_dict(item: object) -> Plan:
    if not isinstance(item, dict):
        raise PlansError(_("The plans file has an entry that is not a plan."))
    return make_plan(
        item.get("name", ""),
        item.get("amount"),
        item.get("account_reference", ""),
        item.get("transaction_desc", ""),
    )


def _check_all(plans: tuple[Plan, ...]) -> None:
    if len(plans) > MAX_PLANS:
        raise PlansError(
            _("Keep at most {count} plans so they fit on the counter screen.").format(
                count=MAX_PLANS
            )
        )
    names = [plan.name.casefold() for plan in plans]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise PlansError(
            _("Two plans are called {duplicates}: give each a different name.").format(
                duplicates=duplicates[0]
            )
        )


class PlanStore:
    """The plans file: read with defaults when absent, written atomically."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / PLANS_FILE_NAME

    def load(self) -> tuple[Plan, ...]:
        """The saved plans, or the defaults when none were saved; PlansError if unreadable."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return default_plans()
        except (OSError, UnicodeDecodeError):
            raise PlansError(
                _("The plans file {path} cannot be read.").format(path=self.path)
            ) from None
        return plans_from_json(text)

    def save(self, plans: tuple[Plan, ...]) -> None:
        """Check and store the plans; a crash mid-write leaves the old file intact."""
        _check_all(plans)
        write_atomic(self.path, plans_to_json(plans).encode("utf-8"), mode=0o644)
