"""Seed one relay store for bench_feed_pages.py, with the `server_stub` found on PYTHONPATH.

Usage: python bench/feed_seed.py PAYMENTS TOKEN_FILE (relay settings from the environment)

Run in its own process so that a previous commit's relay is seeded by its own code (its
migrations, its admin command); writes the feed provider's desk token to TOKEN_FILE.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from relay_seed import seed


def main() -> int:
    """Seed a provider with PAYMENTS settled payments, then write its token."""
    payments, out = int(sys.argv[1]), Path(sys.argv[2])
    seeded = asyncio.run(seed(dict(os.environ), 0, payments))
    out.write_text(seeded.feed_token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
