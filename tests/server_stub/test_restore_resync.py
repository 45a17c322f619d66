"""Restore end to end: a desk following the feed reloads from zero after the relay's database
is restored, instead of waiting for sequence numbers the backup never reached."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import httpx

from bucket_desktop.services.payment_book import PaymentBook
from bucket_desktop.services.payment_feed import RESET_SENTENCE, FeedState, PaymentFeed
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import PaymentItem
from server_stub.daraja_sim.testing import running_simulator
from server_stub.testing import relay_environment, run_cli
from tests.ports import kept_port
from tests.server_stub.claimed_relay import claimed_relay
from tests.server_stub.conftest import SIM_TIMINGS
from tests.server_stub.helpers import client_for, initiate, new_provider, unique_phone


async def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    """Wait for the feed (running on this loop) to reach a condition."""
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 - the feed exposes no event to wait on
            await asyncio.sleep(0.02)


def feed_ids(client: httpx.Client) -> set[str]:
    """Every checkout id the relay's feed holds for this provider."""
    page = client.get("/payments/bucket/payments/", params={"after": 0, "limit": 500}).json()
    return {item["checkout_request_id"] for item in page["items"]}


async def test_a_desk_reloads_everything_after_a_restore(tmp_path: Path) -> None:
    with running_simulator(**SIM_TIMINGS) as sim:
        (tmp_path / "relay").mkdir()
        env = relay_environment(tmp_path / "relay", {"DARAJA_BASE_URL": sim.base_url})
        log = tmp_path / "relay.log"
        # The restored relay must come back at the same address; the port is kept meanwhile.
        with kept_port() as port, claimed_relay(env, log, port) as relay:
            provider = new_provider(relay, "Restored WiFi")
            before = [initiate(provider.attendant, unique_phone()).json() for _ in range(2)]
            backup = json.loads(run_cli(relay.env, "backup", "--to", str(tmp_path / "b")).stdout)
            lost = initiate(provider.attendant, unique_phone()).json()
            books, resets = [PaymentBook()], []
            states: list[FeedState] = []

            def on_items(items: tuple[PaymentItem, ...]) -> None:
                books[-1].apply(items)

            def on_reset(sentence: str) -> None:
                resets.append(sentence)
                books.append(PaymentBook())  # as the desk's LivePayments does

            async with httpx.AsyncClient(timeout=40) as http:
                desk = RelayClient(http, relay.base_url, provider.attendant_token)
                feed = PaymentFeed(
                    desk,
                    on_items=on_items,
                    on_state=lambda state, _: states.append(state),
                    on_reset=on_reset,
                    wait_s=2,
                )
                task = asyncio.create_task(feed.run())
                await until(lambda: books[-1].get(lost["checkout_request_id"]) is not None)
                old_store = feed.store_id
                relay.stop()
                restore = run_cli(relay.env, "restore", "--from", backup["backup"])
                assert restore.returncode == 0, restore.stderr.decode()
                stderr = restore.stderr.decode()
                assert "kept as" in stderr and "(mode 0600)" in stderr
                with claimed_relay(env, log, port) as restored:
                    again = client_for(restored, provider.attendant_token)
                    after = initiate(again, unique_phone()).json()
                    await until(lambda: books[-1].get(after["checkout_request_id"]) is not None)
                    relay_view = feed_ids(again)
                    restored_head = again.get("/payments/bucket/payments/").json()["head"]
                    again.close()
                feed.stop()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    assert resets == [RESET_SENTENCE]
    assert feed.store_id != old_store and feed.store_id is not None
    # Counted again on the restored store's numbering, never continued from the old one.
    assert feed.cursor <= restored_head
    desk_view = {row.checkout_request_id for row in books[-1].newest_first()}
    # The desk shows exactly what the restored relay holds: the backup's payments and the new
    # one, and no longer the payment made after the backup (the relay lost it).
    assert desk_view == relay_view
    assert {p["checkout_request_id"] for p in before} | {after["checkout_request_id"]} == desk_view
    assert lost["checkout_request_id"] not in desk_view
    provider.close()
