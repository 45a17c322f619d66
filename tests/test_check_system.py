"""scripts/check_system.py: the system package check before `make run` and `make test`."""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "check_system.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_system", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_system"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


check_system = load_script()


class FakeMachine:
    """A Linux machine with some libraries, and an apt-get that installs what it is asked."""

    def __init__(self, present: set[str], *, root: bool, debian: bool = True) -> None:
        self.present = set(present)
        self.root = root
        self.debian = debian
        self.commands: list[list[str]] = []
        self.said: list[str] = []
        self.apt_works = True
        self.policy_file = Path(tempfile.mkdtemp()) / "policy-rc.d"
        self.services_allowed_during_install: list[bool] = []

    def system(self) -> object:
        return check_system.System(
            platform="linux",
            is_root=lambda: self.root,
            linker_cache=lambda: {name for name in self.present if not name.startswith("/")},
            exists=lambda pattern: pattern in self.present,
            is_debian=lambda: self.debian,
            run=self.run,
            say=self.said.append,
            policy_file=self.policy_file,
        )

    def run(self, argv: Sequence[str]) -> int:
        self.commands.append(list(argv))
        if "install" in argv:
            refused = self.policy_file.exists() and "exit 101" in self.policy_file.read_text()
            self.services_allowed_during_install.append(not refused)
        if "install" in argv and self.apt_works:
            for requirement in REQUIREMENTS:
                if requirement.package in argv:
                    self.present.add(requirement.wanted)
        return 0 if self.apt_works else 100


REQUIREMENTS = check_system.read_requirements(
    (ROOT / "scripts" / "system-packages.txt").read_text("utf-8")
)
APP = [requirement for requirement in REQUIREMENTS if not requirement.for_tests]
EVERYTHING = {requirement.wanted for requirement in REQUIREMENTS}
WITHOUT_ICCCM = EVERYTHING - {"libxcb-icccm.so.4", "libxcb-keysyms.so.1"}


def test_the_list_names_the_libraries_that_crashed_a_minimal_debian() -> None:
    packages = {requirement.package for requirement in REQUIREMENTS}
    assert {"libxcb-icccm4", "libxcb-keysyms1", "libxcb-cursor0", "libegl1"} <= packages
    assert {"libglib2.0-0", "libfontconfig1", "libdbus-1-3", "libxkbcommon0"} <= packages


def test_nothing_missing_does_nothing() -> None:
    machine = FakeMachine(EVERYTHING, root=True)
    assert check_system.check(REQUIREMENTS, machine.system()) == 0
    assert machine.commands == [] and machine.said == []


def test_root_on_debian_installs_only_what_is_missing() -> None:
    machine = FakeMachine(WITHOUT_ICCCM, root=True)
    assert check_system.check(REQUIREMENTS, machine.system()) == 0
    env = ["env", "DEBIAN_FRONTEND=noninteractive"]
    assert machine.commands == [
        [*env, "apt-get", "update"],
        [*env, "apt-get", "install", "-y", "--no-install-recommends", "libxcb-icccm4",
         "libxcb-keysyms1"],
    ]  # fmt: skip


def test_without_root_it_prints_the_exact_install_line_and_stops() -> None:
    machine = FakeMachine(WITHOUT_ICCCM, root=False)
    assert check_system.check(REQUIREMENTS, machine.system()) == check_system.MISSING_STATUS
    assert machine.commands == []
    assert machine.said == [
        "The app's Qt needs system libraries that are missing (libxcb-icccm.so.4, "
        "libxcb-keysyms.so.1); install them with: "
        "sudo apt-get install -y libxcb-icccm4 libxcb-keysyms1"
    ]


def test_a_failing_apt_get_stops_with_the_install_line() -> None:
    machine = FakeMachine(set(), root=True)
    machine.apt_works = False
    assert check_system.check(REQUIREMENTS, machine.system()) == check_system.MISSING_STATUS
    assert machine.said[-1].endswith("libxcb-xkb1 fonts-dejavu-core")
    assert "sudo apt-get install -y libglib2.0-0 libegl1" in machine.said[-1]


def test_root_elsewhere_than_debian_is_told_what_to_look_for() -> None:
    machine = FakeMachine(EVERYTHING - {"libEGL.so.1"}, root=True, debian=False)
    assert check_system.check(REQUIREMENTS, machine.system()) == check_system.MISSING_STATUS
    assert machine.commands == []
    assert "(libEGL.so.1)" in machine.said[0] and "on Debian or Ubuntu" in machine.said[0]


def test_windows_and_macos_need_nothing() -> None:
    machine = FakeMachine(set(), root=False)
    system = machine.system()
    system.platform = "win32"  # type: ignore[attr-defined]
    assert check_system.check(REQUIREMENTS, system) == 0


def test_a_broken_list_line_is_named() -> None:
    with pytest.raises(ValueError, match="line 2"):
        check_system.read_requirements("libGL.so.1 libgl1\nlibEGL.so.1\n")
    with pytest.raises(ValueError, match="line 1"):
        check_system.read_requirements("/usr/sbin/nginx nginx sometimes\n")


def test_make_test_installs_test_programs_without_starting_their_services() -> None:
    machine = FakeMachine(EVERYTHING - {"/usr/sbin/nginx", "/usr/bin/caddy"}, root=True)
    assert check_system.check(REQUIREMENTS, machine.system(), tests=True) == 0
    assert machine.commands[-1][-2:] == ["nginx", "caddy"]
    assert machine.services_allowed_during_install == [False]
    assert not machine.policy_file.exists()  # taken away again after apt-get


def test_make_run_does_not_ask_for_test_programs() -> None:
    machine = FakeMachine(EVERYTHING - {"/usr/sbin/nginx"}, root=True)
    assert check_system.check(REQUIREMENTS, machine.system()) == 0
    assert machine.commands == [] and machine.said == []


def test_missing_test_programs_without_root_only_warn() -> None:
    machine = FakeMachine(EVERYTHING - {"/usr/bin/sqlite3"}, root=False)
    assert check_system.check(REQUIREMENTS, machine.system(), tests=True) == 0
    assert machine.commands == []
    assert machine.said == [
        "Some tests will skip: sqlite3 missing; install with: sudo apt-get install -y sqlite3"
    ]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the list is for Linux")
def test_this_machine_has_everything_the_real_check_looks_for() -> None:
    """The suite runs Qt here, so the real check (without installing) must find everything."""
    assert check_system.missing(APP, check_system.System()) == []
