"""The PostgreSQL commands of docs/deploy.md, run against a throw-away cluster."""

from __future__ import annotations

import asyncio
import shlex
import subprocess
import time
from pathlib import Path

from server_stub.operations.cli import _parser
from server_stub.store.migrations import latest_version
from server_stub.store.postgres.store import PostgresStore
from tests.postgres_cluster import PgCluster
from tests.server_stub.stores import TEMPLATE, run_sql
from tests.test_deploy_docs import doc_commands


def _local(command: str, cluster: PgCluster) -> list[str]:
    """The guide's command pointed at the test cluster (its host, port and login)."""
    where = f"-h 127.0.0.1 -p {cluster.port}"
    command = command.replace("-h db-host -U relay", f"{where} -U postgres")
    for tool in ("psql", "createdb"):
        command = command.replace(f"-- {tool} ", f"-- {tool} {where} ", 1)
    return shlex.split(command)


def test_the_guides_database_commands_make_a_database_the_relay_can_use(
    relay_pg: PgCluster,
) -> None:
    role = doc_commands("CREATE ROLE relay")
    made = doc_commands("createdb -O relay relay")
    for command in [*role, *made]:
        subprocess.run(_local(command, relay_pg), check=True, timeout=60, capture_output=True)
    # The relay's own store opens there as the new role (the cluster trusts loopback logins).
    as_relay = relay_pg.dsn("relay").replace("postgres@", "relay:long-random-password@")
    assert as_relay.split("@")[0] in doc_commands("DATABASE_URL=postgresql://")[0]
    store = PostgresStore(as_relay, time.time)
    try:
        assert store.schema_version == latest_version()
    finally:
        asyncio.run(store.close())
    relay_pg.drop_database("relay")
    relay_pg.sql("DROP ROLE relay")


def test_the_guides_dump_and_restore_bring_back_every_row(
    relay_pg: PgCluster, tmp_path: Path
) -> None:
    source = relay_pg.new_database(TEMPLATE)
    relay_pg.sql(
        "INSERT INTO providers (name, created_at, mpesa_consumer_key) VALUES ('Dumped', 1, 'x')",
        source,
    )
    [dump] = doc_commands("pg_dump ")
    [restore] = doc_commands("pg_restore ")
    target = f"{tmp_path}/relay.dump"
    dump_argv = _local(dump.replace("/var/backups/bucket-relay/relay.dump", target), relay_pg)
    assert dump_argv[-1] == "relay"
    dump_argv[-1] = source
    subprocess.run(dump_argv, check=True, timeout=60, capture_output=True)
    restored = relay_pg.new_database(prefix="relay_restored")
    restore = restore.replace("relay_restored", restored).replace(
        "/var/backups/bucket-relay/relay.dump", target
    )
    subprocess.run(_local(restore, relay_pg), check=True, timeout=60, capture_output=True)

    class At:
        _dsn = relay_pg.dsn(restored)
        path = None

    rows = run_sql(At(), "SELECT name, mpesa_consumer_key FROM providers")  # type: ignore[arg-type]
    assert rows == [("Dumped", b"x")]
    for name in (source, restored):
        relay_pg.drop_database(name)


def test_the_guides_migrate_store_command_is_the_cli_s() -> None:
    [command] = doc_commands("migrate-store --to")
    arguments = shlex.split(command.split("bucket-relay-admin", 1)[1])
    parsed = _parser().parse_args(arguments)
    assert parsed.command == "migrate-store"
    assert parsed.target.startswith("postgresql://relay:")
