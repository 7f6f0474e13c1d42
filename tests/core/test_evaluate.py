"""The escalation rules, one table row per rule and edge case. Pure: no Jira, no Prefect, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from escalator.core import evaluate, merge_plans, youngest_actionable_age
from escalator.core.policy import Unavailability

from .policy_builders import BASE_POLICY, BERLIN, make_issue, make_policy, state

UTC = ZoneInfo("UTC")


def berlin(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@dataclass
class Row:
    id: str
    issue: dict[str, Any]
    now: datetime
    expect: dict[str, Any]
    policy: dict[str, Any] = field(default_factory=dict)
    inactive: tuple[str, ...] = ()


OUTAGE = {"key": "OPS-1", "labels": ["outage"], "issue_type": "Incident"}

ROWS = [
    Row(
        "not due before the L1 window",
        {},
        berlin(16, 12, 59),
        {"outcome": "no_action", "reason_code": "not_due", "due_at": berlin(16, 13)},
    ),
    Row(
        "due exactly when the window ends",
        {},
        berlin(16, 13),
        {"outcome": "escalate", "to_level": "L1", "assignee": "dave", "from_level": None},
    ),
    Row(
        "window ending exactly at closing time is due at closing, not next morning",
        {"created": berlin(16, 13)},
        berlin(16, 17),
        {"outcome": "escalate", "to_level": "L1", "due_at": berlin(16, 17)},
    ),
    Row(
        "one minute before closing time the window has not run out",
        {"created": berlin(16, 13)},
        berlin(16, 16, 59),
        {"outcome": "no_action", "due_at": berlin(16, 17)},
    ),
    Row(
        "Friday 16:00 plus 4 business hours is Monday 12:00 (not yet at 11:59)",
        {"created": berlin(13, 16)},
        berlin(16, 11, 59),
        {"outcome": "no_action", "due_at": berlin(16, 12), "elapsed": timedelta(hours=3, minutes=59)},
    ),
    Row(
        "Friday 16:00 plus 4 business hours is Monday 12:00",
        {"created": berlin(13, 16)},
        berlin(16, 12),
        {"outcome": "escalate", "to_level": "L1"},
    ),
    Row(
        "Christmas: Dec 23 15:00 plus 4h skips Dec 24 (policy date), 25/26 (public) and the weekend",
        {"created": berlin(23, 15, month=12)},
        berlin(28, 11, month=12),
        {"outcome": "escalate", "due_at": berlin(28, 11, month=12)},
    ),
    Row(
        "Christmas: not due on Dec 28 at 10:59",
        {"created": berlin(23, 15, month=12)},
        berlin(28, 10, 59, month=12),
        {"outcome": "no_action", "elapsed": timedelta(hours=3, minutes=59)},
    ),
    Row(
        "an unassigned issue moves up after the shorter unassigned window",
        {"assignee": None},
        berlin(16, 10),
        {"outcome": "escalate", "to_level": "L1", "assignee": "dave", "window": timedelta(hours=1)},
    ),
    Row(
        "an assigned issue waits for the full window",
        {},
        berlin(16, 10),
        {"outcome": "no_action", "window": timedelta(hours=4)},
    ),
    Row(
        "L1 to L2 after one working day (8h) at L1, skipping the inactive owner",
        {"assignee": "dave", "state": state()},
        berlin(17, 13),
        {
            "outcome": "escalate",
            "from_level": "L1",
            "to_level": "L2",
            "assignee": "erin",
            "owners_skipped": ("frank",),
            "labels_add": ("escalated",),
        },
        inactive=("frank",),
    ),
    Row(
        "L1 not yet at L2 after 7h59 of working time",
        {"assignee": "dave", "state": state()},
        berlin(17, 12, 59),
        {"outcome": "no_action", "reason_code": "not_due", "elapsed": timedelta(hours=7, minutes=59)},
    ),
    Row(
        "an old backlog issue goes straight to the highest level due, naming the levels passed",
        {},
        berlin(20, 17),
        {
            "outcome": "escalate",
            "to_level": "L3",
            "levels_passed": ("L1", "L2"),
            "assignee": "grace",
            "priority": "Highest",
            "labels_add": ("escalated",),
        },
    ),
    Row(
        "the top level is never passed",
        {"assignee": "grace", "state": state(level="L3", level_index=3, assignee_set="grace")},
        berlin(30, 17),
        {"outcome": "no_action", "reason_code": "at_top_level", "from_level": "L3"},
    ),
    Row(
        "exempt label",
        {"labels": ["no-escalation"]},
        berlin(20, 17),
        {"outcome": "no_action", "reason_code": "exempt_label"},
    ),
    Row(
        "exempt issue type",
        {"issue_type": "Epic"},
        berlin(20, 17),
        {"outcome": "no_action", "reason_code": "exempt_issue_type"},
    ),
    Row(
        "exempt status",
        {"status": "Waiting for customer"},
        berlin(20, 17),
        {"outcome": "no_action", "reason_code": "exempt_status"},
    ),
    Row(
        "resolved issues are left alone",
        {"status": "Done", "status_category": "done"},
        berlin(20, 17),
        {"outcome": "no_action", "reason_code": "resolved"},
    ),
    Row(
        "no category matches",
        {"key": "ENG-1"},
        berlin(20, 17),
        {"outcome": "no_action", "reason_code": "no_category"},
    ),
    Row(
        "an issue escalated by another policy is left to it",
        {"state": state(policy="other")},
        berlin(20, 17),
        {"outcome": "no_action", "reason_code": "other_policy"},
    ),
    Row(
        "humans win: a manual reassignment restarts the level's clock",
        {"assignee": "mallory", "assignee_changed_at": berlin(17, 10), "state": state()},
        berlin(17, 17),
        {
            "outcome": "no_action",
            "reason_code": "not_due",
            "clock_start": "human_change",
            "clock_started_at": berlin(17, 10),
            "elapsed": timedelta(hours=7),
        },
    ),
    Row(
        "humans win: after the restarted window the issue moves on",
        {"assignee": "mallory", "assignee_changed_at": berlin(17, 10), "state": state()},
        berlin(18, 10),
        {"outcome": "escalate", "to_level": "L2", "assignee": "frank"},
    ),
    Row(
        "humans win: a manually lowered priority restarts the clock",
        {"assignee": "dave", "priority": "Low", "priority_changed_at": berlin(17, 9, 30), "state": state()},
        berlin(17, 13),
        {"outcome": "no_action", "clock_start": "human_change"},
    ),
    Row(
        "humans win: with on_human_change: stop, escalator stops",
        {"assignee": "mallory", "assignee_changed_at": berlin(17, 10), "state": state()},
        berlin(25, 10),
        {"outcome": "no_action", "reason_code": "human_override"},
        policy={"on_human_change": "stop"},
    ),
    Row(
        "an issue a person assigned recently is not taken away on the first sweep",
        {"assignee": "zoe", "assignee_changed_at": berlin(20, 14, 50)},
        berlin(20, 15),
        {"outcome": "no_action", "reason_code": "not_due", "clock_start": "human_change"},
    ),
    Row(
        "humans win: reassigned away and back still restarts the clock (the changelog says so)",
        {"assignee": "dave", "human_changed_at": berlin(17, 10), "state": state()},
        berlin(17, 17),
        {"outcome": "no_action", "clock_start": "human_change", "clock_started_at": berlin(17, 10)},
    ),
    Row(
        "humans win: a change with no known time restarts the clock now, never escalating on a guess",
        {"assignee": "mallory", "state": state()},
        berlin(25, 10),
        {"outcome": "no_action", "reason_code": "not_due", "clock_started_at": berlin(25, 10)},
    ),
    Row(
        "humans win: on_human_change: stop holds after the values are changed back",
        {"assignee": "dave", "human_changed_at": berlin(17, 10), "state": state()},
        berlin(25, 10),
        {"outcome": "no_action", "reason_code": "human_override"},
        policy={"on_human_change": "stop"},
    ),
    Row(
        "catching up: nobody at the due top level, so the highest available level below it",
        {},
        berlin(20, 17),
        {
            "outcome": "escalate",
            "to_level": "L2",
            "assignee": "erin",
            "owners_skipped": ("grace", "frank"),
            "levels_passed": ("L1",),
        },
        inactive=("grace", "frank"),
    ),
    Row(
        "cooldown between two escalations",
        {"assignee": "dave", "state": state()},
        berlin(17, 13),
        {"outcome": "no_action", "reason_code": "cooldown"},
        policy={"cooldown": "2d"},
    ),
    Row(
        "after the cooldown the issue moves on",
        {"assignee": "dave", "state": state()},
        berlin(18, 13, 1),
        {"outcome": "escalate", "to_level": "L2"},
        policy={"cooldown": "2d"},
    ),
    Row(
        "an owner on leave is skipped for the next level's owner",
        {},
        berlin(16, 13),
        {"outcome": "escalate", "to_level": "L2", "assignee": "frank", "owners_skipped": ("dave",)},
        policy={"unavailable": [{"owner": "dave", "from": "2026-11-16", "until": "2026-11-20", "reason": "leave"}]},
    ),
    Row(
        "nobody available from the due level up: skipped, with every reason",
        OUTAGE,
        datetime(2026, 11, 16, 8, 45, tzinfo=UTC),
        {
            "outcome": "skipped",
            "reason_code": "no_available_owner",
            "owners_skipped": ("alice", "bob", "carol"),
        },
        inactive=("alice", "bob", "carol"),
    ),
    Row(
        "24x7 outage: L1 after 30 minutes on a Saturday, priority set to High",
        {**OUTAGE, "created": datetime(2026, 11, 21, 10, 0, tzinfo=UTC)},
        datetime(2026, 11, 21, 10, 30, tzinfo=UTC),
        {
            "outcome": "escalate",
            "category": "outage",
            "to_level": "L1",
            "assignee": "alice",
            "priority": "High",
        },
    ),
    Row(
        "priority is never lowered (Highest stays when the level sets High)",
        {**OUTAGE, "priority": "Highest", "created": datetime(2026, 11, 21, 10, 0, tzinfo=UTC)},
        datetime(2026, 11, 21, 10, 30, tzinfo=UTC),
        {"outcome": "escalate", "priority": "Highest"},
    ),
    Row(
        "priority never goes past the top of the ladder",
        {
            **OUTAGE,
            "priority": "Highest",
            "assignee": "alice",
            "state": state(
                category="outage",
                assignee_set="alice",
                priority_set="Highest",
                at=datetime(2026, 11, 21, 10, 30, tzinfo=UTC),
            ),
        },
        datetime(2026, 11, 21, 11, 30, tzinfo=UTC),
        {"outcome": "escalate", "to_level": "L2", "priority": "Highest"},
    ),
    Row(
        "an escalated issue keeps its category although its labels changed",
        {
            "key": "OPS-2",
            "assignee": "alice",
            "state": state(
                category="outage",
                assignee_set="alice",
                priority_set="Medium",
                at=datetime(2026, 11, 21, 10, 30, tzinfo=UTC),
            ),
        },
        datetime(2026, 11, 21, 11, 30, tzinfo=UTC),
        {"outcome": "escalate", "category": "outage", "to_level": "L2"},
    ),
    Row(
        "escalation deadline breached is reported",
        {"assignee": "dave", "state": state()},
        berlin(19, 13, 1),
        {"deadline_breached": True},
        policy={"escalation_deadline": "3d"},
    ),
    Row(
        "escalation deadline not yet breached",
        {"assignee": "dave", "state": state()},
        berlin(19, 12, 59),
        {"deadline_breached": False, "deadline_at": berlin(19, 13)},
        policy={"escalation_deadline": "3d"},
    ),
    Row(
        "custom field match",
        {"key": "SUP-9", "fields": {"customfield_10010": "EU"}},
        berlin(16, 13),
        {"category": "eu-support"},
        policy={
            "categories": [
                {
                    "name": "eu-support",
                    "match": {"fields": {"customfield_10010": ["EU"]}},
                    "levels": [{"name": "L1", "window": "1h", "owners": ["erin"]}],
                },
                {"name": "rest", "levels": [{"name": "L1", "window": "4h", "owners": ["dave"]}]},
            ]
        },
    ),
]


def observed(decision: Any) -> dict[str, Any]:
    actions = decision.actions
    return {
        **decision.model_dump(),
        "owners_skipped": tuple(s.owner for s in decision.owners_skipped),
        "assignee": actions.assignee_to if actions else None,
        "priority": actions.priority_to if actions else None,
        "labels_add": actions.labels_add if actions else (),
    }


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_rule(row: Row) -> None:
    policy = make_policy(**row.policy)
    plan = evaluate([make_issue(**row.issue)], policy, row.now, inactive_users=frozenset(row.inactive))
    got = observed(plan.decisions[0])
    mismatches = {name: (want, got[name]) for name, want in row.expect.items() if got[name] != want}
    assert not mismatches, f"{mismatches}; reason: {plan.decisions[0].reason}"


def test_escalation_carries_the_new_state_and_a_status_summary() -> None:
    plan = evaluate([make_issue(assignee=None)], make_policy(), berlin(16, 10))
    decision = plan.decisions[0]
    assert decision.new_state is not None and decision.actions is not None
    assert decision.new_state.model_dump(exclude={"at", "first_at"}) == {
        "schema_version": 1,
        "policy": "support",
        "policy_version": "7",
        "category": "support",
        "level": "L1",
        "level_index": 1,
        "assignee_set": "dave",
        "priority_set": "Medium",
        "escalations": 1,
        "run_id": None,
    }
    assert decision.new_state.at == decision.new_state.first_at == berlin(16, 10)
    comment = decision.actions.comment
    for expected in (
        "to L1 (dave)",
        "2026-11-16 10:00",
        "assignee unassigned → dave",
        "support version 7",
        "unassigned window (nobody owns the issue) for L1 is 1h 00m",
    ):
        assert expected in comment


def test_second_escalation_counts_and_keeps_first_escalation_time() -> None:
    issue = make_issue(assignee="dave", state=state())
    decision = evaluate([issue], make_policy(), berlin(17, 13), inactive_users={"frank"}).decisions[0]
    assert decision.new_state is not None
    assert decision.new_state.escalations == 2
    assert decision.new_state.first_at == berlin(16, 13)


def test_blast_radius_blocks_the_whole_plan() -> None:
    issues = [make_issue(f"SUP-{n}") for n in range(3)]
    plan = evaluate(issues, make_policy(max_escalations_per_run=2), berlin(16, 13))
    assert len(plan.escalations) == 3
    assert plan.blocked is not None and "max_escalations_per_run of 2" in plan.blocked
    assert evaluate(issues, make_policy(max_escalations_per_run=3), berlin(16, 13)).blocked is None


def test_counts_by_outcome_and_reason() -> None:
    issues = [make_issue("SUP-1"), make_issue("SUP-2", labels=["no-escalation"]), make_issue("ENG-3")]
    counts = evaluate(issues, make_policy(), berlin(16, 13)).counts()
    assert counts == {"escalate": 1, "no_action": 2, "exempt_label": 1, "no_category": 1}


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate([], make_policy(), datetime(2026, 11, 16, 13))


def test_unavailability_range_is_inclusive() -> None:
    absence = Unavailability.model_validate({"owner": "x", "from": "2026-11-16", "until": "2026-11-20"})
    assert absence.covers(berlin(20, 23).date()) and not absence.covers(berlin(21, 0).date())


def test_plans_evaluated_page_by_page_merge_into_the_whole_plan() -> None:
    issues = [make_issue(f"SUP-{n}", assignee=None if n % 2 else "x") for n in range(7)]
    policy = make_policy(max_escalations_per_run=3)
    whole = evaluate(issues, policy, berlin(16, 10))
    pages = [evaluate(issues[i : i + 3], policy, berlin(16, 10)) for i in range(0, 7, 3)]
    assert all(page.blocked is None for page in pages)
    assert merge_plans(pages, policy) == whole
    assert whole.blocked is None
    tighter = make_policy(max_escalations_per_run=2)
    assert merge_plans([evaluate(issues[i : i + 3], tighter, berlin(16, 10)) for i in range(0, 7, 3)], tighter).blocked


def test_an_issue_seen_on_two_pages_is_decided_once() -> None:
    policy = make_policy()
    first = evaluate([make_issue("SUP-1"), make_issue("SUP-2")], policy, berlin(16, 13))
    second = evaluate([make_issue("SUP-2"), make_issue("SUP-3")], policy, berlin(16, 13))
    merged = merge_plans([first, second], policy)
    assert [d.issue_key for d in merged.decisions] == ["SUP-1", "SUP-2", "SUP-3"]
    assert len(merged.escalations) == 3


def test_youngest_actionable_age_is_the_shortest_window_unassigned_window_or_deadline_as_wall_time() -> None:
    """Working time never exceeds wall time, so a window of working time is a safe lower bound on age."""
    support_only = [c for c in BASE_POLICY["categories"] if c["name"] == "support"]
    policy = make_policy(categories=support_only)  # L1 4h, unassigned 1h, L2 1d (8 h on Berlin's calendar)
    assert youngest_actionable_age(policy) == timedelta(hours=1)
    longer = [{**support_only[0], "unassigned_window": None}]
    longer[0]["levels"] = [{**level, "window": "1d"} for level in longer[0]["levels"]]
    assert youngest_actionable_age(make_policy(categories=longer)) == timedelta(hours=8)
    assert youngest_actionable_age(make_policy(categories=longer, escalation_deadline="3h")) == timedelta(hours=3)
    assert youngest_actionable_age(make_policy()) == timedelta(minutes=30)  # the outage category's L1, 24x7


HOLDING = {"other_policy", "cooldown", "at_top_level", "human_override"}


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_a_decision_names_the_state_that_alone_keeps_its_issue_quiet(row: Row) -> None:
    """What the audit records once per issue and state (``escalator.audit.held``): set exactly on the decisions
    the stored state decided."""
    issue = make_issue(**row.issue)
    (decision,) = evaluate(
        [issue], make_policy(**row.policy), row.now, inactive_users=frozenset(row.inactive)
    ).decisions
    if decision.reason_code in HOLDING:
        assert decision.holding_state is not None and decision.holding_state == issue.state
    else:
        assert decision.holding_state is None
