"""One relay per SQLite database: `serve` and `restore` hold an exclusive lock beside the file.

Two relays on one SQLite file would each run a reconciler and each keep their own feed waiters,
and a restore under a running relay would swap the database out from under it. The lock is an
OS file lock (released by the kernel when the process dies, even by kill -9), on
`relay.db.lock` next to the database; the file holds the owner's pid for the refusal sentence.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


class StoreInUse(RuntimeError):
    """Another process holds the database's serve lock; the message says which and what to do."""


def lock_path(database: Path) -> Path:
    """The lock file of a database."""
    return database.with_name(database.name + ".lock")


@contextlib.contextmanager
def exclusive_use(database: Path, refusal: str) -> Iterator[None]:
    """Hold the database's lock for the block; StoreInUse (with `refusal`) when it is taken.

    `refusal` is completed with the holder's pid, e.g. "A relay is serving X (pid 12).".
    """
    path = lock_path(database)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise StoreInUse(
            f"Cannot open the lock file {path} ({error.strerror}): it must be writable by the "
            "relay's user (chown it to that user)."
        ) from None
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            raise StoreInUse(refusal.replace("{pid}", holder or "unknown"))
        # The pid is for the refusal sentence only: a failure to write it changes nothing.
        # lseek + write, not pwrite: the desktop's demo relay also runs on Windows.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        return str(int(os.read(fd, 32).decode().strip()))
    return ""


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
