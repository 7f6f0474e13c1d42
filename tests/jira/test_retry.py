from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from escalator.jira.retry import RetryPolicy, parse_retry_after

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        ("1.5", 1.5),
        (" 0 ", 0.0),
        ("-4", 0.0),
        ("Fri, 20 Nov 2026 12:00:30 GMT", 30.0),
        ("Fri, 20 Nov 2026 11:59:00 GMT", 0.0),  # in the past: go now
        (None, None),
        ("", None),
        ("soon", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5)
    rng = random.Random(1)
    for retry, ceiling in [(1, 1), (2, 2), (3, 4), (4, 5), (9, 5)]:
        waits = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(0 <= wait <= ceiling for wait in waits)
        assert max(waits) > ceiling * 0.8


def test_retry_after_wins_only_for_429_and_503() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5)
    rng = random.Random(1)
    assert policy.delay(429, 7.0, 1, rng) == 7.0
    assert policy.delay(503, 7.0, 1, rng) == 7.0
    assert policy.delay(502, 7.0, 1, rng) <= 1
    assert policy.delay(None, None, 1, rng) <= 1
