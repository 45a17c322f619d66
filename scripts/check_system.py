"""Check the system packages the project needs before `make run` or `make test` (stdlib only).

Usage: python3 scripts/check_system.py [--tests] [--list scripts/system-packages.txt]

On Linux, each library of the list is looked for in the linker cache (`ldconfig -p`) and the
usual library folders, each path as a file. When some are missing: as root on Debian or Ubuntu
they are installed with apt-get (services they bring are not started); otherwise the exact
`apt-get install` line is printed. A missing library of the app's stops make (exit status 2)
before anything crashes; a missing test program (`tests` in the list, checked with --tests) only
means the tests that need it skip. Elsewhere (Windows, macOS) Qt brings what it needs.
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

LIST_FILE = Path(__file__).with_name("system-packages.txt")
# While apt-get installs test programs, their services (nginx on port 80...) must not start.
POLICY_FILE = Path("/usr/sbin/policy-rc.d")
LIBRARY_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
MISSING_STATUS = 2


@dataclass(frozen=True)
class Requirement:
    """A library (or file) the project needs, and the Debian package that provides it."""

    wanted: str
    package: str
    for_tests: bool = False


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
    policy_file: Path = POLICY_FILE


def read_requirements(text: str) -> list[Requirement]:
    """The list file's lines: `what-to-look-for package [tests]`, # comments."""
    requirements = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) not in (2, 3) or words[2:] not in ([], ["tests"]):
            raise ValueError(
                f"line {number}: expected a library and a package (and `tests`), got {line!r}"
            )
        requirements.append(Requirement(words[0], words[1], for_tests=len(words) == 3))
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


def check(requirements: Sequence[Requirement], system: System, *, tests: bool = False) -> int:
    """0 when the app's libraries are there (installing what is missing when allowed), else
    MISSING_STATUS. With `tests`, the test programs too; those only ever warn."""
    if not system.platform.startswith("linux"):
        return 0
    wanted = [r for r in requirements if tests or not r.for_tests]
    absent = missing(wanted, system)
    if not absent:
        return 0
    if system.is_root() and system.is_debian():
        if _install(_packages(absent), system) != 0:
            system.say("apt-get could not install them; see its messages above.")
        absent = missing(wanted, system)
    app_absent = [r for r in absent if not r.for_tests]
    tests_absent = [r for r in absent if r.for_tests]
    if tests_absent:
        names = ", ".join(r.package for r in tests_absent)
        system.say(
            f"Some tests will skip: {names} missing; install with: "
            f"{install_line(_packages(tests_absent))}"
        )
    if not app_absent:
        return 0
    packages = _packages(app_absent)
    names = ", ".join(requirement.wanted.rsplit("/", 1)[-1] for requirement in app_absent)
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


def _packages(requirements: Iterable[Requirement]) -> list[str]:
    return list(dict.fromkeys(requirement.package for requirement in requirements))


def _install(packages: Sequence[str], system: System) -> int:
    """apt-get update and install, with service starts refused meanwhile; its exit status."""
    system.say(f"Installing system packages: {' '.join(packages)}")
    env_argv = ["env", "DEBIAN_FRONTEND=noninteractive"]
    added_policy = not system.policy_file.exists()
    if added_policy:
        # invoke-rc.d asks this file before starting a service: 101 means "not now".
        system.policy_file.write_text("#!/bin/sh\nexit 101\n", encoding="utf-8")
        system.policy_file.chmod(0o755)
    try:
        status = system.run([*env_argv, "apt-get", "update"])
        if status == 0:
            status = system.run(
                [*env_argv, "apt-get", "install", "-y", "--no-install-recommends", *packages]
            )
        return status
    finally:
        if added_policy:
            system.policy_file.unlink(missing_ok=True)


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
    """Check (and maybe install) the packages of the list file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=Path, default=LIST_FILE)
    parser.add_argument(
        "--tests", action="store_true", help="also the programs some tests need (make test)"
    )
    args = parser.parse_args(argv)
    requirements = read_requirements(args.list.read_text(encoding="utf-8"))
    return check(requirements, System(), tests=args.tests)


if __name__ == "__main__":
    sys.exit(main())
