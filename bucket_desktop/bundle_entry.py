"""Entry of the desktop bundle (build.spec): one executable for the app, relay and simulator.

    bucket-desktop [--demo] [--data-dir DIR]   the desktop app
    bucket-desktop relay COMMAND ...           the relay's command line (same as `bucket-relay`)
    bucket-desktop sim [--port N] ...          the offline Daraja simulator
    bucket-desktop self-test demo|keyring      checks of an installed bundle (see bundle_check)
    bucket-desktop --version

A frozen executable has no interpreter behind `sys.executable`, yet the demo launcher starts its
children as `sys.executable -m MODULE ...` and `sys.executable -c CODE ...`. The bundle answers
those two forms itself (as multiprocessing's freeze support does), so the demo works unchanged.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Sequence

USAGE = (
    "usage: bucket-desktop [--demo] [--data-dir DIR]\n"
    "       bucket-desktop relay COMMAND ...   (serve, create-provider, rotate-key, ...)\n"
    "       bucket-desktop sim [--port N] ...  (the offline Daraja simulator)\n"
    "       bucket-desktop self-test demo|keyring\n"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch to the relay, the simulator, a self-test, or the desktop app."""
    args = list(sys.argv[1:] if argv is None else argv)
    command, rest = (args[0], args[1:]) if args else ("", [])
    if command == "relay":
        from server_stub.operations.cli import main as relay_main

        return relay_main(rest)
    if command == "sim":
        from server_stub.daraja_sim.cli import main as sim_main

        return sim_main(rest)
    if command == "self-test":
        from bucket_desktop.bundle_check import main as check_main

        return check_main(rest)
    if command in ("-m", "-c"):
        return _as_interpreter(command, rest)
    if command == "--version":
        print(f"bucket-desktop {_version()}")
        return 0
    if command in ("-h", "--help"):
        print(USAGE)
    from bucket_desktop.app import main as app_main

    return app_main(args)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("payment-bucket-desktop")
    except PackageNotFoundError:
        return "unknown"


def _as_interpreter(flag: str, rest: list[str]) -> int:
    """Behave like `python -m MODULE ARGS` or `python -c CODE ARGS` for the demo's children."""
    if not rest:
        print(f"bucket-desktop: {flag} needs an argument", file=sys.stderr)
        return 2
    target, saved_argv = rest[0], sys.argv
    sys.argv = [flag, *rest[1:]]
    try:
        if flag == "-m":
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            # The launcher's own guard code, run the way `python -c` runs it.
            exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    except SystemExit as stop:
        return _exit_status(stop.code)
    finally:
        sys.argv = saved_argv
    return 0


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
