"""Lenient readers of single JSON values from the relay, shared by its models and the rows
a new desk reads straight from a snapshot, so both read each field the same way."""

from __future__ import annotations


def text_value(value: object) -> str | None:
    """A non-blank text as it is, a whole number as text, None for anything else."""
    if value.__class__ is str:  # the usual case first: str.isspace() is what strip() strips
        return value if value and not value.isspace() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def int_value(value: object) -> int | None:
    """A whole number, also from its digits as text; None for anything else (a bool too)."""
    if value.__class__ is int:  # the usual case first (bool is a subclass, never this)
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None
