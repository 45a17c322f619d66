"""gc_paused: no cyclic collection inside, the collector as it was after, even on an error."""

from __future__ import annotations

import gc

import pytest

from bucket_desktop.services.gc_pause import gc_paused


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_the_collector_waits_inside_and_runs_again_after() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_turned_off_before_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused(settle=True):
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_settling_frees_the_cycles_left_inside_at_once() -> None:
    collected: list[int] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "stop":
            collected.append(info["generation"])

    gc.callbacks.append(note)
    try:
        with gc_paused(settle=True):
            for _ in range(5000):
                Node()
            assert collected == []  # nothing walked while the objects were made
        assert collected[-1] == 2  # then one full collection
    finally:
        gc.callbacks.remove(note)
    assert not any(isinstance(o, Node) for o in gc.get_objects())
