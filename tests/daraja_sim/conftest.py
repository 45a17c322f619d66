"""Fixtures for the simulator tests: a fast simulator, a callback receiver, a Daraja caller."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sim_helpers import CallbackReceiver, DarajaCaller, running_receiver

from server_stub.daraja_sim.testing import FAST_TIMINGS, RunningSimulator, running_simulator


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A simulator with fast timings on a free loopback port."""
    with running_simulator(**FAST_TIMINGS) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    """A callback receiver on a free loopback port."""
    with running_receiver() as running:
        yield running


@pytest.fixture
def caller(sim: RunningSimulator) -> Iterator[DarajaCaller]:
    """Plain httpx calls against `sim`."""
    with httpx.Client(base_url=sim.base_url, timeout=5.0) as http:
        yield DarajaCaller(http)
