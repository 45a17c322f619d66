"""`python -m bucket_desktop` and the `bucket-desktop` command."""

from __future__ import annotations

import sys


def main() -> int:
    """Start the desktop app."""
    from bucket_desktop.app import main as run_app

    return run_app(sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
