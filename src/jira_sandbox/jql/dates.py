"""Date operands of JQL: absolute dates, relative periods (`-2d`, `4w 2d`, `-4h`) and the date functions
(`now()`, `startOfDay()`, `endOfDay()`, `startOfWeek()`, `endOfWeek()`, `startOfMonth()`, `endOfMonth()`),
resolved against an explicit `now` in epoch ms (UTC, the sandbox's only time zone)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from jira_sandbox import jiratime
from jira_sandbox.errors import bad_request
from jira_sandbox.jql.ast import EmptyValue, FunctionCall, Value

_PERIOD_PART = re.compile(r"([+-]?)(\d+)\s*([wdhm])", re.IGNORECASE)
_PERIOD = re.compile(r"^\s*[+-]?\d+\s*[wdhm](\s*[+-]?\d+\s*[wdhm])*\s*$", re.IGNORECASE)
_UNIT_MS = {
    "w": 7 * jiratime.MS_PER_DAY,
    "d": jiratime.MS_PER_DAY,
    "h": jiratime.MS_PER_HOUR,
    "m": jiratime.MS_PER_MINUTE,
}
_FORMATS = ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d")
DATE_FUNCTIONS = frozenset({"now", "startofday", "endofday", "startofweek", "endofweek", "startofmonth", "endofmonth"})


def period_ms(text: str) -> int | None:
    """`-2d` -> -2 days in ms; `4w 2d` -> 30 days; None when `text` is not a period. A sign applies to
    the part it precedes; an unsigned leading part is positive, as in Jira."""
    if not _PERIOD.match(text):
        return None
    total = 0
    sign = 1
    for part_sign, amount, unit in _PERIOD_PART.findall(text):
        if part_sign:
            sign = -1 if part_sign == "-" else 1
        total += sign * int(amount) * _UNIT_MS[unit.lower()]
    return total


def _invalid(text: str, field: str) -> Exception:
    return bad_request(
        f"Date value '{text}' for field '{field}' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm', "
        "'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period format e.g. '-5d', '4w 2d'."
    )


def _month_start(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0, second=0, microsecond=0)


def function_ms(call: FunctionCall, now: int, field: str) -> int:
    name = call.name.lower()
    if name not in DATE_FUNCTIONS:
        raise bad_request(f"Unable to find JQL function '{call.name}({', '.join(call.args)})'.")
    if name == "now":
        return now
    shift = period_ms(call.args[0]) if call.args else 0
    if call.args and shift is None:
        raise _invalid(call.args[0], field)
    moment = jiratime.to_datetime(now)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    shift = shift or 0
    match name:
        case "startofday":
            return jiratime.from_datetime(day) + shift
        case "endofday":
            return jiratime.from_datetime(day + timedelta(days=1)) - 1 + shift
        case "startofweek" | "endofweek":
            week = day - timedelta(days=(day.weekday() + 1) % 7)  # weeks start on Sunday, as in Jira
            if name == "endofweek":
                week += timedelta(days=7)
                return jiratime.from_datetime(week) - 1 + shift
            return jiratime.from_datetime(week) + shift
        case "startofmonth":
            return jiratime.from_datetime(_month_start(day, 0)) + shift
        case _:
            return jiratime.from_datetime(_month_start(day, 1)) - 1 + shift


def operand_ms(item: Value | EmptyValue | FunctionCall, now: int, field: str) -> int | None:
    """Epoch ms of one date operand; None for EMPTY."""
    if isinstance(item, EmptyValue):
        return None
    if isinstance(item, FunctionCall):
        return function_ms(item, now, field)
    text = item.text.strip()
    shift = period_ms(text)
    if shift is not None:
        return now + shift
    if text.lstrip("-").isdigit() and len(text) > 8:
        return int(text)  # epoch milliseconds, as Jira accepts
    for fmt in _FORMATS:
        try:
            return jiratime.from_datetime(datetime.strptime(text, fmt))
        except ValueError:
            continue
    raise _invalid(text, field)
