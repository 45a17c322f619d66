"""Settings Safaricom cannot work with stop a production relay at start (issue: callbacks that
went out as http://127.0.0.1:8001/..., keys and secrets sent to a test double).

Development keeps the lenient defaults: the simulator, localhost and plain http are what a
training PC uses.
"""

from __future__ import annotations

from collections.abc import Mapping

from bucket_desktop.services.mpesa_rules import lint_callback_url
from server_stub.operations.settings import RelaySettings, SettingsError

ALLOW_DARAJA_OVERRIDE = "RELAY_ALLOW_DARAJA_BASE_URL"


def check_production(settings: RelaySettings, environ: Mapping[str, str]) -> None:
    """SettingsError with one sentence for the first setting production cannot run with."""
    if not settings.production:
        return
    if not settings.base_url_explicit:
        raise SettingsError(
            "BASE_URL is not set: in production callbacks would go to "
            f"{settings.base_url}, which Safaricom cannot reach; set BASE_URL to the relay's "
            "public https address, e.g. BASE_URL=https://relay.example.co.ke."
        )
    problems = lint_callback_url(settings.base_url + "/payments/callback/", production=True)
    if problems:
        raise SettingsError(f"BASE_URL {settings.base_url} cannot be used: {problems[0]}")
    override = environ.get(ALLOW_DARAJA_OVERRIDE, "").strip().lower() in ("1", "true", "yes")
    if settings.daraja_base_url is not None and not override:
        raise SettingsError(
            f"DARAJA_BASE_URL is set to {settings.daraja_base_url} in production: every "
            "provider's consumer key and secret would be sent there instead of Safaricom. "
            f"Remove it, or set {ALLOW_DARAJA_OVERRIDE}=1 if that host is your own proxy."
        )
