"""docs/webhooks.md's verification code, run against deliveries the relay's signer made: the
Python function, and the PHP function with the real `php` from apt."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server_stub.webhooks.signing import new_secret, signed_headers
from tests.system_tools import need

DOC = Path(__file__).resolve().parents[3] / "docs" / "webhooks.md"
BODY = b'{"type":"payment.paid","timestamp":"2026-11-30T07:28:10.189+00:00","data":{"amount":10}}'


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.DOTALL)


def _delivery(secrets: int = 1, age: timedelta = timedelta()) -> tuple[list[str], dict[str, str]]:
    made = [new_secret() for _ in range(secrets)]
    headers = signed_headers(
        made, "evt_0123456789abcdef0123456789abcdef", datetime.now(UTC) - age, BODY
    )
    return [secret.value for secret in made], headers


def test_every_python_example_compiles_and_the_plain_verify_works() -> None:
    blocks = _blocks("python")
    assert len(blocks) == 2
    for block in blocks:
        compile(block, str(DOC), "exec")
    [plain] = [block for block in blocks if "def verify(" in block]
    namespace: dict[str, Any] = {}
    exec(plain, namespace)  # our own documentation
    verify = namespace["verify"]
    (secret,), headers = _delivery()
    assert verify(secret, BODY, headers) == json.loads(BODY)
    with pytest.raises(ValueError, match="no matching signature"):
        verify(secret, BODY.replace(b"10", b"99"), headers)
    with pytest.raises(ValueError, match="no matching signature"):
        verify(new_secret().value, BODY, headers)
    secrets, rotating = _delivery(secrets=2)
    assert all(verify(secret, BODY, rotating) for secret in secrets)
    (secret,), stale = _delivery(age=timedelta(minutes=6))
    with pytest.raises(ValueError, match="timestamp"):
        verify(secret, BODY, stale)


PHP_DRIVER = """
$args = json_decode(stream_get_contents(STDIN), true);
try {
    $event = pb_verify_webhook($args['secret'], $args['body'], $args['id'], $args['stamp'],
                               $args['signatures']);
    echo json_encode(['ok' => true, 'event' => $event]);
} catch (Throwable $error) {
    echo json_encode(['ok' => false, 'error' => $error->getMessage()]);
}
"""


def _php(secret: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    php = need("php", "php-cli")
    [block] = _blocks("php")
    function = block.split("$body = file_get_contents")[0]
    payload = {
        "secret": secret,
        "body": body.decode(),
        "id": headers["webhook-id"],
        "stamp": headers["webhook-timestamp"],
        "signatures": headers["webhook-signature"],
    }
    done = subprocess.run(
        [php, "-r", function.removeprefix("<?php") + PHP_DRIVER],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_the_php_verify_accepts_real_deliveries_and_refuses_forgeries() -> None:
    (secret,), headers = _delivery()
    assert _php(secret, BODY, headers) == {"ok": True, "event": json.loads(BODY)}
    assert _php(secret, BODY.replace(b"10", b"99"), headers)["error"] == "no matching signature"
    assert _php(new_secret().value, BODY, headers)["ok"] is False
    secrets, rotating = _delivery(secrets=2)
    assert all(_php(secret, BODY, rotating)["ok"] for secret in secrets)
    (secret,), stale = _delivery(age=timedelta(minutes=6))
    assert _php(secret, BODY, stale)["error"] == "timestamp too far from now"
