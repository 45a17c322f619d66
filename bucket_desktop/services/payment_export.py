"""CSV export of payments, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, tzinfo
from pathlib import Path

from bucket_desktop.i18n import N_, _
from bucket_desktop.services.atomic_file import write_atomic
from bucket_desktop.services.payment_rows import PaymentRow

# Words a person reads in a spreadsheet, in the order of `csv_record`.
CSV_HEADER = (
    "Time",
    "Phone",
    N_("Amount (KES)"),
    N_("M-PESA receipt"),
    N_("Account reference"),
    "Description",
    "Status",
    N_("Settled by"),
    N_("Result code"),
    "Result",
    N_("Checkout ID"),
    "Purpose",
    "Desk",
    "Plan",
    N_("Access code"),
    N_("Access expires"),
    N_("Access state"),
)

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection, OWASP).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """Prefix a quote to text a spreadsheet would treat as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def csv_record(row: PaymentRow, tz: tzinfo | None) -> list[str]:
    """One CSV line's cells for a payment."""
    moment = datetime.fromtimestamp(row.created, tz).replace(microsecond=0)
    access = row.access
    cells = (
        moment.isoformat(sep=" "),
        row.phone_number,
        str(row.amount),
        row.receipt,
        row.account_reference,
        row.transaction_desc,
        row.status.value,
        row.resolved_by or "",
        row.result_code or "",
        row.result_desc or "",
        row.checkout_request_id,
        _("Test prompt") if row.is_test else _("Sale"),
        row.sent_by,
        row.plan_name,
        access.code if access else "",
        _expires(access.expires_at, tz) if access else "",
        access.state if access else "",
    )
    return [neutralise(cell) for cell in cells]


def _expires(expires_at: float | None, tz: tzinfo | None) -> str:
    if expires_at is None:
        return ""
    return datetime.fromtimestamp(expires_at, tz).replace(microsecond=0).isoformat(sep=" ")


def export_csv(rows: Iterable[PaymentRow], path: Path, *, tz: tzinfo | None = None) -> int:
    """Write the rows with a header to `path` (all or nothing); returns how many were written."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_(title) for title in CSV_HEADER])
    count = 0
    for row in rows:
        writer.writerow(csv_record(row, tz))
        count += 1
    # A BOM lets Excel on Windows read the file as UTF-8. The export holds customers' phone
    # numbers and receipts: readable by this user only (0600), like the log.
    write_atomic(path, ("\ufeff" + buffer.getvalue()).encode("utf-8"))
    return count
