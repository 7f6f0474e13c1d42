"""Micro-benchmark of Calendar.business_time_between: prints ns/call, it is not a test.

The evaluator asks for the working time between each issue's level start and one shared `now`, for up to
100,000 issues a run; this measures that pattern, and fully random (start, end) pairs for comparison, on a
Mon-Fri 09:00-17:00 calendar in Europe/Berlin with Bavarian public holidays.

    uv run --frozen python bench/calendar_bench.py
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from escalator.core.calendar import Calendar, HolidayRules

CALLS = 100_000


def _measure(label: str, run: Callable[[], object], calls: int) -> None:
    started = time.perf_counter_ns()
    run()
    elapsed = time.perf_counter_ns() - started
    print(f"{label:<48} {elapsed / calls:8.0f} ns/call   ({elapsed / 1e9:.3f} s for {calls:,} calls)")


def main() -> None:
    rng = random.Random(20261126)
    now = datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
    span = int(timedelta(days=3 * 365).total_seconds() * 1_000_000)
    starts = [now - timedelta(microseconds=rng.randrange(span)) for _ in range(CALLS)]
    ends = [now - timedelta(microseconds=rng.randrange(span)) for _ in range(CALLS)]

    calendar = Calendar(
        name="office-by", timezone="Europe/Berlin", holidays=HolidayRules(country="DE", subdivision="BY")
    )
    between = calendar.business_time_between
    _measure("first call (builds tables for 2022-2028)", lambda: between(starts[0], now), 1)
    _measure("same `now`, random starts (evaluator pattern)", lambda: [between(s, now) for s in starts], CALLS)
    _measure(
        "random (start, end) pairs",
        lambda: [between(s, e) for s, e in zip(starts, ends, strict=True)],
        CALLS,
    )
    _measure("loop overhead only (no call)", lambda: [(s, now) for s in starts], CALLS)


if __name__ == "__main__":
    main()
