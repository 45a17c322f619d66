"""A rotating log file that only this user can read (0600), whatever the umask.

The log holds phone numbers and relay addresses; on a shared shop PC other accounts must not
read it (issue 11).
"""

from __future__ import annotations

import os
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler

PRIVATE_FILE_MODE = 0o600


class PrivateRotatingFileHandler(RotatingFileHandler):
    """RotatingFileHandler whose current and rotated files are created 0600."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        if os.name == "posix":
            # A file an earlier version left readable is made private too.
            os.fchmod(fd, PRIVATE_FILE_MODE)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)
