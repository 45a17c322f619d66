"""Demo mode's child processes: they start, serve the demo provider, and never outlive the app."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from bucket_desktop.demo import demo_credentials, demo_phone_help, start_demo
from bucket_desktop.services.relay_client import RelayClient, RelayForbidden
from server_stub.daraja_sim import scenarios


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def wait_until(condition: object, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


async def test_demo_starts_a_ready_relay_and_stops_cleanly(tmp_path: Path) -> None:
    demo = await start_demo(tmp_path / "demo")
    pids = [process.pid for process in demo.processes]
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            owner = RelayClient(http, demo.relay_url, demo.owner_token)
            summary = await owner.credentials()
            assert summary.configured and summary.shortcode == scenarios.DEFAULT_SHORTCODE
            assert summary.provider_name == "Demo"
            assert summary.callback_url and summary.callback_url.startswith(demo.relay_url)
            result = await owner.test_credentials()
            assert result.success
            attendant = RelayClient(http, demo.relay_url, demo.attendant_token)
            assert (await attendant.identify()).role == "attendant"
            with pytest.raises(RelayForbidden):
                await attendant.credentials()
            token = await http.get(
                demo.simulator_url + "/oauth/v1/generate?grant_type=client_credentials",
                auth=(scenarios.DEFAULT_CONSUMER_KEY, scenarios.DEFAULT_CONSUMER_SECRET),
            )
            assert token.status_code == 200
    finally:
        demo.stop()
    assert not any(alive(pid) for pid in pids)
    assert not (tmp_path / "demo").exists()


def test_demo_constants_match_the_simulator() -> None:
    creds = demo_credentials()
    assert creds.consumer_key == scenarios.DEFAULT_CONSUMER_KEY
    assert creds.passkey == scenarios.DEFAULT_PASSKEY
    phones = dict(demo_phone_help())
    assert set(phones) == set(scenarios.SCENARIO_PHONES)


PARENT = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from pathlib import Path
    from bucket_desktop.demo import start_demo

    async def main():
        demo = await start_demo(Path(sys.argv[1]))
        print(json.dumps([p.pid for p in demo.processes]), flush=True)
        time.sleep(600)

    asyncio.run(main())
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_die_with_a_crashed_app(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert parent.stdout is not None
        pids = json.loads(parent.stdout.readline())
        assert len(pids) == 2 and all(alive(pid) for pid in pids)
        os.kill(parent.pid, signal.SIGKILL)  # no atexit, no cleanup: a crash
        parent.wait(10)
        assert wait_until(lambda: not any(alive(pid) for pid in pids))
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)
        if parent.stdout is not None:
            parent.stdout.close()


async def test_stop_does_not_wait_for_a_feed_long_poll_left_open(tmp_path: Path) -> None:
    """The app drops its feed on close; the relay must not hold the close up for it."""
    demo = await start_demo(tmp_path / "demo")
    pids = [process.pid for process in demo.processes]
    async with httpx.AsyncClient(timeout=60.0) as http:
        attendant = RelayClient(http, demo.relay_url, demo.attendant_token)
        first = await attendant.payments(after=0, wait=0)
        poll = asyncio.ensure_future(attendant.payments(after=first.cursor, wait=25))
        await asyncio.sleep(0)  # the request is on its way
        await asyncio.to_thread(demo.stop)
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await poll
    assert not any(alive(pid) for pid in pids)
    assert not (tmp_path / "demo").exists()
