"""The credentials JSON of DESIGN.md section 4."""

from __future__ import annotations

import pytest

from bucket_desktop.services.credentials import (
    AccountType,
    CredentialsError,
    DarajaCredentials,
    Environment,
)

GOOD = {
    "consumer_key": "key-abc",
    "consumer_secret": "secret-def",
    "shortcode": "174379",
    "passkey": "passkey-ghi",
    "environment": "production",
    "account_type": "paybill",
}


def test_round_trip() -> None:
    creds = DarajaCredentials.from_dict(GOOD)
    assert creds.environment is Environment.PRODUCTION
    assert DarajaCredentials.from_json(creds.to_json()) == creds


def test_till_needs_its_till_number() -> None:
    till = dict(GOOD, account_type="till", till_number="5174380")
    creds = DarajaCredentials.from_dict(till)
    assert creds.account_type is AccountType.TILL
    assert creds.party_b == "5174380"
    assert creds.to_dict()["till_number"] == "5174380"
    with pytest.raises(CredentialsError, match="till number") as caught:
        DarajaCredentials.from_dict(dict(GOOD, account_type="till"))
    assert caught.value.field == "till_number"


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"consumer_key": ""}, "consumer_key", "consumer key is missing"),
        ({"consumer_secret": None}, "consumer_secret", "consumer secret is missing"),
        ({"passkey": "pass\x00key"}, "passkey", "characters Daraja never uses"),
        ({"passkey": " \n\t "}, "passkey", "passkey is missing"),
        ({"shortcode": "17a379"}, "shortcode", "5 to 7 digit"),
        ({"environment": "staging"}, "environment", "sandbox or production"),
        ({"account_type": "bank"}, "account_type", "paybill or till"),
    ],
)
def test_refusals_name_the_field_not_the_value(
    change: dict[str, object], field: str, says: str
) -> None:
    data = dict(GOOD, **change)
    with pytest.raises(CredentialsError) as caught:
        DarajaCredentials.from_dict(data)
    assert caught.value.field == field
    assert says in str(caught.value).lower() or says in str(caught.value)
    for secret in ("key-abc", "secret-def", "passkey-ghi", "pass\x00key"):
        assert secret not in str(caught.value)


def test_pasted_spaces_and_line_breaks_are_taken_out() -> None:
    pasted = dict(
        GOOD,
        shortcode="174 379",
        passkey=GOOD["passkey"][:5] + "\r\n" + GOOD["passkey"][5:] + "\n",
        consumer_key="\u00a0" + GOOD["consumer_key"] + " ",
        consumer_secret=GOOD["consumer_secret"][:3] + "\t" + GOOD["consumer_secret"][3:],
        account_type="till",
        till_number="5 174 380",
    )
    creds = DarajaCredentials.from_dict(pasted)
    assert creds.shortcode == "174379"
    assert creds.passkey == GOOD["passkey"]
    assert creds.consumer_key == GOOD["consumer_key"]
    assert creds.consumer_secret == GOOD["consumer_secret"]
    assert creds.till_number == "5174380"


@pytest.mark.parametrize("raw", [b"", b"[]", b"not json", b"\xff\xfe"])
def test_bad_json_is_refused_plainly(raw: bytes) -> None:
    with pytest.raises(CredentialsError):
        DarajaCredentials.from_json(raw)
