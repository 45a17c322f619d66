"""Reading voucher CSVs: the exports operators have, and every way a file can be wrong."""

from __future__ import annotations

import pytest

from server_stub.access.voucher_csv import VoucherFileError, read_voucher_csv

MIKHMON = (
    "Username,Password,Profile,Time Limit,Data Limit,Comment\r\n"
    "k7p2m9,k7p2m9,1hour,1h,,vc-123-11.30.26-\r\n"
    "x3n8q4,x3n8q4,1hour,1h,,vc-123-11.30.26-\r\n"
)
USER_MANAGER = "name;password;group;shared-users\nUM1001;pw1;day;1\nUM1002;pw2;day;1\n"


def test_a_mikhmon_export_is_recognised_with_its_passwords() -> None:
    parsed = read_voucher_csv(MIKHMON.encode())
    assert parsed.source == "mikhmon"
    assert [(v.line, v.code, v.password) for v in parsed.vouchers] == [
        (2, "k7p2m9", "k7p2m9"),
        (3, "x3n8q4", "x3n8q4"),
    ]
    assert parsed.refused == []


def test_a_user_manager_export_with_semicolons_is_recognised() -> None:
    parsed = read_voucher_csv(USER_MANAGER.encode())
    assert parsed.source == "user_manager"
    assert [v.code for v in parsed.vouchers] == ["UM1001", "UM1002"]


def test_any_csv_with_a_code_column_works_with_a_bom() -> None:
    parsed = read_voucher_csv("\ufeffNote,Code\nfirst,AB12\nsecond,CD34\n".encode())
    assert (parsed.source, [v.code for v in parsed.vouchers]) == ("csv", ["AB12", "CD34"])
    assert parsed.vouchers[0].password is None


def test_bad_lines_are_refused_one_by_one_and_repeats_skipped() -> None:
    text = (
        f'code\nGOOD1\n=HYPERLINK("x")\n+254\n-1\n@SUM\n\nhas space\n{"L" * 33}\nGOOD1\n""\nGOOD2\n'
    )
    parsed = read_voucher_csv(text.encode())
    assert [v.code for v in parsed.vouchers] == ["GOOD1", "GOOD2"]
    assert [line for line, _ in parsed.refused] == [3, 4, 5, 6, 8, 9]
    assert "formula" in parsed.refused[0][1]
    assert "longer than 32" in parsed.refused[5][1]
    assert parsed.repeated == 1
    empty = read_voucher_csv(b"note,code\nsold out,\nfresh,EF56\n")
    assert (empty.refused, [v.code for v in empty.vouchers]) == (
        [(2, "the code is empty")],
        ["EF56"],
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        ("code\nCAFÉ\n".encode("latin-1"), "UTF-8"),
        (b"code\nA\x00B\n", "NUL"),
        (b"phone,amount\n0712,10\n", "no code column"),
        (b"code\n", "no vouchers"),
    ],
)
def test_a_file_that_cannot_be_read_as_a_whole_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(VoucherFileError) as refused:
        read_voucher_csv(data)
    assert words in refused.value.message
