"""Holding off Python's cyclic garbage collector while many long-lived objects are built."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused(*, settle: bool = False) -> Iterator[None]:
    """No cyclic collection inside the block; the collector runs again as before after it.

    The collector starts after every 700 new container objects and walks the young ones, and
    now and then all of them. A snapshot's line or the local copy's rows make hundreds of
    thousands of dicts and rows that all live on, so it walked them again and again for
    nothing: about a fifth of a new desk's catch-up. Reference counting still frees what the
    block drops; only cycles wait, for the next collection after it.

    After a large block, `settle` walks everything once at its end: otherwise the young
    collections that follow walk all of it, then the old ones again, and land on whatever
    comes next (the first search, the first live payment), a few hundred ms each.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
            if settle:
                gc.collect()
