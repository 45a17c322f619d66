"""Every relay test on every store, a simulator and a relay subprocess shared by a test module.

`store_backend` is the one parametrised fixture: each test here runs on SQLite, then on
PostgreSQL (a copy of a migrated template in one throw-away cluster per session), whichever
way it opens the store (the module's `relay`, an in-process relay, `running_relay` or
`open_store` of tests/server_stub/stores.py). The few exceptions are listed in SQLITE_ONLY.
A module's own module-scoped relay fixture takes `store_backend` (even unused): pytest makes a
fixture again for the next store only when it depends on that parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server_stub.daraja_sim.testing import RunningSimulator, running_simulator
from server_stub.testing import RunningRelay, running_relay
from tests.postgres_cluster import PgCluster
from tests.server_stub.stores import BACKENDS, Databases, StoreMaker, activated, relay_cluster

# Tests about SQLite itself run on it alone (path under tests/server_stub, "::" name optional).
# tests/server_stub/postgres/ is PostgreSQL's own and opens its databases itself.
SQLITE_ONLY = {
    "postgres/": "PostgreSQL's own tests (several relays, migrate-store): they pick their stores",
    "test_atrest.py": "the SQLite file at rest (permissions, key file beside it)",
    "test_crash_safety.py": "kill -9 of a relay mid-write and SQLite's journal recovery",
    "test_sqlite_callbacks.py": "the SQLite-specific SQL of the callback path",
    "test_platform_migration.py": "an old SQLite file upgraded in place",
    "test_operations.py::test_restore_": "bucket-relay restore of a SQLite backup",
    "test_restore_resync.py": "desks after bucket-relay restore of a SQLite backup",
    "test_operations.py::test_a_second_relay": "one relay per SQLite file (PostgreSQL takes more)",
    "test_operations.py::test_production_needs_init": "an explicit sqlite:/// DATABASE_URL",
    "test_operations.py::test_unusable_state_folders": "SQLite folders the service user can't use",
    "test_operations.py::test_each_migration": "a new SQLite file migrated from nothing",
    "test_store.py::test_opens_in_wal": "SQLite's journal mode and schema table",
    "test_store.py::test_database_and_folder_are_private": "file modes of the SQLite files",
    "test_store.py::test_an_existing_readable_database": "file modes of the SQLite file",
    "test_store.py::test_tokens_of_an_old_database": "a SQLite file from schema version 1",
    "test_platform_health.py::test_the_health_list_takes_the_same_queries": "counts "
    "statements with SQLite's trace hook",
    "test_query_schedule.py::test_next_query_due_reads_the_due_index": "SQLite's query plan",
}

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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test on every store, SQLITE_ONLY ones on SQLite.

    Every store lives in a test's folder, so a test without one (a pure function's test) opens
    none and runs once.
    """
    if not {"tmp_path", "tmp_path_factory"} & set(metafunc.fixturenames):
        return
    where = metafunc.definition.nodeid.partition("tests/server_stub/")[2]
    if any(where.startswith(prefix) for prefix in SQLITE_ONLY):
        return
    metafunc.parametrize("store_backend", BACKENDS, indirect=True, scope="module")


@pytest.fixture(scope="module")
def store_backend(request: pytest.FixtureRequest) -> str:
    """The store under test: "sqlite" or "postgresql" (parametrised above)."""
    return str(getattr(request, "param", "sqlite"))


def _databases(backend: str, request: pytest.FixtureRequest) -> Databases:
    cluster = request.getfixturevalue("relay_pg") if backend == "postgresql" else None
    return Databases(backend, cluster)


@pytest.fixture(scope="module", autouse=True)
def module_databases(store_backend: str, request: pytest.FixtureRequest) -> Iterator[Databases]:
    """The stores of a module's shared relays (active while module fixtures start)."""
    with activated(_databases(store_backend, request)) as databases:
        yield databases


@pytest.fixture(autouse=True)
def databases(
    module_databases: Databases, store_backend: str, request: pytest.FixtureRequest
) -> Iterator[Databases]:
    """The stores one test opens, dropped after it."""
    with activated(_databases(store_backend, request)) as databases:
        yield databases


@pytest.fixture(scope="module")
def relay(
    sim: RunningSimulator, tmp_path_factory: pytest.TempPathFactory, module_databases: Databases
) -> Iterator[RunningRelay]:
    """A relay subprocess talking to the simulator; its whole log is checked for secrets."""
    env = {"DARAJA_BASE_URL": sim.base_url, "RELAY_LOG_LEVEL": "DEBUG", **RELAY_TIMINGS}
    folder = tmp_path_factory.mktemp("relay")
    with running_relay(folder, env=module_databases.relay_env(folder, env)) as running:
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


@pytest.fixture
def new_store(databases: Databases, tmp_path: Path) -> Iterator[StoreMaker]:
    """Opens new relay stores on the store under test."""
    maker = StoreMaker(databases.backend, tmp_path, databases.cluster)
    yield maker
    maker.drop()
