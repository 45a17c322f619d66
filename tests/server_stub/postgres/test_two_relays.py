"""Two relay processes on one PostgreSQL database, as behind a load balancer.

A desk long-polling one instance is woken by a callback committed on the other (the timed
re-check is set to a minute, so only the notification can end the wait early). Under a load of
callbacks spread over both, one instance is killed with SIGKILL: every acknowledged callback is
stored and applied once, a desk following the feed on the survivor misses no payment, and the
survivor takes over the reconciliation sweep.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet

from server_stub.operations.settings import RelaySettings, load_settings
from server_stub.store.postgres.store import PostgresStore
from server_stub.testing import RunningRelay, relay_environment, start_relay
from tests.postgres_cluster import PgCluster
from tests.server_stub.claimed_relay import start_metrics_relay
from tests.server_stub.inprocess import (
    SeededPush,
    as_bytes,
    new_provider,
    paid_callback,
    seed_pushes,
)
from tests.server_stub.stores import TEMPLATE, run_sql

ACK = {"ResultCode": 0, "ResultDesc": "Accepted"}
JSON = {"Content-Type": "application/json"}
KILL_AFTER = 150  # acknowledged callbacks before the kill
FEED = "/payments/bucket/payments/"
SENDERS = 10
DEADLINE_S = 30.0


@dataclass
class Pair:
    """Two relays on one database, the settings to reach it, and a provider's desk token."""

    first: RunningRelay
    second: RunningRelay
    settings: RelaySettings
    provider_id: int
    desk_token: str = field(repr=False)
    metrics_port: int = 0
    envs: tuple[dict[str, str], dict[str, str]] = field(default=({}, {}), repr=False)
    started: list[RunningRelay] = field(default_factory=list, repr=False)


def _wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not check():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


@contextmanager
def two_relays(relay_pg: PgCluster, tmp_path: Path, extra: dict[str, str]) -> Iterator[Pair]:
    """The first relay leads (it starts alone); the second serves metrics for waiter counts."""
    name = relay_pg.new_database(TEMPLATE)
    shared = {
        "DATABASE_URL": relay_pg.dsn(name),
        # Both instances must open the same secrets: one key, given to both.
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "RELAY_ACCESS_LOG": "0",
        **extra,
    }
    first_env = relay_environment(tmp_path / "a", shared)

    settings = load_settings(first_env)
    created = asyncio.run(new_provider(settings, "Two Relays Net"))
    # Every process started, restarts included: all are stopped and their logs checked.
    started = [start_relay(first_env, tmp_path / "a.log")]
    try:
        first = started[0]
        _wait_for(lambda: "now leads reconcile" in first.log_text(), "the first relay leads")
        second = start_metrics_relay(
            lambda metrics: relay_environment(tmp_path / "b", {**shared, **metrics}),
            tmp_path / "b.log",
        )
        started.append(second)
        yield Pair(
            first,
            second,
            settings,
            created["provider_id"],
            created["attendant_token"],
            int(second.env["RELAY_METRICS_ADDRESS"].rsplit(":", 1)[1]),
            (first_env, second.env),
            started,
        )
    finally:
        for relay in started:
            relay.stop()
        relay_pg.drop_database(name)
    for relay in started:
        assert "Traceback" not in relay.log_text()
        assert relay_pg.dsn(name) not in relay.log_text()  # the address is never logged


def _seed(settings: RelaySettings, provider_id: int, count: int, tag: str) -> list[SeededPush]:
    async def seed() -> list[SeededPush]:
        assert settings.database_dsn is not None
        store = PostgresStore(settings.database_dsn, time.time)
        try:
            return await seed_pushes(store, provider_id, count, tag=tag)
        finally:
            await store.close()

    return asyncio.run(seed())


def _waiters(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10.0).text
    found = re.search(r"^bucket_relay_feed_waiters (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_a_commit_on_one_relay_wakes_a_long_poll_on_the_other(
    relay_pg: PgCluster, tmp_path: Path
) -> None:
    # A minute between re-checks and a 30 s wait: only a notification ends this wait with items.
    with two_relays(relay_pg, tmp_path, {"RELAY_FEED_RECHECK_S": "60"}) as pair:
        [push] = _seed(pair.settings, pair.provider_id, 1, "ws_WAKE")
        headers = {"Authorization": f"Token {pair.desk_token}"}
        with httpx.Client(base_url=pair.second.base_url, headers=headers, timeout=60) as desk:
            head = desk.get(FEED, params={"after": 0}).json()["cursor"]
            with httpx.Client(base_url=pair.first.base_url, timeout=30) as safaricom:
                result: dict[str, Any] = {}

                def long_poll() -> None:
                    result["page"] = desk.get(FEED, params={"after": head, "wait": 30}).json()

                poller = _thread(long_poll)
                _wait_for(lambda: _waiters(pair.metrics_port) >= 1, "the desk is waiting")
                response = safaricom.post(
                    push.callback_path,
                    content=as_bytes(paid_callback(push, "WAKE000001")),
                    headers=JSON,
                )
                assert response.json() == ACK
                poller.join(timeout=DEADLINE_S + 30)
        items = result["page"]["items"]
        assert [item["checkout_request_id"] for item in items] == [push.checkout_request_id]
        assert items[0]["status"] == "paid"


def _thread(target: Callable[[], None]) -> Any:
    import threading

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


@dataclass
class Ledger:
    """What the senders know: acknowledged callbacks, and what still has to go."""

    to_send: list[tuple[SeededPush, bytes, str]]
    acked: Counter[str] = field(default_factory=Counter)
    receipts: dict[str, str] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    cut_off: int = 0
    halfway: asyncio.Event = field(default_factory=asyncio.Event)
    kill_after: int = KILL_AFTER


async def _sender(ledger: Ledger, urls: list[str], rng: random.Random) -> None:
    clients = [httpx.AsyncClient(base_url=url, timeout=10.0) for url in urls]
    try:
        while ledger.to_send:
            push, body, receipt = ledger.to_send.pop()
            # The load balancer's choice; a dead instance's share goes to the other one.
            client = rng.choice(clients)
            try:
                response = await client.post(push.callback_path, content=body, headers=JSON)
            except httpx.HTTPError:
                ledger.cut_off += 1
                ledger.to_send.insert(0, (push, body, receipt))
                clients = [c for c in clients if c is not client] or clients
                continue
            if response.status_code != 200 or response.json() != ACK:
                ledger.refused.append(f"{response.status_code} {response.text[:120]}")
                continue
            ledger.acked[push.checkout_request_id] += 1
            if sum(ledger.acked.values()) >= ledger.kill_after:
                ledger.halfway.set()
            ledger.receipts[push.checkout_request_id] = receipt
            if rng.random() < 0.2:  # Safaricom's occasional duplicate
                ledger.to_send.insert(0, (push, body, receipt))
    finally:
        for client in clients:
            await client.aclose()


async def _follow(url: str, token: str, stop: asyncio.Event, seen: dict[str, str]) -> None:
    """A desk on one instance: follows the cursor, keeps each payment's latest status."""
    headers = {"Authorization": f"Token {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30.0) as desk:
        cursor = 0
        while True:
            finished = stop.is_set()
            wait = 0 if finished else 2
            page = (await desk.get(FEED, params={"after": cursor, "wait": wait})).json()
            for item in page["items"]:
                seen[item["checkout_request_id"]] = item["status"]
            cursor = page["cursor"]
            if finished and not page["items"]:
                return


async def _load_and_kill(
    pair: Pair, ledger: Ledger, seen: dict[str, str], *, victim: int = 0, seed: int = 18
) -> None:
    """Send the ledger over both instances; kill instance `victim` (0 or 1) on the way."""
    rng = random.Random(seed)
    stop = asyncio.Event()
    dying, survivor = (pair.first, pair.second) if victim == 0 else (pair.second, pair.first)
    follower = asyncio.create_task(_follow(survivor.base_url, pair.desk_token, stop, seen))
    urls = [pair.first.base_url, pair.second.base_url]
    senders = [
        asyncio.create_task(_sender(ledger, urls, random.Random(rng.random())))
        for _ in range(SENDERS)
    ]
    # Kill once a good share has been acknowledged, while the rest is in flight.
    await ledger.halfway.wait()
    dying.kill()
    await asyncio.gather(*senders)
    stop.set()
    await follower


def test_killing_one_relay_under_load_loses_nothing_and_the_other_takes_over(
    relay_pg: PgCluster, tmp_path: Path
) -> None:
    with two_relays(relay_pg, tmp_path, {}) as pair:
        pushes = _seed(pair.settings, pair.provider_id, 400, "ws_KILL")
        ledger = Ledger(
            [
                (push, as_bytes(paid_callback(push, f"KIL{n:07d}")), f"KIL{n:07d}")
                for n, push in enumerate(pushes)
            ]
        )
        random.Random(5).shuffle(ledger.to_send)
        seen: dict[str, str] = {}
        asyncio.run(_load_and_kill(pair, ledger, seen))
        _check_nothing_lost(pair, pair.second, ledger, seen)
    assert len(ledger.receipts) == 400
    assert sum(ledger.acked.values()) > KILL_AFTER


ROUNDS = 5


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("RUN_SLOW") != "1", reason="long crash run: set RUN_SLOW=1")
def test_killing_either_relay_at_random_moments_round_after_round(
    relay_pg: PgCluster, tmp_path: Path
) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "1818")))
    with two_relays(relay_pg, tmp_path, {}) as pair:
        for round_ in range(ROUNDS):
            victim = rng.choice((0, 1))
            pushes = _seed(pair.settings, pair.provider_id, 200, f"ws_R{round_}")
            ledger = Ledger(
                [
                    (push, as_bytes(paid_callback(push, f"R{round_}{n:08d}")), f"R{round_}{n:08d}")
                    for n, push in enumerate(pushes)
                ],
                kill_after=rng.randint(5, 190),
            )
            rng.shuffle(ledger.to_send)
            seen: dict[str, str] = {}
            asyncio.run(_load_and_kill(pair, ledger, seen, victim=victim, seed=rng.random()))
            survivor = pair.second if victim == 0 else pair.first
            _check_nothing_lost(pair, survivor, ledger, seen)
            # Back to two: the killed instance starts again (no metrics port: it may linger).
            env = {k: v for k, v in pair.envs[victim].items() if k != "RELAY_METRICS_ADDRESS"}
            restarted = start_relay(env, tmp_path / f"restart-{round_}.log")
            pair.started.append(restarted)
            if victim == 0:
                pair.first = restarted
            else:
                pair.second = restarted


def _check_nothing_lost(
    pair: Pair, survivor: RunningRelay, ledger: Ledger, seen: dict[str, str]
) -> None:
    """Every acknowledged callback of the ledger stored and applied once, every one seen by the
    desk on the survivor, which leads the sweep."""
    assert not ledger.refused, ledger.refused[:5]
    _wait_for(lambda: "now leads reconcile" in survivor.log_text(), "the survivor leads the sweep")
    rows = run_sql(
        _store_for_sql(pair.settings),
        "SELECT p.checkout_request_id, p.status, p.mpesa_receipt_number, "
        "(SELECT COUNT(*) FROM raw_callbacks r WHERE r.payment_id = p.id), "
        "(SELECT COUNT(*) FROM raw_callbacks r WHERE r.payment_id = p.id "
        "AND r.outcome = 'applied') FROM payments p",
    )
    stored = {
        checkout: (status, receipt, raw, applied)
        for checkout, status, receipt, raw, applied in rows
    }
    lost = [
        checkout
        for checkout, receipt in ledger.receipts.items()
        if stored[checkout][:2] != ("paid", receipt) or stored[checkout][2] < ledger.acked[checkout]
    ]
    assert not lost, f"{len(lost)} acknowledged callbacks missing, e.g. {lost[:3]}"
    assert all(applied == 1 for *_, applied in stored.values()), "a callback applied twice"
    # The desk on the survivor saw every payment's final state: no feed row was skipped.
    assert {checkout: seen.get(checkout) for checkout in ledger.receipts} == {
        checkout: "paid" for checkout in ledger.receipts
    }


def _store_for_sql(settings: RelaySettings) -> Any:
    # run_sql needs only the address of the database.
    @dataclass
    class Address:
        _dsn: str
        path: None = None

    assert settings.database_dsn is not None
    return Address(settings.database_dsn)
