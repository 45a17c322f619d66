"""Opening the relay's database for a command, with one-sentence answers to the usual mistakes.

A mistyped DATABASE_URL, an admin command run as root (whose default data folder is another
one), a state folder that was never created or belongs to root: each would otherwise end in a
traceback, or worse, in a new empty database that answers every desk's token with 401.
"""

from __future__ import annotations

import getpass
import os
import time
from collections.abc import Callable
from pathlib import Path

from server_stub.access.keys import AccessKeyring
from server_stub.operations.settings import RelaySettings
from server_stub.store.sqlite_store import SqliteStore, StoreOpenError


def open_store(
    settings: RelaySettings, clock: Callable[[], float] = time.time, *, create: bool = False
) -> SqliteStore:
    """The store of these settings; StoreOpenError with a sentence when it cannot be used.

    A missing database is created in development; in production only with `create` (the
    first-run `bucket-relay init` or `serve --init`).
    """
    if settings.database_dsn is None:
        check_database_place(settings.database_path, may_create=create or not settings.production)
    return store_for(settings, clock)


def store_for(
    settings: RelaySettings, clock: Callable[[], float], access_keys: AccessKeyring | None = None
) -> SqliteStore:
    """The SQLite store, or the PostgreSQL one when DATABASE_URL is a postgresql:// address."""
    if settings.database_dsn is not None:
        # Imported here: psycopg is an optional extra.
        from server_stub.store.postgres.store import PostgresStore

        return PostgresStore(settings.database_dsn, clock, access_keys=access_keys)
    return SqliteStore(settings.database_path, clock, access_keys=access_keys)


def check_database_place(path: Path, *, may_create: bool) -> None:
    """StoreOpenError naming the path and the fix, unless the database can be used there."""
    folder, user = path.parent, _user()
    if not path.exists() and not may_create:
        raise StoreOpenError(
            f"There is no database at {path}: check DATABASE_URL and that you run as the "
            "relay's user (runuser -u bucket-relay -- ...); to start a new relay there, run "
            "`bucket-relay init` once."
        )
    if not folder.is_dir():
        if not may_create:
            raise StoreOpenError(f"The database folder {folder} does not exist.")
        try:
            folder.mkdir(parents=True, mode=0o700)
        except OSError as error:
            raise StoreOpenError(
                f"The database folder {folder} does not exist and user {user} cannot create it "
                f"({error.strerror}): create it for that user (install -d -o {user} -m 0700 "
                f"{folder})."
            ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StoreOpenError(
            f"User {user} cannot write in the database folder {folder} (SQLite keeps its -wal "
            f"and -shm files there): give the folder to that user (chown {user} {folder})."
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StoreOpenError(
            f"The database {path} is not writable by user {user} (it was probably created by "
            f"another user, such as root): give it back (chown {user} {path}*)."
        )


def _user() -> str:
    # The effective user, not $LOGNAME: `sudo -u` and setuid keep the caller's environment.
    if hasattr(os, "geteuid"):
        import pwd

        try:
            return pwd.getpwuid(os.geteuid()).pw_name
        except KeyError:
            return str(os.geteuid())
    return getpass.getuser()
