"""Time as the sandbox stores and prints it: integer epoch milliseconds (UTC) in SQLite, Jira's
`2024-05-01T09:30:00.000+0000` on the wire, and `YYYY-MM-DD` for due dates.

Pure conversions only; the clock is read by callers (`now_ms`) so tests can pass their own instant.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

MS_PER_MINUTE = 60_000
MS_PER_HOUR = 60 * MS_PER_MINUTE
MS_PER_DAY = 24 * MS_PER_HOUR
_EPOCH = date(1970, 1, 1)


def now_ms() -> int:
    return int(time.time() * 1000)


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def from_datetime(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def format_jira(ms: int) -> str:
    """Jira's timestamp format, always in UTC: `2024-05-01T09:30:00.000+0000`."""
    days, rest = divmod(ms, MS_PER_DAY)
    seconds, milliseconds = divmod(rest, 1000)
    minutes, second = divmod(seconds, 60)
    hour, minute = divmod(minutes, 60)
    return f"{_day(days)}T{hour:02d}:{minute:02d}:{second:02d}.{milliseconds:03d}+0000"


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    """`YYYY-MM-DD` of the UTC day ``days`` after 1970-01-01, as strftime writes it. Kept: a page of issues shares
    few days, and every issue prints two instants (a search page of 100 spent a fifth of its time in strftime)."""
    return (_EPOCH + timedelta(days=days)).strftime("%Y-%m-%d")


def format_date(ms: int) -> str:
    return to_datetime(ms).strftime("%Y-%m-%d")


def parse_instant(text: str) -> int:
    """Parse an ISO-8601 or Jira timestamp (`...+0000`, `Z`, or naive meaning UTC) into epoch ms."""
    cleaned = text.strip().replace("Z", "+00:00")
    if len(cleaned) >= 5 and cleaned[-5] in "+-" and cleaned[-3] != ":":
        cleaned = cleaned[:-2] + ":" + cleaned[-2:]
    return from_datetime(datetime.fromisoformat(cleaned))


def parse_day(text: str) -> int:
    """A `YYYY-MM-DD` date as epoch ms of its UTC midnight."""
    day = date.fromisoformat(text.strip()[:10])
    return from_datetime(datetime(day.year, day.month, day.day, tzinfo=UTC))


def start_of_day(ms: int) -> int:
    return ms - ms % MS_PER_DAY
