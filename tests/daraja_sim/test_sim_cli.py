"""`python -m server_stub.daraja_sim`: start-up line, loopback guard, help text."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from server_stub.daraja_sim.cli import main
from server_stub.daraja_sim.scenarios import (
    DEFAULT_CONSUMER_KEY,
    DEFAULT_CONSUMER_SECRET,
    SCENARIO_PHONES,
)

COMMAND = [sys.executable, "-m", "server_stub.daraja_sim"]


@pytest.fixture
def simulator_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The simulator as a real subprocess on a free port, and its first stdout line."""
    process = subprocess.Popen(
        [*COMMAND, "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline().strip()
        yield process, first_line
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_port_zero_prints_the_address_first_and_serves_it(
    simulator_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, first_line = simulator_process
    assert first_line.startswith("listening on http://127.0.0.1:"), first_line
    base_url = first_line.removeprefix("listening on ")
    assert int(base_url.rsplit(":", 1)[1]) > 0
    response = httpx.get(
        base_url + "/oauth/v1/generate",
        params={"grant_type": "client_credentials"},
        auth=(DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET),
        timeout=5,
    )
    assert response.status_code == 200
    assert process.poll() is None


def test_terminating_the_process_stops_it_cleanly(
    simulator_process: tuple[subprocess.Popen[str], str],
) -> None:
    process, _ = simulator_process
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells.
    assert process.returncode in (0, -signal.SIGTERM)
    assert "Traceback" not in stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com"])
def test_a_non_loopback_host_is_refused(host: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--host", host, "--port", "0"])
    assert exit_info.value.code == 2
    assert "refusing to listen on" in capsys.readouterr().err


def test_negative_timings_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--callback-delay", "-1"])
    assert "--callback-delay cannot be negative" in capsys.readouterr().err


def test_help_lists_every_scenario_phone_and_the_default_app() -> None:
    result = subprocess.run(
        [*COMMAND, "--help"], capture_output=True, text=True, timeout=30, check=True
    )
    for phone, scenario in SCENARIO_PHONES.items():
        assert f"{phone}  {scenario.summary}" in result.stdout
    assert DEFAULT_CONSUMER_KEY in result.stdout
    assert "--allow-remote" in result.stdout
