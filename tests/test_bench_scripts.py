"""Every benchmark script still starts: they are not run in CI, so a rename elsewhere would
otherwise break one unnoticed until the next measurement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
SCRIPTS = sorted(path.name for path in BENCH.glob("bench_*.py"))
MODULES = sorted(path.stem for path in BENCH.glob("*.py") if not path.name.startswith("bench_"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # The scripts import each other by name, as they do when run from the bench folder.
    return subprocess.run(
        [sys.executable, *args], cwd=BENCH, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_benchmark_answers_help(script: str) -> None:
    done = _run(script, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage:" in done.stdout


@pytest.mark.parametrize("module", MODULES)
def test_each_benchmark_helper_imports(module: str) -> None:
    done = _run("-c", f"import {module}")
    assert done.returncode == 0, done.stderr
