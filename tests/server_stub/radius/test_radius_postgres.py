"""RADIUS delivery into FreeRADIUS's PostgreSQL database, with a real FreeRADIUS on it.

The same flow as on SQLite: the relay writes the rows, FreeRADIUS 3.2.1's rlm_sql_postgresql
reads them (Debian's PostgreSQL queries enforce Simultaneous-Use as they are).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from server_stub.radius.postgres_database import PostgresRadiusDatabase
from tests.server_stub.inprocess import relay_in_process, relay_settings, seed_pushes
from tests.server_stub.radius.freeradius import PostgresRadius, running_freeradius
from tests.server_stub.radius.postgres import running_postgres
from tests.server_stub.radius.test_radius_delivery import _owner_setup, _pay, _plan, _query, _until


@pytest.fixture
def postgres() -> Iterator[PostgresRadius]:
    with running_postgres() as database:
        yield database


async def test_a_code_in_postgresql_logs_in_once_and_a_dispute_takes_it_away(
    tmp_path: Path, postgres: PostgresRadius
) -> None:
    with running_freeradius(tmp_path / "raddb", postgres) as freeradius:
        settings = relay_settings(tmp_path, radius_database_dsn=postgres.dsn)
        async with relay_in_process(settings) as relay:
            made = await _owner_setup(relay, radius_enabled=True, access_at_callback=True)
            assert made["settings"]["radius_problem"] is None
            plan = await _plan(relay, made["provider_id"])
            [push] = await seed_pushes(relay.store, made["provider_id"], 1, plan=plan)
            await _pay(relay, push, "RPG0000001", confirm=False)
            want = ["add:delivered", "remove:pending"]
            access = await _until(relay, made["owner_token"], push, want)
            code, nas = access["code"], f"pb-{made['provider_id']}"
            accepted = freeradius.login(code, code, nas)
            assert accepted.accepted, freeradius.log_text()
            assert 3500 < int(accepted.attributes["Session-Timeout"]) <= 3600
            assert accepted.attributes["Mikrotik-Rate-Limit"] == "2M/5M"
            assert not freeradius.login(code, "WRONG123", nas).accepted
            assert not freeradius.login(code, code, "pb-999").accepted
            freeradius.accounting("Start", code, "session-1", nas)
            assert not freeradius.login(code, code, nas).accepted  # one device per code
            await _query(relay, push, "1032")  # disputed: the rows go
            await _until(relay, made["owner_token"], push, ["add:delivered", "remove:delivered"])
        freeradius.accounting("Stop", code, "session-1", nas)
        assert not freeradius.login(code, code, nas).accepted


async def test_problems_with_the_postgresql_database_are_sentences_without_the_password(
    postgres: PostgresRadius,
) -> None:
    no_tables = replace(postgres, dbname="postgres")
    problem = await PostgresRadiusDatabase(no_tables.dsn).check()
    assert problem is not None and "schema.sql" in problem
    secret = "postgresql://radius:S3cretPass@127.0.0.1:9/radius"
    database = PostgresRadiusDatabase(secret)
    problem = await database.check()
    assert problem is not None and "cannot be reached" in problem
    assert "S3cretPass" not in problem and "S3cretPass" not in repr(database)
