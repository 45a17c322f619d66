"""The relay's version, from the installed package's metadata."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "payment-bucket-desktop"


def relay_version() -> str:
    """The installed version, or 0.0.0 when running from a tree that was never installed."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0.0.0"
