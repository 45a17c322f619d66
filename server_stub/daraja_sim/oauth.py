"""`GET /oauth/v1/generate`: access tokens for the simulator's Daraja apps."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server_stub.daraja_sim.errors import INVALID_AUTHENTICATION, INVALID_GRANT_TYPE, DarajaFault
from server_stub.daraja_sim.state import SimState


class OAuthEndpoint:
    """Issues tokens against HTTP Basic consumer key and secret."""

    def __init__(self, state: SimState) -> None:
        self._state = state

    async def generate(self, request: Request) -> Response:
        """Answer a token request the way Daraja does."""
        try:
            if request.query_params.get("grant_type") != "client_credentials":
                raise DarajaFault.of(INVALID_GRANT_TYPE)
            key, secret = _basic_credentials(request.headers.get("authorization", ""))
        except DarajaFault as fault:
            self._state.log.add(
                "oauth", status=fault.http_status, error_code=fault.code, consumer_key=None
            )
            return fault.response(self._state.ids.request_id())
        app = self._state.apps.get(key)
        if app is None or not hmac.compare_digest(app.consumer_secret.encode(), secret.encode()):
            # Daraja answers a wrong key or secret with HTTP 400 and an empty body (clients
            # written against Daraja take that path; the JSON fault is for a bad header only).
            self._state.log.add("oauth", status=400, error_code="empty_body", consumer_key=None)
            return Response(status_code=400)
        token = self._state.issue_token(app)
        lifetime = int(self._state.config.token_lifetime_s)
        expires_in: str | int = (
            str(lifetime) if self._state.config.expires_in_as_string else lifetime
        )
        self._state.log.add("oauth", status=200, consumer_key=_hint(app.consumer_key))
        return JSONResponse({"access_token": token, "expires_in": expires_in})


def _basic_credentials(authorization: str) -> tuple[str, str]:
    """The key and secret of a Basic header; 400.008.01 when it is missing or unreadable."""
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise DarajaFault.of(INVALID_AUTHENTICATION)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise DarajaFault.of(INVALID_AUTHENTICATION) from None
    key, separator, secret = decoded.partition(":")
    if not separator:
        raise DarajaFault.of(INVALID_AUTHENTICATION)
    return key, secret


def _hint(consumer_key: str) -> str:
    """The first characters of a consumer key: enough to tell apps apart in the log."""
    return consumer_key[:6] + "…"
