"""Seed one relay store for bench_ingest.py, with the `server_stub` found on PYTHONPATH.

Usage: python bench/ingest_seed.py PUSHES PATHS_FILE (relay settings from the environment)

Run in its own process so that the previous commit's relay is seeded by its own code (its
migrations, its admin command); writes "<number> <callback path>" lines for ingest_wrk.lua.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from relay_seed import seed

# A few settled payments only: the feed is not what this bench measures.
FEED_PAYMENTS = 1_000


def main() -> int:
    """Seed, then write the callback paths."""
    pushes, out = int(sys.argv[1]), Path(sys.argv[2])
    seeded = asyncio.run(seed(dict(os.environ), pushes, FEED_PAYMENTS))
    out.write_text("".join(f"{number} {path}\n" for number, path in seeded.ingest_paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
