"""When to try a Jira request again, and how long to wait first. No I/O; the clock is read only to turn an
HTTP-date ``Retry-After`` into seconds, and tests pass ``now``.

Atlassian's guidance for Jira Cloud: honour ``Retry-After``, otherwise back off exponentially with jitter, about
four retries, a wait capped near 30 s. So:

- every retry waits at least the exponential backoff, spread by jitter, even when Jira says ``Retry-After: 0``
  (Data Center sends 0 while its bucket refills; a storm of 429s answered at once only feeds the storm);
- 429 and 503 honour a longer ``Retry-After`` (whole or fractional seconds, or an HTTP date), spread a little
  above it so clients told the same wait do not come back at the same instant; one longer than
  ``max_retry_after`` is not waited for;
- other 5xx and connection errors back off the same way; everything else (4xx) is final at once.
The transport (``transport.py``) carries these decisions out; tests inject a sleep that does not sleep and a
seeded random generator.
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
    """Bounded retries. ``attempts`` counts the first try: 5 means up to 4 retries. The defaults follow
    Atlassian's example (first wait about 5 s, doubling, capped at 30 s, jitter of 30 %); tests pass a policy
    with a small ``base_delay`` so that riding out a storm costs them milliseconds, not minutes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=5, ge=1, le=20, description="tries per request, the first included")
    base_delay: float = Field(default=5.0, ge=0, description="seconds of backoff before the first retry, doubling")
    max_delay: float = Field(default=30.0, ge=0, description="cap on the backoff (before jitter)")
    jitter: float = Field(
        default=0.3, ge=0, lt=1, description="each backoff is scaled by a random factor in [1 - jitter, 1 + jitter]"
    )
    max_retry_after: float = Field(
        default=120.0, ge=0, description="longest Retry-After we wait for; longer means give up (rate limited)"
    )

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Exponential backoff with jitter before retry number ``retry`` (1 for the first retry)."""
        exponential = min(self.max_delay, self.base_delay * 2.0 ** (retry - 1))
        return exponential * rng.uniform(1 - self.jitter, 1 + self.jitter)

    def delay(self, status: int | None, retry_after: float | None, retry: int, rng: random.Random) -> float:
        """How long to wait before retry ``retry`` after ``status`` (None: a connection error): never less
        than the backoff, and for 429 and 503 never less than Jira's ``Retry-After`` either."""
        backoff = self.backoff(retry, rng)
        if status in RESPECTS_RETRY_AFTER and retry_after is not None:
            return max(backoff, retry_after * rng.uniform(1, 1 + self.jitter))
        return backoff


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
