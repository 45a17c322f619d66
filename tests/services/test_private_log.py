"""The desktop's log files are private to the user, current and rotated ones alike."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bucket_desktop.services.private_log import PrivateRotatingFileHandler


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask that makes new files readable by everyone."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_current_and_rotated_log_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "bucket-desktop.log"
    handler = PrivateRotatingFileHandler(path, maxBytes=200, backupCount=2, encoding="utf-8")
    logger = logging.getLogger("test_private_log")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for n in range(20):
            logger.warning("payment %d from 254708374149 paid", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(tmp_path.glob("bucket-desktop.log*"))
    assert [f.name for f in files] == [
        "bucket-desktop.log",
        "bucket-desktop.log.1",
        "bucket-desktop.log.2",
    ]
    assert {_mode(f) for f in files} == {0o600}
    assert "payment 19" in path.read_text(encoding="utf-8")


@pytest.mark.usefixtures("open_umask")
def test_a_readable_log_left_by_an_earlier_version_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "bucket-desktop.log"
    path.write_text("old line\n", encoding="utf-8")
    path.chmod(0o644)
    handler = PrivateRotatingFileHandler(path, encoding="utf-8")
    handler.close()
    assert _mode(path) == 0o600
    assert path.read_text(encoding="utf-8") == "old line\n"
