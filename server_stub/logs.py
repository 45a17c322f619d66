"""Logging for the relay: one stderr handler that scrubs callback tokens out of every line.

Access-log lines carry request paths, and a callback path holds the push's secret token.
"""

from __future__ import annotations

import logging
import re
import sys

_CALLBACK_PATH = re.compile(r"(/payments/callback/[^/\s]*/)[^/?\s\"]+")
_TOKEN_HEADER = re.compile(r"(?i)(token\s+)[A-Za-z0-9_\-]{16,}")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """The text with callback tokens and `Token ...` values replaced."""
    return _TOKEN_HEADER.sub(r"\1<redacted>", _CALLBACK_PATH.sub(r"\1<token>", text))


class RedactingFilter(logging.Filter):
    """Formats each record's message early and scrubs secrets from it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record, with a scrubbed message."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str) -> None:
    """Send every logger (uvicorn's included) to stderr through the redacting filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Third-party debug logs (HTTP clients) can include request headers.
    for name in ("httpx", "httpcore", "hpack", "asyncio"):
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLevelName(level)))
