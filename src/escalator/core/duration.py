"""Durations as policy owners write them: ``30m``, ``4h``, ``1d4h``, ``2w``.

A window is an amount of *working* time on a calendar, so its units are the calendar's: ``h``, ``m`` and ``s``
are hours, minutes and seconds of working time, ``d`` is one working day of that calendar (the total length of
its working-hours spans, 8 h for 09:00-17:00, 24 h for a 24x7 calendar) and ``w`` is one working week (a
working day times the number of working days). "2d" on an office calendar therefore means "two business
days", which is what people mean by it, and the same "2d" on a 24x7 calendar means 48 hours.

This module parses and resolves durations; it never reads a clock.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema, model_validator

__all__ = ["WorkDuration", "WorkDurationField", "parse_duration"]

_PART = re.compile(r"(\d+)\s*([wdhms])")
_WHOLE = re.compile(r"^\s*(?:\d+\s*[wdhms]\s*)+$")
_UNIT_NAMES = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class WorkDuration(BaseModel):
    """An amount of working time, kept in the units it was written in until a calendar resolves it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @model_validator(mode="after")
    def _non_negative(self) -> WorkDuration:
        if min(self.weeks, self.days, self.hours, self.minutes, self.seconds) < 0:
            raise ValueError("a duration cannot be negative")
        return self

    def resolve(self, working_day: timedelta, working_days_per_week: int) -> timedelta:
        """The working time this duration stands for on a calendar with the given day and week."""
        return (self.weeks * working_days_per_week + self.days) * working_day + timedelta(
            hours=self.hours, minutes=self.minutes, seconds=self.seconds
        )

    def wall_clock(self) -> timedelta:
        """This duration on a 24x7 clock (a day is 24 h, a week 7 days)."""
        return self.resolve(timedelta(hours=24), 7)

    def __str__(self) -> str:
        parts = [
            f"{value}{unit}"
            for unit, value in zip(
                "wdhms", (self.weeks, self.days, self.hours, self.minutes, self.seconds), strict=True
            )
            if value
        ]
        return "".join(parts) or "0m"


def parse_duration(text: str) -> WorkDuration:
    """Parse ``"1d4h30m"``-style text; raise ``ValueError`` with the accepted form when it is not one."""
    if not _WHOLE.match(text):
        raise ValueError(
            f"{text!r} is not a duration; write a number and a unit, e.g. '30m', '4h', '1d4h' "
            "(units: w = working weeks, d = working days, h, m, s)"
        )
    values: dict[str, int] = {}
    for number, unit in _PART.findall(text):
        name = _UNIT_NAMES[unit]
        if name in values:
            raise ValueError(f"{text!r} gives the unit {unit!r} twice")
        values[name] = int(number)
    return WorkDuration(**values)


def _coerce(value: Any) -> Any:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool):
        raise ValueError("a duration must be text such as '4h', not true/false")
    if isinstance(value, int):
        raise ValueError(f"{value} has no unit; write e.g. '{value}m' or '{value}h'")
    return value


def _serialize(value: WorkDuration) -> str:
    return str(value)


WorkDurationField = Annotated[
    WorkDuration,
    BeforeValidator(_coerce),
    PlainSerializer(_serialize, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*(\d+\s*[wdhms]\s*)+$", "examples": ["30m", "4h", "1d4h"]}),
]
"""A duration field in a policy: written as text, validated, serialized back to the same text form."""
