"""Demo mode: the offline Daraja simulator and a relay as child processes on loopback.

Qt-free. The children live in a throwaway folder and never outlive the app: on Linux each child
asks the kernel for SIGTERM when the app dies (PR_SET_PDEATHSIG); on every POSIX system a watchdog
thread in the child also exits when its parent changes; `DemoEnvironment.stop` (also registered
with atexit) terminates them on a normal exit. On Windows only the last applies: a job object
with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE would close the gap after a hard crash.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bucket_desktop.i18n import _
from bucket_desktop.services.credentials import DarajaCredentials
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.shared_plans.local_import import duration_in
from bucket_desktop.services.shared_plans.relay_plans import save_plans, shared_plan

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
# Closing the app must feel instant (issue 12): the children get this long after SIGTERM.
STOP_GRACE_S = 0.5
_URL = re.compile(r"https?://[\w.\-\[\]:]+")

# Runs in the child before the module: die with the parent instead of lingering as an orphan.
_GUARD = """
import os, runpy, sys, threading, time
parent = int(sys.argv[1])
if sys.platform.startswith("linux"):
    import ctypes, signal
    ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
def watch():
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)
if os.getppid() != parent:
    sys.exit(0)
if os.name == "posix":
    threading.Thread(target=watch, daemon=True).start()
module = sys.argv[2]
sys.argv = [module, *sys.argv[3:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


class DemoError(Exception):
    """The demo could not start; `str(error)` says what failed."""


def demo_credentials() -> DarajaCredentials:
    """The simulator's default paybill app."""
    from server_stub.daraja_sim import scenarios  # the simulator ships with the demo

    return DarajaCredentials(
        consumer_key=scenarios.DEFAULT_CONSUMER_KEY,
        consumer_secret=scenarios.DEFAULT_CONSUMER_SECRET,
        shortcode=scenarios.DEFAULT_SHORTCODE,
        passkey=scenarios.DEFAULT_PASSKEY,
    )


def demo_phone_help() -> list[tuple[str, str]]:
    """(phone, what happens) for each scripted simulator phone number."""
    from server_stub.daraja_sim import scenarios

    return [(phone, s.summary) for phone, s in scenarios.SCENARIO_PHONES.items()]


def demo_phone_scenarios() -> list[tuple[str, str]]:
    """(phone, scenario name) for each scripted simulator phone number."""
    from server_stub.daraja_sim import scenarios

    return [(phone, s.name) for phone, s in scenarios.SCENARIO_PHONES.items()]


@dataclass
class DemoEnvironment:
    """Running demo children and what the app needs from them."""

    folder: Path
    simulator_url: str = ""
    relay_url: str = ""
    provider_id: str = ""
    owner_token: str = field(default="", repr=False)
    attendant_token: str = field(default="", repr=False)
    admin_token: str = field(default="", repr=False)  # made by `add_platform_admin`
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list, repr=False)

    def stop(self) -> None:
        """Stop the children (politely, then firmly) and delete the throwaway folder.

        The relay would wait up to its graceful-shutdown limit for a feed long-poll that the app
        has just dropped, so the children get a short grace and are then killed: everything
        they keep is in the throwaway folder, deleted next, so nothing is lost.
        """
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)
        self.processes.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


async def start_demo(
    folder: Path | None = None, *, python: str = sys.executable
) -> DemoEnvironment:
    """Start the simulator and a relay, create the demo provider, give it the credentials."""
    demo = DemoEnvironment(folder or Path(tempfile.mkdtemp(prefix="payment-bucket-demo-")))
    demo.folder.mkdir(parents=True, exist_ok=True)
    atexit.register(demo.stop)
    try:
        await _start_children(demo, python)
        await _create_provider(demo, python)
        await _create_plans(demo)
    except BaseException:
        demo.stop()
        raise
    return demo


async def _start_children(demo: DemoEnvironment, python: str) -> None:
    sim = _spawn(demo, python, "server_stub.daraja_sim", ["--port", "0"], "simulator", None)
    demo.simulator_url = await _announced_url(sim, demo.folder, "simulator")
    # The relay must know its own address (BASE_URL) before it starts, so the port is picked
    # here; another program may grab it first, hence a second try.
    for attempt in range(2):
        port = _free_port()
        relay_url = f"http://127.0.0.1:{port}"
        serve = ["serve", "--port", str(port)]
        relay = _spawn(demo, python, "server_stub", serve, "relay", _relay_env(demo, relay_url))
        try:
            demo.relay_url = await _announced_url(relay, demo.folder, "relay")
            return
        except DemoError:
            if attempt or relay.poll() is None:
                raise
            demo.processes.remove(relay)


def _relay_env(demo: DemoEnvironment, relay_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{(demo.folder / 'relay.db').as_posix()}",
        "RELAY_DATA_DIR": str(demo.folder / "relay"),
        "DARAJA_BASE_URL": demo.simulator_url,
        "BASE_URL": relay_url,
        "MPESA_ENVIRONMENT": "sandbox",
        "RELAY_RECONCILE_FIRST_S": "5",
        "RELAY_RECONCILE_UNTIL_S": "60",
        "RELAY_CONFIRM_FIRST_S": "1",
    }


def _spawn(
    demo: DemoEnvironment,
    python: str,
    module: str,
    args: list[str],
    name: str,
    extra_env: dict[str, str] | None,
) -> subprocess.Popen[bytes]:
    # Spawned from the app's main thread: PR_SET_PDEATHSIG follows the thread that forked.
    env = {**os.environ, **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
    # stdout's first line announces the URL; the server's log goes to its own file.
    with (
        (demo.folder / f"{name}.out").open("wb") as output,
        (demo.folder / f"{name}.log").open("wb") as errors,
    ):
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and modules)
            [python, "-c", _GUARD, str(os.getpid()), module, *args],
            stdout=output,
            stderr=errors,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=demo.folder,
        )
    demo.processes.append(process)
    return process


async def _announced_url(process: subprocess.Popen[bytes], folder: Path, name: str) -> str:
    """The URL from the child's first line of output ("listening on http://127.0.0.1:PORT")."""
    out_path, log_path = folder / f"{name}.out", folder / f"{name}.log"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = await asyncio.to_thread(out_path.read_text, errors="replace")
        match = _URL.search(text.split("\n", 1)[0]) if "\n" in text else None
        if match:
            return match.group(0).rstrip("/")
        if process.poll() is not None:
            logged = await asyncio.to_thread(log_path.read_text, errors="replace")
            tail = logged.strip().splitlines()[-2:]
            raise DemoError(
                _("The demo {name} stopped while starting: {tail}").format(
                    name=name, tail=" ".join(tail)
                )
            )
        await asyncio.sleep(0.05)
    raise DemoError(
        _("The demo {name} did not start within {seconds} seconds.").format(
            name=name, seconds=round(START_TIMEOUT_S)
        )
    )


async def _create_provider(demo: DemoEnvironment, python: str) -> None:
    relay_env = _relay_env(demo, demo.relay_url)
    created = await _admin(python, relay_env, demo.folder, ["create-provider", "--name", "Demo"])
    try:
        data = json.loads(created)
        demo.provider_id = str(data["provider_id"])
        demo.owner_token = str(data["owner_token"])
        demo.attendant_token = str(data["attendant_token"])
    except (ValueError, KeyError, TypeError):
        raise DemoError(_("The demo relay did not report the new provider.")) from None
    credentials = demo_credentials().to_json()
    await _admin(
        python,
        relay_env,
        demo.folder,
        ["set-credentials", "--provider", demo.provider_id],
        stdin=credentials,
    )


async def add_platform_admin(demo: DemoEnvironment, *, python: str = sys.executable) -> str:
    """A platform administrator's token for the demo relay (the Platform page's demo)."""
    relay_env = _relay_env(demo, demo.relay_url)
    args = ["create-admin", "--name", "Demo platform"]  # i18n: keep (a name kept on the relay)
    created = await _admin(python, relay_env, demo.folder, args)
    try:
        demo.admin_token = str(json.loads(created)["token"])
    except (ValueError, KeyError, TypeError):
        raise DemoError(_("The demo relay did not report the administrator's token.")) from None
    return demo.admin_token


async def _create_plans(demo: DemoEnvironment) -> None:
    """The standard plans, kept on the demo relay as a shop's owner would keep them."""
    plans = tuple(
        shared_plan(p.name, p.amount, duration_in(p.name), p.account_reference, p.transaction_desc)
        for p in default_plans()
    )
    async with httpx.AsyncClient() as http:
        await save_plans(RelayClient(http, demo.relay_url, demo.owner_token), (), plans)


async def _admin(
    python: str, env: dict[str, str], folder: Path, args: list[str], stdin: bytes | None = None
) -> bytes:
    def run() -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # noqa: S603 (our own interpreter and module)
            [python, "-m", "server_stub", *args],
            input=stdin or b"",
            capture_output=True,
            env={**os.environ, **env},
            cwd=folder,
            timeout=START_TIMEOUT_S,
            check=False,
        )

    try:
        result = await asyncio.to_thread(run)
    except subprocess.TimeoutExpired:
        raise DemoError(
            _("The demo relay command {command} did not finish in time.").format(command=args[0])
        ) from None
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise DemoError(
            _("The demo relay command {command} failed: {message}").format(
                command=args[0], message=message[0]
            )
        )
    return result.stdout


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
