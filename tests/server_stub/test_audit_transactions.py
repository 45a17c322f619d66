"""Every audited change and its audit entry are stored in one transaction, on both stores.

For each family of audited changes (the owner's routes, the webhook routes, the platform
administrator's routes, the operator's commands) each change is first tried while the database
refuses every audit entry (a trigger on `audit_log`): the request fails and neither the change
nor an entry is kept. Then it is made again with the log working: the change and its one entry
land together. A SIGKILL of a relay while owners create plans never keeps a plan without its
entry, nor an entry without its plan. A source check keeps `audit(...)` an argument of the
store write it records, the only way entries are written.
"""

from __future__ import annotations

import ast
import asyncio
import json
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

import server_stub
from bucket_desktop.services.sealing import seal
from server_stub.operations import admin
from server_stub.operations.settings import RelaySettings, load_settings
from server_stub.store.records import Role
from server_stub.testing import start_relay
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import PLAN_BODY, InProcessRelay, relay_in_process, relay_settings
from tests.server_stub.stores import relay_environment, settings_sql

NIGHT = "Night desk"
HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["payment.paid"]}
# What the audited changes touch; columns a request itself moves (a token's last use) are left out.
STATE = (
    "SELECT id, name, disabled_at, mpesa_shortcode, credentials_saved_at, mpesa_last_test, "
    "mpesa_test_status, pushes_per_minute, access_at_callback, plans_version, mpesa_passkey "
    "FROM providers "
    "ORDER BY id",
    "SELECT id, provider_id, role, name, revoked_at FROM tokens ORDER BY id",
    "SELECT id, name, price, archived_at FROM plans ORDER BY id",
    "SELECT plan_id, code FROM vouchers ORDER BY code",
    "SELECT provider_id, mechanism, enabled, router_identity FROM access_mechanisms "
    "ORDER BY provider_id, mechanism",
    "SELECT id, url, events, enabled, secret FROM webhook_endpoints ORDER BY id",
)
REFUSE = {
    "sqlite": "CREATE TRIGGER audit_log_refuses BEFORE INSERT ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log refuses this entry'); END",
    # PostgreSQL: the append-only guard's function raises whatever it is attached to.
    "postgresql": "CREATE TRIGGER audit_log_refuses BEFORE INSERT ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
}
ACCEPT = {
    "sqlite": "DROP TRIGGER audit_log_refuses",
    "postgresql": "DROP TRIGGER audit_log_refuses ON audit_log",
}


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


@dataclass
class World:
    """A relay with a provider, its owner and a platform administrator, and what was made."""

    relay: InProcessRelay
    settings: RelaySettings
    provider_id: int
    owner: dict[str, str]
    admin: dict[str, str]
    made: dict[str, Any] = field(default_factory=dict)

    def sql(self, statement: str, params: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement straight on the relay's database."""
        return settings_sql(self.settings, statement, params)

    def state(self) -> list[list[tuple[Any, ...]]]:
        """What the audited changes could have touched."""
        return [[tuple(row) for row in self.sql(query)] for query in STATE]

    def entries(self) -> list[tuple[str, int | None]]:
        """(action, provider) of every audit entry, oldest first."""
        return [(str(a), p) for a, p in self.sql("SELECT action, provider_id FROM audit_log")]

    @property
    def backend(self) -> str:
        return "sqlite" if self.settings.database_dsn is None else "postgresql"


# A change: its action, and how to make it (an HTTP answer, or a command's result).
Change = tuple[str, Callable[[World], Awaitable[Any]]]


async def _sealed_credentials(world: World) -> dict[str, str]:
    key = (await world.relay.client.get("/payments/bucket/relay-key/")).json()
    sealed = seal(key["public_key"], json.dumps(PAYBILL_CREDENTIALS).encode())
    return {"sealed": sealed, "key_fingerprint": key["fingerprint"]}


async def _owner_prepared(world: World) -> None:
    client, owner = world.relay.client, world.owner
    body = await _sealed_credentials(world)
    world.made["credentials"] = body
    assert (await client.put("/payments/bucket/credentials/", json=body, headers=owner)).is_success
    desk = await client.post("/payments/bucket/desks/", json={"name": "Gate"}, headers=owner)
    world.made["desk"] = desk.json()["token_id"]
    plan = await client.post("/payments/bucket/plans/", json=PLAN_BODY, headers=owner)
    world.made["plan"] = plan.json()["id"]


def _owner_changes() -> list[Change]:
    def put(path: str, body: Any) -> Callable[[World], Awaitable[httpx.Response]]:
        return lambda w: w.relay.client.put(path.format(**w.made), json=body, headers=w.owner)

    def post(path: str, body: Any) -> Callable[[World], Awaitable[httpx.Response]]:
        return lambda w: w.relay.client.post(path.format(**w.made), json=body, headers=w.owner)

    def delete(path: str) -> Callable[[World], Awaitable[httpx.Response]]:
        return lambda w: w.relay.client.delete(path.format(**w.made), headers=w.owner)

    async def credentials(world: World) -> httpx.Response:
        body = {**world.made["credentials"]}
        return await world.relay.client.put(
            "/payments/bucket/credentials/", json=body, headers=world.owner
        )

    async def vouchers(world: World) -> httpx.Response:
        return await world.relay.client.post(
            f"/payments/bucket/plans/{world.made['plan']}/vouchers/",
            content=b"code\nAB12CD\nEF34GH\n",
            headers={**world.owner, "Content-Type": "text/csv"},
        )

    plan = "/payments/bucket/plans/{plan}/"
    return [
        ("credentials.saved", credentials),
        ("credentials.tested", post("/payments/bucket/test-credentials/", {})),
        ("token.issued", post("/payments/bucket/desks/", {"name": "Till 2"})),
        ("token.renamed", put("/payments/bucket/desks/{desk}/", {"name": "Gate 2"})),
        ("plan.created", post("/payments/bucket/plans/", {**PLAN_BODY, "name": "2 hours"})),
        ("plan.changed", put(plan, {**PLAN_BODY, "price": 25})),
        ("plan.vouchers_imported", vouchers),
        ("plan.removed", delete(plan)),
        ("access_settings.changed", put("/payments/bucket/access-settings/", {
            "access_at_callback": True, "mikrotik_enabled": True, "router_identity": "shop-1"})),
        ("token.revoked", delete("/payments/bucket/desks/{desk}/")),
    ]  # fmt: skip


async def _webhooks_prepared(world: World) -> None:
    made = await world.relay.client.post(
        "/payments/bucket/webhooks/", json=HOOK, headers=world.owner
    )
    world.made["hook"] = made.json()["id"]


def _webhook_changes() -> list[Change]:
    base = "/payments/bucket/webhooks/"

    def call(method: str, path: str, body: Any = None) -> Callable[[World], Awaitable[Any]]:
        return lambda w: w.relay.client.request(
            method, base + path.format(**w.made), json=body, headers=w.owner
        )

    return [
        ("webhook.added", call("POST", "", {**HOOK, "url": "http://127.0.0.1:9/other"})),
        ("webhook.changed", call("PUT", "{hook}/", {"enabled": False})),
        ("webhook.secret_rotated", call("POST", "{hook}/rotate-secret/")),
        ("webhook.deleted", call("DELETE", "{hook}/")),
    ]


async def _platform_prepared(world: World) -> None:
    world.made["pid"] = world.provider_id


def _platform_changes() -> list[Change]:
    base = "/payments/bucket/admin/"

    def post(path: str, body: Any = None) -> Callable[[World], Awaitable[httpx.Response]]:
        return lambda w: w.relay.client.post(
            base + path.format(**w.made), json=body, headers=w.admin
        )

    async def revoke(world: World) -> httpx.Response:
        tokens = await world.relay.client.get(
            f"{base}providers/{world.provider_id}/tokens/", headers=world.admin
        )
        night = next(t for t in tokens.json()["items"] if t["name"] == NIGHT)
        return await world.relay.client.delete(
            f"{base}tokens/{night['token_id']}/", headers=world.admin
        )

    return [
        ("provider.created", post("providers/", {"name": "New Net"})),
        ("provider.disabled", post("providers/{pid}/disable/")),
        ("provider.enabled", post("providers/{pid}/enable/")),
        ("token.issued", post("providers/{pid}/tokens/", {"role": "attendant", "name": NIGHT})),
        ("token.revoked", revoke),
    ]  # fmt: skip


async def _commands_prepared(world: World) -> None:
    world.made["spare"] = (await admin.issue_token(world.settings, world.provider_id, Role.OWNER))[
        "token"
    ]


def _command_changes() -> list[Change]:
    credentials = json.dumps(PAYBILL_CREDENTIALS).encode()

    def save(w: World) -> Awaitable[Any]:
        return admin.set_credentials(w.settings, w.provider_id, credentials)

    def limit(w: World) -> Awaitable[Any]:
        return admin.set_push_limit(w.settings, w.provider_id, 30)

    return [
        ("provider.created", lambda w: admin.create_provider(w.settings, "Command Net")),
        ("token.issued", lambda w: admin.issue_token(w.settings, w.provider_id, Role.ATTENDANT)),
        ("admin.created", lambda w: admin.create_admin(w.settings, "Second admin")),
        ("token.revoked", lambda w: admin.revoke_token(w.settings, w.made["spare"])),
        ("credentials.saved", save),
        ("provider.push_limit_changed", limit),
        ("relay.keys_rotated", lambda w: admin.rotate_key(w.settings)),
    ]  # fmt: skip


FAMILIES = {
    "owner routes": (_owner_prepared, _owner_changes),
    "webhook routes": (_webhooks_prepared, _webhook_changes),
    "platform routes": (_platform_prepared, _platform_changes),
    "operator commands": (_commands_prepared, _command_changes),
}


async def _attempt(world: World, make: Callable[[World], Awaitable[Any]]) -> bool:
    """Make a change; whether it succeeded (a route's 2xx, a command without an error)."""
    try:
        outcome = await make(world)
    except Exception:  # a command: the store's error reaches the operator as a failure
        return False
    if isinstance(outcome, httpx.Response):
        assert outcome.is_success or outcome.status_code == 500, outcome.text
        return outcome.is_success
    return True


@pytest.mark.parametrize("family", FAMILIES)
async def test_a_change_and_its_entry_are_kept_together_or_not_at_all(
    tmp_path: Path, family: str
) -> None:
    prepare, changes = FAMILIES[family]
    settings = relay_settings(tmp_path)
    made = await admin.create_provider(settings, "Audit Net")
    boss = await admin.create_admin(settings, "Platform")
    async with relay_in_process(settings) as relay:
        world = World(
            relay, settings, made["provider_id"], _as(made["owner_token"]), _as(boss["token"])
        )
        await prepare(world)
        for action, make in changes():
            before, logged = world.state(), world.entries()
            world.sql(REFUSE[world.backend])
            try:
                refused = await _attempt(world, make)
            finally:
                world.sql(ACCEPT[world.backend])
            assert not refused, f"{action}: succeeded without its entry"
            assert world.state() == before, f"{action}: the change was kept without its entry"
            assert world.entries() == logged, action
            assert await _attempt(world, make), action
            assert world.state() != before, f"{action}: nothing changed"
            new = world.entries()[len(logged) :]
            assert [entry[0] for entry in new] == [action], f"{action}: entries {new}"


async def test_a_change_that_changes_nothing_leaves_no_entry(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path)
    made = await admin.create_provider(settings, "Quiet Net")
    boss = _as((await admin.create_admin(settings, "Platform"))["token"])
    async with relay_in_process(settings) as relay:
        path = f"/payments/bucket/admin/providers/{made['provider_id']}/disable/"
        first, again = [(await relay.client.post(path, headers=boss)).json() for _ in range(2)]
        owner = _as(made["owner_token"])
        missing = await relay.client.put(
            "/payments/bucket/plans/999/", json=PLAN_BODY, headers=owner
        )
        actions = [e.action for e in await relay.store.audit.entries(action="provider")]
    assert (first["changed"], again["changed"], missing.status_code) == (True, False, 404)
    assert actions == ["provider.disabled", "provider.created"]


async def _create_plans(
    base_url: str, owner: dict[str, str], worker: int, acked: set[int], stop: asyncio.Event
) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=10.0) as client:
        number = 0
        while not stop.is_set():
            number += 1
            body = {**PLAN_BODY, "name": f"Plan {worker}-{number}"}
            try:
                answer = await client.post("/payments/bucket/plans/", json=body, headers=owner)
            except httpx.HTTPError:
                return  # the relay was killed
            assert answer.status_code == 200, answer.text
            acked.add(answer.json()["id"])


async def test_a_killed_relay_never_keeps_a_change_without_its_entry(tmp_path: Path) -> None:
    env = relay_environment(tmp_path / "relay", {"RELAY_ACCESS_LOG": "0"})
    settings = load_settings(env)
    made = await admin.create_provider(settings, "Kill Net")
    owner = _as(made["owner_token"])
    acked: set[int] = set()
    rng = random.Random(7)
    for _ in range(3):
        relay = await asyncio.to_thread(start_relay, env, tmp_path / "relay.log")
        try:
            stop = asyncio.Event()
            workers = [
                asyncio.create_task(_create_plans(relay.base_url, owner, n, acked, stop))
                for n in range(8)
            ]
            # Killed once plans are being made: some requests are always mid-flight.
            await _until(lambda: len(acked) >= 5)
            await asyncio.sleep(rng.uniform(0.05, 0.3))
            relay.kill()
            stop.set()
            await asyncio.gather(*workers)
        finally:
            relay.stop()
    plans = {int(row[0]) for row in settings_sql(settings, "SELECT id FROM plans")}
    details = settings_sql(settings, "SELECT detail FROM audit_log WHERE action = 'plan.created'")
    logged = [int(re.findall(r"^plan (\d+) ", str(row[0]))[0]) for row in details]
    assert acked <= plans, "an acknowledged plan was lost"
    assert sorted(logged) == sorted(plans), (
        f"{len(plans - set(logged))} plans without an entry, "
        f"{len(set(logged) - plans)} entries without a plan"
    )


async def _until(condition: Callable[[], bool], within_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + within_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_audit_entries_are_only_given_to_the_write_they_record() -> None:
    """`audit(...)` and `cli_audit(...)` appear only as a store write's `audit=` argument, and
    only the audited wrapper inserts entries: no entry can be appended after its change."""
    root = Path(server_stub.__file__).parent
    misplaced, inserts = [], []
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        as_argument = {
            id(keyword.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            for keyword in node.keywords
            if keyword.arg == "audit"
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            if node.func.id in {"audit", "cli_audit"} and id(node) not in as_argument:
                misplaced.append(f"{path.relative_to(root)}:{node.lineno}")
            if node.func.id == "insert_entry":
                inserts.append(path.name)
    assert not misplaced, f"an audit not given to its write: {misplaced}"
    assert inserts == ["sqlite_audit.py"]
