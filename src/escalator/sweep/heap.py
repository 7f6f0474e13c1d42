"""The flow run's long-lived objects kept out of the garbage collector's way while a sweep reads.

A sweep allocates millions of short-lived containers (each search page parses into some 3,000 dicts and lists),
so CPython's cyclic collector runs often, and each of its full collections walks every tracked object of the
process: in a flow run that is Prefect's and pydantic's hundreds of thousands of objects, walked again and again
for garbage they never become. Frozen (``gc.freeze``) they are left out of every collection; that cut a full-scope
sweep's CPU by about a tenth (BENCHMARKS.md). Unfrozen at the end, so a process that runs many sweeps (a test
session, ``escalator run`` in a loop) collects what the sweep left behind as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["long_lived_frozen"]


@contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Freeze every object that exists now for the duration of the block."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
