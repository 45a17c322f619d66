"""Logging for the relay: one stderr handler that scrubs callback tokens out of every line.

Access-log lines carry request paths, and a callback path holds the push's secret token. Paths
and other request values may also carry line breaks (`/callback/7%0AFORGED.../`): every message
is escaped so that one log record is always one line.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time

# The provider segment may hold anything but a slash (a forged path puts spaces in it).
_CALLBACK_PATH = re.compile(r"(/payments/callback/[^/]*/)[^/?\s\"]+")
_TOKEN_HEADER = re.compile(r"(?i)(token\s+)[A-Za-z0-9_\-]{16,}")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# C0 and C1 control characters and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def escape_controls(text: str) -> str:
    """The text with control characters and line separators written as visible escapes."""
    return _CONTROL.sub(_escaped, text)


# The request being answered (set by server_stub.api.request_ids): JSON log lines carry them.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_request_id", default=None
)
current_client: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "current_client", default=None
)


def redact(text: str) -> str:
    """The text with callback tokens and `Token ...` values replaced."""
    return _TOKEN_HEADER.sub(r"\1<redacted>", _CALLBACK_PATH.sub(r"\1<token>", text))


class RedactingFilter(logging.Filter):
    """Formats each record's message early, scrubs secrets from it and escapes line breaks."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record, with a scrubbed, one-line message."""
        message = record.getMessage()
        cleaned = redact(escape_controls(message))
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line (RELAY_LOG_FORMAT=json), with the request id and client address."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as compact JSON; the message is already scrubbed by RedactingFilter."""
        line: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in (
            ("request_id", current_request_id.get()),
            ("client", current_client.get()),
        ):
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, shape: str = "text") -> None:
    """Send every logger (uvicorn's included) to stderr through the redacting filter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if shape == "json" else logging.Formatter(FORMAT))
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
