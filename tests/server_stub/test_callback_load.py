"""Confirming queries give way to callbacks while callbacks saturate the relay (issue 15)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from server_stub.operations import admin
from server_stub.payments.callback_load import (
    BUSY_GAP_S,
    WINDOW_S,
    CallbackLoad,
    ConfirmationPacer,
)
from tests.server_stub.helpers import PAYBILL_CREDENTIALS
from tests.server_stub.inprocess import (
    as_bytes,
    new_provider,
    paid_callback,
    relay_in_process,
    relay_settings,
    seed_pushes,
)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_callback_in_hand_for_a_while_saturates_and_quiet_ends_it() -> None:
    clock = Clock()
    load = CallbackLoad(clock)
    assert not load.saturated()
    load.started()
    clock.now += WINDOW_S / 10
    assert not load.saturated()  # one callback, just begun
    clock.now += WINDOW_S
    assert load.saturated()
    load.finished()
    clock.now += 3 * WINDOW_S
    assert not load.saturated()


def test_a_hundred_quick_callbacks_a_second_never_saturate() -> None:
    # A busy platform: a callback every 10 ms, each handled in 1 ms.
    clock = Clock()
    load = CallbackLoad(clock)
    for _ in range(500):
        load.started()
        clock.now += 0.001
        load.finished()
        assert not load.saturated()
        clock.now += 0.009
    assert load.share() < 0.2


async def test_confirmations_go_at_once_when_quiet_and_one_a_gap_when_saturated() -> None:
    clock = Clock()
    load = CallbackLoad(clock)
    pacer = ConfirmationPacer(load, clock, poll_s=0.001)
    await asyncio.wait_for(pacer.turn(), 10)
    await asyncio.wait_for(pacer.turn(), 10)  # quiet: no wait at all
    assert pacer.waited == 0
    load.started()
    clock.now += 3 * WINDOW_S
    assert load.saturated()
    gone: list[int] = []

    async def confirm(number: int) -> None:
        await pacer.turn()
        gone.append(number)

    tasks = [asyncio.create_task(confirm(n)) for n in range(3)]
    await _until(lambda: gone == [0])
    await asyncio.sleep(0.05)  # the others keep waiting while the clock stands still
    assert gone == [0]
    clock.now += BUSY_GAP_S
    await _until(lambda: gone == [0, 1])
    # The flood ends: what waits goes at once.
    load.finished()
    clock.now += 3 * WINDOW_S
    await _until(lambda: gone == [0, 1, 2])
    await asyncio.gather(*tasks)
    assert pacer.waited == 2


async def test_confirmations_wait_during_a_flood_and_all_run_once_it_ends(tmp_path: Path) -> None:
    # Daraja is unreachable here: each confirming query that ran shows as an attempt (and
    # waits for its next try, 2 s later).
    settings = relay_settings(tmp_path, confirm_first_s=0.1)
    async with relay_in_process(settings) as relay:
        load = relay.services.inbox.load
        pacer = relay.services.reconciler.pacer
        assert load is not None and pacer is not None
        made = await new_provider(settings)
        credentials = json.dumps(PAYBILL_CREDENTIALS).encode()
        await admin.set_credentials(settings, made["provider_id"], credentials)
        pushes = await seed_pushes(relay.store, made["provider_id"], 12)
        load.started()  # a flood: a callback always in hand
        await _until(load.saturated)
        for number, push in enumerate(pushes):
            answer = await relay.client.post(
                push.callback_path,
                content=as_bytes(paid_callback(push, f"RFL{number:07d}")),
                headers={"Content-Type": "application/json"},
            )
            assert answer.status_code == 200
        await _until(lambda: pacer.waited > 0)
        load.finished()  # the flood ends
        for push in pushes:

            async def queried(push: object = push) -> bool:
                record = await relay.store.get_payment(
                    made["provider_id"],
                    push.checkout_request_id,  # type: ignore[attr-defined]
                )
                return record is not None and record.confirm_attempts >= 1

            await _until_async(queried)


async def _until(condition: object, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


async def _until_async(condition: object, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)
