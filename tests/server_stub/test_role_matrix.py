"""Every route of the relay against the three token roles: each role reaches exactly the routes
DESIGN.md gives it, and is refused with 403 everywhere else (the cross-provider checks of
test_isolation stay beside this).

The table below must name every route the app has: a new route without a row fails the test,
so nobody adds a route without deciding who may use it.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from server_stub.operations import admin
from tests.server_stub.inprocess import new_provider, relay_in_process, relay_settings

# Each test on SQLite, then on PostgreSQL.

OWNER, ATTENDANT, ADMIN = "owner", "attendant", "admin"
DESKS = {OWNER, ATTENDANT}
EVERYONE = {OWNER, ATTENDANT, ADMIN}
PUBLIC = {"public"}  # no token needed: nobody is refused for their role
# Ids that exist nowhere: allowed callers get a 404 or 400, never a change to real data.
NOWHERE = "999999"

WHO_MAY = {
    ("POST", "/payments/bucket/initiate/"): DESKS,
    ("POST", "/payments/bucket/status/"): DESKS,
    ("POST", "/payments/bucket/test-credentials/"): {OWNER},
    ("GET", "/payments/bucket/credentials/"): {OWNER},
    ("PUT", "/payments/bucket/credentials/"): {OWNER},
    ("GET", "/payments/bucket/relay-key/"): PUBLIC,
    ("GET", "/payments/bucket/me/"): EVERYONE,
    ("GET", "/payments/bucket/desks/"): {OWNER},
    ("POST", "/payments/bucket/desks/"): {OWNER},
    ("PUT", "/payments/bucket/desks/{token_id}/"): {OWNER},
    ("DELETE", "/payments/bucket/desks/{token_id}/"): {OWNER},
    ("POST", "/payments/bucket/test-prompt/"): {OWNER},
    ("GET", "/payments/bucket/plans/"): DESKS,
    ("POST", "/payments/bucket/plans/"): {OWNER},
    ("PUT", "/payments/bucket/plans/{plan_id}/"): {OWNER},
    ("DELETE", "/payments/bucket/plans/{plan_id}/"): {OWNER},
    ("POST", "/payments/bucket/plans/{plan_id}/vouchers/"): {OWNER},
    ("GET", "/payments/bucket/access-settings/"): {OWNER},
    ("PUT", "/payments/bucket/access-settings/"): {OWNER},
    ("GET", "/payments/bucket/payments/"): DESKS,
    ("GET", "/payments/bucket/payments/snapshot/"): DESKS,
    ("POST", "/payments/callback/{provider_id}/{token}/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/payments/bucket/admin/providers/"): {ADMIN},
    ("POST", "/payments/bucket/admin/providers/"): {ADMIN},
    ("POST", "/payments/bucket/admin/providers/{provider_id}/disable/"): {ADMIN},
    ("POST", "/payments/bucket/admin/providers/{provider_id}/enable/"): {ADMIN},
    ("GET", "/payments/bucket/admin/providers/{provider_id}/tokens/"): {ADMIN},
    ("POST", "/payments/bucket/admin/providers/{provider_id}/tokens/"): {ADMIN},
    ("DELETE", "/payments/bucket/admin/tokens/{token_id}/"): {ADMIN},
    ("GET", "/payments/bucket/admin/audit/"): {ADMIN},
    ("GET", "/payments/bucket/webhooks/"): {OWNER},
    ("POST", "/payments/bucket/webhooks/"): {OWNER},
    ("PUT", "/payments/bucket/webhooks/{endpoint_id}/"): {OWNER},
    ("DELETE", "/payments/bucket/webhooks/{endpoint_id}/"): {OWNER},
    ("POST", "/payments/bucket/webhooks/{endpoint_id}/rotate-secret/"): {OWNER},
    ("POST", "/payments/bucket/webhooks/{endpoint_id}/test/"): {OWNER},
    ("GET", "/payments/bucket/webhooks/{endpoint_id}/deliveries/"): {OWNER},
    ("POST", "/payments/bucket/webhooks/deliveries/{delivery_id}/redeliver/"): {OWNER},
    ("POST", "/payments/bucket/deliveries/claim/"): DESKS,
    ("POST", "/payments/bucket/deliveries/{delivery_id}/report/"): DESKS,
    ("POST", "/payments/bucket/access/{code}/retry/"): DESKS,
}


def _routes(app: FastAPI) -> set[tuple[str, str]]:
    # The published document lists every route (only the HEAD twin of /healthz is left out).
    paths = app.openapi()["paths"]
    return {(method.upper(), path) for path, operations in paths.items() for method in operations}


def _url(path: str) -> str:
    for name in (
        "{token_id}",
        "{plan_id}",
        "{provider_id}",
        "{token}",
        "{endpoint_id}",
        "{delivery_id}",
        "{code}",
    ):
        path = path.replace(name, NOWHERE)
    return path


async def test_each_role_reaches_exactly_its_routes(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        assert _routes(relay.app) == set(WHO_MAY), "give every route a row in WHO_MAY"
        made = await new_provider(settings, "Matrix Net")
        made_admin = await admin.create_admin(settings, "Platform")
        tokens = {
            OWNER: made["owner_token"],
            ATTENDANT: made["attendant_token"],
            ADMIN: made_admin["token"],
        }
        refused, wrongly_refused = [], []
        for (method, path), allowed in sorted(WHO_MAY.items()):
            for role, token in tokens.items():
                answer = await relay.client.request(
                    method,
                    _url(path),
                    json={},
                    params={"wait": "0"} if path.endswith("/payments/") else None,
                    headers={"Authorization": f"Token {token}"},
                )
                forbidden = answer.status_code == 403 and (
                    answer.json()["error"]["code"] == "forbidden"
                )
                if role in allowed or allowed is PUBLIC:
                    if forbidden or answer.status_code == 401:
                        wrongly_refused.append((method, path, role, answer.status_code))
                elif not forbidden:
                    refused.append((method, path, role, answer.status_code))
        assert not refused, f"reached by a role that may not: {refused}"
        assert not wrongly_refused, f"refused to a role that may: {wrongly_refused}"


async def test_refusals_say_what_the_token_is_for(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    async with relay_in_process(settings) as relay:
        made = await new_provider(settings, "Words Net")
        made_admin = await admin.create_admin(settings, "Platform")
        as_admin = {"Authorization": f"Token {made_admin['token']}"}
        as_owner = {"Authorization": f"Token {made['owner_token']}"}
        push = await relay.client.post(
            "/payments/bucket/initiate/",
            json={"phone_number": "0712345678", "amount": 10},
            headers=as_admin,
        )
        assert push.status_code == 403
        assert "cannot charge customers" in push.json()["error"]["message"]
        platform = await relay.client.get("/payments/bucket/admin/providers/", headers=as_owner)
        assert platform.status_code == 403
        assert "platform administrator" in platform.json()["error"]["message"]
        me = (await relay.client.get("/payments/bucket/me/", headers=as_admin)).json()
        assert me == {
            "role": "admin",
            "provider_id": None,
            "provider_name": None,
            "token_id": made_admin["admin_id"],
            "name": "Platform",
        }
