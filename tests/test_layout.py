"""Dependency rules of DESIGN.md section 2, checked by importing in a clean interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHECK = textwrap.dedent(
    """
    import importlib, pkgutil, sys
    import {package} as root
    for info in pkgutil.walk_packages(root.__path__, root.__name__ + "."):
        if info.name.endswith("__main__"):
            continue
        importlib.import_module(info.name)
    banned = sorted(name for name in sys.modules if name.split(".")[0] in {banned})
    banned += sorted(name for name in sys.modules if name.startswith("bucket_desktop.ui"))
    print(",".join(banned))
    """
)


def imported_banned(package: str, banned: set[str]) -> str:
    code = CHECK.format(package=package, banned=sorted(banned))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_services_import_no_qt_and_no_relay() -> None:
    assert imported_banned("bucket_desktop.services", {"PySide6", "server_stub", "qasync"}) == ""


def test_relay_imports_no_qt_and_no_ui() -> None:
    assert imported_banned("server_stub", {"PySide6", "qasync"}) == ""
