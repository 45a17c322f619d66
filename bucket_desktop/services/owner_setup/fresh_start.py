"""Starting over after a forgotten passphrase: the locked files go aside, never away.

Without the passphrase nothing in the key file can be opened, so the only way on is a new key
file. The old one (and the credentials file its key opened) is moved into a dated folder in the
data folder: if the passphrase comes back to mind, moving them back restores everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bucket_desktop.i18n import _
from bucket_desktop.services.app_settings import AppPaths

SET_ASIDE_PREFIX = "set-aside-"


class FreshStartError(Exception):
    """The files could not be moved; `str(error)` says why, and that nothing was lost."""


@dataclass(frozen=True, slots=True)
class SetAside:
    """Where the locked files went, and which ones."""

    folder: Path
    moved: tuple[str, ...]


def locked_files(paths: AppPaths) -> list[Path]:
    """The files a lost passphrase makes unreadable: the key file and the credentials file."""
    return [path for path in (paths.key_file, paths.vault_file) if path.exists()]


def set_aside_locked_files(paths: AppPaths, now: datetime | None = None) -> SetAside:
    """Move the key file and the credentials file into a new dated folder beside them.

    Renames within one folder tree, so each move is whole or not at all; a file already moved
    stays in the new folder if a later one fails, and the message says where everything is.
    """
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    folder = _new_folder(paths.data_dir, SET_ASIDE_PREFIX + stamp)
    moved: list[str] = []
    for path in locked_files(paths):
        try:
            path.rename(folder / path.name)
        except OSError as error:
            raise FreshStartError(
                _(
                    "{name} could not be moved into {folder} ({strerror}); nothing was deleted. "
                    "Close other programs using it and try again."
                ).format(name=path.name, folder=folder, strerror=error.strerror or error)
            ) from None
        moved.append(path.name)
    return SetAside(folder, tuple(moved))


def _new_folder(parent: Path, name: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    for number in range(100):
        folder = parent / (name if number == 0 else f"{name}-{number}")
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        except OSError as error:
            raise FreshStartError(
                _("No folder could be made in {parent} ({strerror}); nothing was moved.").format(
                    parent=parent, strerror=error.strerror or error
                )
            ) from None
        return folder
    raise FreshStartError(
        _("Too many set-aside folders in {parent}; nothing was moved.").format(parent=parent)
    )
