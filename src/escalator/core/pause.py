"""Paused clocks: working time an issue spent in one of its category's pause statuses (waiting for the customer,
say) does not count towards a window, as Jira Service Management pauses an SLA.

The status timeline comes from the issue snapshot (the Jira adapter reads it from the changelog): from creation the
issue was in the ``from`` status of its first status change (else in its current status), and each change moves it
on; the last stretch is in the current status. When Jira returned only the newest part of the changelog
(``status_history_since``), nothing is known of the statuses before that instant, and that time counts as paused:
a short history can delay an escalation but never hasten one. Status names are compared without regard to case.

Pure: the caller hands in the issue, the statuses, the instants and the calendar.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from escalator.core.calendar import Calendar
from escalator.core.issue import IssueSnapshot

__all__ = ["Pauses", "clock_pauses", "due_instant", "in_pause_status", "running_time"]

Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Pauses:
    """When a clock that ran from ``start`` to ``end`` stood still: wall-clock spans, ordered and disjoint.

    ``unknown_until``: the status history is incomplete before this instant (later than ``start``), and the first
    span, from ``start``, is that unknown stretch rather than a known pause."""

    spans: tuple[Span, ...] = ()
    unknown_until: datetime | None = None


def in_pause_status(status: str | None, statuses: Collection[str]) -> bool:
    """Whether ``status`` is one of ``statuses`` (case-folded names)."""
    return status is not None and status.casefold() in statuses


def clock_pauses(issue: IssueSnapshot, statuses: Collection[str], start: datetime, end: datetime) -> Pauses:
    """The spans between ``start`` and ``end`` during which ``issue`` was in one of ``statuses`` (case-folded), or
    its status is not known."""
    if not statuses or end <= start:
        return Pauses()
    known = max(issue.created, issue.status_history_since or issue.created)
    changes = [change for change in issue.status_changes if change.at >= known]
    spans: list[Span] = []

    def pause(a: datetime, b: datetime) -> None:
        a, b = max(a, start), min(b, end)
        if a >= b:
            return
        if spans and spans[-1][1] >= a:  # touching the previous span: one pause
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))

    unknown_until = known if known > start else None
    if unknown_until is not None:
        pause(start, known)
    status, since = (changes[0].from_status if changes else issue.status), known
    for change in changes:
        if in_pause_status(status, statuses):
            pause(since, change.at)
        status, since = change.to_status, change.at
    if in_pause_status(issue.status, statuses):  # the current stretch: the issue's status now is authoritative
        pause(since, end)
    return Pauses(tuple(spans), unknown_until)


def running_time(calendar: Calendar, start: datetime, end: datetime, pauses: Pauses) -> tuple[timedelta, timedelta]:
    """Working time from ``start`` to ``end`` on ``calendar``: (counted, paused)."""
    total = calendar.business_time_between(start, end)
    paused = sum((calendar.business_time_between(a, b) for a, b in pauses.spans), timedelta())
    return total - paused, paused


def due_instant(calendar: Calendar, start: datetime, window: timedelta, pauses: Pauses) -> datetime:
    """When a clock started at ``start`` has counted ``window`` of working time, skipping the pauses (and, when it
    has not yet, if it runs on from the end of the last pause)."""
    counted, cursor = timedelta(), start
    for a, b in pauses.spans:
        piece = calendar.business_time_between(cursor, a)
        if counted + piece >= window:
            break
        counted, cursor = counted + piece, b
    return calendar.add_business_time(cursor, window - counted)
