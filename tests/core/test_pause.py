"""Paused clocks: working time in a pause status does not count, an issue in one is not escalated, an incomplete
status history delays and never hastens. Pure: no Jira, no Prefect, no clock."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalator.core import evaluate
from escalator.core.decision import Decision
from escalator.core.pause import clock_pauses, running_time

from .policy_builders import BASE_POLICY, BERLIN, make_issue, make_policy, state

PAUSING = make_policy(exempt={}, pause_statuses=["Waiting for customer", "Pending"])


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)  # 16 November 2026 is a Monday


def change(at: datetime, before: str | None, after: str) -> dict[str, Any]:
    return {"at": at, "from": before, "to": after}


WAITED_10_TO_12 = [
    change(berlin(16, 10), "To Do", "Waiting for customer"),
    change(berlin(16, 12), "Waiting for customer", "In Progress"),
]


def decide(now: datetime, policy: Any = PAUSING, **issue: Any) -> Decision:
    issue.setdefault("status", "In Progress")
    return evaluate([make_issue(**issue)], policy, now).decisions[0]


def test_a_pause_in_the_middle_of_a_window_moves_the_due_time_by_its_working_time() -> None:
    # SUP's L1 window is 4h on the Berlin office calendar (09:00-17:00); created Monday 09:00.
    before = decide(berlin(16, 14, 59), status_changes=WAITED_10_TO_12)
    assert (before.outcome, before.reason_code) == ("no_action", "not_due")
    assert before.elapsed == timedelta(hours=3, minutes=59)
    assert before.paused == timedelta(hours=2)
    assert before.due_at == berlin(16, 15)
    assert "not counting 2h 00m paused" in before.reason

    due = decide(berlin(16, 15), status_changes=WAITED_10_TO_12)
    assert (due.outcome, due.to_level, due.paused) == ("escalate", "L1", timedelta(hours=2))
    assert due.due_at == berlin(16, 15)
    assert due.actions is not None and due.actions.summary is not None
    assert due.actions.summary.paused == timedelta(hours=2)
    assert "Clock paused: 2h 00m of working time." in due.actions.comment


def test_without_pause_statuses_the_same_history_changes_nothing() -> None:
    plain = make_policy(exempt={})
    decision = decide(berlin(16, 13), plain, status_changes=WAITED_10_TO_12)
    assert (decision.outcome, decision.paused) == ("escalate", None)
    assert "Clock paused" not in (decision.actions.comment if decision.actions else "")


def test_only_working_time_of_a_pause_counts_a_pause_over_the_night_costs_its_working_hours() -> None:
    night = [change(berlin(16, 16), "To Do", "Pending"), change(berlin(17, 10), "Pending", "In Progress")]
    decision = decide(berlin(17, 12), status_changes=night)
    assert decision.paused == timedelta(hours=2)  # 16:00-17:00 Monday and 09:00-10:00 Tuesday
    assert decision.elapsed == timedelta(hours=8 + 3 - 2)  # Monday 09:00-17:00 and Tuesday 09:00-12:00, less 2h
    assert decision.outcome == "escalate"


def test_an_issue_created_in_a_pause_status_counts_from_when_it_left() -> None:
    created_waiting = [change(berlin(16, 11), "Waiting for customer", "In Progress")]
    decision = decide(berlin(16, 14), status_changes=created_waiting)
    assert (decision.outcome, decision.paused, decision.due_at) == ("no_action", timedelta(hours=2), berlin(16, 15))


def test_pauses_add_up() -> None:
    twice = [
        *WAITED_10_TO_12,
        change(berlin(16, 13), "In Progress", "Pending"),
        change(berlin(16, 14), "Pending", "In Progress"),
    ]
    decision = decide(berlin(16, 15, 30), status_changes=twice)
    assert (decision.outcome, decision.paused, decision.due_at) == ("no_action", timedelta(hours=3), berlin(16, 16))


def test_an_issue_in_a_pause_status_is_not_escalated_however_long_it_waits() -> None:
    waiting = [change(berlin(16, 10), "To Do", "Waiting for customer")]
    decision = decide(berlin(20, 12), status="Waiting for customer", status_changes=waiting)
    assert (decision.outcome, decision.reason_code) == ("no_action", "paused")
    assert decision.elapsed == timedelta(hours=1)
    assert decision.due_at is None
    assert "a pause status" in decision.reason and "1h 00m of working time counted" in decision.reason


def test_the_clock_resumes_when_the_issue_leaves_the_pause_status() -> None:
    left = [change(berlin(16, 10), "To Do", "Waiting for customer"), change(berlin(20, 9), "Waiting", "In Progress")]
    assert decide(berlin(20, 11, 59), status_changes=left).reason_code == "not_due"  # 1h + 2h59m counted
    decision = decide(berlin(20, 12), status_changes=left)
    assert (decision.outcome, decision.elapsed) == ("escalate", timedelta(hours=4))


def test_status_names_are_compared_without_regard_to_case() -> None:
    shouted = [change(berlin(16, 10), "To Do", "WAITING FOR CUSTOMER"), change(berlin(16, 12), "WAITING", "Open")]
    assert decide(berlin(16, 14), status_changes=shouted).paused == timedelta(hours=2)
    assert decide(berlin(16, 14), status="waiting for customer").reason_code == "paused"


def test_a_category_may_override_the_policys_pause_statuses() -> None:
    data = copy.deepcopy(BASE_POLICY)
    data.update(exempt={}, pause_statuses=["Waiting for customer"])
    data["categories"][1]["pause_statuses"] = []  # support: its clocks never stop
    data["categories"][0]["pause_statuses"] = ["Pending"]
    no_pauses = make_policy(**{k: data[k] for k in ("exempt", "pause_statuses", "categories")})
    assert no_pauses.pause_statuses_for(no_pauses.categories[1]) == frozenset()
    assert no_pauses.pause_statuses_for(no_pauses.categories[0]) == frozenset({"pending"})
    decision = decide(berlin(16, 13), no_pauses, status_changes=WAITED_10_TO_12)
    assert (decision.outcome, decision.paused) == ("escalate", None)


def test_a_pause_before_the_levels_clock_started_does_not_count() -> None:
    escalated = state(at=berlin(16, 13), first_at=berlin(16, 13))
    issue = {"assignee": "dave", "state": escalated, "status_changes": WAITED_10_TO_12}
    decision = decide(berlin(16, 15), **issue)
    assert decision.clock_started_at == berlin(16, 13)
    assert (decision.elapsed, decision.paused) == (timedelta(hours=2), timedelta(0))


def test_an_incomplete_status_history_counts_the_unknown_time_as_paused_and_says_so() -> None:
    # Jira returned only the changes from Monday 12:00: the time before is unknown, and counts as paused.
    known = [change(berlin(16, 12), "In Progress", "Open")]
    decision = decide(berlin(16, 15, 30), status_changes=known, status_history_since=berlin(16, 12))
    assert (decision.outcome, decision.paused, decision.due_at) == ("no_action", timedelta(hours=3), berlin(16, 16))
    assert decision.data_problem is not None and "only part of the status history" in decision.data_problem
    complete = decide(berlin(16, 15, 30), status_changes=known)
    assert (complete.outcome, complete.paused, complete.data_problem) == ("escalate", timedelta(0), None)


def test_an_incomplete_history_that_starts_before_the_clock_is_no_problem() -> None:
    decision = decide(berlin(16, 15), status_changes=WAITED_10_TO_12, status_history_since=berlin(16, 9))
    assert (decision.outcome, decision.data_problem) == ("escalate", None)


def test_an_incomplete_history_matters_only_when_the_category_has_pause_statuses() -> None:
    plain = make_policy(exempt={})
    decision = decide(berlin(16, 13), plain, status_history_since=berlin(16, 12))
    assert (decision.outcome, decision.data_problem) == ("escalate", None)


STATUSES = st.sampled_from(["To Do", "In Progress", "Waiting for customer", "Pending"])


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.tuples(st.integers(min_value=1, max_value=60 * 40), STATUSES), max_size=8),
    first=STATUSES,
    minutes=st.integers(min_value=0, max_value=60 * 24 * 6),
)
def test_counted_and_paused_add_up_to_the_working_time_and_pauses_never_hasten(
    steps: list[tuple[int, str]], first: str, minutes: int
) -> None:
    at, previous, changes = berlin(16, 9), first, []
    for gap, status in steps:
        at += timedelta(minutes=gap)
        changes.append(change(at, previous, status))
        previous = status
    issue = make_issue(status=previous, status_changes=changes)
    now = berlin(16, 9) + timedelta(minutes=minutes)
    calendar = PAUSING.calendar_for(PAUSING.categories[1])
    pauses = clock_pauses(issue, PAUSING.pause_statuses_for(PAUSING.categories[1]), issue.created, now)
    counted, paused = running_time(calendar, issue.created, now, pauses)
    assert counted + paused == calendar.business_time_between(issue.created, now)
    assert all(a < b for a, b in pauses.spans)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(pauses.spans, pauses.spans[1:], strict=False))
    with_pauses = evaluate([issue], PAUSING, now).decisions[0]
    without = evaluate([issue], make_policy(exempt={}), now).decisions[0]
    if with_pauses.outcome == "escalate":
        assert without.outcome == "escalate"


@pytest.mark.parametrize("status", ["Waiting for customer", "Pending"])
def test_a_policy_with_pause_statuses_validates_and_keeps_them(status: str) -> None:
    assert status.casefold() in PAUSING.pause_statuses_for(PAUSING.categories[0])
