"""Scripted outcomes of an STK push, chosen by the customer's phone number.

The phone numbers and default credentials here are a contract with the relay, the desktop demo
and the tests (notes/contracts.md): change them only together.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DEFAULT_CONSUMER_KEY = "SIMconsumerKey0000000000000000000"
DEFAULT_CONSUMER_SECRET = "SIMconsumerSecret000000000000000"  # noqa: S105 - public test value
DEFAULT_SHORTCODE = "174379"
# Safaricom's public sandbox passkey, so sandbox samples work unchanged against the simulator.
DEFAULT_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
DEFAULT_STORE_NUMBER = "174380"
DEFAULT_TILL_NUMBER = "5174380"


class CallbackMode(Enum):
    """How the callback of a push is delivered."""

    NORMAL = "normal"
    LOST = "lost"
    DUPLICATE = "duplicate"
    LATE = "late"
    BEFORE_RESPONSE = "before_response"


class PushFailure(Enum):
    """A push answered with an error instead of Daraja's success body."""

    SPIKE_ARREST = "spike_arrest"
    SERVER_ERROR_AFTER_PROMPT = "server_error_after_prompt"


@dataclass(frozen=True, slots=True)
class Scenario:
    """What the simulated customer and network do with one push."""

    name: str
    summary: str
    result_code: int = 0
    result_desc: str = "The service request is processed successfully."
    callback: CallbackMode = CallbackMode.NORMAL
    # The customer never answers: the outcome is known only when the prompt lifetime ends.
    waits_for_prompt_expiry: bool = False
    # STK query answers this (code, text) instead of the callback's outcome.
    query_says: tuple[int, str] | None = None
    # After the customer answered, STK query still says "being processed" this long (s) ...
    query_processing_s: float = 0.0
    # ... and then fails this many times with HTTP 500 before it answers.
    query_errors: int = 0
    push_failure: PushFailure | None = None

    @property
    def paid(self) -> bool:
        """The customer pays in this scenario."""
        return self.result_code == 0


PAID = Scenario("paid", "paid (callback ResultCode 0)")
WRONG_ACCOUNT_TYPE = Scenario(
    "wrong_account_type",
    "TransactionType does not fit the shortcode: callback 2028",
    result_code=2028,
    result_desc="The request is not permitted according to product assignment",
)

_ALL = (
    PAID,
    Scenario(
        "insufficient_funds",
        "insufficient funds (1)",
        result_code=1,
        result_desc="The balance is insufficient for the transaction.",
    ),
    Scenario("cancelled", "cancelled by the customer (1032)", 1032, "Request cancelled by user"),
    Scenario(
        "unreachable",
        "phone unreachable (1037), after the prompt lifetime",
        1037,
        "DS timeout user cannot be reached",
        waits_for_prompt_expiry=True,
    ),
    Scenario(
        "expired",
        "prompt expired (1019), after the prompt lifetime",
        1019,
        "Transaction has expired",
        waits_for_prompt_expiry=True,
    ),
    # The sandbox really reports a wrong PIN with this initiator sentence.
    Scenario("wrong_pin", "wrong PIN (2001)", 2001, "The initiator information is invalid."),
    Scenario(
        "lost_callback",
        "paid, but the callback never comes (STK query tells the truth: paid)",
        callback=CallbackMode.LOST,
    ),
    Scenario("duplicate_callback", "paid, callback sent twice", callback=CallbackMode.DUPLICATE),
    Scenario(
        "late_callback",
        "paid, callback only after the query window (query says paid first)",
        callback=CallbackMode.LATE,
    ),
    Scenario(
        "callback_before_response",
        "paid at once: the callback arrives before the push response",
        callback=CallbackMode.BEFORE_RESPONSE,
    ),
    Scenario(
        "query_disagrees",
        "callback says paid, STK query says cancelled (1032)",
        query_says=(1032, "Request cancelled by user"),
    ),
    Scenario(
        "query_processing",
        'paid, but the STK query says "being processed" for 5 s after the callback',
        query_processing_s=5.0,
    ),
    Scenario(
        "query_errors",
        "paid, but the first two STK queries after the callback fail with HTTP 500",
        query_errors=2,
    ),
    Scenario(
        "server_error_after_prompt",
        "push answers HTTP 500 (500.003.1001) but the prompt went out: customer pays, "
        "callback comes",
        push_failure=PushFailure.SERVER_ERROR_AFTER_PROMPT,
    ),
    Scenario(
        "spike_arrest",
        "push refused with 500.003.02 Spike Arrest Violation; no prompt, no callback",
        push_failure=PushFailure.SPIKE_ARREST,
    ),
    WRONG_ACCOUNT_TYPE,
)

SCENARIOS: dict[str, Scenario] = {scenario.name: scenario for scenario in _ALL}

SCENARIO_PHONES: dict[str, Scenario] = {
    "254708374149": PAID,
    "254700000001": SCENARIOS["insufficient_funds"],
    "254700000002": SCENARIOS["cancelled"],
    "254700000003": SCENARIOS["unreachable"],
    "254700000004": SCENARIOS["expired"],
    "254700000005": SCENARIOS["wrong_pin"],
    "254700000006": SCENARIOS["lost_callback"],
    "254700000007": SCENARIOS["duplicate_callback"],
    "254700000008": SCENARIOS["late_callback"],
    "254700000009": SCENARIOS["callback_before_response"],
    "254700000010": SCENARIOS["query_disagrees"],
    "254700000011": SCENARIOS["server_error_after_prompt"],
    "254700000012": SCENARIOS["spike_arrest"],
    "254700000013": SCENARIOS["query_processing"],
    "254700000014": SCENARIOS["query_errors"],
}


def builtin_scenario(phone: str) -> Scenario:
    """The scenario of a documented test phone; any other valid phone pays."""
    return SCENARIO_PHONES.get(phone, PAID)


def scenario_table_markdown() -> str:
    """The phone -> outcome table as markdown, for the README."""
    lines = ["| phone | scenario | outcome |", "|---|---|---|"]
    for phone, scenario in SCENARIO_PHONES.items():
        lines.append(f"| `{phone}` | `{scenario.name}` | {scenario.summary} |")
    lines.append("| any other valid `2547…`/`2541…` | `paid` | paid |")
    return "\n".join(lines)


def scenario_table_text() -> str:
    """The phone -> outcome table as plain text, for `--help`."""
    lines = [f"  {phone}  {scenario.summary}" for phone, scenario in SCENARIO_PHONES.items()]
    lines.append("  any other valid phone  paid")
    return "\n".join(lines)
