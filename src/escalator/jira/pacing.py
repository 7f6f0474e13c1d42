"""Keep under Jira's request-rate limits instead of running into them.

Jira Cloud allows roughly 100 reads and 50 writes per second per site and answers more with 429 and a
``Retry-After`` of a second or more; a burst of writers that trips it spends most of its time waiting. A
``Pacer`` hands out evenly spaced start times to every thread that shares it, so concurrent searches or writes
stay just under the limit and the 429 path remains what it should be: the exception.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Pacer"]


class Pacer:
    """At most ``rate`` starts per second across all threads; ``None`` means no pacing."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("a request rate must be positive")
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's slot; slots are 1/rate seconds apart, first come first served."""
        if self.rate is None:
            return
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + 1.0 / self.rate
        if slot > now:
            self._sleep(slot - now)

    def __repr__(self) -> str:
        return f"Pacer(rate={self.rate!r})"
