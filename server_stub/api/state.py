"""The services one running relay is made of, built by the app's lifespan."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from fastapi import Request

from server_stub.operations.settings import RelaySettings
from server_stub.payments.callbacks import CallbackInbox
from server_stub.payments.feed import FeedNotifier, WaiterLimit
from server_stub.payments.pushes import PushService
from server_stub.payments.reconcile import Reconciler
from server_stub.payments.setup_checks import NonceBook, SetupTester
from server_stub.radius.mechanism import RadiusDeliveries
from server_stub.security.relay_key import RelayKey
from server_stub.security.vault import CredentialVault
from server_stub.store.protocol import Store
from server_stub.webhooks.dispatcher import WebhookDispatcher
from server_stub.webhooks.service import WebhookService


@dataclass(frozen=True, slots=True)
class RelayServices:
    """Everything the routes use; each route takes only what it needs from here."""

    settings: RelaySettings
    store: Store
    relay_key: RelayKey
    vault: CredentialVault
    notifier: FeedNotifier
    pushes: PushService
    reconciler: Reconciler
    tester: SetupTester
    nonces: NonceBook
    inbox: CallbackInbox
    waiters: WaiterLimit
    webhooks: WebhookService
    webhook_dispatcher: WebhookDispatcher
    clock: Callable[[], float] = time.time
    # The RADIUS worker, when RADIUS_DATABASE_URL is set.
    radius: RadiusDeliveries | None = None


def relay_of(request: Request) -> RelayServices:
    """The services of the app answering this request."""
    return cast(RelayServices, request.app.state.relay)
