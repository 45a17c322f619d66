"""FreeRADIUS's schema in a database of a throw-away PostgreSQL cluster (tests/postgres_cluster)."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

from tests.postgres_cluster import running_cluster
from tests.server_stub.radius.freeradius import POSTGRES_SCHEMA, PostgresRadius
from tests.system_tools import need
from tests.test_deploy_docs import doc_commands


@contextmanager
def running_postgres() -> Iterator[PostgresRadius]:
    """A cluster with a `radius` database made from FreeRADIUS's PostgreSQL schema."""
    with running_cluster("pb-radius-pg-") as cluster:
        need("psql", "postgresql-client-15")  # the guide's schema command runs psql
        port = cluster.port
        cluster.sql("CREATE DATABASE radius")
        # The guide's own schema command, pointed at this cluster.
        [command] = doc_commands("postgresql/schema.sql")
        assert "-h db-host -U radius" in command and str(POSTGRES_SCHEMA) in command, command
        local = command.replace("-h db-host -U radius", f"-h 127.0.0.1 -p {port} -U postgres")
        subprocess.run(
            [*shlex.split(local), "-q", "-v", "ON_ERROR_STOP=1"],
            check=True,
            timeout=60,
            capture_output=True,
        )
        yield PostgresRadius(port)
