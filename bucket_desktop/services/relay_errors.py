"""Typed relay failures, each with one sentence to show a person."""

from __future__ import annotations


class RelayError(Exception):
    """A relay call that did not succeed; `str(error)` is the sentence to show."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        http_status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, http_status={self.http_status!r})"


class RelayAuthError(RelayError):
    """401: the token is wrong or was revoked."""


class RelayForbidden(RelayError):
    """403: the token is valid but its role may not do this (an attendant)."""


class RelayRequestError(RelayError):
    """Any other 4xx: the request was refused; `field` names the input when known."""


class RelayUnavailable(RelayError):
    """The relay could not be reached, timed out, or failed on its side (5xx)."""


class RelayUnexpectedResponse(RelayError):
    """The relay answered something this app cannot read."""
