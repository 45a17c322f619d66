"""Signatures: the library's own verify accepts ours whatever time zone the caller's clock is
in, rotation carries two signatures, and `rotate-key` re-encrypts every endpoint secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from standardwebhooks import Webhook, WebhookVerificationError

from server_stub.operations import admin
from server_stub.operations.settings import load_settings
from server_stub.operations.store_access import store_for
from server_stub.security.atrest import AtRestError, SecretBox, load_secret_box
from server_stub.store.sqlite_store import SqliteStore
from server_stub.webhooks.records import ClaimedWebhook
from server_stub.webhooks.signing import new_secret, signed_headers, utc_signature
from tests.server_stub.stores import relay_environment

BODY = b'{"type":"payment.paid","timestamp":"2026-11-30T07:00:00.000+00:00","data":{}}'
NAIROBI = ZoneInfo("Africa/Nairobi")


def _by_hand(secret: str, msg_id: str, at: datetime, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    content = f"{msg_id}.{int(at.timestamp())}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def test_a_secret_is_whsec_and_32_random_bytes_and_never_in_its_repr() -> None:
    secret = new_secret()
    assert secret.value.startswith("whsec_")
    assert len(base64.b64decode(secret.value.removeprefix("whsec_"))) == 32
    assert secret.value not in repr(secret) and new_secret() != secret


def test_a_nairobi_time_signs_as_the_same_instant_in_utc() -> None:
    secret = new_secret()
    now_utc = datetime.now(UTC)
    in_nairobi = now_utc.astimezone(NAIROBI)
    ours = utc_signature(secret, "evt_1", in_nairobi, BODY)
    assert ours == utc_signature(secret, "evt_1", now_utc, BODY)
    assert ours == _by_hand(secret.value, "evt_1", now_utc, BODY)
    headers = signed_headers([secret], "evt_1", in_nairobi, BODY)
    assert headers["webhook-timestamp"] == str(int(now_utc.timestamp()))
    Webhook(secret.value).verify(BODY, headers)  # raises if it does not verify
    # The trap this wrapper exists for (standard-webhooks issue #251): handed the Nairobi
    # time directly, the library signs 3 hours off and its own verify refuses the result.
    wrong = {
        **headers,
        "webhook-signature": Webhook(secret.value).sign("evt_1", in_nairobi, BODY.decode()),
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(secret.value).verify(BODY, wrong)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        utc_signature(new_secret(), "evt_1", datetime.now(), BODY)


def test_during_rotation_each_secret_verifies_on_its_own() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers([new, old], "evt_2", datetime.now(UTC), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret.value).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret().value).verify(BODY, headers)
    stale = signed_headers([new], "evt_2", datetime.now(UTC) - timedelta(minutes=6), BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(new.value).verify(BODY, stale)


async def test_rotate_key_reencrypts_endpoint_secrets_old_and_new(tmp_path: Path) -> None:
    k1, k2 = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    env = relay_environment(tmp_path / "relay", {"ENCRYPTION_KEY": k1})
    settings = load_settings(env)
    provider = (await admin.create_provider(settings, "Rotate"))["provider_id"]
    box = load_secret_box(settings)
    store = store_for(settings, time.time)
    made = await store.webhooks.add(
        provider, "https://p.example/h", ["payment.paid"], "", box.encrypt(b"whsec_a")
    )
    await store.webhooks.rotate(provider, made.id, box.encrypt(b"whsec_b"), 3600.0)
    await store.close()
    rotated = await admin.rotate_key(load_settings({**env, "ENCRYPTION_KEY": f"{k2},{k1}"}))
    assert rotated["reencrypted"] == 1 + 2  # the relay key, and the endpoint's two secrets
    store = store_for(settings, time.time)
    [claimed] = await _claim_one(store, provider, made.id)
    await store.close()
    only_new = SecretBox([k2.encode()])
    assert [only_new.decrypt(s) for s in claimed.secrets] == [b"whsec_b", b"whsec_a"]
    with pytest.raises(AtRestError):
        SecretBox([k1.encode()]).decrypt(claimed.secrets[0])


async def _claim_one(store: SqliteStore, provider: int, endpoint_id: int) -> list[ClaimedWebhook]:
    await store.webhooks.send_test(provider, endpoint_id, {})
    return await store.webhooks.claim(1, "lease", 60.0, {}, 2)
