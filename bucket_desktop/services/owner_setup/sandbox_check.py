"""Safaricom's public sandbox values used where real money moves (DARAJA.md, sandbox test data).

Production with the sandbox's shortcode or passkey cannot take a single real payment: Daraja
refuses every prompt. The owner is warned before Save and Push rather than by the first
customer at the counter.
"""

from __future__ import annotations

from bucket_desktop.services.credentials import DarajaCredentials, Environment

SANDBOX_SHORTCODE = "174379"
SANDBOX_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"


def sandbox_values_in_production(credentials: DarajaCredentials) -> str | None:
    """A warning when production credentials hold the public sandbox values; None otherwise."""
    if credentials.environment is not Environment.PRODUCTION:
        return None
    found = []
    if SANDBOX_SHORTCODE in (credentials.shortcode, credentials.till_number):
        found.append(f"the shortcode {SANDBOX_SHORTCODE}")
    if credentials.passkey.lower() == SANDBOX_PASSKEY:
        found.append("the passkey")
    if not found:
        return None
    return (
        f"The environment is Production (real money), but {' and '.join(found)} "
        f"{'are' if len(found) > 1 else 'is'} Safaricom's public sandbox test "
        f"{'values' if len(found) > 1 else 'value'}: every real customer's payment prompt would "
        "be refused. Use the shortcode and passkey Safaricom gave you for your live app (Daraja "
        "portal, Go Live), or choose Sandbox (testing)."
    )


PRODUCTION_SWITCH_QUESTION = (
    "Production means real money: every payment prompt sent from now on asks customers for "
    "real M-PESA money, paid into the paybill or till named in these credentials.\n\n"
    "Use Production only with the credentials Safaricom gave you for your live app. Switch to "
    "Production?"
)
