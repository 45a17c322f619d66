"""API and per-push callback tokens: 256-bit random, stored and looked up only as SHA-256."""

from __future__ import annotations

import hashlib
import secrets

MAX_TOKEN_CHARS = 128


def new_token() -> str:
    """A fresh 256-bit token, URL-safe (it also goes into callback paths).

    Never starting with "-": one in 64 did, and `bucket-relay revoke-token -Ab3...` then reads
    the token as an option (seen as a flaky CLI test).
    """
    while (token := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return token


def token_hash(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8", errors="surrogatepass")).hexdigest()
