"""The provider's Daraja credentials: one immutable value, safe to print."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from bucket_desktop.i18n import _


class Environment(StrEnum):
    """Which Daraja host the credentials belong to."""

    SANDBOX = "sandbox"
    PRODUCTION = "production"


class AccountType(StrEnum):
    """Paybill, or Buy Goods till (which needs its store number as the shortcode)."""

    PAYBILL = "paybill"
    TILL = "till"


class CredentialsError(ValueError):
    """Credentials JSON that cannot be used; the message names the field, never its value."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


_E = TypeVar("_E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class DarajaCredentials:
    """Consumer key and secret, shortcode, passkey, environment and account type.

    For a till, `shortcode` is the store (head office) number sent as BusinessShortCode and
    `till_number` is the till sent as PartyB (DARAJA.md, "STK push request").
    """

    consumer_key: str
    consumer_secret: str
    shortcode: str
    passkey: str
    environment: Environment = Environment.SANDBOX
    account_type: AccountType = AccountType.PAYBILL
    till_number: str | None = None

    def __repr__(self) -> str:
        # Secrets must never reach logs or tracebacks (STYLE.md habit 7).
        return (
            f"DarajaCredentials(shortcode={self.shortcode!r}, "
            f"environment={self.environment.value!r}, "
            f"account_type={self.account_type.value!r}, till_number={self.till_number!r}, "
            "consumer_key=<hidden>, consumer_secret=<hidden>, passkey=<hidden>)"
        )

    __str__ = __repr__

    @property
    def party_b(self) -> str:
        """PartyB of an STK push: the till for Buy Goods, else the shortcode."""
        if self.account_type is AccountType.TILL and self.till_number:
            return self.till_number
        return self.shortcode

    @property
    def transaction_type(self) -> str:
        """Daraja's TransactionType for this account type."""
        if self.account_type is AccountType.TILL:
            return "CustomerBuyGoodsOnline"
        return "CustomerPayBillOnline"

    def cache_key(self) -> tuple[str, str, str]:
        """Identity of the Daraja app, for caching one OAuth token per app."""
        return (self.environment.value, self.consumer_key, self.consumer_secret)

    def to_dict(self) -> dict[str, str]:
        """The credentials JSON of DESIGN.md section 4 (contains secrets)."""
        data = {
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "shortcode": self.shortcode,
            "passkey": self.passkey,
            "environment": self.environment.value,
            "account_type": self.account_type.value,
        }
        if self.account_type is AccountType.TILL and self.till_number:
            data["till_number"] = self.till_number
        return data

    def digest(self) -> str:
        """SHA-256 of the credentials JSON: the same credentials give the same digest on the
        desk and the relay, so the desk can tell whether the relay holds what its form shows."""
        return hashlib.sha256(b"pb-credentials-v1:" + self.to_json()).hexdigest()

    def to_json(self) -> bytes:
        """UTF-8 JSON of `to_dict`, for encryption or sealing."""
        return json.dumps(self.to_dict(), separators=(",", ":")).encode()

    @classmethod
    def from_dict(cls, data: Any) -> DarajaCredentials:
        """Validate the credentials JSON; errors name the field, never echo a value."""
        if not isinstance(data, dict):
            raise CredentialsError(_("The credentials must be a JSON object."))
        values: dict[str, str] = {}
        for name in ("consumer_key", "consumer_secret", "shortcode", "passkey"):
            value = data.get(name)
            if not isinstance(value, str) or not _without_spaces(value):
                raise CredentialsError(_("{name} is missing.").format(name=_label(name)), name)
            value = _without_spaces(value)
            if len(value) > 512 or any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
                raise CredentialsError(
                    _("{name} has characters Daraja never uses.").format(name=_label(name)), name
                )
            values[name] = value
        if not values["shortcode"].isdigit() or not 5 <= len(values["shortcode"]) <= 7:
            raise CredentialsError(
                _("The shortcode must be the 5 to 7 digit paybill or store number."), "shortcode"
            )
        environment = _enum(Environment, data.get("environment", "sandbox"), "environment")
        account_type = _enum(AccountType, data.get("account_type", "paybill"), "account_type")
        till = data.get("till_number")
        if account_type is AccountType.TILL:
            if not isinstance(till, str) or not _without_spaces(till).isdigit():
                raise CredentialsError(
                    _("A till account needs its till number (digits only)."), "till_number"
                )
            till = _without_spaces(till)
            if len(till) > 10:
                raise CredentialsError(
                    _("A till account needs its till number (digits only)."), "till_number"
                )
        else:
            till = None
        return cls(
            consumer_key=values["consumer_key"],
            consumer_secret=values["consumer_secret"],
            shortcode=values["shortcode"],
            passkey=values["passkey"],
            environment=environment,
            account_type=account_type,
            till_number=till,
        )

    @classmethod
    def from_json(cls, raw: bytes | str) -> DarajaCredentials:
        """Parse and validate the credentials JSON."""
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise CredentialsError(_("The credentials are not valid JSON.")) from None
        return cls.from_dict(data)


def _without_spaces(value: str) -> str:
    """The value with every space and line break taken out, wherever they are.

    Keys, secrets, passkeys and numbers never contain any: they come from pasting out of the
    Daraja portal, an e-mail or a PDF (`174 379`, a passkey broken over two lines).
    """
    return "".join(value.split())


def _label(name: str) -> str:
    return {
        "consumer_key": "The consumer key",
        "consumer_secret": "The consumer secret",
        "shortcode": "The shortcode",
        "passkey": "The passkey",
    }[name]


def _enum(kind: type[_E], value: object, field: str) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = " or ".join(member.value for member in kind)
        label = field.replace("_", " ").capitalize()
        raise CredentialsError(
            _("{label} must be {allowed}.").format(label=label, allowed=allowed), field
        ) from None
