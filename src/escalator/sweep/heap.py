"""CPython's cyclic garbage collector kept out of a sweep's way while it reads.

A sweep allocates millions of short-lived containers (each search page parses into some 3,000 dicts and lists),
and nearly all of them are freed by reference counting the moment a page is read; the cyclic collector finds no
garbage in them, yet it runs after every 700 net allocations and walks what it finds alive. Two costs, two cuts:

- **Long-lived objects.** Each full collection walks every tracked object of the process: in a flow run that is
  Prefect's and pydantic's hundreds of thousands of objects, walked again and again for garbage they never
  become. Frozen (``gc.freeze``) they are left out of every collection; that cut a full-scope sweep's CPU by
  about a tenth (BENCHMARKS.md).
- **Young objects.** With a page or two in hand at any moment, a young collection every 700 allocations walks
  the same live page many times over. The youngest generation is collected every ``YOUNG_THRESHOLD``
  allocations instead, about 5 µs an issue less at 100,000 (BENCHMARKS.md), for at most that many
  objects of cyclic garbage (a few MB) waiting a little longer to be freed.

Both are undone when the last sweep of the process ends, even one that raised, so a process that runs many sweeps
(a test session, ``escalator run`` in a loop, sweeps in threads) collects what they left behind as usual; thresholds
someone else set during the sweep are left as they are. (``gc.unfreeze`` also unfreezes what was frozen before the
sweep, say by a process that freezes before it forks; escalator does not.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["YOUNG_THRESHOLD", "sweep_collector"]

YOUNG_THRESHOLD = 50_000
"""Net container allocations between two collections of the youngest generation during a sweep (CPython: 700)."""

_lock = threading.Lock()
_sweeps = 0
_thresholds: tuple[int, ...] = ()  # the collector's thresholds before the first sweep
_ours: tuple[int, ...] = ()  # and as the sweeps set them


@contextmanager
def sweep_collector() -> Iterator[None]:
    """For the block: every object that exists now frozen, the youngest generation collected rarely. Sweeps may
    nest or overlap in threads: the first to start sets this up, the last to end restores the collector."""
    global _sweeps, _thresholds, _ours
    with _lock:
        if _sweeps == 0:
            gc.freeze()
            _thresholds = gc.get_threshold()
            if 0 < _thresholds[0] < YOUNG_THRESHOLD:  # 0: automatic collection is off, and stays off
                gc.set_threshold(YOUNG_THRESHOLD, *_thresholds[1:])
            _ours = gc.get_threshold()
        _sweeps += 1
    try:
        yield
    finally:
        with _lock:
            _sweeps -= 1
            if _sweeps == 0:
                if gc.get_threshold() == _ours:  # else someone set their own meanwhile: theirs stays
                    gc.set_threshold(*_thresholds)
                gc.unfreeze()
