"""Safaricom's public sandbox values used where real money moves (DARAJA.md, sandbox test data).

Production with the sandbox's shortcode or passkey cannot take a single real payment: Daraja
refuses every prompt. The owner is warned before Save and Push rather than by the first
customer at the counter.
"""

from __future__ import annotations

from bucket_desktop.i18n import N_, _, ngettext
from bucket_desktop.services.credentials import DarajaCredentials, Environment

SANDBOX_SHORTCODE = "174379"
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"


def sandbox_values_in_production(credentials: DarajaCredentials) -> str | None:
    """A warning when production credentials hold the public sandbox values; None otherwise."""
    if credentials.environment is not Environment.PRODUCTION:
        return None
    found = []
    if SANDBOX_SHORTCODE in (credentials.shortcode, credentials.till_number):
        found.append(_("the shortcode {shortcode}").format(shortcode=SANDBOX_SHORTCODE))
    if credentials.passkey.lower() == SANDBOX_PASSKEY:
        found.append(_("the passkey"))
    if not found:
        return None
    return ngettext(
        "The environment is Production (real money), but {found} is Safaricom's public "
        "sandbox test value: every real customer's payment prompt would be refused. Use the "
        "shortcode and passkey Safaricom gave you for your live app (Daraja portal, Go Live), "
        "or choose Sandbox (testing).",
        "The environment is Production (real money), but {found} are Safaricom's public "
        "sandbox test values: every real customer's payment prompt would be refused. Use the "
        "shortcode and passkey Safaricom gave you for your live app (Daraja portal, Go Live), "
        "or choose Sandbox (testing).",
        len(found),
    ).format(
        found=_("{first} and {second}").format(first=found[0], second=found[1])
        if len(found) > 1
        else found[0]
    )


PRODUCTION_SWITCH_QUESTION = N_(
    "Production means real money: every payment prompt sent from now on asks "
    "customers for real M-PESA money, paid into the paybill or till named in "
    "these credentials.\n\nUse Production only with the credentials Safaricom gave "
    "you for your live app. Switch to Production?"
)
