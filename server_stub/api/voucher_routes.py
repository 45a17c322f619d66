"""`POST /payments/bucket/plans/{id}/vouchers/`: import a voucher pool from a CSV export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from server_stub.access.voucher_csv import VoucherFileError, read_voucher_csv
from server_stub.api.auth import Caller, owner_only
from server_stub.api.bodies import read_capped, too_large
from server_stub.api.errors import error_responses
from server_stub.api.plan_routes import PlanId, plan_not_found
from server_stub.api.state import relay_of
from server_stub.audit.entries import Action
from server_stub.audit.record import audit
from server_stub.errors import RelayError
from server_stub.store.records import VoucherImport

router = APIRouter(prefix="/payments/bucket")
Owner = Annotated[Caller, Depends(owner_only)]
MAX_CSV_BYTES = 1024 * 1024
# Spreadsheets and browsers label CSV files in all of these ways (Windows: the Excel type).
CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/vnd.ms-excel")


class RefusedLine(BaseModel):
    """A line left out, and why."""

    line: int
    reason: str


class VoucherImportAnswer(BaseModel):
    """What the import did; `remaining` counts the plan's unused vouchers now."""

    success: bool = True
    source: str
    added: int
    duplicates: int
    refused: list[RefusedLine]
    remaining: int


@router.post(
    "/plans/{plan_id}/vouchers/",
    response_model=VoucherImportAnswer,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
    responses=error_responses(400, 401, 403, 404, 413, 415),
)
async def import_vouchers(request: Request, caller: Owner, plan_id: PlanId) -> VoucherImportAnswer:
    """Add vouchers to a plan's pool (Mikhmon or User Manager export, or a CSV with a code)."""
    relay = relay_of(request)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise RelayError(
            "Send the vouchers as a CSV file with Content-Type: text/csv.",
            code="unsupported_media_type",
            status=415,
        )
    body, over = await read_capped(request, MAX_CSV_BYTES)
    if over:
        raise too_large(MAX_CSV_BYTES)
    try:
        parsed = read_voucher_csv(body)
    except VoucherFileError as error:
        raise RelayError(error.message, code="invalid_csv") from None

    def detail(done: VoucherImport) -> str:
        return (
            f"plan {plan_id}: {done.added} added, {done.duplicates + parsed.repeated} "
            f"duplicates, {len(parsed.refused)} refused ({parsed.source})"
        )

    done = await relay.store.plans.add_vouchers(
        caller.provider_id,
        plan_id,
        parsed.vouchers,
        relay.clock(),
        audit=audit(request, caller, Action.VOUCHERS_IMPORTED, detail),
    )
    if done is None:
        raise plan_not_found()
    relay.notifier.notify(caller.provider_id)
    return VoucherImportAnswer(
        source=parsed.source,
        added=done.added,
        duplicates=done.duplicates + parsed.repeated,
        refused=[RefusedLine(line=line, reason=reason) for line, reason in parsed.refused],
        remaining=done.remaining,
    )
