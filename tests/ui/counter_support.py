"""Helpers shared by the counter page tests: a provider with simulator credentials, the pages."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot

from bucket_desktop.services.payment_feed import Backoff
from bucket_desktop.services.plans import default_plans
from bucket_desktop.services.relay_client import RelayClient
from bucket_desktop.services.relay_models import Identity, PaymentsPage
from bucket_desktop.services.relay_snapshot import ItemsSink
from bucket_desktop.services.shared_plans.local_import import LocalPlansImport
from bucket_desktop.ui.shell.counter_pages import CounterPages, build_counter_pages
from bucket_desktop.ui.shell.main_window import RelaySession
from server_stub.daraja_sim import scenarios
from server_stub.daraja_sim.testing import RunningSimulator
from server_stub.testing import RunningRelay, running_relay

SIM_CREDENTIALS = {
    "consumer_key": scenarios.DEFAULT_CONSUMER_KEY,
    "consumer_secret": scenarios.DEFAULT_CONSUMER_SECRET,
    "shortcode": scenarios.DEFAULT_SHORTCODE,
    "passkey": scenarios.DEFAULT_PASSKEY,
    "environment": "sandbox",
    "account_type": "paybill",
}
# The relay settles pushes without a callback quickly, so lost callbacks end within a test.
FAST_RELAY_ENV = {
    "MPESA_ENVIRONMENT": "sandbox",
    "RELAY_RECONCILE_FIRST_S": "0.5",
    "RELAY_RECONCILE_UNTIL_S": "6",
}
FAST_BACKOFF = Backoff(first_s=0.05, max_s=0.3, jitter=0.0)


def new_provider(relay: RunningRelay, name: str = "Kibera WiFi") -> dict[str, Any]:
    """A provider with the simulator's paybill credentials: {provider_id, *_token}."""
    provider = relay.cli("create-provider", "--name", name)
    relay.cli(
        "set-credentials",
        "--provider",
        str(provider["provider_id"]),
        input=json.dumps(SIM_CREDENTIALS),
    )
    return provider


class Answers:
    """Scripted answers to the pages' confirmation questions, with the questions asked."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, title: str, text: str) -> bool:
        self.asked.append(text)
        return self.answer


class RecordingClient(RelayClient):
    """The real relay client, noting the cursor of every feed request (a snapshot reads from 0)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cursors: list[int] = []

    async def payments(self, *, after: int = 0, wait: float = 0, limit: int = 500) -> PaymentsPage:
        self.cursors.append(after)
        return await super().payments(after=after, wait=wait, limit=limit)

    async def snapshot(self, on_items: ItemsSink) -> PaymentsPage | None:
        self.cursors.append(0)
        return await super().snapshot(on_items)


@contextmanager
def counter_pages(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    token: str,
    *,
    answers: Answers | None = None,
    export_to: Path | None = None,
    cache_dir: Path | None = None,
    client: RelayClient | None = None,
    role: str | None = None,
    local_import: LocalPlansImport | None = None,
) -> Iterator[CounterPages]:
    """The three pages signed in to the relay, shown, and closed after the test.

    With a `role` the pages get the whole session (as the main window gives it after sign-in):
    plans come from the relay, and the owner may edit them.
    """
    pages = build_counter_pages(
        local_import=local_import,
        plans=default_plans(),
        confirm=answers or Answers(),
        choose_export_path=lambda _name: export_to,
        prompt_lifetime_s=60.0,
        feed_wait_s=5.0,
        feed_backoff=FAST_BACKOFF,
        cache_dir=cache_dir,
    )
    views = (pages.charge_view, pages.stk_status_view, pages.payments_view)
    for view in views:
        # Not qtbot.addWidget: pytest-qt deletes those before fixtures end, and the pages must
        # close (stopping the feed) while their widgets still exist, as in the app.
        view.resize(1100, 640)
        view.show()
    try:
        client = client or RelayClient(http, relay.base_url, token)
        if role is None:
            run(pages.set_client(client))
        else:
            identity = Identity(role=role, provider_name="Kibera WiFi", provider_id=None)
            pages.on_session(RelaySession(client, identity))
        qtbot.waitUntil(lambda: pages.live.state.value == "live")
        yield pages
    finally:
        run(pages.close())
        for view in views:
            view.close()
            view.deleteLater()


# Fixtures shared by the three counter page test modules, which import them by these names.
@pytest.fixture(scope="module", name="relay")
def fast_relay(
    simulator: RunningSimulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningRelay]:
    """A relay that reconciles pushes without a callback within half a second."""
    env = {"DARAJA_BASE_URL": simulator.base_url, **FAST_RELAY_ENV}
    with running_relay(tmp_path_factory.mktemp("relay"), env=env) as running:
        yield running


@pytest.fixture(name="answers")
def answers_fixture() -> Answers:
    """Scripted answers for the pages' confirmation and file dialogs."""
    return Answers()


@pytest.fixture(name="pages")
def pages_fixture(
    qtbot: QtBot,
    run: Callable[..., Any],
    http: httpx.AsyncClient,
    relay: RunningRelay,
    answers: Answers,
) -> Iterator[CounterPages]:
    """The three counter pages signed in as a fresh provider's attendant."""
    provider = new_provider(relay)
    with counter_pages(qtbot, run, http, relay, provider["attendant_token"], answers=answers) as p:
        yield p
