"""GUI test fixtures: a qasync loop on the test QApplication, an in-memory keyring, and a real
relay plus the simulator on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
import keyring
import pytest
import qasync
from pytestqt.qtbot import QtBot

from bucket_desktop.app import load_style_sheet
from bucket_desktop.services.app_settings import AppPaths
from bucket_desktop.services.keystore import KeyringStore
from bucket_desktop.ui.shell.desktop import Desktop, build_desktop
from server_stub.daraja_sim.testing import FAST_TIMINGS, RunningSimulator, running_simulator
from server_stub.testing import RunningRelay, running_relay
from tests.services.memory_keyring import MemoryKeyring

T = TypeVar("T")
ASYNC_TIMEOUT_MS = 30_000
# How long a test waits for a condition when it names no time of its own. pytest-qt's 5 s is
# short for a relay round trip on a PC running two test workers beside other work; a wait
# still returns as soon as its condition holds, so a long deadline costs nothing when all is
# well. (A test that shows something does NOT happen waits a short, explicit time instead.)
WAIT_MS = 30_000


class PatientQtBot(QtBot):
    """pytest-qt's bot, with a generous deadline for `waitUntil` by default."""

    def waitUntil(self, callback: Callable[[], bool | None], *, timeout: int = WAIT_MS) -> None:
        super().waitUntil(callback, timeout=timeout)


@pytest.fixture
def qtbot(qapp: Any, request: pytest.FixtureRequest) -> QtBot:
    """The bot every GUI test uses (pytest-qt's own fixture, with the patient deadline)."""
    return PatientQtBot(request)


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every GUI test gets a fresh in-memory keyring; the real one is never touched."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def qloop(qapp: Any) -> Iterator[asyncio.AbstractEventLoop]:
    """An asyncio loop running on the Qt event loop, as in the app."""
    qapp.setStyleSheet(load_style_sheet())
    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = qasync.QThreadExecutor(2)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    executor.shutdown(wait=True)
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def run(qtbot: QtBot, qloop: asyncio.AbstractEventLoop) -> Callable[[Awaitable[T]], T]:
    """Run a coroutine on the Qt loop until it finishes, processing events meanwhile."""

    def runner(awaitable: Awaitable[T], timeout_ms: int = ASYNC_TIMEOUT_MS) -> T:
        task = asyncio.ensure_future(awaitable)
        qtbot.waitUntil(task.done, timeout=timeout_ms)
        return task.result()

    return runner  # type: ignore[return-value]


@pytest.fixture
def http(run: Callable[[Awaitable[Any]], Any]) -> Iterator[httpx.AsyncClient]:
    """The one HTTP client, closed after the test."""
    client = httpx.AsyncClient(timeout=20.0)
    yield client
    run(client.aclose())


@pytest.fixture(scope="module")
def simulator() -> Iterator[RunningSimulator]:
    """The Daraja simulator, in-process, with fast timings."""
    with running_simulator(**FAST_TIMINGS) as sim:
        yield sim


@pytest.fixture(scope="module")
def relay(
    simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningRelay]:
    """A real relay subprocess that talks to the simulator."""
    env = {"DARAJA_BASE_URL": simulator.base_url, "MPESA_ENVIRONMENT": "sandbox"}
    with running_relay(tmp_path_factory.mktemp("relay"), env=env) as running:
        yield running


@pytest.fixture
def provider(relay: RunningRelay) -> dict[str, Any]:
    """A fresh provider on the relay: {provider_id, owner_token, attendant_token}."""
    return relay.cli("create-provider", "--name", "Kibera WiFi")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The app's portable data folder."""
    return tmp_path / "app"


@pytest.fixture
def make_desktop(
    qtbot: QtBot,
    run: Callable[[Awaitable[Any]], Any],
    http: httpx.AsyncClient,
    data_dir: Path,
    simulator: RunningSimulator,
) -> Iterator[Callable[..., Desktop]]:
    """Build (and show) a desktop from the data folder, like a start of the app."""
    made: list[Desktop] = []

    def factory(**kwargs: Any) -> Desktop:
        paths = AppPaths.portable(data_dir)
        secrets = KeyringStore.from_system(paths.keyring_service)
        environ = {"DARAJA_BASE_URL": simulator.base_url}
        desktop = build_desktop(paths, http, secrets, environ=environ, with_tray=False, **kwargs)
        desktop.window.restore_layout()
        desktop.window.view.show()
        made.append(desktop)
        return desktop

    yield factory
    # Stop the pages' live feed while their widgets still exist, then drop the windows.
    for desktop in made:
        run(desktop.close())
        desktop.window.view.close()
        desktop.window.view.deleteLater()
