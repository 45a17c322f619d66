"""Feed items read straight from the relay's JSON into payment rows (a new desk's catch-up).

A snapshot brings the whole history, 100,000 items for a busy shop. Reading each into a
`PaymentItem` and that into a `PaymentRow` did the work twice; `row_from_json` reads each field
once and gives the very row `row_from_item(PaymentItem.from_json(data))` gives, with the same
leniency (tests/services/test_payment_rows_json.py holds the two to that).
"""

from __future__ import annotations

import sys
from typing import Any

from bucket_desktop.i18n import _
from bucket_desktop.services.access.models import Access, confirmation_of, plan_name_of
from bucket_desktop.services.json_values import int_value, text_value
from bucket_desktop.services.payment_rows import (
    QUARTER_HOUR_S,
    LocalDays,
    PaymentRow,
    parse_status,
    parse_timestamp,
)
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse

_intern = sys.intern


def row_from_json(data: dict[str, Any], *, received_at: float, days: LocalDays) -> PaymentRow:
    """Read one relay feed item; a missing creation time becomes the time it was received."""
    # Each field's usual value (a non-blank text, a whole number) is taken as it is, right
    # here; anything else goes to the lenient reader, which gives the same for the usual
    # value. A call per field, a dozen per row, was a tenth of a new desk's catch-up.
    get = data.get
    checkout = text_value(get("checkout_request_id"))
    status = get("status")
    if not (status.__class__ is str and status and not status.isspace()):
        status = text_value(status)
    if checkout is None or status is None:
        raise RelayUnexpectedResponse(
            _("A payment from the relay has no ID or status."), code="bad_response"
        )
    phone = get("phone_number")
    if not (phone.__class__ is str and phone and not phone.isspace()):
        phone = text_value(phone) or ""
    receipt = get("mpesa_receipt_number")
    if not (receipt.__class__ is str and receipt and not receipt.isspace()):
        receipt = text_value(receipt) or ""
    # The same few plan and result texts repeat on every row: one shared copy each.
    reference = get("account_reference")
    if not (reference.__class__ is str and reference and not reference.isspace()):
        reference = text_value(reference) or ""
    desc = get("transaction_desc")
    if not (desc.__class__ is str and desc and not desc.isspace()):
        desc = text_value(desc) or ""
    amount = get("amount")
    if amount.__class__ is not int:
        amount = int_value(amount) or 0
    created_at = get("created_at")
    if created_at.__class__ is not str:
        created_at = text_value(created_at)
    created = parse_timestamp(created_at)  # blank text is no time here either
    if created is None:
        created = received_at
    day = days.by_quarter.get(created // QUARTER_HOUR_S)
    if day is None:
        day = days(created)
    result_code, result_desc = get("result_code"), get("result_desc")
    if result_code is not None:
        result_code = _intern(str(result_code))
    if result_desc is not None:
        result_desc = text_value(result_desc)
        if result_desc is not None:
            result_desc = _intern(result_desc)
    resolved_by = get("resolved_by")
    if resolved_by is not None:
        resolved_by = text_value(resolved_by)
        if resolved_by is not None:
            resolved_by = _intern(resolved_by)
    seq = get("seq")
    if seq.__class__ is not int:
        seq = int_value(seq) or 0
    sender, plan, access_json = get("sent_by"), get("plan"), get("access")
    sent_by = text_value(sender.get("name")) if isinstance(sender, dict) else None
    problem = get("confirmation_problem")
    # Positional, in PaymentRow's field order: keywords cost more, 100,000 times over.
    return PaymentRow(
        checkout,
        parse_status(status),
        phone,
        amount,
        _intern(reference),
        _intern(desc),
        receipt,
        result_code,
        result_desc,
        resolved_by,
        created,
        day,
        seq,
        get("purpose") == "test",
        "" if sent_by is None else _intern(sent_by),
        "" if plan is None else plan_name_of(plan),
        confirmation_of(get("confirmation")),
        None if problem is None else text_value(problem),
        None if access_json is None else Access.from_json(access_json),
    )
