"""Durations: text in, working time out, with a 'd' that is the calendar's working day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from escalator.core.calendar import ALWAYS, Calendar
from escalator.core.duration import parse_duration
from escalator.core.policy import working_window

OFFICE = Calendar.model_validate({"name": "office", "timezone": "Europe/Berlin"})
LUNCH = Calendar.model_validate(
    {
        "name": "lunch",
        "timezone": "Europe/Berlin",
        "working_hours": [{"start": "09:00", "end": "12:30"}, {"start": "13:30", "end": "17:00"}],
    }
)


@pytest.mark.parametrize(
    ("text", "calendar", "expected"),
    [
        ("30m", OFFICE, timedelta(minutes=30)),
        ("4h", OFFICE, timedelta(hours=4)),
        ("1d", OFFICE, timedelta(hours=8)),
        ("1d", LUNCH, timedelta(hours=7)),
        ("1d", ALWAYS, timedelta(hours=24)),
        ("1w", OFFICE, timedelta(hours=40)),
        ("1w", ALWAYS, timedelta(days=7)),
        ("1d4h30m", OFFICE, timedelta(hours=12, minutes=30)),
        (" 2h 15m ", OFFICE, timedelta(hours=2, minutes=15)),
    ],
)
def test_a_duration_is_working_time_on_its_calendar(text: str, calendar: Calendar, expected: timedelta) -> None:
    assert working_window(parse_duration(text), calendar) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("4 hours", "is not a duration"), ("", "is not a duration"), ("h4", "is not a duration"), ("1h2h", "twice")],
)
def test_bad_durations_say_what_is_accepted(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_durations_print_as_written() -> None:
    assert str(parse_duration("1d4h30m")) == "1d4h30m"
    assert parse_duration("2d").wall_clock() == timedelta(days=2)
