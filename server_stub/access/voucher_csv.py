"""Reading voucher CSVs: Mikhmon and MikroTik User Manager exports, or any CSV with a code column.

Whole-file faults (not UTF-8, empty, no code column) refuse the file; a bad line is refused on
its own with its line number; the caller adds nothing unless the file as a whole is readable.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

MAX_CODE = 32
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Header names of the code column, best first: Mikhmon and User Manager call it the user name.
CODE_HEADERS = ("code", "voucher", "voucher code", "username", "user name", "user", "name", "login")
PASSWORD_HEADERS = ("password", "pass", "secret")


class VoucherFileError(ValueError):
    """The file as a whole cannot be read; nothing is imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Voucher:
    """One voucher line: its code, the router password if the export has one, its line."""

    line: int
    code: str
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class VoucherFile:
    """What a CSV holds: the vouchers, the refused lines and the export it looks like."""

    source: str
    vouchers: list[Voucher]
    refused: list[tuple[int, str]]
    repeated: int


def read_voucher_csv(data: bytes) -> VoucherFile:
    """Parse a voucher CSV; VoucherFileError for a file that cannot be read as a whole."""
    text = _decode(data)
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader, None)
        if header is None:
            raise VoucherFileError("The file is empty: export the vouchers again.")
        names = [cell.strip().strip('"').lower() for cell in header]
        code_at = _column(names, CODE_HEADERS)
        if code_at is None:
            raise VoucherFileError(
                "The file has no code column: its first line must name one, like Username "
                "(Mikhmon, User Manager) or Code."
            )
        password_at = _column(names, PASSWORD_HEADERS)
        return _rows(reader, _source(names), code_at, password_at)
    except csv.Error as error:
        raise VoucherFileError(
            f"The file is not a readable CSV (line {reader.line_num}): {error}."
        ) from None


def _decode(data: bytes) -> str:
    if not data.strip():
        raise VoucherFileError("The file is empty: export the vouchers again.")
    if b"\x00" in data:
        raise VoucherFileError("The file is not text (it holds NUL bytes): save it as CSV, UTF-8.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise VoucherFileError(
            "The file is not UTF-8 text: in the spreadsheet, save it as CSV UTF-8."
        ) from None


def _column(names: list[str], wanted: tuple[str, ...]) -> int | None:
    for name in wanted:
        if name in names:
            return names.index(name)
    return None


def _source(names: list[str]) -> str:
    """Which export this looks like (said back to the owner)."""
    if "profile" in names and ("comment" in names or "time limit" in names):
        return "mikhmon"
    if {"group", "shared-users", "customer", "attributes"} & set(names):
        return "user_manager"
    return "csv"


class _Rows(Protocol):
    @property
    def line_num(self) -> int: ...

    def __iter__(self) -> Iterator[list[str]]: ...


def _cell(row: list[str], at: int) -> str:
    return row[at].strip() if at < len(row) else ""


def _rows(reader: _Rows, source: str, code_at: int, password_at: int | None) -> VoucherFile:
    vouchers: list[Voucher] = []
    refused: list[tuple[int, str]] = []
    seen: set[str] = set()
    repeated = 0
    for row in reader:
        line = int(reader.line_num)
        if not any(cell.strip() for cell in row):
            continue  # blank lines between exports are harmless
        code = _cell(row, code_at)
        reason = _bad_code(code)
        if reason:
            refused.append((line, reason))
            continue
        if code in seen:
            repeated += 1
            continue
        seen.add(code)
        password = (
            row[password_at].strip() if password_at is not None and password_at < len(row) else None
        )
        vouchers.append(Voucher(line, code, password or None))
    if not vouchers and not refused:
        raise VoucherFileError("The file has a header but no vouchers.")
    return VoucherFile(source, vouchers, refused, repeated)


def _bad_code(code: str) -> str | None:
    if not code:
        return "the code is empty"
    if code.startswith(FORMULA_STARTS):
        return "the code starts with = + - or @ (a spreadsheet formula)"
    if len(code) > MAX_CODE:
        return f"the code is longer than {MAX_CODE} characters"
    if not code.isprintable() or any(character.isspace() for character in code):
        return "the code holds spaces or characters a router does not take"
    return None
