"""System programs some tests need (nginx, Caddy, sqlite3: `tests` in scripts/system-packages.txt),
installed by `python3 scripts/check_system.py --tests` as root (`make test` runs it).

A missing program skips the test with one sentence, except under CI=true, where it fails: CI
runs as root, so the script must have installed it.
"""

from __future__ import annotations

import os
import shutil

import pytest

SCRIPT = "scripts/check_system.py --tests"


def need(program: str, package: str | None = None) -> str:
    """The program's path; skips (or fails under CI=true) when it is not installed."""
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin:/sbin")
    if found:
        return found
    sentence = (
        f"{program} is not installed: run `python3 {SCRIPT}` as root "
        f"(apt-get install {package or program})."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(sentence)
    pytest.skip(sentence)
