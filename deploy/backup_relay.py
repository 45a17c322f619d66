#!/usr/bin/env python3
"""Online backup and restore of the relay's SQLite database (docs/deploy.md, "Backups").

    backup_relay.py backup  --database /var/lib/bucket-relay/relay.db \
                            --to /var/backups/bucket-relay [--keep 14]
    backup_relay.py restore --from /var/backups/bucket-relay/relay-20250101T020000Z.db \
                            --database /var/lib/bucket-relay/relay.db

`backup` runs while the relay serves: SQLite's backup API copies a consistent snapshot (the
committed state, WAL included) page by page, which a plain file copy of a live WAL database
does not guarantee. The copy is checked with `PRAGMA integrity_check` before it gets its final
name, and only the newest `--keep` backups are kept. `restore` (relay stopped) checks the
backup, keeps the current database aside as `relay.db.before-restore-TIME`, then writes the
backup into place with the same API, so no stale -wal or -shm file can mix in.

Standard library only: run it with the relay's own Python.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

PREFIX = "relay-"
SUFFIX = ".db"
PAGES_PER_STEP = 1024  # lets the relay's writer in between steps


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why."""


def stamp(now: float | None = None) -> str:
    """A sortable UTC time for file names."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now))


def copy_database(source: Path, target: Path) -> None:
    """Copy `source` into `target` with the backup API (source opened read-only)."""
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
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / f"{PREFIX}{stamp()}{SUFFIX}"
    partial = final.with_name(final.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        copy_database(database, partial)
        check_integrity(partial)
        os.chmod(partial, 0o600)  # it holds encrypted secrets and hashed tokens
        os.replace(partial, final)
    except (sqlite3.Error, OSError) as error:
        raise BackupError(f"The backup of {database} failed: {error}.") from None
    finally:
        partial.unlink(missing_ok=True)
    prune(folder, keep)
    return final


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; returns what was deleted."""
    backups = sorted(folder.glob(f"{PREFIX}*{SUFFIX}"))
    old = backups[: max(0, len(backups) - keep)]
    for path in old:
        path.unlink()
    return old


def restore(backup_file: Path, database: Path) -> Path | None:
    """Put `backup_file` in place of `database` (relay stopped); returns where the old one went."""
    check_integrity(backup_file)
    aside = None
    if database.is_file():
        aside = database.with_name(f"{database.name}.before-restore-{stamp()}")
        copy_database(database, aside)
    database.parent.mkdir(parents=True, exist_ok=True)
    try:
        copy_database(backup_file, database)
    except sqlite3.Error as error:
        raise BackupError(f"The restore into {database} failed: {error}.") from None
    check_integrity(database)
    return aside


def main(argv: list[str] | None = None) -> int:
    """Command line; errors are one sentence on stderr and exit status 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="snapshot the live database")
    make.add_argument("--database", type=Path, required=True)
    make.add_argument("--to", type=Path, required=True, help="folder for the backups")
    make.add_argument("--keep", type=int, default=14, help="newest backups to keep (default 14)")
    put = commands.add_parser("restore", help="replace the database with a backup (relay stopped)")
    put.add_argument("--from", dest="source", type=Path, required=True)
    put.add_argument("--database", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            if args.keep < 1:
                raise BackupError("--keep must be at least 1.")
            print(backup(args.database, args.to, args.keep))
        else:
            aside = restore(args.source, args.database)
            print(f"restored {args.source} into {args.database}")
            if aside is not None:
                print(f"the previous database is kept as {aside}")
    except BackupError as error:
        print(f"backup_relay: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
