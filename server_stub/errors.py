"""The relay's one error type: a code, a sentence for a person, the field, and an HTTP status."""

from __future__ import annotations


class RelayError(Exception):
    """A refusal the API renders as `{"success": false, "error": {...}}`."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status: int = 400,
        field: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.field = field
        # Sent as Retry-After (whole seconds, at least 1) with a 429 or 503.
        self.retry_after_s = retry_after_s

    def __repr__(self) -> str:
        return f"RelayError(code={self.code!r}, status={self.status}, field={self.field!r})"


class ClientGone(Exception):
    """The client hung up before its request was read: nobody is left to answer."""
