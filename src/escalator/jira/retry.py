"""When to try a Jira request again, and how long to wait first. No I/O; the clock is read only to turn an
HTTP-date ``Retry-After`` into seconds, and tests pass ``now``.

- 429 and 503 honour ``Retry-After`` (whole or fractional seconds, or an HTTP date), up to a ceiling;
- other 5xx and connection errors back off exponentially with full jitter;
- everything else (4xx) is final at once.
The transport (``transport.py``) carries these decisions out; tests inject a sleep that does not sleep.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["RETRYABLE_STATUSES", "RetryPolicy", "parse_retry_after"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
RESPECTS_RETRY_AFTER = frozenset({429, 503})


class RetryPolicy(BaseModel):
    """Bounded retries. ``attempts`` counts the first try: 5 means up to 4 retries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=5, ge=1)
    base_delay: float = Field(default=1.0, ge=0, description="seconds before the first backoff retry")
    max_delay: float = Field(default=30.0, ge=0, description="cap on one backoff wait")
    max_retry_after: float = Field(
        default=120.0, ge=0, description="longest Retry-After we wait for; longer means give up (rate limited)"
    )

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff before retry number ``retry`` (1 for the first retry)."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        return rng.uniform(0, ceiling)

    def delay(self, status: int | None, retry_after: float | None, retry: int, rng: random.Random) -> float:
        """How long to wait before retry ``retry`` after ``status`` (None: a connection error)."""
        if status in RESPECTS_RETRY_AFTER and retry_after is not None:
            return retry_after
        return self.backoff(retry, rng)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: ``"3"``, ``"1.5"`` or an HTTP date. None if absent or
    unreadable (the caller then backs off on its own); never negative."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
