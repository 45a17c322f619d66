"""Running the relay as a real subprocess on a free loopback port, for tests and the demo.

with running_relay(tmp_path, env={"RELAY_RECONCILE_FIRST_S": "1"}) as relay:
    tokens = relay.cli("create-provider", "--name", "Demo")
    httpx.get(relay.base_url + "/healthz")
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

START_TIMEOUT_S = 60.0  # a cold start on a busy PC (test workers beside other work)
STOP_TIMEOUT_S = 10.0
CLI_TIMEOUT_S = 30.0
_RELAY_VARIABLES = (
    "ENCRYPTION_KEY",
    "BASE_URL",
    "MPESA_ENVIRONMENT",
    "DATABASE_URL",
    "RELAY_FEED_RECHECK_S",
    "DARAJA_BASE_URL",
    "CALLBACK_ALLOWED_IPS",
    "TRUSTED_PROXIES",
    "RELAY_ENV",
    "RELAY_DATA_DIR",
    "RELAY_RECONCILE_FIRST_S",
    "RELAY_RECONCILE_UNTIL_S",
    "RELAY_CONFIRM_FIRST_S",
    "RELAY_LOG_LEVEL",
    "RELAY_ACCESS_LOG",
    "RELAY_PUSHES_PER_MINUTE",
    "RELAY_UNKNOWN_CALLBACKS_PER_MINUTE",
    "RELAY_FEED_WAITS_PER_TOKEN",
    "RELAY_HEADER_TIMEOUT_S",
    "RELAY_BODY_TIMEOUT_S",
    "RELAY_MAX_CONNECTIONS",
    "RELAY_MAX_CONNECTIONS_PER_ADDRESS",
    "RELAY_LOG_FORMAT",
    "RELAY_ALLOW_DARAJA_BASE_URL",
    "RELAY_METRICS_ADDRESS",
    "RADIUS_DATABASE_URL",
)


class RelayCliError(RuntimeError):
    """An admin command failed; the message is its stderr."""

    def __init__(self, returncode: int, stderr: str) -> None:
        super().__init__(f"bucket-relay exited with {returncode}: {stderr.strip()}")
        self.returncode = returncode
        self.stderr = stderr


class RelayStartError(RuntimeError):
    """The relay did not announce its address in time."""


def relay_environment(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without relay settings, plus a data folder and `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in _RELAY_VARIABLES}
    env["RELAY_DATA_DIR"] = str(data_dir)
    env.update(extra or {})
    return env


@dataclass
class RunningRelay:
    """A relay subprocess; `cli` runs admin commands against the same store."""

    base_url: str
    env: dict[str, str] = field(repr=False)
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    secrets: set[str] = field(default_factory=set, repr=False)

    def cli(self, *args: str, input: str | bytes | None = None) -> dict[str, Any]:
        """Run `bucket-relay ARGS` with this relay's environment; its JSON output as a dict."""
        completed = run_cli(self.env, *args, input=input)
        if completed.returncode != 0:
            raise RelayCliError(completed.returncode, completed.stderr.decode(errors="replace"))
        data: dict[str, Any] = json.loads(completed.stdout)
        for name in ("owner_token", "attendant_token", "token"):
            if isinstance(data.get(name), str):
                self.secrets.add(data[name])
        return data

    def log_text(self) -> str:
        """Everything the relay has logged so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def leaked_secrets(self) -> list[str]:
        """Known secrets that appear in the relay's log (should be empty)."""
        text = self.log_text()
        return sorted(secret for secret in self.secrets if secret and secret in text)

    def stop(self) -> int | None:
        """Stop gracefully (SIGTERM), killing after a timeout; returns the exit status."""
        if self.process is None:
            return None
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        """Kill at once (SIGKILL), as a crash would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process is not None and self.process.stdout is not None:
            self.process.stdout.close()


def run_cli(
    env: Mapping[str, str],
    *args: str,
    input: str | bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """`python -m server_stub ARGS` with `env`, captured."""
    data = input.encode() if isinstance(input, str) else input
    return subprocess.run(  # noqa: S603 - our own module with explicit arguments
        [sys.executable, "-m", "server_stub", *args],
        input=data,
        capture_output=True,
        env=dict(env),
        timeout=CLI_TIMEOUT_S,
        check=False,
    )


def start_relay(env: dict[str, str], log_path: Path, port: int = 0) -> RunningRelay:
    """Start `serve --port PORT` (0: a free one) and wait for its `listening on` line."""
    log_file = log_path.open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own module with explicit arguments
        [sys.executable, "-m", "server_stub", "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=log_file,
        env=env,
    )
    log_file.close()
    assert process.stdout is not None
    line = _first_line(process, process.stdout)
    if not line.startswith("listening on "):
        process.kill()
        process.wait()
        process.stdout.close()
        raise RelayStartError(f"The relay did not start: {log_path.read_text()[-2000:]}")
    relay = RunningRelay(line.removeprefix("listening on ").strip(), env, log_path, process)
    relay.secrets.update(_key_secrets(env))
    return relay


@contextmanager
def running_relay(
    tmp_path: Path, env: Mapping[str, str] | None = None, port: int = 0
) -> Iterator[RunningRelay]:
    """A relay on a loopback port (free by default) with its data in `tmp_path / "relay"`."""
    data_dir = tmp_path / "relay"
    data_dir.mkdir(parents=True, exist_ok=True)
    relay = start_relay(relay_environment(data_dir, env), tmp_path / "relay.log", port)
    try:
        yield relay
    finally:
        relay.stop()


def _first_line(process: subprocess.Popen[bytes], stdout: IO[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    with selectors.DefaultSelector() as selector:
        selector.register(stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.1):
                return stdout.readline().decode(errors="replace")
            if process.poll() is not None:
                return ""
    return ""


def _key_secrets(env: Mapping[str, str]) -> set[str]:
    found = {part.strip() for part in env.get("ENCRYPTION_KEY", "").split(",") if part.strip()}
    key_file = Path(env.get("RELAY_DATA_DIR", ".")) / "encryption.key"
    if key_file.exists():
        found.add(key_file.read_text().strip())
    return found
