"""Business time on a working calendar: how much working time lies between two instants, and when an amount
of working time starting at an instant runs out.

A calendar is a time zone, the working days of the week, the working-hours spans of such a day (local
wall-clock times) and the days off (public holidays from the ``holidays`` package, plus explicit dates).

One rule defines everything here: **an instant is working time when its local wall-clock reading, in the
calendar's time zone, falls inside a working-hours span of a working day** (a working weekday that is not a
holiday). Spans are half-open, ``[start, end)``: opening time is working, closing time is not. The rule makes
daylight-saving changes come out as a clock on the wall would: a span 00:00-04:00 holds 3 real hours on a
spring-forward night and 5 on a fall-back night (the repeated hour counts twice); a span inside the skipped
hour holds no time at all.

End of day: a span's ``end`` of ``00:00`` (or the string ``"24:00"``, accepted as an alias) means midnight at
the end of the day, so ``00:00-00:00`` is the whole day. No other span may end at or before its start; a
night shift over midnight is two spans (``22:00-24:00`` and ``00:00-06:00``).

Arithmetic is exact to the microsecond. A calendar answers from a table of its working intervals in UTC with
running totals, built lazily a few years at a time and kept outside the model, so ``business_time_between`` is
two binary searches and ``add_business_time`` three.

This module must not read the clock, the environment or any file other than the time-zone database, and a
calendar never changes after it is built.
"""

from __future__ import annotations

import difflib
import threading
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate, pairwise
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holidays_package
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

__all__ = ["ALWAYS", "Calendar", "HolidayRules", "Weekday", "WorkingHours", "known_timezone"]

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

_WEEKDAYS: Final[tuple[Weekday, ...]] = get_args(Weekday)
_DAY_US: Final = 86_400_000_000
_US: Final = timedelta(microseconds=1)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL: Final = date(1970, 1, 1).toordinal()
_ZERO: Final = timedelta(0)
# Calendars answer for instants in these (UTC) years; tables are built from one year before to two after.
_FIRST_YEAR: Final = 1901
_LAST_YEAR: Final = 2997
# Offset changes are found by sampling the zone daily, then bisecting: since 1901 no zone of the tz database
# has changed its offset twice within 95 hours.
_SAMPLE_US: Final = _DAY_US


def _wall_us(value: time) -> int:
    """Microseconds from midnight to a wall-clock time."""
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _shortened(names: Iterable[str], limit: int = 25) -> str:
    ordered = sorted(names)
    shown = ", ".join(ordered[:limit])
    return shown if len(ordered) <= limit else f"{shown}, ... ({len(ordered)} in all)"


class WorkingHours(BaseModel):
    """One working span of a day, ``[start, end)`` in local wall-clock time; ``end`` 00:00 is midnight."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time

    @field_validator("end", mode="before")
    @classmethod
    def _end_of_day_alias(cls, value: object) -> object:
        if isinstance(value, str) and value.strip() in ("24:00", "24:00:00"):
            return time(0)
        return value

    @field_validator("start", "end")
    @classmethod
    def _wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError(f"working hours are wall-clock times in the calendar's zone; drop the offset from {value}")
        return value.replace(fold=0)

    @model_validator(mode="after")
    def _ends_after_start(self) -> WorkingHours:
        if self.end_us <= self.start_us:
            raise ValueError(
                f"working hours must end after they start, got {self.start:%H:%M}-{self.end:%H:%M} "
                "(write end 00:00 or '24:00' for midnight at the end of the day; split a shift over midnight "
                "into two spans)"
            )
        return self

    @property
    def start_us(self) -> int:
        """Microseconds from the day's midnight to the span's start."""
        return _wall_us(self.start)

    @property
    def end_us(self) -> int:
        """Microseconds from the day's midnight to the span's end (a whole day for end 00:00)."""
        return _DAY_US if self.end == time(0) else _wall_us(self.end)


class HolidayRules(BaseModel):
    """Days off: a country's (and subdivision's) public holidays, plus explicit dates such as a shutdown."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str | None = Field(default=None, description="ISO 3166 code known to the holidays package")
    subdivision: str | None = Field(default=None, description="e.g. 'CA' (US), 'BY' (DE), 'ENG' (GB)")
    dates: tuple[date, ...] = ()

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        supported = holidays_package.list_supported_countries()
        code = value.strip().upper()
        if code not in supported:
            alpha2 = [name for name in supported if len(name) == 2]
            raise ValueError(f"unknown holiday country {value!r}; known codes: {_shortened(alpha2)}")
        return code

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if "country" not in info.data:  # the country itself was rejected; that error is enough
            return value
        country = info.data["country"]
        if country is None:
            raise ValueError(f"holiday subdivision {value!r} needs a country")
        known = holidays_package.list_supported_countries()[country]
        matches = [name for name in known if name.casefold() == value.strip().casefold()]
        if not matches:
            listed = _shortened(known) if known else "none"
            raise ValueError(f"unknown holiday subdivision {value!r} of {country}; known: {listed}")
        return matches[0]

    @field_validator("dates")
    @classmethod
    def _sorted_dates(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))


def known_timezone(value: str) -> str:
    """``value`` if it names an IANA time zone; else a ``ValueError`` suggesting the closest names (for policy
    validation: calendars and rotations)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(value, available_timezones(), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "e.g. 'Europe/Berlin', 'America/New_York', 'UTC'"
        raise ValueError(f"unknown IANA time zone {value!r}; {hint}") from None
    return value


class Calendar(BaseModel):
    """A named working calendar; see the module docstring for what counts as working time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    timezone: str = Field(description="IANA time zone, e.g. 'Europe/Berlin'")
    working_days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    working_hours: tuple[WorkingHours, ...] = (WorkingHours(start=time(9), end=time(17)),)
    holidays: HolidayRules = HolidayRules()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)

    @field_validator("working_days")
    @classmethod
    def _week_order(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            raise ValueError("a calendar needs at least one working day")
        repeated = sorted({day for day in value if value.count(day) > 1})
        if repeated:
            raise ValueError(f"working days listed more than once: {', '.join(repeated)}")
        return tuple(day for day in _WEEKDAYS if day in value)

    @field_validator("working_hours")
    @classmethod
    def _ordered_spans(cls, value: tuple[WorkingHours, ...]) -> tuple[WorkingHours, ...]:
        if not value:
            raise ValueError("a calendar needs at least one working-hours span")
        for before, after in pairwise(value):
            if after.start_us < before.end_us:
                order = "overlap" if after.start_us >= before.start_us else "are not in order"
                raise ValueError(
                    f"working hours {before.start:%H:%M}-{before.end:%H:%M} and "
                    f"{after.start:%H:%M}-{after.end:%H:%M} {order}; list the spans of a day "
                    "earliest first, without overlaps"
                )
        return value

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; zero when ``end <= start``. Both must be timezone-aware."""
        return _US * _timeline_of(self).between(_epoch_us(start, "start"), end)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``duration`` of working time in ``[start, t)``.

        The result is in the calendar's time zone. A zero duration gives ``start`` itself (the same instant,
        in the calendar's zone), even outside working hours; a window that runs out exactly at closing time
        gives that closing time, not the next opening.
        """
        if duration < _ZERO:
            raise ValueError(f"cannot add a negative amount of working time ({duration})")
        timeline = _timeline_of(self)
        a = _epoch_us(start, "start")
        if not duration:
            return start.astimezone(timeline.zone)
        return (_EPOCH + _US * timeline.add(a, duration // _US)).astimezone(timeline.zone)

    def is_working_instant(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware) is working time: a working day, inside a span, not a holiday."""
        return _timeline_of(self).is_working(_epoch_us(at, "at"))

    def is_holiday(self, day: date) -> bool:
        """Whether ``day`` is a public holiday of the calendar's country or one of its explicit days off."""
        return day in _timeline_of(self).holidays_in(day.year)

    def working_day_length(self) -> timedelta:
        """The nominal length of one working day: the working-hours spans added up as written (no DST)."""
        return _US * sum(span.end_us - span.start_us for span in self.working_hours)


ALWAYS: Final = Calendar(
    name="always",
    timezone="UTC",
    working_days=_WEEKDAYS,
    working_hours=(WorkingHours(start=time(0), end=time(0)),),
)
"""Every instant is working time: for windows measured in plain wall-clock time."""


def _epoch_us(at: datetime, what: str) -> int:
    """Microseconds since the Unix epoch of an aware datetime; a naive one is refused."""
    try:
        return (at - _EPOCH) // _US
    except TypeError:
        raise ValueError(
            f"{what} must be a timezone-aware datetime, got naive {at!r}; attach a zone, e.g. tzinfo=UTC"
        ) from None


@dataclass(frozen=True, slots=True)
class _Table:
    """The working intervals ``[starts[k], ends[k])`` (UTC epoch µs, sorted, disjoint, not touching) of the
    local years ``[first_year, end_year)``, with the working time ``before[k]`` ahead of each interval and
    ``through[k]`` up to its end, counted from the start of the table.

    Working-time differences are exact between instants in ``[low, high]``.
    """

    first_year: int
    end_year: int
    low: int
    high: int
    starts: list[int]
    ends: list[int]
    before: list[int]
    through: list[int]

    def elapsed(self, instant: int) -> int:
        """Working time from the start of the table up to ``instant``."""
        starts = self.starts
        k = bisect_right(starts, instant) - 1
        if k < 0:
            return 0
        end = self.ends[k]
        return self.before[k] + (instant if instant < end else end) - starts[k]


class _Timeline:
    """The working intervals of one calendar, extended on demand. Answers in epoch microseconds."""

    def __init__(self, calendar: Calendar) -> None:
        self.zone = ZoneInfo(calendar.timezone)
        self._weekdays = frozenset(_WEEKDAYS.index(day) for day in calendar.working_days)
        self._spans = [(span.start_us, span.end_us) for span in calendar.working_hours]
        self._rules = calendar.holidays
        self._lock = threading.Lock()
        self._holidays: dict[int, frozenset[date]] = {}
        self._transitions: dict[int, list[tuple[int, int]]] = {}
        self._table: _Table | None = None
        # The last `end` asked about, with its table position: the evaluator asks about one `now` many times.
        self._last_end: tuple[datetime, _Table, int, int] | None = None

    def between(self, a: int, end: datetime) -> int:
        table = self._table
        last = self._last_end
        if last is not None and last[0] is end and last[1] is table:
            _, table, b, until = last
        else:
            b = _epoch_us(end, "end")
            if table is None or not table.low <= b <= table.high:
                table = self._covering(b, b)
            until = table.elapsed(b)
            self._last_end = (end, table, b, until)
        if b <= a:
            return 0
        if a < table.low:
            table = self._covering(a, b)
            until = table.elapsed(b)
        return until - table.elapsed(a)

    def add(self, a: int, amount: int) -> int:
        table = self._table
        if table is None or not table.low <= a <= table.high:
            table = self._covering(a, a)
        while True:
            target = table.elapsed(a) + amount
            if target <= table.elapsed(table.high):
                k = bisect_left(table.through, target)
                return table.starts[k] + target - table.before[k]
            longer = self._covering(a, self._beyond(table, target))
            if longer.high <= table.high:
                raise ValueError(
                    f"{_US * amount} of working time from {_EPOCH + _US * a} runs past the year {_LAST_YEAR}"
                )
            table = longer

    def is_working(self, instant: int) -> bool:
        table = self._table
        if table is None or not table.low <= instant <= table.high:
            table = self._covering(instant, instant)
        k = bisect_right(table.starts, instant) - 1
        return k >= 0 and instant < table.ends[k]

    def holidays_in(self, year: int) -> frozenset[date]:
        found = self._holidays.get(year)
        if found is None:
            days = {day for day in self._rules.dates if day.year == year}
            if self._rules.country is not None:
                days.update(
                    holidays_package.country_holidays(
                        self._rules.country, subdiv=self._rules.subdivision, years=year
                    ).keys()
                )
            found = self._holidays[year] = frozenset(days)
        return found

    def _beyond(self, table: _Table, target: int) -> int:
        """An instant to extend the table to so that it may hold ``target`` working time: a guess from the
        working time per year so far, at least a year further."""
        years = table.end_year - table.first_year
        per_year = max(table.elapsed(table.high) // years, 1)
        extra_years = max(1, -(-(target - table.elapsed(table.high)) // per_year))
        return min(table.high + (extra_years + 1) * 366 * _DAY_US, _year_start_us(_LAST_YEAR + 1) - 1)

    def _covering(self, a: int, b: int) -> _Table:
        """A table whose exact range holds ``a`` and ``b``, the current one grown if need be."""
        first = _year_of(a) - 1
        end = _year_of(b) + 2
        if first < _FIRST_YEAR - 1 or end > _LAST_YEAR + 2:
            raise ValueError(
                f"business time is computed for the years {_FIRST_YEAR}-{_LAST_YEAR}; "
                f"{_EPOCH + _US * min(a, b)} .. {_EPOCH + _US * max(a, b)} is outside them"
            )
        with self._lock:
            table = self._table
            if table is not None:
                if table.low <= a and b <= table.high:
                    return table
                first, end = min(first, table.first_year), max(end, table.end_year)
            table = self._table = self._build(first, end)
            return table

    def _build(self, first_year: int, end_year: int) -> _Table:
        """The working intervals of the local years ``[first_year, end_year)``: the working wall-clock
        intervals mapped back through each stretch of constant UTC offset."""
        wall_starts: list[int] = []
        wall_ends: list[int] = []
        for year in range(first_year, end_year):
            for start, end in self._wall_intervals(year):
                if wall_ends and wall_ends[-1] == start:
                    wall_ends[-1] = end
                else:
                    wall_starts.append(start)
                    wall_ends.append(end)
        low, high = _year_start_us(first_year), _year_start_us(end_year)
        starts: list[int] = []
        ends: list[int] = []
        for piece_start, piece_end, offset in self._offset_pieces(low - _DAY_US, high + _DAY_US):
            i = bisect_right(wall_ends, piece_start + offset)
            while i < len(wall_starts) and wall_starts[i] < piece_end + offset:
                start = max(wall_starts[i] - offset, piece_start)
                end = min(wall_ends[i] - offset, piece_end)
                if end > start:
                    if ends and ends[-1] == start:
                        ends[-1] = end
                    else:
                        starts.append(start)
                        ends.append(end)
                i += 1
        through = list(accumulate(end - start for start, end in zip(starts, ends, strict=True)))
        before = [0, *through[:-1]] if through else []
        # Offsets stay within a day of UTC, so instants two days inside the years only see these years.
        return _Table(first_year, end_year, low + 2 * _DAY_US, high - 2 * _DAY_US, starts, ends, before, through)

    def _wall_intervals(self, year: int) -> list[tuple[int, int]]:
        """The working intervals of a local year in wall-clock microseconds (as if the zone were UTC)."""
        off_days = self.holidays_in(year)
        intervals: list[tuple[int, int]] = []
        for ordinal in range(date(year, 1, 1).toordinal(), date(year + 1, 1, 1).toordinal()):
            day = date.fromordinal(ordinal)
            if day.weekday() not in self._weekdays or day in off_days:
                continue
            midnight = (ordinal - _EPOCH_ORDINAL) * _DAY_US
            for start, end in self._spans:
                if intervals and intervals[-1][1] == midnight + start:
                    intervals[-1] = (intervals[-1][0], midnight + end)
                else:
                    intervals.append((midnight + start, midnight + end))
        return intervals

    def _offset_pieces(self, low: int, high: int) -> list[tuple[int, int, int]]:
        """``(start, end, offset)`` stretches of constant UTC offset covering ``[low, high)``."""
        pieces: list[tuple[int, int, int]] = []
        start, offset = low, self._offset_at(low)
        for year in range(_year_of(low), _year_of(high) + 1):
            for instant, new_offset in self._transitions_in(year):
                if low < instant < high:
                    pieces.append((start, instant, offset))
                    start, offset = instant, new_offset
        pieces.append((start, high, offset))
        return pieces

    def _transitions_in(self, year: int) -> list[tuple[int, int]]:
        """The instants in a UTC year at which the zone's offset changes, with the offset from then on."""
        found = self._transitions.get(year)
        if found is None:
            found = []
            instant, end = _year_start_us(year), _year_start_us(year + 1)
            offset = self._offset_at(instant)
            while instant < end:
                sample = min(instant + _SAMPLE_US, end)
                new_offset = self._offset_at(sample)
                if new_offset != offset:
                    before, after = instant, sample
                    while after - before > 1:
                        middle = (before + after) // 2
                        if self._offset_at(middle) == offset:
                            before = middle
                        else:
                            after = middle
                    found.append((after, new_offset))
                    offset = new_offset
                instant = sample
            self._transitions[year] = found
        return found

    def _offset_at(self, instant: int) -> int:
        utc = _EPOCH + _US * instant
        return (utc.astimezone(self.zone).replace(tzinfo=None) - utc.replace(tzinfo=None)) // _US


def _year_start_us(year: int) -> int:
    return (date(year, 1, 1).toordinal() - _EPOCH_ORDINAL) * _DAY_US


def _year_of(instant: int) -> int:
    return date.fromordinal(_EPOCH_ORDINAL + instant // _DAY_US).year


# Timelines are kept beside the calendars, never in them: a calendar stays a plain frozen value (equality,
# hashing, copying and pickling see only its fields). Equal calendars share one timeline; each calendar object
# finds it again by identity, which is much cheaper than hashing the calendar on every call.
_TIMELINES: dict[int, tuple[weakref.ref[Calendar], _Timeline]] = {}


@lru_cache(maxsize=64)
def _shared_timeline(calendar: Calendar) -> _Timeline:
    return _Timeline(calendar)


def _timeline_of(calendar: Calendar) -> _Timeline:
    key = id(calendar)
    entry = _TIMELINES.get(key)
    if entry is not None and entry[0]() is calendar:
        return entry[1]
    timeline = _shared_timeline(calendar)

    def forget(ref: weakref.ref[Calendar]) -> None:
        current = _TIMELINES.get(key)
        if current is not None and current[0] is ref:
            del _TIMELINES[key]

    _TIMELINES[key] = (weakref.ref(calendar, forget), timeline)
    return timeline
