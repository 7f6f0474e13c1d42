"""Business time on calendars: table-driven cases, validation, and properties against a slow reference.

The reference walks five-minute steps and asks, for each, the module's one rule in its plainest form: is the
local wall-clock reading inside a working span of a working, non-holiday day? Every calendar used with it
has span boundaries on that grid and zones whose offsets are whole hours, so the walk is exact there.
"""

from __future__ import annotations

import functools
import pickle
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from escalator.core.calendar import ALWAYS, Calendar, HolidayRules, WorkingHours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
EVERY_DAY = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def new_york(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK)


def hours(value: float) -> timedelta:
    return timedelta(hours=value)


def span(start: str, end: str) -> WorkingHours:
    return WorkingHours.model_validate({"start": start, "end": end})


OFFICE_DE = Calendar(name="office-de", timezone="Europe/Berlin", holidays=HolidayRules(country="DE", subdivision="BY"))
OFFICE_US = Calendar(name="office-us", timezone="America/New_York", holidays=HolidayRules(country="US"))
SPLIT = Calendar(
    name="split-us",
    timezone="America/New_York",
    working_hours=(span("09:00", "12:00"), span("13:00", "17:30")),
    holidays=HolidayRules(country="US", dates=(date(2026, 12, 24), date(2026, 12, 31))),
)
NIGHT = Calendar(
    name="night",
    timezone="Europe/Berlin",
    working_days=EVERY_DAY,
    working_hours=(span("00:00", "04:00"), span("22:00", "24:00")),
)
# Spans that start or end inside the hour a DST change skips or repeats.
DST_EDGES = Calendar(
    name="dst-edges",
    timezone="Europe/Berlin",
    working_days=("sat", "sun"),
    working_hours=(span("00:00", "02:30"), span("02:45", "03:15"), span("05:00", "06:00")),
    holidays=HolidayRules(dates=(date(2026, 5, 9),)),
)
WEEKEND_NY = Calendar(
    name="weekend-ny",
    timezone="America/New_York",
    working_days=("sat", "sun"),
    working_hours=(span("01:00", "01:30"), span("01:45", "03:00"), span("08:00", "24:00")),
)
CALENDARS = [OFFICE_DE, OFFICE_US, SPLIT, NIGHT, DST_EDGES, WEEKEND_NY, ALWAYS]


# -- table-driven cases ------------------------------------------------------------------------------------

ADD_CASES = [
    (
        "friday-16h-plus-4h-is-monday-12h",
        OFFICE_DE,
        berlin("2026-05-08 16:00"),
        hours(4),
        berlin("2026-05-11 12:00"),
    ),
    ("ends-exactly-at-closing", OFFICE_DE, berlin("2026-05-11 09:00"), hours(8), berlin("2026-05-11 17:00")),
    ("from-midday-to-closing", OFFICE_DE, berlin("2026-05-11 13:00"), hours(4), berlin("2026-05-11 17:00")),
    (
        "one-microsecond-past-closing",
        OFFICE_DE,
        berlin("2026-05-11 13:00"),
        hours(4) + timedelta(microseconds=1),
        berlin("2026-05-12 09:00:00.000001"),
    ),
    ("friday-closing-to-monday", OFFICE_DE, berlin("2026-05-08 17:00"), hours(8), berlin("2026-05-11 17:00")),
    ("start-before-opening", OFFICE_DE, berlin("2026-05-11 07:00"), hours(1), berlin("2026-05-11 10:00")),
    ("start-after-closing", OFFICE_DE, berlin("2026-05-11 18:00"), hours(1), berlin("2026-05-12 10:00")),
    ("start-on-saturday", OFFICE_DE, berlin("2026-05-09 10:00"), hours(1), berlin("2026-05-11 10:00")),
    (
        "zero-outside-hours-is-start",
        OFFICE_DE,
        berlin("2026-05-09 10:00"),
        timedelta(0),
        berlin("2026-05-09 10:00"),
    ),
    (
        "zero-at-closing-is-start",
        OFFICE_DE,
        berlin("2026-05-11 17:00"),
        timedelta(0),
        berlin("2026-05-11 17:00"),
    ),
    ("whit-monday-de-by", OFFICE_DE, berlin("2026-05-22 16:00"), hours(2), berlin("2026-05-26 10:00")),
    ("christmas-de-by", OFFICE_DE, berlin("2026-12-24 16:00"), hours(2), berlin("2026-12-28 10:00")),
    ("thanksgiving-us", OFFICE_US, new_york("2026-11-25 16:00"), hours(2), new_york("2026-11-27 10:00")),
    (
        "observed-new-year-across-years",
        OFFICE_US,
        new_york("2027-12-30 16:00"),
        hours(2),
        new_york("2028-01-03 10:00"),
    ),
    (
        "explicit-date-then-christmas",
        SPLIT,
        new_york("2026-12-23 17:30"),
        hours(1),
        new_york("2026-12-28 10:00"),
    ),
    ("split-over-lunch", SPLIT, new_york("2026-05-11 11:00"), hours(2), new_york("2026-05-11 14:00")),
    ("split-ends-at-lunch", SPLIT, new_york("2026-05-11 11:00"), hours(1), new_york("2026-05-11 12:00")),
    ("split-starts-in-lunch", SPLIT, new_york("2026-05-11 12:30"), hours(1), new_york("2026-05-11 14:00")),
    ("split-whole-day", SPLIT, new_york("2026-05-11 09:00"), hours(7.5), new_york("2026-05-11 17:30")),
    ("six-weeks", OFFICE_DE, berlin("2026-06-08 09:00"), hours(6 * 40), berlin("2026-07-17 17:00")),
    (
        "dst-sunday-inside-window-ny",
        OFFICE_US,
        new_york("2026-03-06 16:00"),
        hours(2),
        new_york("2026-03-09 10:00"),
    ),
    ("night-spring-forward", NIGHT, berlin("2026-03-28 22:00"), hours(4), berlin("2026-03-29 03:00")),
    ("night-spring-forward-whole", NIGHT, berlin("2026-03-29 00:00"), hours(3), berlin("2026-03-29 04:00")),
    ("night-fall-back-whole", NIGHT, berlin("2026-10-25 00:00"), hours(5), berlin("2026-10-25 04:00")),
    (
        "night-fall-back-repeated-hour",
        NIGHT,
        berlin("2026-10-25 00:00"),
        hours(3),
        berlin("2026-10-25 02:00").replace(fold=1),
    ),
    ("always-spring-forward-day", ALWAYS, berlin("2026-03-29 00:00"), hours(24), berlin("2026-03-30 01:00")),
    ("always-fall-back-day", ALWAYS, new_york("2026-11-01 00:00"), hours(24), new_york("2026-11-01 23:00")),
    (
        "always-many-weeks",
        ALWAYS,
        berlin("2026-01-01 00:00"),
        timedelta(weeks=60),
        berlin("2027-02-25 00:00"),
    ),
]


@pytest.mark.parametrize(
    ("calendar", "start", "duration", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in ADD_CASES],
)
def test_add_business_time(calendar: Calendar, start: datetime, duration: timedelta, expected: datetime) -> None:
    result = calendar.add_business_time(start, duration)
    assert result.astimezone(UTC) == expected.astimezone(UTC)  # (fold-aware, unlike == within one zone)
    assert result.tzinfo == ZoneInfo(calendar.timezone)
    assert calendar.business_time_between(start, result) == duration


BETWEEN_CASES = [
    ("friday-to-monday", OFFICE_DE, berlin("2026-05-08 16:00"), berlin("2026-05-11 12:00"), hours(4)),
    ("end-before-start", OFFICE_DE, berlin("2026-05-11 12:00"), berlin("2026-05-08 16:00"), timedelta(0)),
    ("empty", OFFICE_DE, berlin("2026-05-11 12:00"), berlin("2026-05-11 12:00"), timedelta(0)),
    ("weekend-to-monday", OFFICE_DE, berlin("2026-05-09 10:00"), berlin("2026-05-11 10:00"), hours(1)),
    ("inside-a-weekend", OFFICE_DE, berlin("2026-05-09 10:00"), berlin("2026-05-10 18:00"), timedelta(0)),
    (
        "after-closing-to-opening",
        OFFICE_DE,
        berlin("2026-05-11 17:00"),
        berlin("2026-05-12 09:00"),
        timedelta(0),
    ),
    ("plain-week", OFFICE_DE, berlin("2026-06-08 00:00"), berlin("2026-06-15 00:00"), hours(40)),
    ("week-with-ascension-day", OFFICE_DE, berlin("2026-05-11 00:00"), berlin("2026-05-18 00:00"), hours(32)),
    ("week-with-whit-monday", OFFICE_DE, berlin("2026-05-25 00:00"), berlin("2026-06-01 00:00"), hours(32)),
    (
        "week-with-thanksgiving",
        OFFICE_US,
        new_york("2026-11-23 00:00"),
        new_york("2026-11-30 00:00"),
        hours(32),
    ),
    ("split-day", SPLIT, new_york("2026-05-11 00:00"), new_york("2026-05-12 00:00"), hours(7.5)),
    (
        "split-explicit-holiday",
        SPLIT,
        new_york("2026-12-31 00:00"),
        new_york("2027-01-01 00:00"),
        timedelta(0),
    ),
    (
        "different-utc-offsets",
        OFFICE_DE,
        datetime(2026, 5, 11, 7, 0, tzinfo=UTC),  # 09:00 in Berlin
        datetime(2026, 5, 12, 1, 0, tzinfo=TOKYO),  # 2026-05-11 18:00 in Berlin
        hours(8),
    ),
    ("night-normal-day", NIGHT, berlin("2026-03-28 00:00"), berlin("2026-03-28 12:00"), hours(4)),
    ("night-spring-forward", NIGHT, berlin("2026-03-29 00:00"), berlin("2026-03-29 12:00"), hours(3)),
    ("night-fall-back", NIGHT, berlin("2026-10-25 00:00"), berlin("2026-10-25 12:00"), hours(5)),
    ("always-spring-forward-day", ALWAYS, berlin("2026-03-29 00:00"), berlin("2026-03-30 00:00"), hours(23)),
    ("always-fall-back-day", ALWAYS, berlin("2026-10-25 00:00"), berlin("2026-10-26 00:00"), hours(25)),
    (
        "always-leap-year",
        ALWAYS,
        datetime(2028, 1, 1, tzinfo=UTC),
        datetime(2029, 1, 1, tzinfo=UTC),
        hours(366 * 24),
    ),
    (
        "office-spring-forward-week",
        OFFICE_DE,
        berlin("2026-03-23 00:00"),
        berlin("2026-03-30 12:00"),
        hours(43),
    ),
    # A span ending in the repeated hour holds that part of it twice; one starting in the skipped hour
    # begins when the clock shows 03:00.
    (
        "edges-fall-back-repeated",
        DST_EDGES,
        berlin("2026-10-25 00:00"),
        berlin("2026-10-25 12:00"),
        hours(4.75),
    ),
    (
        "edges-spring-forward-skipped",
        DST_EDGES,
        berlin("2026-03-29 00:00"),
        berlin("2026-03-29 12:00"),
        hours(3.25),
    ),
    ("edges-normal-sunday", DST_EDGES, berlin("2026-05-10 00:00"), berlin("2026-05-10 12:00"), hours(4)),
    (
        "edges-explicit-saturday-off",
        DST_EDGES,
        berlin("2026-05-09 00:00"),
        berlin("2026-05-10 00:00"),
        timedelta(0),
    ),
]


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in BETWEEN_CASES],
)
def test_business_time_between(calendar: Calendar, start: datetime, end: datetime, expected: timedelta) -> None:
    assert calendar.business_time_between(start, end) == expected


WORKING_INSTANT_CASES = [
    ("opening-is-working", OFFICE_DE, berlin("2026-05-11 09:00"), True),
    ("just-before-opening", OFFICE_DE, berlin("2026-05-11 08:59:59.999999"), False),
    ("closing-is-not-working", OFFICE_DE, berlin("2026-05-11 17:00"), False),
    ("just-before-closing", OFFICE_DE, berlin("2026-05-11 16:59:59.999999"), True),
    ("saturday", OFFICE_DE, berlin("2026-05-09 12:00"), False),
    ("whit-monday", OFFICE_DE, berlin("2026-05-25 12:00"), False),
    ("lunch-break", SPLIT, new_york("2026-05-11 12:30"), False),
    ("after-lunch", SPLIT, new_york("2026-05-11 13:00"), True),
    ("explicit-holiday", SPLIT, new_york("2026-12-24 10:00"), False),
    ("other-zone-same-instant", OFFICE_DE, datetime(2026, 5, 11, 7, 0, tzinfo=UTC), True),
    ("night-first-pass-of-repeated-hour", NIGHT, berlin("2026-10-25 02:30"), True),
    ("night-second-pass-of-repeated-hour", NIGHT, berlin("2026-10-25 02:30").replace(fold=1), True),
    ("edges-second-pass-before-end", DST_EDGES, berlin("2026-10-25 02:15").replace(fold=1), True),
    ("edges-second-pass-after-end", DST_EDGES, berlin("2026-10-25 02:40").replace(fold=1), False),
    ("edges-after-the-gap", DST_EDGES, berlin("2026-03-29 03:00"), True),
    ("end-of-day-span", NIGHT, berlin("2026-05-11 23:59:59.999999"), True),
    ("always", ALWAYS, berlin("2026-12-25 03:00"), True),
]


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in WORKING_INSTANT_CASES],
)
def test_is_working_instant(calendar: Calendar, at: datetime, expected: bool) -> None:
    assert calendar.is_working_instant(at) is expected


HOLIDAY_CASES = [
    ("epiphany-by", OFFICE_DE, date(2026, 1, 6), True),
    ("unity-day-on-a-saturday", OFFICE_DE, date(2026, 10, 3), True),
    ("whit-monday", OFFICE_DE, date(2026, 5, 25), True),
    ("day-after-whit-monday", OFFICE_DE, date(2026, 5, 26), False),
    ("thanksgiving", OFFICE_US, date(2026, 11, 26), True),
    ("observed-new-year-in-previous-year", OFFICE_US, date(2027, 12, 31), True),
    ("explicit-date", SPLIT, date(2026, 12, 24), True),
    ("weekend-is-not-a-holiday", OFFICE_US, date(2026, 5, 9), False),
    ("no-rules", ALWAYS, date(2026, 12, 25), False),
]


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in HOLIDAY_CASES],
)
def test_is_holiday(calendar: Calendar, day: date, expected: bool) -> None:
    assert calendar.is_holiday(day) is expected


# -- validation --------------------------------------------------------------------------------------------

INVALID_CASES: list[tuple[str, Callable[[], object], str]] = [
    (
        "unknown-timezone",
        lambda: Calendar(name="x", timezone="Europe/Berln"),
        r"unknown IANA time zone 'Europe/Berln'; did you mean Europe/Berlin",
    ),
    ("timezone-directory", lambda: Calendar(name="x", timezone="Europe"), r"unknown IANA time zone 'Europe'"),
    ("timezone-path", lambda: Calendar(name="x", timezone="../etc"), r"unknown IANA time zone"),
    ("empty-name", lambda: Calendar(name="", timezone="UTC"), r"at least 1 character"),
    (
        "unknown-country",
        lambda: HolidayRules(country="XX"),
        r"unknown holiday country 'XX'; known codes: AD, AE",
    ),
    (
        "unknown-subdivision",
        lambda: HolidayRules(country="DE", subdivision="ZZ"),
        r"unknown holiday subdivision 'ZZ' of DE; known: Augsburg, BB, BE, BW, BY",
    ),
    ("subdivision-without-country", lambda: HolidayRules(subdivision="CA"), r"'CA' needs a country"),
    (
        "overlapping-spans",
        lambda: Calendar(name="x", timezone="UTC", working_hours=(span("09:00", "13:00"), span("12:00", "17:00"))),
        r"09:00-13:00 and 12:00-17:00 overlap",
    ),
    (
        "spans-out-of-order",
        lambda: Calendar(name="x", timezone="UTC", working_hours=(span("13:00", "17:00"), span("09:00", "12:00"))),
        r"13:00-17:00 and 09:00-12:00 are not in order",
    ),
    (
        "span-after-end-of-day",
        lambda: Calendar(name="x", timezone="UTC", working_hours=(span("20:00", "24:00"), span("21:00", "22:00"))),
        r"overlap",
    ),
    ("end-before-start", lambda: span("17:00", "09:00"), r"must end after they start, got 17:00-09:00"),
    ("end-equals-start", lambda: span("09:00", "09:00"), r"must end after they start"),
    ("start-24h", lambda: span("24:00", "24:00"), r"start"),
    ("offset-in-working-hours", lambda: span("09:00+01:00", "17:00"), r"wall-clock times"),
    (
        "no-spans",
        lambda: Calendar(name="x", timezone="UTC", working_hours=()),
        r"at least one working-hours span",
    ),
    (
        "no-working-days",
        lambda: Calendar(name="x", timezone="UTC", working_days=()),
        r"at least one working day",
    ),
    (
        "repeated-working-day",
        lambda: Calendar(name="x", timezone="UTC", working_days=("mon", "mon")),
        r"listed more than once: mon",
    ),
    (
        "unknown-weekday",
        lambda: Calendar.model_validate({"name": "x", "timezone": "UTC", "working_days": ["monday"]}),
        r"'mon', 'tue'",
    ),
    (
        "unknown-key",
        lambda: Calendar.model_validate({"name": "x", "timezone": "UTC", "time_zone": "UTC"}),
        r"Extra inputs are not permitted",
    ),
]


@pytest.mark.parametrize(
    ("build", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in INVALID_CASES],
)
def test_invalid_definitions_are_refused(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        build()
    assert isinstance(raised.value, ValidationError)


NAIVE = datetime(2026, 5, 11, 10, 0)
AWARE = berlin("2026-05-11 10:00")

MISUSE_CASES: list[tuple[str, Callable[[], object], str]] = [
    (
        "between-naive-start",
        lambda: OFFICE_DE.business_time_between(NAIVE, AWARE),
        r"start must be a timezone-aware",
    ),
    (
        "between-naive-end",
        lambda: OFFICE_DE.business_time_between(AWARE, NAIVE),
        r"end must be a timezone-aware",
    ),
    (
        "add-naive-start",
        lambda: OFFICE_DE.add_business_time(NAIVE, hours(1)),
        r"start must be a timezone-aware",
    ),
    (
        "add-naive-zero",
        lambda: OFFICE_DE.add_business_time(NAIVE, timedelta(0)),
        r"start must be a timezone-aware",
    ),
    ("working-naive", lambda: OFFICE_DE.is_working_instant(NAIVE), r"at must be a timezone-aware"),
    (
        "add-negative",
        lambda: OFFICE_DE.add_business_time(AWARE, -hours(1)),
        r"negative amount of working time",
    ),
    (
        "outside-supported-years",
        lambda: OFFICE_DE.business_time_between(datetime(1850, 1, 1, tzinfo=UTC), AWARE),
        r"years 1901-2997",
    ),
    (
        "add-past-supported-years",
        lambda: ALWAYS.add_business_time(datetime(2996, 6, 1, tzinfo=UTC), timedelta(days=1000)),
        r"runs past the year 2997",
    ),
]


@pytest.mark.parametrize(("call", "message"), [pytest.param(*case[1:], id=case[0]) for case in MISUSE_CASES])
def test_misuse_is_refused(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- end of day, defaults, values --------------------------------------------------------------------------

END_OF_DAY_CASES = [
    ("string-24h", {"start": "22:00", "end": "24:00"}, time(0), timedelta(hours=2)),
    ("string-24h-seconds", {"start": "22:00", "end": "24:00:00"}, time(0), timedelta(hours=2)),
    ("midnight", {"start": "22:00", "end": "00:00"}, time(0), timedelta(hours=2)),
    ("whole-day", {"start": "00:00", "end": "00:00"}, time(0), timedelta(hours=24)),
    ("plain", {"start": "09:00", "end": "17:30"}, time(17, 30), timedelta(hours=8.5)),
]


@pytest.mark.parametrize(("raw", "end", "length"), [pytest.param(*case[1:], id=case[0]) for case in END_OF_DAY_CASES])
def test_end_of_day_is_written_as_midnight(raw: dict[str, str], end: time, length: timedelta) -> None:
    working = WorkingHours.model_validate(raw)
    assert working.end == end
    calendar = Calendar(name="x", timezone="UTC", working_hours=(working,))
    assert calendar.working_day_length() == length
    monday = datetime(2026, 5, 11, tzinfo=UTC)
    assert calendar.business_time_between(monday, monday + timedelta(days=1)) == length


def test_defaults_are_an_office_week() -> None:
    calendar = Calendar(name="office", timezone="Europe/Berlin")
    assert calendar.working_days == ("mon", "tue", "wed", "thu", "fri")
    assert calendar.working_hours == (WorkingHours(start=time(9), end=time(17)),)
    assert calendar.holidays == HolidayRules()
    assert calendar.working_day_length() == hours(8)
    assert SPLIT.working_day_length() == hours(7.5)


def test_always_is_every_instant() -> None:
    assert ALWAYS.name == "always"
    assert ALWAYS.timezone == "UTC"
    assert ALWAYS.working_days == EVERY_DAY
    assert ALWAYS.working_day_length() == hours(24)


def test_definitions_are_normalised() -> None:
    calendar = Calendar(
        name="x",
        timezone="UTC",
        working_days=("fri", "mon"),
        holidays=HolidayRules(country="de", subdivision="by", dates=(date(2026, 5, 2), date(2026, 5, 1))),
    )
    assert calendar.working_days == ("mon", "fri")
    assert calendar.holidays == HolidayRules(country="DE", subdivision="BY", dates=(date(2026, 5, 1), date(2026, 5, 2)))


def test_calendar_is_a_frozen_value_whatever_it_computed() -> None:
    fresh = Calendar(name="office-de", timezone="Europe/Berlin", holidays=HolidayRules(country="DE", subdivision="BY"))
    OFFICE_DE.business_time_between(berlin("2024-01-01 00:00"), berlin("2028-12-31 00:00"))
    assert fresh == OFFICE_DE
    assert hash(fresh) == hash(OFFICE_DE)
    assert fresh.model_dump() == OFFICE_DE.model_dump()
    with pytest.raises(ValidationError, match="frozen"):
        OFFICE_DE.timezone = "UTC"  # type: ignore[misc]
    copy = pickle.loads(pickle.dumps(OFFICE_DE))
    assert copy == OFFICE_DE
    assert copy.add_business_time(berlin("2026-05-08 16:00"), hours(4)) == berlin("2026-05-11 12:00")


def test_copy_with_other_fields_does_not_reuse_tables() -> None:
    start, end = berlin("2026-05-11 00:00"), berlin("2026-05-12 00:00")
    assert OFFICE_DE.business_time_between(start, end) == hours(8)
    night = OFFICE_DE.model_copy(update={"working_hours": (span("00:00", "04:00"),)})
    assert night.business_time_between(start, end) == hours(4)


def test_same_end_object_again_after_tables_grow() -> None:
    calendar = Calendar(name="grow", timezone="Europe/Berlin")
    now = berlin("2026-05-11 12:00")
    assert calendar.business_time_between(berlin("2026-05-11 09:00"), now) == hours(3)
    # far in the past: the tables are rebuilt, the remembered `now` must follow them
    assert calendar.business_time_between(berlin("2016-05-11 12:00"), now) > hours(8 * 2000)
    assert calendar.business_time_between(berlin("2026-05-11 10:00"), now) == hours(2)


def test_threads_building_tables_at_once_agree() -> None:
    pairs = [(datetime(year, 3, 1, tzinfo=UTC), datetime(year + 1, 11, 1, tzinfo=UTC)) for year in range(2024, 2029)]
    expected = [OFFICE_US.business_time_between(a, b) for a, b in pairs]
    fresh = Calendar(name="office-us", timezone="America/New_York", holidays=HolidayRules(country="US"))
    results: dict[int, list[timedelta]] = {}

    def work(index: int) -> None:
        results[index] = [fresh.business_time_between(a, b) for a, b in pairs[index % 5 :] + pairs[: index % 5]]

    threads = [threading.Thread(target=work, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for index, got in results.items():
        assert got == expected[index % 5 :] + expected[: index % 5]


# -- properties --------------------------------------------------------------------------------------------

LOW = datetime(2024, 1, 1, tzinfo=UTC)
HIGH = datetime(2028, 12, 31, tzinfo=UTC)
STEP = timedelta(minutes=5)
# Instants around which calendars change behaviour: DST changes in Berlin and New York, holidays, year ends.
ANCHORS = [
    berlin("2024-03-31 02:00"),
    berlin("2025-10-26 02:00"),
    berlin("2026-03-29 02:00"),
    berlin("2026-10-25 02:00"),
    new_york("2026-03-08 02:00"),
    new_york("2026-11-01 01:00"),
    new_york("2027-11-07 01:00"),
    new_york("2026-11-26 00:00"),
    berlin("2026-05-25 00:00"),
    new_york("2027-12-31 00:00"),
    datetime(2024, 12, 31, 23, tzinfo=UTC),
]
ZONES = [UTC, BERLIN, NEW_YORK, TOKYO]


@st.composite
def instants(draw: st.DrawFn, *, grid: bool = False) -> datetime:
    """Aware datetimes in 2024-2028, often near an anchor, in any of a few zones."""
    if draw(st.booleans()):
        anchor = draw(st.sampled_from(ANCHORS)).astimezone(UTC)
        base = anchor + timedelta(minutes=draw(st.integers(-3 * 24 * 60, 3 * 24 * 60)))
    else:
        base = LOW + timedelta(minutes=draw(st.integers(0, int((HIGH - LOW) / timedelta(minutes=1)))))
    if grid or draw(st.booleans()):
        base -= timedelta(minutes=base.minute % 5)
    else:
        base += timedelta(microseconds=draw(st.integers(0, 59_999_999)))
    return base.astimezone(draw(st.sampled_from(ZONES)))


calendars = st.sampled_from(CALENDARS)
# Random microseconds, and whole quarter-hours, which end exactly at closing times and span boundaries.
durations = st.one_of(
    st.integers(0, int(timedelta(weeks=8) / timedelta(microseconds=1))).map(lambda us: timedelta(microseconds=us)),
    st.integers(0, 4 * 24 * 7 * 8).map(lambda quarters: quarters * timedelta(minutes=15)),
)
PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(calendar=calendars, start=instants(), duration=durations)
def test_add_then_measure_gives_the_duration_back(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    # Arithmetic and comparisons in UTC: within one zone Python compares and adds wall-clock times.
    result = calendar.add_business_time(start, duration)
    assert result.astimezone(UTC) >= start.astimezone(UTC)
    assert calendar.business_time_between(start, result) == duration
    if duration:
        # the earliest such instant: a microsecond sooner is not enough
        sooner = result.astimezone(UTC) - timedelta(microseconds=1)
        assert calendar.business_time_between(start, sooner) < duration
        assert calendar.is_working_instant(sooner)


@PROPERTIES
@given(calendar=calendars, points=st.lists(instants(), min_size=3, max_size=3))
def test_additive_monotone_and_bounded_by_wall_clock(calendar: Calendar, points: list[datetime]) -> None:
    a, b, c = sorted(points, key=lambda point: point.astimezone(UTC))
    ab, bc, ac = (calendar.business_time_between(x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert timedelta(0) <= ab <= ac
    assert timedelta(0) <= bc <= ac
    assert ac <= c.astimezone(UTC) - a.astimezone(UTC)
    assert calendar.business_time_between(c, a) == timedelta(0)


@PROPERTIES
@given(start=instants(), end=instants())
def test_always_is_wall_clock_time(start: datetime, end: datetime) -> None:
    wall_clock = end.astimezone(UTC) - start.astimezone(UTC)
    assert ALWAYS.business_time_between(start, end) == max(wall_clock, timedelta(0))


def reference_is_working(calendar: Calendar, at: datetime) -> bool:
    """The rule as stated: the local wall-clock reading is in a span of a working, non-holiday day."""
    local = at.astimezone(ZoneInfo(calendar.timezone))
    day = local.date()
    if EVERY_DAY[day.weekday()] not in calendar.working_days:
        return False
    rules = calendar.holidays
    if day in rules.dates or day in public_holidays(rules.country, rules.subdivision, day.year):
        return False
    clock = local.time()
    return any(span.start <= clock and (span.end == time(0) or clock < span.end) for span in calendar.working_hours)


@functools.cache
def public_holidays(country: str | None, subdivision: str | None, year: int) -> frozenset[date]:
    if country is None:
        return frozenset()
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


def reference_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Five-minute steps from ``start``: exact for grid instants on the calendars used here."""
    total = timedelta(0)
    at = start.astimezone(UTC)
    while at < end:
        if reference_is_working(calendar, at):
            total += STEP
        at += STEP
    return total


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars, start=instants(grid=True), steps=st.integers(0, 4 * 24 * 12))
def test_matches_the_slow_reference(calendar: Calendar, start: datetime, steps: int) -> None:
    end = (start.astimezone(UTC) + steps * STEP).astimezone(start.tzinfo)
    assert calendar.business_time_between(start, end) == reference_between(calendar, start, end)


@PROPERTIES
@given(calendar=calendars, at=instants())
def test_working_instant_matches_the_rule(calendar: Calendar, at: datetime) -> None:
    assert calendar.is_working_instant(at) is reference_is_working(calendar, at)
