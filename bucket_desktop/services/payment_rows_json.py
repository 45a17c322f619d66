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
    LocalDays,
    PaymentRow,
    make_haystack,
    parse_status,
    parse_timestamp,
)
from bucket_desktop.services.relay_errors import RelayUnexpectedResponse

_intern = sys.intern


def row_from_json(data: dict[str, Any], *, received_at: float, days: LocalDays) -> PaymentRow:
    """Read one relay feed item; a missing creation time becomes the time it was received."""
    get = data.get
    checkout = text_value(get("checkout_request_id"))
    status = text_value(get("status"))
    if checkout is None or status is None:
        raise RelayUnexpectedResponse(
            _("A payment from the relay has no ID or status."), code="bad_response"
        )
    phone = text_value(get("phone_number")) or ""
    receipt = text_value(get("mpesa_receipt_number")) or ""
    # The same few plan and result texts repeat on every row: one shared copy each.
    reference = _intern(text_value(get("account_reference")) or "")
    desc = _intern(text_value(get("transaction_desc")) or "")
    amount = int_value(get("amount"))
    if amount is None:
        amount = 0
    created = parse_timestamp(text_value(get("created_at")))
    if created is None:
        created = received_at
    result_code, result_desc = get("result_code"), text_value(get("result_desc"))
    resolved_by = text_value(get("resolved_by"))
    sender, plan, access_json = get("sent_by"), get("plan"), get("access")
    sent_by = text_value(sender.get("name")) if isinstance(sender, dict) else None
    access = None if access_json is None else Access.from_json(access_json)
    # Positional, in PaymentRow's field order: keywords cost more, 100,000 times over.
    return PaymentRow(
        checkout,
        parse_status(status),
        phone,
        amount,
        reference,
        desc,
        receipt,
        None if result_code is None else _intern(str(result_code)),
        None if result_desc is None else _intern(result_desc),
        None if resolved_by is None else _intern(resolved_by),
        created,
        days(created),
        int_value(get("seq")) or 0,
        make_haystack(
            phone, receipt, reference, desc, amount, checkout, access.code if access else ""
        ),
        get("purpose") == "test",
        _intern(sent_by or ""),
        "" if plan is None else plan_name_of(plan),
        confirmation_of(get("confirmation")),
        text_value(get("confirmation_problem")),
        access,
    )
