"""A simulator and a relay subprocess shared by a test module, with a log-secrets check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server_stub.daraja_sim.testing import RunningSimulator, running_simulator
from server_stub.testing import RunningRelay, running_relay
from tests.postgres_cluster import PgCluster
from tests.server_stub.inprocess import POSTGRES_DATABASE
from tests.server_stub.stores import BACKENDS, TEMPLATE, StoreMaker, relay_cluster

# The customer answers at once; late callbacks come well after the relay's first query.
SIM_TIMINGS = {
    "callback_delay_s": 0.2,
    "prompt_lifetime_s": 0.4,
    "late_callback_delay_s": 3.5,
    "duplicate_gap_s": 0.1,
    "callback_timeout_s": 3.0,
}
RELAY_TIMINGS = {"RELAY_RECONCILE_FIRST_S": "1.5", "RELAY_RECONCILE_UNTIL_S": "4"}


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    """An in-process Daraja simulator with fast timings."""
    with running_simulator(**SIM_TIMINGS) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def relay_backend(request: pytest.FixtureRequest) -> str:
    """The relay fixture's database: SQLite unless a module parametrises it (indirect)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture(scope="module")
def relay(
    sim: RunningSimulator,
    tmp_path_factory: pytest.TempPathFactory,
    relay_backend: str,
    request: pytest.FixtureRequest,
) -> Iterator[RunningRelay]:
    """A relay subprocess talking to the simulator; its whole log is checked for secrets."""
    env = {"DARAJA_BASE_URL": sim.base_url, "RELAY_LOG_LEVEL": "DEBUG", **RELAY_TIMINGS}
    if relay_backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("relay_pg")
        env["DATABASE_URL"] = cluster.dsn(cluster.new_database(TEMPLATE))
    with running_relay(tmp_path_factory.mktemp("relay"), env=env) as running:
        yield running
        running.stop()
        running.secrets.update(_callback_tokens(sim))
        leaked = running.leaked_secrets()
        assert not leaked, f"{len(leaked)} secret(s) appear in the relay log"
        assert "Traceback" not in running.log_text()


def _callback_tokens(sim: RunningSimulator) -> set[str]:
    """The per-push tokens the relay put into callback URLs (secrets: must not be logged)."""
    pushes = sim.request_log("stk_push")
    urls = [entry.get("body", {}).get("CallBackURL", "") for entry in pushes]
    return {url.rstrip("/").rsplit("/", 1)[-1] for url in urls if isinstance(url, str) and url}


@pytest.fixture(scope="session")
def relay_pg() -> Iterator[PgCluster]:
    """One PostgreSQL 15 cluster for the session, with the relay's migrated template."""
    with relay_cluster() as cluster:
        yield cluster


@pytest.fixture(params=BACKENDS)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreMaker]:
    """Opens the relay's store on SQLite, then (second run) on PostgreSQL."""
    cluster = request.getfixturevalue("relay_pg") if request.param == "postgresql" else None
    maker = StoreMaker(request.param, tmp_path, cluster)
    yield maker
    maker.drop()


@pytest.fixture(params=BACKENDS)
def inprocess_backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """In-process relays of the test (tests.server_stub.inprocess.relay_settings) on SQLite,
    then on a fresh PostgreSQL database; a module opts in with usefixtures."""
    if request.param == "sqlite":
        yield request.param
        return
    cluster: PgCluster = request.getfixturevalue("relay_pg")
    name = cluster.new_database(TEMPLATE)
    POSTGRES_DATABASE.append(cluster.dsn(name))
    try:
        yield request.param
    finally:
        POSTGRES_DATABASE.pop()
        cluster.drop_database(name)
