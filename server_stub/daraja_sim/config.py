"""Settings of one simulator instance: its Daraja apps and its timings."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    DEFAULT_PASSKEY,
    DEFAULT_SHORTCODE,
    DEFAULT_STORE_NUMBER,
    DEFAULT_TILL_NUMBER,
)


class AccountKind(StrEnum):
    """Paybill, or a Buy Goods till reached through its store number."""

    PAYBILL = "paybill"
    TILL = "till"

    @property
    def transaction_type(self) -> str:
        """The TransactionType Daraja expects for this kind of account."""
        return "CustomerBuyGoodsOnline" if self is AccountKind.TILL else "CustomerPayBillOnline"


@dataclass(frozen=True, slots=True)
class ShortcodeAccount:
    """A BusinessShortCode an app may charge to, with its passkey and PartyB."""

    shortcode: str
    passkey: str
    kind: AccountKind = AccountKind.PAYBILL
    till_number: str | None = None

    @property
    def party_b(self) -> str:
        """PartyB Daraja expects: the till for Buy Goods, else the shortcode itself."""
        if self.kind is AccountKind.TILL and self.till_number:
            return self.till_number
        return self.shortcode

    def __repr__(self) -> str:
        return f"ShortcodeAccount(shortcode={self.shortcode!r}, kind={self.kind.value!r})"


@dataclass(frozen=True, slots=True)
class SimApp:
    """A Daraja app: consumer key and secret, and the shortcodes it may use."""

    consumer_key: str
    consumer_secret: str
    accounts: tuple[ShortcodeAccount, ...]

    def account(self, shortcode: str) -> ShortcodeAccount | None:
        """The app's account for a BusinessShortCode, if it has one."""
        return next((a for a in self.accounts if a.shortcode == shortcode), None)

    def __repr__(self) -> str:
        shortcodes = [a.shortcode for a in self.accounts]
        return f"SimApp(consumer_key=<hidden>, shortcodes={shortcodes!r})"


def default_apps() -> tuple[SimApp, ...]:
    """The documented default app: paybill 174379 and till 5174380 (store 174380)."""
    return (
        SimApp(
            DEFAULT_CONSUMER_KEY,
            DEFAULT_CONSUMER_SECRET,
            (
                ShortcodeAccount(DEFAULT_SHORTCODE, DEFAULT_PASSKEY),
                ShortcodeAccount(
                    DEFAULT_STORE_NUMBER, DEFAULT_PASSKEY, AccountKind.TILL, DEFAULT_TILL_NUMBER
                ),
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Timings (seconds) and behaviour; the defaults feel like the real thing in a demo."""

    apps: tuple[SimApp, ...] = field(default_factory=default_apps)
    # The customer answers the prompt this long after the push.
    callback_delay_s: float = 3.0
    # Real prompts live 60-90 s; expiry scenarios answer when this runs out.
    prompt_lifetime_s: float = 60.0
    # Late callbacks come after the relay's query window has settled the push.
    late_callback_delay_s: float = 150.0
    duplicate_gap_s: float = 1.0
    token_lifetime_s: float = 3599.0
    # Daraja sends "3599" as a string today; clients must cope with both.
    expires_in_as_string: bool = True
    # The portal FAQ: a new token for an app invalidates the previous one.
    one_token_per_app: bool = True
    # A second push to a phone with an open prompt gets "Unable to lock subscriber".
    lock_subscriber: bool = True
    # Queries on one push closer together than this get 500.003.02 (0 turns it off).
    min_query_interval_s: float = 0.0
    callback_timeout_s: float = 10.0
    request_log_limit: int = 5000
