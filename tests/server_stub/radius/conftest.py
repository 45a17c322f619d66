"""A FreeRADIUS database made with FreeRADIUS's own schema, and a real FreeRADIUS serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server_stub.radius.freeradius import (
    RunningFreeradius,
    new_radius_database,
    running_freeradius,
)


@pytest.fixture
def radius_db(tmp_path: Path) -> Path:
    """An empty FreeRADIUS SQLite database."""
    path = tmp_path / "radius" / "radius.db"
    path.parent.mkdir()
    new_radius_database(path)
    return path


@pytest.fixture
def freeradius(tmp_path: Path, radius_db: Path) -> Iterator[RunningFreeradius]:
    """FreeRADIUS on loopback with its sql module on `radius_db` (Simultaneous-Use fixed)."""
    with running_freeradius(tmp_path / "raddb", radius_db) as server:
        yield server
