"""Build the desktop bundle from build.spec and say how big it is and how long it took.

Usage: .venv/bin/python scripts/build_bundle.py [--clean]
Output: dist/bucket-desktop/ (run dist/bucket-desktop/bucket-desktop). PyInstaller's work files
and its cache stay inside the checkout (build/pyinstaller, build/pyinstaller-cache).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
CACHE = ROOT / "build" / "pyinstaller-cache"
BUNDLE = DIST / "bucket-desktop"
EXECUTABLE = BUNDLE / ("bucket-desktop.exe" if os.name == "nt" else "bucket-desktop")


@dataclass(frozen=True)
class BuildResult:
    """Where the bundle is, its size on disk and the build time."""

    executable: Path
    size_bytes: int
    seconds: float

    @property
    def size_mb(self) -> float:
        """Size in megabytes (10**6 bytes), as file managers show it."""
        return self.size_bytes / 1e6


def folder_size(folder: Path) -> int:
    """Bytes of every regular file under `folder` (symlinks not followed)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(*, clean: bool = False, python: str = sys.executable) -> BuildResult:
    """Run PyInstaller on build.spec; CalledProcessError when it fails."""
    command = [
        python, "-m", "PyInstaller", str(ROOT / "build.spec"), "--noconfirm",
        "--distpath", str(DIST), "--workpath", str(WORK), "--log-level", "WARN",
    ]  # fmt: skip
    if clean:
        command.append("--clean")
    # PyInstaller caches binaries in the user's cache folder unless told otherwise.
    env = {**os.environ, "PYINSTALLER_CONFIG_DIR": str(CACHE)}
    started = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=True)  # noqa: S603 (our own spec)
    seconds = time.perf_counter() - started
    return BuildResult(EXECUTABLE, folder_size(BUNDLE), seconds)


def main() -> int:
    """Build and print a one-line summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clean", action="store_true", help="ignore PyInstaller's cache")
    args = parser.parse_args()
    try:
        result = build(clean=args.clean)
    except subprocess.CalledProcessError as error:
        print(f"build failed (PyInstaller exit status {error.returncode})", file=sys.stderr)
        return 1
    print(
        f"built {result.executable.relative_to(ROOT)}: {result.size_mb:.0f} MB "
        f"in {result.seconds:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
