"""``long_lived_frozen``: the objects of the process are frozen during a sweep and unfrozen after it, even when
the sweep raises, so a process that runs many sweeps still collects what each left behind."""

from __future__ import annotations

import gc

import pytest

from escalator.sweep.heap import long_lived_frozen


def test_objects_are_frozen_during_the_block_and_unfrozen_after() -> None:
    assert gc.get_freeze_count() == 0
    with long_lived_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_a_sweep_that_raises_still_unfreezes() -> None:
    with pytest.raises(RuntimeError), long_lived_frozen():
        raise RuntimeError("the sweep stopped")
    assert gc.get_freeze_count() == 0
