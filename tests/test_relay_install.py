"""The relay installs on a server without Qt, from the pinned lock file (docs/deploy.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "deploy" / "requirements-relay.lock"
DESKTOP_ONLY = ("PySide6", "qasync", "keyring")
CHECK_IMPORTS = f"""
import pkgutil, sys
import server_stub
for module in pkgutil.walk_packages(server_stub.__path__, "server_stub."):
    if module.name != "server_stub.__main__" and not module.name.endswith(".__main__"):
        __import__(module.name)
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & set({DESKTOP_ONLY!r}))
print("desktop modules:", loaded)
"""

# A fresh virtualenv and pip installs: minutes on a busy machine (each pip call has its own
# deadline below).
pytestmark = pytest.mark.timeout(900)


def pip(venv: Path, *args: str) -> str:
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def pins() -> dict[str, str]:
    lines = [line for line in LOCK.read_text().splitlines() if line and line[0] != "#"]
    return {
        name.lower().replace("_", "-"): version
        for name, version in (line.split("==") for line in lines)
    }


def source_copy(folder: Path) -> Path:
    """The package's sources in `folder` (pip builds in the source tree; not in the checkout)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("bucket_desktop", "server_stub"):
        shutil.copytree(ROOT / name, folder / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, folder / name)
    return folder


def test_the_relay_installs_from_the_lock_without_qt(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip(venv, "install", "--quiet", "-r", str(LOCK))
    source = source_copy(tmp_path / "src")
    pip(venv, "install", "--quiet", "--no-deps", f"{source}[relay,postgresql]")
    pip(venv, "check")  # the lock satisfies every requirement of the relay
    installed = {
        name.lower().replace("_", "-"): version
        for name, version in (
            line.split("==") for line in pip(venv, "freeze").splitlines() if "==" in line
        )
    }
    installed.pop("payment-bucket-desktop", None)
    assert installed == pins()  # exactly the pinned set, nothing more
    assert not {name.lower() for name in DESKTOP_ONLY} & set(installed)
    version = subprocess.run(
        [str(venv / "bin" / "bucket-relay"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert version.stdout.startswith("bucket-relay ")
    imports = subprocess.run(
        [str(venv / "bin" / "python"), "-c", CHECK_IMPORTS],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=tmp_path,  # the installed package, not the checkout
    )
    assert imports.returncode == 0, imports.stderr
    assert imports.stdout.strip() == "desktop modules: []"
