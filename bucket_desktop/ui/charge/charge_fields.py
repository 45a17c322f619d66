"""The Charge customer form's four fields: M-PESA's rules checked as the attendant types.

Each field shows under it what it will send (the phone in Safaricom's form, the amount) or why
it cannot; an empty field keeps its help text until Send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QLabel

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.mpesa_rules import (
    MAX_ACCOUNT_REFERENCE,
    MAX_TRANSACTION_DESC,
    RuleError,
    normalise_phone,
    validate_account_reference,
    validate_amount,
    validate_transaction_desc,
)
from bucket_desktop.services.payment_rows import format_phone
from bucket_desktop.ui.charge.charge_page_view import ChargePageView
from bucket_desktop.ui.common.counter_common import set_kind

T = TypeVar("T")

PHONE_HELP = N_("Any Kenyan form: 0712 345 678, +254 712 345 678 or 254712345678.")
AMOUNT_HELP = N_("Whole shillings, from 1 to 250,000.")
REFERENCE_HELP = N_("Shown to the customer in the prompt.")
DESC_HELP = N_("A few words for the M-PESA statement.")

# The checked values, in the form's order: phone (2547...), amount, reference, description.
CheckedFields = tuple[str, int, str, str]


class ChargeFields:
    """Checks phone, amount, account reference and description live and on Send."""

    def __init__(self, view: ChargePageView) -> None:
        self.view = view
        view.phone_edit.textChanged.connect(self.check_phone)
        view.amount_edit.textChanged.connect(self.check_amount)
        view.reference_edit.textChanged.connect(self.check_reference)
        view.desc_edit.textChanged.connect(self.check_desc)
        # Every field starts with its help text and the counters at zero.
        for check in (self.check_phone, self.check_amount, self.check_reference,
                      self.check_desc):  # fmt: skip
            check("")

    def read(self) -> CheckedFields | None:
        """The checked values, or None after showing every problem beside its field (the
        first field with one takes the focus)."""
        view = self.view
        checks = (
            self.check_phone(view.phone_edit.text(), on_send=True),
            self.check_amount(view.amount_edit.text(), on_send=True),
            self.check_reference(view.reference_edit.text(), on_send=True),
            self.check_desc(view.desc_edit.text(), on_send=True),
        )
        phone, amount, reference, desc = checks
        if phone is not None and amount is not None and reference is not None and desc is not None:
            return phone, amount, reference, desc
        edits = (view.phone_edit, view.amount_edit, view.reference_edit, view.desc_edit)
        for value, edit in zip(checks, edits, strict=True):
            if value is None:
                edit.setFocus()
                break
        return None

    def check_phone(self, text: str, on_send: bool = False) -> str | None:
        return _check_field(
            self.view.phone_hint, text, on_send, PHONE_HELP, normalise_phone,
            lambda phone: _("Will prompt {number} ({phone}).").format(
                number=format_phone(phone), phone=phone),
        )  # fmt: skip

    def check_amount(self, text: str, on_send: bool = False) -> int | None:
        return _check_field(
            self.view.amount_hint, text, on_send, AMOUNT_HELP, validate_amount,
            lambda amount: _("The customer will be asked for KES {amount}.").format(
                amount=f"{amount:,}"),
        )  # fmt: skip

    def check_reference(self, text: str, on_send: bool = False) -> str | None:
        _count(self.view.reference_counter, text, MAX_ACCOUNT_REFERENCE)
        hint = self.view.reference_hint
        return _check_field(hint, text, on_send, REFERENCE_HELP, validate_account_reference)

    def check_desc(self, text: str, on_send: bool = False) -> str | None:
        _count(self.view.desc_counter, text, MAX_TRANSACTION_DESC)
        hint = self.view.desc_hint
        return _check_field(hint, text, on_send, DESC_HELP, validate_transaction_desc)


def _check_field(
    hint: QLabel,
    text: str,
    on_send: bool,
    help_text: str,
    rule: Callable[[str], T],
    describe: Callable[[T], str] | None = None,
) -> T | None:
    """Run an M-PESA rule on a field and show the outcome under it; None when refused.

    An empty field keeps its help text while typing and is an error only when sending.
    """
    if not text.strip() and not on_send:
        set_kind(hint, _(help_text), "neutral")
        return None
    try:
        value = rule(text)
    except RuleError as error:
        set_kind(hint, error.message, "error")
        return None
    set_kind(hint, describe(value) if describe else _(help_text), "ok" if describe else "neutral")
    return value


def _count(counter: QLabel, text: str, limit: int) -> None:
    length = len(text.strip())
    set_kind(counter, f"{length}/{limit}", "error" if length > limit else "neutral")
