"""M-PESA input rules and result codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bucket_desktop.services.mpesa_rules import (
    PaymentStatus,
    RuleError,
    known_result_codes,
    lint_callback_url,
    normalise_phone,
    result_meaning,
    result_status,
    validate_account_reference,
    validate_amount,
    validate_transaction_desc,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0712 345 678", "254712345678"),
        ("0712345678", "254712345678"),
        ("0112345678", "254112345678"),
        ("712345678", "254712345678"),
        ("112345678", "254112345678"),
        ("+254-712-345678", "254712345678"),
        ("+254 712 345 678", "254712345678"),
        ("254712345678", "254712345678"),
        ("254 112 345 678", "254112345678"),
        (" (0712) 345-678 ", "254712345678"),
    ],
)
def test_every_counter_form_becomes_254(typed: str, expected: str) -> None:
    assert normalise_phone(typed) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter the customer's phone number"),
        ("   ", "Enter the customer's phone number"),
        ("07123", "too short"),
        ("0712 345 67", "too short"),
        ("07123456789", "too long"),
        ("+255712345678", "not a Kenyan number"),
        ("+1 415 555 0100", "not a Kenyan number"),
        ("25571234567890", "not a Kenyan number"),
        ("0201234567", "not a mobile number"),
        ("254201234567", "not a mobile number"),
        ("0712abc678", "only digits"),
        ("254712345678\x00", "only digits"),
    ],
)
def test_refusals_say_what_is_wrong(typed: str, says: str) -> None:
    with pytest.raises(RuleError) as caught:
        normalise_phone(typed)
    assert says in caught.value.message
    assert caught.value.field == "phone_number"


@given(
    prefix=st.sampled_from(["07", "01", "+2547", "+2541", "2547", "2541", "7", "1"]),
    digits=st.text("0123456789", min_size=8, max_size=8),
    sep=st.sampled_from(["", " ", "-"]),
)
def test_any_valid_mobile_normalises_to_12_digits(prefix: str, digits: str, sep: str) -> None:
    typed = prefix + sep + digits[:4] + sep + digits[4:]
    result = normalise_phone(typed)
    assert len(result) == 12
    assert result.startswith(("2547", "2541"))
    assert result.endswith(digits)


@given(st.text(max_size=30))
def test_any_text_is_normalised_or_refused_with_a_sentence(typed: str) -> None:
    try:
        result = normalise_phone(typed)
    except RuleError as error:
        assert error.message.endswith(".")
    else:
        assert result.isdigit() and len(result) == 12 and result[:4] in ("2547", "2541")


@given(st.text("0123456789", min_size=9, max_size=9).filter(lambda d: d[0] in "71"))
def test_all_forms_of_one_number_agree(local: str) -> None:
    forms = ["0" + local, local, "254" + local, "+254" + local, "+254-" + local]
    assert {normalise_phone(form) for form in forms} == {"254" + local}


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (1, 1),
        ("50", 50),
        (" 1,000 ", 1000),
        ("KES 20", 20),
        (250_000, 250_000),
        ("10.00", 10),
        (10.0, 10),
    ],
)
def test_amount_accepts_whole_shillings(raw: object, value: int) -> None:
    assert validate_amount(raw) == value


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("10.5", "whole shillings only"),
        (10.5, "whole shillings only"),
        ("-5", "at least KES 1"),
        (0, "at least KES 1"),
        ("0", "at least KES 1"),
        (250_001, "at most KES 250,000"),
        ("ten", "must be a number"),
        ("", "Enter the amount"),
        (None, "Enter the amount"),
        (True, "Enter the amount"),
        ("1e3", "must be a number"),
    ],
)
def test_amount_refusals(raw: object, says: str) -> None:
    with pytest.raises(RuleError) as caught:
        validate_amount(raw)
    assert says in caught.value.message


def test_reference_and_description_limits() -> None:
    assert validate_account_reference(" Hotspot1h ") == "Hotspot1h"
    assert validate_account_reference("x" * 12) == "x" * 12
    assert validate_transaction_desc("y" * 13) == "y" * 13
    with pytest.raises(RuleError, match="at most 12 characters"):
        validate_account_reference("x" * 13)
    with pytest.raises(RuleError, match="at most 13 characters"):
        validate_transaction_desc("y" * 14)
    with pytest.raises(RuleError, match="is missing: type a few words"):
        validate_transaction_desc("  ")
    with pytest.raises(RuleError, match="the customer sees in the prompt"):
        validate_account_reference("")
    with pytest.raises(RuleError, match="cannot be sent"):
        validate_account_reference("ab\ncd")


@pytest.mark.parametrize(
    ("url", "production", "problem"),
    [
        ("https://pay.example.co.ke/payments/callback/1/abc/", True, None),
        ("http://localhost:8000/payments/callback/1/abc/", False, "Safaricom cannot reach"),
        ("http://pay.example.co.ke/cb/", False, "HTTPS only"),
        ("http://pay.example.co.ke/cb/", True, "HTTPS only"),
        ("https://pay.example.co.ke/cb/?token=1", True, "query string"),
        ("https://mpesa.example.co.ke/cb/", True, "mpesa"),
        ("https://pay.example.co.ke/sql/cb", True, "sql"),
        ("https://pay.example.co.ke/c b/", True, "spaces"),
        ("ftp://pay.example.co.ke/cb/", True, "not a web address"),
    ],
)
def test_callback_url_lint(url: str, production: bool, problem: str | None) -> None:
    problems = lint_callback_url(url, production=production)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in sentence for sentence in problems), problems


def test_every_documented_result_code_has_a_status_and_sentence() -> None:
    expected = {
        "0": PaymentStatus.PAID,
        "1032": PaymentStatus.CANCELLED,
        "1037": PaymentStatus.EXPIRED,
        "1019": PaymentStatus.EXPIRED,
    }
    for code in [
        "0",
        "1",
        "2",
        "3",
        "4",
        "8",
        "17",
        "26",
        "1001",
        "1019",
        "1025",
        "9999",
        "1032",
        "1037",
        "2001",
        "2028",
        "SFC_IC0003",
        "8006",
    ]:
        assert code in known_result_codes()
        meaning = result_meaning(code)
        assert meaning.status == expected.get(code, PaymentStatus.FAILED)
        assert meaning.sentence.endswith(".") and "(code" not in meaning.sentence


def test_numeric_codes_as_numbers_or_strings_agree() -> None:
    assert result_meaning(1032).status is PaymentStatus.CANCELLED
    assert result_meaning(" 1032 ").status is PaymentStatus.CANCELLED
    assert result_meaning(0).status is PaymentStatus.PAID


@given(st.one_of(st.sampled_from(known_result_codes()), st.integers(), st.text(max_size=12)))
def test_result_status_is_the_status_of_the_meaning(code: object) -> None:
    assert result_status(code) is result_meaning(code).status


def test_unknown_code_fails_and_keeps_darajas_text() -> None:
    meaning = result_meaning(4999, "Something unusual happened")
    assert meaning.status is PaymentStatus.FAILED
    assert "Something unusual happened" in meaning.sentence
    assert "4999" in meaning.sentence


def test_final_statuses() -> None:
    assert {s for s in PaymentStatus if s.is_final} == {
        PaymentStatus.PAID,
        PaymentStatus.FAILED,
        PaymentStatus.CANCELLED,
        PaymentStatus.EXPIRED,
    }
