"""Opt-in: the README's commands on a minimal Debian 12 built with debootstrap (DESIGN.md 13).

Run as root whenever setup changes: `RUN_MINIMAL=1 .venv/bin/python -m pytest
tests/test_minimal_machine.py -s` (several minutes: it downloads Debian and the Python packages).

The machine has only python3, python3-venv, make and git. As a person without root, the check
before `make run` must stop with the exact install line; as root, `make run`'s steps must install
what Qt needs and build `.venv`, then the app it starts must run the demo offscreen until Ctrl+C
closes it cleanly, leaving nothing behind; and Qt's xcb platform plugin must find every library
it links (the crash of issue 12). The host's pip cache is lent to the machine to save downloads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = "python3,python3-venv,make,git"
HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"

pytestmark = [
    pytest.mark.skipif(os.environ.get("RUN_MINIMAL") != "1", reason="opt-in: set RUN_MINIMAL=1"),
    pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root"),
]


def sh(*argv: str, timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command, keeping its output for the assertion messages."""
    result = subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{argv} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh minimal Debian 12 with the project copied to /src, mounts undone afterwards."""
    if shutil.which("debootstrap") is None:
        sh("apt-get", "update")
        sh("apt-get", "install", "-y", "debootstrap")
    root = tmp_path_factory.mktemp("minimal") / "debian"
    sh("debootstrap", "--variant=minbase", f"--include={BASE_PACKAGES}", "bookworm", str(root),
       MIRROR)  # fmt: skip
    shutil.copy("/etc/resolv.conf", root / "etc" / "resolv.conf")
    # The host's trust store, for pip's downloads (a minbase system has no CA certificates,
    # and a network may inspect TLS with its own authority).
    if Path(HOST_CA_BUNDLE).is_file():
        (root / "etc" / "ssl" / "certs").mkdir(parents=True, exist_ok=True)
        shutil.copy(HOST_CA_BUNDLE, root / HOST_CA_BUNDLE.lstrip("/"))
    files = sh("git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard")
    for name in files.stdout.splitlines():
        source, target = ROOT / name, root / "src" / name
        if source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    pip_cache = Path.home() / ".cache" / "pip"
    pip_cache.mkdir(parents=True, exist_ok=True)
    (root / "root" / ".cache" / "pip").mkdir(parents=True, exist_ok=True)
    mounts = [root / "proc", root / "dev", root / "dev" / "shm", root / "root" / ".cache" / "pip"]
    sh("mount", "-t", "proc", "proc", str(mounts[0]))
    sh("mount", "--bind", "/dev", str(mounts[1]))
    sh("mount", "-t", "tmpfs", "tmpfs", str(mounts[2]))
    sh("mount", "--bind", str(pip_cache), str(mounts[3]))
    try:
        yield root
    finally:
        for mount in reversed(mounts):
            sh("umount", "-l", str(mount), check=False)


def inside(
    root: Path, command: str, *, user: str | None = None
) -> subprocess.CompletedProcess[str]:
    """A shell command in the minimal machine, in /src."""
    env = (
        "env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "
        f"PIP_CERT={HOST_CA_BUNDLE} SSL_CERT_FILE={HOST_CA_BUNDLE}"
    )
    spec = ["--userspec", user] if user else []
    return sh("chroot", *spec, str(root), "sh", "-c", f"cd /src && {env} {command}", check=False)


@pytest.mark.timeout(3600)  # debootstrap, apt-get and pip downloads
def test_readme_commands_on_a_minimal_debian(machine: Path) -> None:
    refused = inside(machine, "python3 scripts/check_system.py", user="nobody:nogroup")
    assert refused.returncode == 2, refused.stderr
    assert "install them with: sudo apt-get install -y" in refused.stderr
    assert "libxcb-icccm4" in refused.stderr and "libegl1" in refused.stderr

    setup = inside(machine, "make system install")
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert "Installing the system libraries Qt needs" in setup.stderr
    # What `make run` then starts; Ctrl+C closes the window as the close button does.
    run = inside(
        machine,
        "QT_QPA_PLATFORM=offscreen timeout --preserve-status -s INT 60 "
        ".venv/bin/python -m bucket_desktop --demo",
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert not list((machine / "tmp").glob("payment-bucket-demo-*"))  # nothing left behind

    plugin = inside(
        machine,
        "ldd .venv/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so",
    )
    assert plugin.returncode == 0 and "not found" not in plugin.stdout, plugin.stdout
