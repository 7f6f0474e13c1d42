"""``sweep_collector``: during a sweep the process's objects are frozen and the youngest generation is collected
rarely; after it the collector is as it was, even when the sweep raises, and only when the last of several
nested or overlapping sweeps ends, so a process that runs many sweeps still collects what each left behind."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from escalator.sweep.heap import YOUNG_THRESHOLD, sweep_collector


@pytest.fixture(autouse=True)
def default_collector() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_during_the_block_objects_are_frozen_and_young_ones_collected_rarely() -> None:
    assert gc.get_freeze_count() == 0
    with sweep_collector():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_sweep_that_raises_still_restores_the_collector() -> None:
    with pytest.raises(RuntimeError), sweep_collector():
        raise RuntimeError("the sweep stopped")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_a_collector_switched_off_stays_off() -> None:
    gc.set_threshold(0)
    with sweep_collector():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0


def test_nested_sweeps_restore_the_collector_when_the_outer_one_ends() -> None:
    with sweep_collector():
        with sweep_collector():
            pass
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_sweeps_in_threads_restore_the_collector_when_the_last_one_ends() -> None:
    """The first sweep ends while the second still reads: the second keeps its collector until it ends."""
    second_started, first_ended = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    def second() -> None:
        with sweep_collector():
            second_started.set()
            assert first_ended.wait(timeout=30)
            seen["threshold"], seen["frozen"] = gc.get_threshold()[0], gc.get_freeze_count() > 0

    with sweep_collector():
        thread = threading.Thread(target=second)
        thread.start()
        assert second_started.wait(timeout=30)
    first_ended.set()
    thread.join(timeout=30)
    assert seen == {"threshold": YOUNG_THRESHOLD, "frozen": True}
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == (700, 10, 10)


def test_thresholds_set_during_a_sweep_are_left_as_they_are() -> None:
    with sweep_collector():
        gc.set_threshold(0)  # someone switches automatic collection off meanwhile
    assert gc.get_threshold()[0] == 0
    assert gc.get_freeze_count() == 0
