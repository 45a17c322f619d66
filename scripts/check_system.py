"""Check the system libraries Qt needs before `make run` or `make test` (standard library only).

Usage: python3 scripts/check_system.py [--list scripts/system-libraries.txt]

On Linux, each library of the list is looked for in the linker cache (`ldconfig -p`) and the
usual library folders. When some are missing: as root on Debian or Ubuntu they are installed with
apt-get; otherwise the exact `apt-get install` line is printed and the exit status is 2, so make
stops before anything crashes. Elsewhere (Windows, macOS) Qt brings what it needs: nothing to do.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LIST_FILE = Path(__file__).with_name("system-libraries.txt")
LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
MISSING_STATUS = 2


@dataclass(frozen=True)
class Requirement:
    """A library (or file) the app needs, and the Debian package that provides it."""

    wanted: str
    package: str


@dataclass
class System:
    """What the check asks of the machine; tests pass a fake one."""

    platform: str = sys.platform
    is_root: Callable[[], bool] = field(default=lambda: _is_root())
    linker_cache: Callable[[], set[str]] = field(default=lambda: _linker_cache())
    exists: Callable[[str], bool] = field(default=lambda pattern: bool(glob.glob(pattern)))
    is_debian: Callable[[], bool] = field(default=lambda: _is_debian())
    run: Callable[[Sequence[str]], int] = field(default=lambda argv: _run(argv))
    say: Callable[[str], None] = field(default=lambda text: print(text, file=sys.stderr))


def read_requirements(text: str) -> list[Requirement]:
    """The list file's lines: `what-to-look-for package`, # comments."""
    requirements = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2:
            raise ValueError(f"line {number}: expected a library and a package, got {line!r}")
        requirements.append(Requirement(words[0], words[1]))
    return requirements


def missing(requirements: Iterable[Requirement], system: System) -> list[Requirement]:
    """The requirements not found on this machine."""
    cache = system.linker_cache()
    found: list[Requirement] = []
    for requirement in requirements:
        wanted = requirement.wanted
        if wanted.startswith("/"):
            present = system.exists(wanted)
        else:
            present = wanted in cache or any(
                system.exists(f"{folder}/{wanted}") or system.exists(f"{folder}/*/{wanted}")
                for folder in LIBRARY_DIRS
            )
        if not present:
            found.append(requirement)
    return found


def install_line(packages: Sequence[str]) -> str:
    """The command a person runs to install `packages`."""
    return "sudo apt-get install -y " + " ".join(packages)


def check(requirements: Sequence[Requirement], system: System) -> int:
    """0 when everything is there (installing it first when allowed), else MISSING_STATUS."""
    if not system.platform.startswith("linux"):
        return 0
    absent = missing(requirements, system)
    if not absent:
        return 0
    packages = list(dict.fromkeys(requirement.package for requirement in absent))
    if system.is_root() and system.is_debian():
        system.say(f"Installing the system libraries Qt needs: {' '.join(packages)}")
        env_argv = ["env", "DEBIAN_FRONTEND=noninteractive"]
        if (
            system.run([*env_argv, "apt-get", "update"]) == 0
            and system.run(
                [*env_argv, "apt-get", "install", "-y", "--no-install-recommends", *packages]
            )
            == 0
        ):
            absent = missing(requirements, system)
            if not absent:
                return 0
        system.say("apt-get could not install them; see its messages above.")
    names = ", ".join(requirement.wanted.rsplit("/", 1)[-1] for requirement in absent)
    if system.is_debian() or not system.is_root():
        system.say(
            f"The app's Qt needs system libraries that are missing ({names}); install them "
            f"with: {install_line(packages)}"
        )
    else:
        system.say(
            f"The app's Qt needs system libraries that are missing ({names}); install the "
            f"packages that provide them (on Debian or Ubuntu: {install_line(packages)})."
        )
    return MISSING_STATUS


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _is_debian() -> bool:
    return Path("/etc/debian_version").exists() and shutil.which("apt-get") is not None


def _linker_cache() -> set[str]:
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        output = subprocess.run(  # noqa: S603 (a fixed system tool)
            [ldconfig, "-p"], capture_output=True, text=True, check=False, timeout=30
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.split()[0] for line in output.splitlines()[1:] if line.strip()}


def _run(argv: Sequence[str]) -> int:
    try:
        return subprocess.run(argv, check=False).returncode  # noqa: S603 (apt-get, fixed)
    except OSError:
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    """Check (and maybe install) the libraries of the list file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=Path, default=LIST_FILE)
    args = parser.parse_args(argv)
    requirements = read_requirements(args.list.read_text(encoding="utf-8"))
    return check(requirements, System())


if __name__ == "__main__":
    sys.exit(main())
