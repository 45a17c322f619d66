"""Online backup and safe restore of the relay's SQLite database (docs/deploy.md, "Backups").

`backup` runs while the relay serves: SQLite's backup API copies a consistent snapshot (the
committed state, WAL included) page by page, which a plain file copy of a live WAL database does
not guarantee. The copy is checked with `PRAGMA integrity_check` before it gets its final name.

`restore` refuses while a relay holds the database's lock (and holds it itself, so no relay
starts half-way), keeps the current database as a 0600 safety copy, builds the restored file
beside the database, gives it a new store identity (desks then reload from zero instead of
waiting for sequence numbers the backup never reached), and swaps it in with one rename.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from server_stub.store.identity import read_store_id, replace_store_id
from server_stub.store.serve_lock import exclusive_use

PREFIX = "relay-"
SUFFIX = ".db"
PAGES_PER_STEP = 1024  # lets the relay's writer in between steps
SAFETY_COPIES_KEPT = 3
_SAFETY_MARK = ".before-restore-"


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why."""


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did."""

    database: Path
    safety_copy: Path | None
    store_id: str
    pruned: tuple[Path, ...]


def stamp(now: float | None = None) -> str:
    """A sortable UTC time for file names."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def copy_database(source: Path, target: Path) -> None:
    """Copy `source` into a new 0600 file `target` with the backup API (source read-only)."""
    # Created here with 0600 before SQLite opens it: it holds encrypted secrets and hashed
    # tokens, and sqlite3 would create it world-readable under the default umask.
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
    try:
        dst = sqlite3.connect(target, timeout=30.0)
        try:
            src.backup(dst, pages=PAGES_PER_STEP)
            # One self-contained file: no -wal or -shm beside it (the relay turns WAL back on).
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()


def check_integrity(path: Path) -> None:
    """BackupError unless SQLite finds the file whole."""
    if not path.is_file():
        raise BackupError(f"There is no backup file {path}.")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            answer = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a usable SQLite database ({error}).") from None
    if answer != "ok" or tables == 0:
        raise BackupError(f"{path} failed the integrity check ({answer}, {tables} tables).")


def backup(database: Path, folder: Path, keep: int) -> Path:
    """A checked snapshot of `database` in `folder`; older ones beyond `keep` are removed."""
    if not database.is_file():
        raise BackupError(f"There is no database at {database}.")
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise BackupError(f"Cannot create the backup folder {folder}: {error.strerror}.") from None
    final = folder / f"{PREFIX}{stamp()}{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        copy_database(database, partial)
        check_integrity(partial)
        os.replace(partial, final)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"The backup of {database} failed: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)
    prune(folder, keep)
    return final


def prune(folder: Path, keep: int, pattern: str = f"{PREFIX}*{SUFFIX}") -> list[Path]:
    """Delete all but the newest `keep` files matching `pattern`; returns what was deleted."""
    found = sorted(folder.glob(pattern))
    old = found[: max(0, len(found) - keep)]
    for path in old:
        path.unlink()
    return old


def restore(backup_file: Path, database: Path) -> Restored:
    """Put `backup_file` in place of `database`; refuses while a relay serves it."""
    folder = database.parent
    if not folder.is_dir():
        raise BackupError(
            f"The database folder {folder} does not exist: check DATABASE_URL, or create the "
            f"folder for the relay's user (install -d -m 0700 {folder})."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BackupError(
            f"Cannot write in {folder}: run the restore as the relay's user "
            "(runuser -u bucket-relay -- ...)."
        )
    refusal = (
        f"A relay is using {database} (pid {{pid}}): stop it first "
        "(sudo systemctl stop bucket-relay); nothing was changed."
    )
    with exclusive_use(database, refusal):
        check_integrity(backup_file)
        return _restore_unlocked(backup_file, database)


def _restore_unlocked(backup_file: Path, database: Path) -> Restored:
    now = stamp()
    incoming = database.with_name(f"{database.name}.restoring")
    incoming.unlink(missing_ok=True)
    aside = None
    try:
        copy_database(backup_file, incoming)
        with contextlib.closing(sqlite3.connect(incoming)) as conn:
            store_id = replace_store_id(conn) if read_store_id(conn) is not None else ""
        check_integrity(incoming)
        _fsync(incoming)
        if database.is_file():
            aside = database.with_name(f"{database.name}{_SAFETY_MARK}{now}")
            aside.unlink(missing_ok=True)
            copy_database(database, aside)
            _fold_wal(database)
        os.replace(incoming, database)
        _fsync_folder(database.parent)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(
            f"The restore into {database} failed, and the database was left as it was: {error}."
        ) from None
    finally:
        incoming.unlink(missing_ok=True)
    pruned = prune(database.parent, SAFETY_COPIES_KEPT, f"{database.name}{_SAFETY_MARK}*")
    # A backup from before store identities gets one when the relay next opens it.
    return Restored(database, aside, store_id, tuple(pruned))


def _fold_wal(database: Path) -> None:
    """Checkpoint the old database and remove its -wal and -shm files.

    A -wal file left beside the restored database would be replayed into it on the next open.
    """
    with contextlib.closing(sqlite3.connect(database, timeout=30.0)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    if os.name == "posix":
        _fsync(folder)
