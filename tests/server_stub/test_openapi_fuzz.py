"""Schemathesis against the relay's own OpenAPI document, in-process, with every check.

The app runs with its real lifespan (SQLite store in a temporary folder) and talks to the
in-process Daraja simulator, so schema-valid pushes and credential tests really succeed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.python.asgi import shutdown_lifespans

from server_stub.app import create_app
from server_stub.daraja_sim.testing import FAST_TIMINGS, running_simulator
from server_stub.operations import admin
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import relay_settings

CASES_PER_OPERATION = 100
# The feed may legitimately hold a request for 30 s; the fuzzer gets the same answer sooner.
FUZZ_MAX_WAIT_S = 0.01


@pytest.fixture(scope="module")
def relay_schema(tmp_path_factory: pytest.TempPathFactory, store_backend: str) -> Iterator[Any]:
    """The relay's OpenAPI schema bound to a running in-process app, with an owner token."""
    with running_simulator(**FAST_TIMINGS) as sim:
        settings_ = relay_settings(tmp_path_factory.mktemp("fuzz"), daraja_base_url=sim.base_url)
        provider = asyncio.run(_provider(settings_))
        # Every webhook receiver name "resolves" to loopback: no DNS query leaves the machine,
        # and a test event is sent to a closed loopback port at most.
        app = create_app(settings_, resolve=_loopback_resolver)
        # Through schemathesis's own auth, so negative cases may still drop or spoil the token.
        token = {"api_key": f"Token {provider['owner_token']}"}
        config = SchemathesisConfig.from_dict({"auth": {"openapi": {"APIKeyHeader": token}}})
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
        try:
            yield schema
        finally:
            shutdown_lifespans()


@pytest.fixture(scope="module")
def admin_schema(tmp_path_factory: pytest.TempPathFactory, store_backend: str) -> Iterator[Any]:
    """The same schema bound to a relay of its own, with a platform administrator's token."""
    settings_ = relay_settings(tmp_path_factory.mktemp("fuzz-admin"))
    asyncio.run(_provider(settings_))
    made = asyncio.run(admin.create_admin(settings_, "Fuzz admin"))
    app = create_app(settings_)
    token = {"api_key": f"Token {made['token']}"}
    config = SchemathesisConfig.from_dict({"auth": {"openapi": {"APIKeyHeader": token}}})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    try:
        yield schema
    finally:
        shutdown_lifespans()


async def _loopback_resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def _provider(settings_: Any) -> dict[str, Any]:
    provider = await admin.create_provider(settings_, "Fuzz Net")
    await admin.set_credentials(
        settings_, provider["provider_id"], json.dumps(PAYBILL_CREDENTIALS).encode()
    )
    return provider


OPERATIONS = [
    ("/payments/bucket/initiate/", "POST"),
    ("/payments/bucket/status/", "POST"),
    ("/payments/bucket/test-credentials/", "POST"),
    ("/payments/bucket/credentials/", "GET"),
    ("/payments/bucket/credentials/", "PUT"),
    ("/payments/bucket/relay-key/", "GET"),
    ("/payments/bucket/payments/", "GET"),
    ("/payments/bucket/payments/snapshot/", "GET"),
    ("/payments/bucket/me/", "GET"),
    ("/payments/bucket/desks/", "GET"),
    ("/payments/bucket/desks/", "POST"),
    ("/payments/bucket/desks/{token_id}/", "PUT"),
    ("/payments/bucket/desks/{token_id}/", "DELETE"),
    ("/payments/bucket/test-prompt/", "POST"),
    ("/payments/callback/{provider_id}/{token}/", "POST"),
    ("/healthz", "GET"),
    ("/payments/bucket/plans/", "GET"),
    ("/payments/bucket/plans/", "POST"),
    ("/payments/bucket/plans/{plan_id}/", "PUT"),
    ("/payments/bucket/plans/{plan_id}/", "DELETE"),
    ("/payments/bucket/access-settings/", "GET"),
    ("/payments/bucket/access-settings/", "PUT"),
    ("/payments/bucket/webhooks/", "GET"),
    ("/payments/bucket/webhooks/", "POST"),
    ("/payments/bucket/webhooks/{endpoint_id}/", "PUT"),
    ("/payments/bucket/webhooks/{endpoint_id}/", "DELETE"),
    ("/payments/bucket/webhooks/{endpoint_id}/rotate-secret/", "POST"),
    ("/payments/bucket/webhooks/{endpoint_id}/test/", "POST"),
    ("/payments/bucket/webhooks/{endpoint_id}/deliveries/", "GET"),
    ("/payments/bucket/webhooks/deliveries/{delivery_id}/redeliver/", "POST"),
    ("/payments/bucket/deliveries/claim/", "POST"),
    ("/payments/bucket/deliveries/{delivery_id}/report/", "POST"),
    ("/payments/bucket/access/{code}/retry/", "POST"),
]
ADMIN_OPERATIONS = [
    ("/payments/bucket/admin/providers/", "GET"),
    ("/payments/bucket/admin/providers/", "POST"),
    ("/payments/bucket/admin/providers/{provider_id}/disable/", "POST"),
    ("/payments/bucket/admin/providers/{provider_id}/enable/", "POST"),
    ("/payments/bucket/admin/providers/{provider_id}/tokens/", "GET"),
    ("/payments/bucket/admin/providers/{provider_id}/tokens/", "POST"),
    ("/payments/bucket/admin/tokens/{token_id}/", "DELETE"),
    ("/payments/bucket/admin/audit/", "GET"),
]


# The relay key takes no input at all: there is nothing to make invalid.
NO_INPUT = {("/payments/bucket/relay-key/", "GET")}
CASES = [
    (path, method, mode)
    for path, method in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if not (mode is GenerationMode.NEGATIVE and (path, method) in NO_INPUT)
]


@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_relay_api_conforms_to_its_schema(
    relay_schema: Any, path: str, method: str, mode: GenerationMode
) -> None:
    _fuzz(relay_schema, path, method, mode)


@pytest.mark.parametrize(
    ("path", "method", "mode"),
    [
        (path, method, mode)
        for path, method in ADMIN_OPERATIONS
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ],
)
def test_admin_api_conforms_to_its_schema(
    admin_schema: Any, path: str, method: str, mode: GenerationMode
) -> None:
    _fuzz(admin_schema, path, method, mode)


def _fuzz(schema: Any, path: str, method: str, mode: GenerationMode) -> None:
    operation = schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def conforms(case: Any) -> None:
        if case.query and _valid_wait(case.query.get("wait")):
            case.query["wait"] = FUZZ_MAX_WAIT_S
        case.call_and_validate()

    conforms()


def _valid_wait(value: Any) -> bool:
    """A wait the relay would honour (invalid ones are refused at once and must stay as sent)."""
    try:
        return 0 <= float(value) <= 30
    except (TypeError, ValueError):
        return False


def test_openapi_document_lists_every_route(tmp_path: Path) -> None:
    document = create_app(relay_settings(tmp_path)).openapi()
    # The voucher import takes a CSV file, not JSON: its bad files are tested one by one in
    # test_voucher_csv and test_voucher_pools instead of being fuzzed here.
    files = {"/payments/bucket/plans/{plan_id}/vouchers/"}
    listed = {path for path, _ in OPERATIONS + ADMIN_OPERATIONS}
    assert set(document["paths"]) == listed | files
