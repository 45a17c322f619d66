"""Run `bucket-relay` in a child process as an unprivileged user, to meet permission mistakes.

As root (CI), a forked child drops to `nobody` before running the CLI's `main` (the interpreter
may live under /root, which `nobody` cannot read, so the child never execs); as another user,
the child runs as that user and the tests take write permission away with chmod instead.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

NOBODY = 65534


def is_root() -> bool:
    """Whether the tests run as root (then files are given to root to make them unwritable)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def shared_folder() -> Iterator[Path]:
    """A fresh folder that the unprivileged child can reach (tmp_path may be 0700 root)."""
    folder = Path(tempfile.mkdtemp(prefix="relay-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in folder.rglob("*"):  # give write access back so everything can go
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)


def give_to_service_user(path: Path) -> None:
    """Make `path` belong to the user the child runs as."""
    if is_root():
        os.chown(path, NOBODY, NOBODY)


def run_cli_as_service_user(env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
    """(exit status, stdout, stderr) of `bucket-relay ARGS` run as the service user."""
    from server_stub.operations.cli import main

    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            # pytest's capture objects stand in for sys.stdout/stderr: write to the pipes.
            sys.stdout = os.fdopen(out_write, "w")
            sys.stderr = os.fdopen(err_write, "w")
            if is_root():
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            os.environ.clear()
            os.environ.update(env)
            code = main(list(args))
        except BaseException as error:
            print(f"child failed: {error!r}", file=sys.stderr)
            code = 98
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(out_write)
    os.close(err_write)
    with os.fdopen(out_read) as out, os.fdopen(err_read) as err:
        stdout, stderr = out.read(), err.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), stdout, stderr
