"""How reasons and summaries write instants: ``format_instant`` builds the text itself (it runs for nearly every
issue a sweep reads), so it must write exactly what ``strftime("%Y-%m-%d %H:%M %Z")`` writes, zone names and
unpadded early years included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from escalator.core.decision import format_instant

ZONES = st.sampled_from(
    [
        None,
        UTC,
        timezone(timedelta(hours=5, minutes=30)),
        timezone(timedelta(hours=-3), "BRT"),
        ZoneInfo("UTC"),
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/New_York"),
        ZoneInfo("Asia/Kolkata"),
    ]
)


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 30)), ZONES)
def test_format_instant_writes_what_strftime_writes(moment: datetime, zone: timezone | ZoneInfo | None) -> None:
    value = moment if zone is None else moment.replace(tzinfo=zone)
    assert format_instant(value) == value.strftime("%Y-%m-%d %H:%M %Z").strip()


def test_format_instant_names_the_zone() -> None:
    assert (
        format_instant(datetime(2026, 11, 27, 14, 40, 59, tzinfo=ZoneInfo("Europe/Berlin"))) == "2026-11-27 14:40 CET"
    )
    assert format_instant(datetime(2026, 7, 1, 9, 5, tzinfo=ZoneInfo("America/New_York"))) == "2026-07-01 09:05 EDT"
