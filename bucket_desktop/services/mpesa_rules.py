"""M-PESA input rules and result codes, as pure functions (DARAJA.md).

Every refusal is a `RuleError` whose message is a sentence a shop attendant can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from bucket_desktop.i18n import N_, _

MIN_AMOUNT = 1
MAX_AMOUNT = 250_000
MAX_ACCOUNT_REFERENCE = 12
MAX_TRANSACTION_DESC = 13

# Daraja rejects callback URLs containing these words (enforced for C2B, uncertain for STK).
FORBIDDEN_URL_WORDS = ("mpesa", "safaricom", "query", "exe", "exec", "cmd", "sql")

_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RuleError(ValueError):
    """Input refused before it reaches Daraja; `field` names the input."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def normalise_phone(raw: str) -> str:
    """Turn any common Kenyan form of a mobile number into `2547XXXXXXXX` / `2541XXXXXXXX`."""
    text = _PHONE_SEPARATORS.sub("", raw or "")
    if not text:
        raise RuleError(_("Enter the customer's phone number."), "phone_number")
    if text.startswith("+"):
        if not text.startswith("+254"):
            raise RuleError(
                _("That is not a Kenyan number: it must start with +254, 07 or 01."), "phone_number"
            )
        text = text[1:]
    if not text.isdigit():
        raise RuleError(_("A phone number has only digits, spaces and dashes."), "phone_number")
    local = _local_part(text)
    if len(local) < 9:
        raise RuleError(
            _(
                "That phone number is too short: a Kenyan mobile number has 10 digits, like "
                "0712 345 678."
            ),
            "phone_number",
        )
    if len(local) > 9:
        raise RuleError(
            _(
                "That phone number is too long: a Kenyan mobile number has 10 digits, like "
                "0712 345 678."
            ),
            "phone_number",
        )
    if local[0] not in "71":
        raise RuleError(
            _("That is not a mobile number: Kenyan mobile numbers start with 07 or 01."),
            "phone_number",
        )
    return "254" + local


def _local_part(digits: str) -> str:
    """The nine digits after the country code or trunk zero, as far as they can be found."""
    if digits.startswith("254"):
        return digits[3:]
    if digits.startswith("0"):
        return digits[1:]
    if len(digits) >= 11:
        raise RuleError(
            _("That is not a Kenyan number: it must start with 07, 01 or 254."), "phone_number"
        )
    return digits


def validate_amount(raw: object) -> int:
    """A whole number of shillings from 1 to 250,000."""
    if isinstance(raw, bool):
        raise RuleError(_("Enter the amount in whole shillings, like 50."), "amount")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise RuleError(_("M-PESA takes whole shillings only: no cents."), "amount")
        value = int(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "")
        if text.upper().startswith("KES"):
            text = text[3:].strip()
        if not text:
            raise RuleError(_("Enter the amount in whole shillings, like 50."), "amount")
        if re.fullmatch(r"-?\d+\.\d*", text):
            if float(text) != int(float(text)):
                raise RuleError(_("M-PESA takes whole shillings only: no cents."), "amount")
            text = text.split(".")[0]
        if not re.fullmatch(r"-?\d{1,12}", text):
            raise RuleError(_("The amount must be a number of shillings, like 50."), "amount")
        value = int(text)
    else:
        raise RuleError(_("Enter the amount in whole shillings, like 50."), "amount")
    if value < MIN_AMOUNT:
        raise RuleError(_("The amount must be at least KES 1."), "amount")
    if value > MAX_AMOUNT:
        raise RuleError(_("M-PESA allows at most KES 250,000 in one payment."), "amount")
    return value


def validate_account_reference(raw: str) -> str:
    """Account reference shown to the customer: 1 to 12 printable characters."""
    return _short_text(
        raw,
        MAX_ACCOUNT_REFERENCE,
        "account_reference",
        _("The account reference"),
        _("type a short word the customer sees in the prompt, e.g. WIFI1D"),
    )


def validate_transaction_desc(raw: str) -> str:
    """Transaction description: 1 to 13 printable characters (Daraja needs one)."""
    return _short_text(
        raw,
        MAX_TRANSACTION_DESC,
        "transaction_desc",
        _("The description"),
        _("type a few words for the M-PESA statement, e.g. WiFi 1 day"),
    )


def _short_text(raw: str, limit: int, field: str, label: str, what_to_type: str) -> str:
    if not isinstance(raw, str):
        raise RuleError(_("{label} must be text.").format(label=label), field)
    text = raw.strip()
    if not text:
        raise RuleError(
            _("{label} is missing: {what_to_type}.").format(label=label, what_to_type=what_to_type),
            field,
        )
    if _CONTROL.search(text):
        raise RuleError(
            _("{label} contains characters that cannot be sent.").format(label=label), field
        )
    if len(text) > limit:
        raise RuleError(
            _("{label} can be at most {limit} characters (it has {length}).").format(
                label=label, limit=limit, length=len(text)
            ),
            field,
        )
    return text


def lint_callback_url(url: str, *, production: bool) -> list[str]:
    """Problems Daraja would have with a callback URL, as sentences; empty when it is fine."""
    problems: list[str] = []
    if not url or any(ch.isspace() for ch in url):
        return [_("The callback URL must not be empty or contain spaces.")]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    local = host in ("localhost", "127.0.0.1", "::1") or host.endswith(".localhost")
    if parts.scheme not in ("http", "https") or not host:
        return [_("{url} is not a web address (it must start with https://).").format(url=url)]
    if parts.scheme == "http" and (production or not local):
        problems.append(
            _("Safaricom calls back over HTTPS only, and {url} is plain http.").format(url=url)
        )
    if local:
        problems.append(
            _(
                "Safaricom cannot reach {scheme}://{netloc}: it is an address on one "
                "computer or network only, not on the internet."
            ).format(scheme=parts.scheme, netloc=parts.netloc)
        )
    if parts.query or parts.fragment:
        problems.append(
            _("The callback URL must not have a query string (?...) or fragment (#...).")
        )
    lowered = url.lower()
    bad = [word for word in FORBIDDEN_URL_WORDS if word in lowered]
    if bad:
        problems.append(
            _("Daraja refuses callback URLs containing the words {words}.").format(
                words=", ".join(bad)
            )
        )
    return problems


class PaymentStatus(StrEnum):
    """Lifecycle of an STK push (DESIGN.md section 4)."""

    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    DISPUTED = "disputed"

    @property
    def is_final(self) -> bool:
        """Paid, failed, cancelled and expired never change except to disputed."""
        return self in (self.PAID, self.FAILED, self.CANCELLED, self.EXPIRED)


@dataclass(frozen=True, slots=True)
class ResultMeaning:
    """What a Daraja ResultCode means: a status and a sentence for the screen."""

    code: str
    status: PaymentStatus
    sentence: str


_RESULT_SENTENCES: dict[str, tuple[PaymentStatus, str]] = {
    "0": (PaymentStatus.PAID, N_("Paid.")),
    "1": (
        PaymentStatus.FAILED,
        N_(
            "The customer does not have enough money on M-PESA: once they top up, send "
            "the prompt again, or pick a cheaper plan."
        ),
    ),
    "2": (PaymentStatus.FAILED, N_("The amount is below the M-PESA minimum.")),
    "3": (PaymentStatus.FAILED, N_("The amount is above the M-PESA limit for one payment.")),
    "4": (PaymentStatus.FAILED, N_("The customer has reached the M-PESA daily limit.")),
    "8": (
        PaymentStatus.FAILED,
        N_("The amount would take the customer past the M-PESA balance limit."),
    ),
    "17": (
        PaymentStatus.FAILED,
        N_(
            "The same amount was sent to this customer less than 2 minutes ago: wait and try again."
        ),
    ),
    "26": (PaymentStatus.FAILED, N_("M-PESA is busy right now: try again in a moment.")),
    "1001": (
        PaymentStatus.FAILED,
        N_("Another M-PESA session is open on that phone: try again in 1 to 2 minutes."),
    ),
    "1019": (PaymentStatus.EXPIRED, N_("The prompt expired before the customer answered.")),
    "1025": (
        PaymentStatus.FAILED,
        N_("Safaricom could not send the prompt (often a too-long reference): try again."),
    ),
    "9999": (
        PaymentStatus.FAILED,
        N_("Safaricom could not send the prompt (often a too-long reference): try again."),
    ),
    "1032": (PaymentStatus.CANCELLED, N_("The customer cancelled the prompt.")),
    "1037": (
        PaymentStatus.EXPIRED,
        N_(
            "The customer's phone could not be reached (off, no network, or an old SIM: "
            "update it with *234#)."
        ),
    ),
    "2001": (
        PaymentStatus.FAILED,
        N_(
            "The customer entered the wrong M-PESA PIN: send the prompt again and ask "
            "them to enter it carefully."
        ),
    ),
    "2028": (
        PaymentStatus.FAILED,
        N_("Wrong account type: a till needs Buy Goods with the store number as shortcode."),
    ),
    "SFC_IC0003": (
        PaymentStatus.FAILED,
        N_("Wrong account type: a till needs Buy Goods with the store number as shortcode."),
    ),
    "8006": (
        PaymentStatus.FAILED,
        N_("The customer's M-PESA PIN is locked: they must call Safaricom."),
    ),
}


def result_meaning(code: object, daraja_text: str | None = None) -> ResultMeaning:
    """Map a ResultCode (number or string) to a status and a sentence.

    Unknown codes are failures that keep Daraja's own text, so nothing is hidden.
    """
    key = _code_key(code)
    known = _RESULT_SENTENCES.get(key)
    if known is not None:
        return ResultMeaning(key, known[0], _(known[1]))
    text = (daraja_text or "").strip() or _("no reason given")
    return ResultMeaning(
        key,
        PaymentStatus.FAILED,
        _("M-PESA did not complete it: {text} (code {key}).").format(text=text, key=key),
    )


def result_status(code: object) -> PaymentStatus:
    """The status a ResultCode means: `result_meaning`'s, without translating its sentence
    (the relay asks it of every callback)."""
    known = _RESULT_SENTENCES.get(_code_key(code))
    return known[0] if known is not None else PaymentStatus.FAILED


def known_result_codes() -> list[str]:
    """Every ResultCode with a plain-language sentence."""
    return list(_RESULT_SENTENCES)


def _code_key(code: object) -> str:
    if isinstance(code, bool):
        return str(code)
    if isinstance(code, int):
        return str(code)
    if isinstance(code, str):
        text = code.strip()
        return str(int(text)) if text.isdigit() else text
    return str(code)
