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
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=0.3)
    rng = random.Random(1)
    for retry, exponential in [(1, 1), (2, 2), (3, 4), (4, 5), (9, 5)]:
        waits = [policy.backoff(retry, rng) for _ in range(200)]
        assert all(exponential * 0.7 <= wait <= exponential * 1.3 for wait in waits)
        assert max(waits) - min(waits) > exponential * 0.4  # jitter spreads the clients out


def test_the_defaults_follow_atlassians_example() -> None:
    policy = RetryPolicy()
    assert (policy.attempts, policy.base_delay, policy.max_delay, policy.jitter) == (5, 5.0, 30.0, 0.3)


@pytest.mark.parametrize("status", [429, 503])
def test_a_zero_or_tiny_retry_after_still_waits_the_backoff(status: int) -> None:
    policy = RetryPolicy(base_delay=1, max_delay=30, jitter=0.3)
    rng = random.Random(2)
    for retry in range(1, 5):
        for retry_after in (0.0, 0.01):
            assert policy.delay(status, retry_after, retry, rng) >= 2 ** (retry - 1) * 0.7


@pytest.mark.parametrize("status", [429, 503])
def test_a_longer_retry_after_is_honoured_and_spread_above(status: int) -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=0.3)
    rng = random.Random(3)
    waits = [policy.delay(status, 7.0, 1, rng) for _ in range(200)]
    assert all(7.0 <= wait <= 7.0 * 1.3 for wait in waits)
    assert len(set(waits)) > 100


def test_retry_after_counts_only_for_429_and_503() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=5, jitter=0.3)
    rng = random.Random(1)
    assert 0.7 <= policy.delay(502, 7.0, 1, rng) <= 1.3
    assert 0.7 <= policy.delay(None, None, 1, rng) <= 1.3


def test_no_jitter_is_exactly_exponential() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=3, jitter=0)
    rng = random.Random(0)
    assert [policy.delay(429, 0.0, retry, rng) for retry in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
